"""certs status: exact alerts with fixed dates, JSON shape, exit codes, window, settings."""
from __future__ import annotations

import json

from tests.conftest import assert_no_traceback

EXPECTED_ALERTS = [
    {"source": "certs", "subject": "supervision/2026-08", "severity": "error", "due": "2026-08-31",
     "message": "0 of 60 minutes of supervision logged in 2026-08; log it with "
                "'peerkit certs supervision add' if it took place"},
    {"source": "certs", "subject": "drivers-licence", "severity": "error", "due": "2026-11-24",
     "message": "licence expired on 2026-11-24; renew it before working under it again"},
    {"source": "certs", "subject": "car-insurance", "severity": "warning", "due": "2026-11-26",
     "message": "insurance expires on 2026-11-26 (in 1 day); renew it"},
    {"source": "certs", "subject": "cpss", "severity": "info", "due": "2027-06-30",
     "message": "CE hours short in ethics: 1 of 3 h earned since 2025-06-30; 2 h to go by 2027-06-30"},
]


def test_status_json_exact_alerts(scenario, run):
    result = run("certs", "status", "--json")
    assert_no_traceback(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) >= {"alerts", "credentials", "ce", "supervision"}
    assert data["alerts"] == EXPECTED_ALERTS


def test_status_json_figures(scenario, run):
    data = json.loads(run("certs", "status", "--json").stdout)
    states = {c["id"]: (c["state"], c["days_left"]) for c in data["credentials"]}
    assert states == {"cpss": ("ok", 217), "drivers-licence": ("lapsed", -1), "car-insurance": ("lapsing", 1)}
    ce = data["ce"]["cpss"]
    assert ce["period"] == {"start": "2025-06-30", "end": "2027-06-30"}
    assert (ce["required"], ce["earned"], ce["remaining"]) == (20, 20, 0)
    assert ce["categories"] == {"ethics": {"required": 3, "earned": 1, "remaining": 2}}
    assert ce["earned_by_category"] == {"ethics": 1, "recovery": 12, "wellness": 7}
    assert ce["entries"] == 3 and ce["short"] is True
    sup = data["supervision"]
    assert sup["minimum_minutes"] == 60 and sup["since"] == "2026-01-05"
    assert [m["month"] for m in sup["months"]] == [f"2026-{m:02d}" for m in range(2, 11)]
    assert sup["missing"] == ["2026-08"]
    assert sup["current"] == {"month": "2026-11", "minutes": 60, "remaining": 0, "due": "2026-11-30"}


def test_status_text(scenario, run):
    result = run("certs", "status")
    assert result.exit_code == 1
    out = result.stdout
    assert "drivers-licence      licence          2026-11-24  lapsed, 1 days ago" in out
    assert "car-insurance        insurance        2026-11-26  lapsing, 1 days left" in out
    assert "CE for cpss since 2025-06-30: 20 of 20 h" in out
    assert "  ethics: 1 of 3 h, 2 h to go" in out
    assert "missing in 2026-08" in out


def test_window_turns_ce_shortfall_into_a_warning(scenario, run):
    data = json.loads(run("certs", "status", "--json", "--within", "365").stdout)
    cpss = [a for a in data["alerts"] if a["subject"] == "cpss"]
    assert [(a["severity"], a["message"]) for a in cpss] == [
        ("warning", "CE hours short in ethics: 1 of 3 h earned since 2025-06-30; 2 h to go by 2027-06-30"),
        ("warning", "certification expires on 2027-06-30 (in 217 days); renew it"),
    ]


def test_as_of_and_exit_zero_when_nothing_due(scenario, run):
    # A year earlier: nothing lapsed; supervision had not started (first entry 2026-01-05).
    result = run("certs", "status", "--json", "--as-of", "2025-11-25", "--within", "30")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, data["alerts"]
    assert [a["severity"] for a in data["alerts"]] == ["info", "info"]
    assert data["ce"]["cpss"]["earned"] == 12


def test_warn_days_setting(scenario, run):
    toml = scenario / "peerkit.toml"
    toml.write_text(toml.read_text().replace("warn_days = 90", "warn_days = 0"))
    data = json.loads(run("certs", "status", "--json").stdout)
    assert data["within_days"] == 0
    assert "car-insurance" not in [a["subject"] for a in data["alerts"]]


