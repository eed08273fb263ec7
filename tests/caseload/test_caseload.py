"""peerkit caseload with a fixed --as-of, figures computed by hand from the example workspace."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_HELPERS = Path(__file__).resolve().parents[1] / "invoice" / "invoice_helpers.py"
_spec = importlib.util.spec_from_file_location("caseload_note_helpers", _HELPERS)
helpers = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("caseload_note_helpers", helpers)
_spec.loader.exec_module(helpers)
make_note, add_toml, assert_no_traceback = helpers.make_note, helpers.add_toml, helpers.assert_no_traceback


def caseload_json(run, *args, code=0):
    result = run("caseload", *args, "--json")
    assert_no_traceback(result)
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def auth(data, client, modifier=""):
    return next(a for a in data["authorizations"] if a["client"] == client and a["modifier"] == modifier)


def test_example_workspace_as_of_2026_11_25(run):
    data = caseload_json(run, "--as-of", "2026-11-25")
    assert data["as_of"] == "2026-11-25"
    assert data["caseload"] == {"active_people": 4, "max_people": 10, "weekly_hours": 18.0,
                                "max_weekly_hours": 40.0, "clients": ["C001", "C002", "C003", "C004"]}
    # C001 H0038: approved 11-02 (65 min, 4), 11-09 (67, 4), 11-16 (65, 4), submitted 11-20 (90, 6),
    # signed 11-23 (60, 4) = 22 of 240; 2026-09-01..2026-11-25 = 86 of 181 days (47.5%)
    a = auth(data, "C001")
    assert (a["authorized"], a["used"], a["remaining"], a["percent_used"], a["percent_elapsed"]) == \
        (240, 22, 218, 9.2, 47.5)
    # pace 22 units / 86 days: 240 units last ceil(240*86/22) = 939 days -> 2029-03-27
    assert a["projected_run_out"] == "2029-03-27"
    assert a["flags"] == ["under"]           # 22 < 0.5 * 240 * 86/181 = 57
    # C001 HQ: 11-05 (90 min, 6) + 11-19 (82 min, 5) = 11 of 96
    assert auth(data, "C001", "HQ")["used"] == 11
    # C002 H0038 (ends 2026-12-05): 11-03 (53, 4), 11-10 (52, 3), 11-17 (7, 0), 11-19 (23, 2) = 9
    c2 = auth(data, "C002")
    assert (c2["used"], c2["remaining"]) == (9, 151)
    assert c2["flags"] == ["under", "ending"]
    # C003 HQ: 11-05 (90, 6) + 11-19 (82, 5) = 11 of 48, pace fine
    c3 = auth(data, "C003", "HQ")
    assert (c3["used"], c3["flags"]) == (11, [])
    # C003 H0038: 11-04 (53, 4), 11-12 (45, 3), 11-18 (8, 1), signed 11-21 (50, 3); void 11-11 not counted
    assert auth(data, "C003")["used"] == 11
    # no authorization: C004 (11-06 40 min = 3, 11-13 90 min = 6; denied and draft not counted);
    # C002's group sessions (HQ, no HQ authorization): 6 + 5
    assert [(u["client"], u["used"], u["limit"], u["remaining"]) for u in data["unmanaged"]] == [
        ("C002", 11, 24, 13), ("C004", 9, 24, 15)]
    assert data["unmanaged"][0]["fiscal_year"] == {"start": "2026-07-01", "end": "2027-06-30"}
    assert data["limits_broken"] is False
    kinds = {(al["subject"], al["severity"]) for al in data["alerts"]}
    assert ("C002 H0038", "warning") in kinds          # ends within 14 days
    assert all(set(al) == {"source", "subject", "severity", "due", "message"} for al in data["alerts"])


def test_table_on_terminal(run):
    result = run("caseload", "--as-of", "2026-11-25")
    assert result.exit_code == 0
    assert "4 active people (limit 10), 18 authorized hours a week (limit 40)" in result.stdout
    assert "C001    H0038     2026-09-01..2027-02-28  240   22    218" in result.stdout
    assert "Sam Example" not in result.stdout


def test_caseload_limits_broken_exit_1(run, ws_path):
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace("max_people = 10", "max_people = 3")
                 .replace("max_weekly_hours = 40", "max_weekly_hours = 15"))
    data = caseload_json(run, "--as-of", "2026-11-25", code=1)
    errors = [a for a in data["alerts"] if a["severity"] == "error"]
    assert [a["subject"] for a in errors] == ["caseload", "caseload"]
    assert any("4 active people" in a["message"] for a in errors)
    assert any("18 hours" in a["message"] for a in errors)
    assert data["limits_broken"] is True


def test_discharged_people_leave_the_caseload(run, ws_path):
    p = ws_path / "clients" / "C003.toml"
    p.write_text(p.read_text().replace('status = "active"\nadmitted', 'status = "discharged"\n'
                                       'discharged = 2026-11-20\nadmitted', 1))
    data = caseload_json(run, "--as-of", "2026-11-25")
    assert data["caseload"]["active_people"] == 3
    assert data["caseload"]["weekly_hours"] == 12.0
    assert data["caseload"]["clients"] == ["C001", "C002", "C004"]


def test_units_exceeded_is_broken(run, ws):
    # C003 HQ: 48 authorized, 11 used; add 40 units of group (4 x 150 min = 4 x 10)
    for day in ("2026-11-09", "2026-11-10", "2026-11-13", "2026-11-24"):
        make_note(ws, f"N-{day}-C003-7", "C003", day, "09:00", "11:30", modifier="HQ", group_size=4)
    data = caseload_json(run, "--as-of", "2026-11-25", code=1)
    a = auth(data, "C003", "HQ")
    assert (a["used"], a["remaining"], a["flags"]) == (51, -3, ["over"])
    err = [al for al in data["alerts"] if al["subject"] == "C003 H0038 HQ"]
    assert err[0]["severity"] == "error" and "over by 3" in err[0]["message"]


def test_projected_over_is_a_warning_not_broken(run, ws):
    # C003 HQ: 11 + 20 = 31 of 48 after 56 of 182 days -> runs out before 2027-03-31
    for day in ("2026-11-10", "2026-11-13"):
        make_note(ws, f"N-{day}-C003-7", "C003", day, "09:00", "11:30", modifier="HQ", group_size=4)
    data = caseload_json(run, "--as-of", "2026-11-25")
    a = auth(data, "C003", "HQ")
    assert a["used"] == 31
    # ceil(48 * 56 / 31) = 87 days from 2026-10-01 -> 2026-12-26
    assert a["projected_run_out"] == "2026-12-26"
    assert a["flags"] == ["over"]
    al = next(x for x in data["alerts"] if x["subject"] == "C003 H0038 HQ")
    assert al["severity"] == "warning" and al["due"] == "2026-12-26"


def test_unmanaged_units_over_the_limit(run, ws_path):
    p = ws_path / "peerkit.toml"
    text = p.read_text()
    assert "\nunmanaged_units = 24 " in text  # [billing], the one setting (peerkit.unmanaged)
    p.write_text(text.replace("\nunmanaged_units = 24 ", "\nunmanaged_units = 10 "))
    data = caseload_json(run, "--as-of", "2026-11-25", code=1)
    errs = {a["subject"] for a in data["alerts"] if a["severity"] == "error"}
    assert errs == {"C002"}                           # 11 > 10; C004 has 9
    warn = next(a for a in data["alerts"] if a["subject"] == "C004")
    assert warn["severity"] == "warning"              # 9 >= 75% of 10


def test_fiscal_year_resets_unmanaged_units(run, ws):
    make_note(ws, "N-2026-06-30-C004-1", "C004", "2026-06-30", "09:00", "15:00")   # 24 units, previous SFY
    # C004 admitted 2026-11-02, but the note exists: it belongs to SFY 2025-26 and does not count now
    data = caseload_json(run, "--as-of", "2026-11-25")
    assert next(u for u in data["unmanaged"] if u["client"] == "C004")["used"] == 9


def test_as_of_ignores_later_notes_and_under_grace(run):
    data = caseload_json(run, "--as-of", "2026-10-05")
    c3 = auth(data, "C003")
    assert c3["used"] == 0 and c3["projected_run_out"] is None
    assert c3["flags"] == []                          # 5 days into the period: within the grace
    c1 = auth(data, "C001")
    assert c1["used"] == 0 and "under" in c1["flags"]


def test_status_collects_caseload_alerts(run):
    result = run("status", "--as-of", "2026-11-25", "--json")
    alerts = [a for a in json.loads(result.stdout) if a["source"] == "caseload"]
    assert any(a["subject"] == "C002 H0038" and "ends on 2026-12-05" in a["message"] for a in alerts)


def test_bad_setting_is_one_clear_error(run, ws_path):
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace("max_people = 10", 'max_people = "ten"'))
    result = run("caseload", "--as-of", "2026-11-25")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert "caseload.max_people" in result.output


@pytest.mark.parametrize("day,expected", [("2026-07-01", ("2026-07-01", "2027-06-30")),
                                          ("2026-06-30", ("2025-07-01", "2026-06-30"))])
def test_fiscal_year(day, expected):
    import datetime as dt

    from peerkit.dates import fiscal_year

    first, last = fiscal_year(dt.date.fromisoformat(day))
    assert (first.isoformat(), last.isoformat()) == expected


def _caseload_not_a_table(ws_path):
    import re

    p = ws_path / "peerkit.toml"
    text, found = re.subn(r"\n\[caseload\]\nmax_people = -?\d+\nmax_weekly_hours = 40\n", "\n", p.read_text())
    assert found == 1
    p.write_text("caseload = 5\n" + text)  # a top-level key: [caseload] is not a table


def test_a_caseload_that_is_not_a_table_stops_what_reads_it_with_exit_3(run, ws_path):
    """The caseload plugin validates its own table (peerkit's core no longer does)."""
    _caseload_not_a_table(ws_path)
    result = run("caseload", "--as-of", "2026-11-25")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert "peerkit.toml" in result.stderr and "[caseload] must be a table" in result.stderr
    status = run("status", "--as-of", "2026-11-25")
    assert status.exit_code == 3 and "peerkit.toml: [caseload] must be a table" in status.output
    assert run("client", "list").exit_code == 0  # what does not read [caseload] still works


def test_doctor_reports_a_bad_caseload_table(run, ws_path):
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace("max_people = 10", "max_people = -1"))
    result = run("doctor")
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("warning: caseload: ")]
    assert len(lines) == 1 and lines[0].endswith("peerkit.toml:58: field 'caseload.max_people': must not be negative")
    _caseload_not_a_table(ws_path)
    lines = [ln for ln in run("doctor").stdout.splitlines() if ln.startswith("warning: caseload: ")]
    assert lines == ["warning: caseload: peerkit.toml: [caseload] must be a table"]


def test_doctor_is_quiet_about_a_good_caseload_table(run):
    assert "warning: caseload:" not in run("doctor").stdout