def test_supervision_minimum_and_partial_month(scenario, run):
    toml = scenario / "peerkit.toml"
    toml.write_text(toml.read_text().replace("supervision_minutes = 60", "supervision_minutes = 90"))
    data = json.loads(run("certs", "status", "--json", "--as-of", "2026-11-28").stdout)
    sup = [a for a in data["alerts"] if a["subject"].startswith("supervision/")]
    assert len(sup) == 10  # every month Feb-Oct is short of 90, and November is due soon
    assert sup[-1] == {"source": "certs", "subject": "supervision/2026-11", "severity": "warning",
                       "due": "2026-11-30",
                       "message": "60 of 90 minutes of supervision logged so far in 2026-11; "
                                  "30 more needed by 2026-11-30"}


def test_supervision_check_off(scenario, run):
    toml = scenario / "peerkit.toml"
    toml.write_text(toml.read_text().replace("supervision_minutes = 60", "supervision_minutes = 0"))
    data = json.loads(run("certs", "status", "--json").stdout)
    assert not [a for a in data["alerts"] if a["subject"].startswith("supervision/")]


def test_supervision_lookback_is_bounded(scenario, run):
    # Ask two years later: only the last 12 complete months are checked.
    data = json.loads(run("certs", "status", "--json", "--as-of", "2028-11-25").stdout)
    months = [m["month"] for m in data["supervision"]["months"]]
    assert months[0] == "2027-11" and months[-1] == "2028-10" and len(months) == 12


def test_decimal_hours_add_up_exactly(ws_path, run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    (ws_path / "credentials.toml").write_text("""
[[credential]]
id = "tx"
kind = "certification"
name = "Texas Mental Health Peer Specialist"
issued = 2025-01-01
expires = 2026-12-31
period_years = 2
renewal_hours = 0.6
category_hours = { ethics = 0.6 }

[[ce]]
date = 2025-02-01
hours = 0.1
category = "Ethics"
title = "a"

[[ce]]
date = 2025-03-01
hours = 0.2
category = "ethics"
title = "b"

[[ce]]
date = 2025-04-01
hours = "0.3"
category = "ethics"
title = "c"
""")
    result = run("certs", "status", "--json")
    data = json.loads(result.stdout)
    assert data["ce"]["tx"]["earned"] == 0.6
    assert data["ce"]["tx"]["categories"]["ethics"]["remaining"] == 0
    assert not [a for a in data["alerts"] if a["message"].startswith("CE")]


def test_no_credentials_file(run, ws_path, monkeypatch):
    (ws_path / "credentials.toml").unlink()
    result = run("certs", "status", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["alerts"] == [] and data["credentials"] == []
    assert run("certs", "status").stdout.splitlines()[1] == "  none recorded (add one with 'peerkit certs add')"


def test_example_workspace_status(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    result = run("certs", "status", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(a["severity"], a["subject"], a["due"]) for a in data["alerts"]] == [
        ("error", "supervision/2026-09", "2026-09-30"),
        ("warning", "auto-insurance", "2027-01-14"),
        ("warning", "background-check", "2027-02-19"),
        ("info", "nc-cpss", "2027-03-31"),
    ]
    assert data["ce"]["nc-cpss"]["earned"] == 14.5


def test_lapsed_within_grace_and_after(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2027-04-05")
    data = json.loads(run("certs", "status", "--json").stdout)
    cpss = [(a["severity"], a["due"], a["message"]) for a in data["alerts"] if a["subject"] == "nc-cpss"]
    assert cpss == [
        ("error", "2027-03-31", "CE hours short: 14.5 of 20 h earned since 2025-03-31; 5.5 h to go by 2027-03-31"),
        ("error", "2027-03-31", "certification expired on 2027-03-31; late renewal still possible until 2027-04-30"),
    ]
    data = json.loads(run("certs", "status", "--json", "--as-of", "2027-05-01").stdout)
    msgs = [a["message"] for a in data["alerts"] if a["subject"] == "nc-cpss"]
    assert "certification expired on 2027-03-31; renew it before working under it again" in msgs


def test_renew_by_sets_the_ce_deadline(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    path = ws_path / "credentials.toml"
    path.write_text(path.read_text().replace("period_years = 2\n", "period_years = 2\nrenew_by = 2027-02-15\n", 1))
    data = json.loads(run("certs", "status", "--json").stdout)
    ce = [a for a in data["alerts"] if a["subject"] == "nc-cpss"]
    assert ce == [{"source": "certs", "subject": "nc-cpss", "severity": "warning", "due": "2027-02-15",
                   "message": "CE hours short: 14.5 of 20 h earned since 2025-03-31; 5.5 h to go by 2027-02-15"}]
    path.write_text(path.read_text().replace("renew_by = 2027-02-15", "renew_by = 2027-05-15"))
    result = run("certs", "status")
    assert result.exit_code == 3 and "field 'credential[1].renew_by': is after 'expires'" in result.output
