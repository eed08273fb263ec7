"""peerkit status: every plugin's alerts in one view (text, JSON, exit code)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from peerkit import hookimpl
from peerkit.alerts import Alert
from tests.certs.certs_scenario import scenario_text
from tests.conftest import assert_no_traceback

ONLY_MINE = "clients,certs,incidents"


@pytest.fixture
def monday(ws_path, run, monkeypatch):
    """The certs scenario plus a level III incident learned of 25 hours ago; only certs and
    incidents contribute alerts (the other built-ins are tested in their own folders)."""
    (ws_path / "credentials.toml").write_text(scenario_text(), encoding="utf-8")
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T10:00:00")
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", ONLY_MINE)
    r = run("incident", "add", "--level", "III", "--occurred-at", "2026-11-24T08:30",
            "--learned-at", "2026-11-24T09:00", "--client", "C001", "--what", "Generic fictional event")
    assert r.exit_code == 0, r.output
    return ws_path


EXPECTED = [
    {"source": "certs", "subject": "supervision/2026-08", "severity": "error", "due": "2026-08-31",
     "message": "0 of 60 minutes of supervision logged in 2026-08; log it with "
                "'peerkit certs supervision add' if it took place"},
    {"source": "certs", "subject": "drivers-licence", "severity": "error", "due": "2026-11-24",
     "message": "licence expired on 2026-11-24; renew it before working under it again"},
    {"source": "incidents", "subject": "INC-2026-11-24-1", "severity": "error", "due": "2026-11-25",
     "message": "level III: report to the supervisor overdue by 1 h (was due 2026-11-25 09:00, 24 h after "
                "learning of it); when done: peerkit incident mark INC-2026-11-24-1 reported-supervisor"},
    {"source": "incidents", "subject": "INC-2026-11-24-1", "severity": "error", "due": "2026-11-25",
     "message": "level III: verbal notice to the LME/MCO overdue by 1 h (was due 2026-11-25 09:00, 24 h "
                "after learning of it); when done: peerkit incident mark INC-2026-11-24-1 verbal-notice"},
    {"source": "certs", "subject": "car-insurance", "severity": "warning", "due": "2026-11-26",
     "message": "insurance expires on 2026-11-26 (in 1 day); renew it"},
    {"source": "incidents", "subject": "INC-2026-11-24-1", "severity": "info", "due": "2026-11-27",
     "message": "level III: entry in IRIS due by 2026-11-27 09:00 (in 47 h); when done: "
                "peerkit incident mark INC-2026-11-24-1 entered-iris"},
    {"source": "certs", "subject": "cpss", "severity": "info", "due": "2027-06-30",
     "message": "CE hours short in ethics: 1 of 3 h earned since 2025-06-30; 2 h to go by 2027-06-30"},
]


def test_status_json_shape_and_exit_code(monday, run):
    result = run("status", "--json")
    assert_no_traceback(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    assert all(list(a) == ["source", "subject", "severity", "due", "message"] for a in data)
    assert data == EXPECTED


def test_status_text_grouped_sorted_one_line_each(monday, run):
    result = run("status")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "OVERDUE / BROKEN (4)"
    assert lines[1] == ("  2026-08-31  certs      supervision/2026-08  0 of 60 minutes of supervision logged "
                        "in 2026-08; log it with 'peerkit certs supervision add' if it took place")
    assert lines[2].startswith("  2026-11-24  certs      drivers-licence      licence expired on 2026-11-24")
    assert lines[3].startswith("  2026-11-25  incidents  INC-2026-11-24-1     level III: report to the supervisor")
    assert lines[4].startswith("  2026-11-25  incidents  INC-2026-11-24-1     level III: verbal notice")
    assert lines[5] == ""
    assert lines[6] == "DUE SOON (1)"
    assert lines[7] == ("  2026-11-26  certs      car-insurance        "
                        "insurance expires on 2026-11-26 (in 1 day); renew it")
    assert lines[9] == "FOR INFORMATION (2)"
    assert lines[10].startswith("  2026-11-27  incidents")
    assert lines[11].startswith("  2027-06-30  certs")
    assert lines[-1] == "4 overdue, 1 due soon, 2 for information (as of 2026-11-25)."
    assert len(lines) == 14


def test_fixing_everything_exits_zero(monday, run):
    for action in ("reported-supervisor", "verbal-notice", "entered-iris"):
        assert run("incident", "mark", "INC-2026-11-24-1", action).exit_code == 0
    assert run("certs", "supervision", "add", "--date", "2026-08-12", "--minutes", "60").exit_code == 0
    path = monday / "credentials.toml"
    path.write_text(path.read_text().replace("expires = 2026-11-24", "expires = 2034-11-24"))
    result = run("status", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, data
    assert [a["severity"] for a in data] == ["warning", "info"]  # nothing overdue
    assert run("status").exit_code == 0


def test_as_of(monday, run):
    data = json.loads(run("status", "--json", "--as-of", "2026-11-20").stdout)
    subjects = [(a["severity"], a["subject"]) for a in data]
    assert ("error", "drivers-licence") not in subjects
    assert ("warning", "drivers-licence") in subjects  # expires in 4 days as of 2026-11-20
    assert not [s for s in subjects if s[1] == "INC-2026-11-24-1"]  # not known yet


class Fake:
    """A plugin contributing alerts of every kind, including a message with a line break."""

    @hookimpl
    def alerts(self, workspace, today):
        return [
            Alert("zz", "b", "info", None, "undated comes last"),
            Alert("zz", "a", "warning", dt.date(2026, 12, 1), "later"),
            Alert("zz", "a", "warning", dt.date(2026, 11, 27), "two\nlines"),
            Alert("zz", "c", "info", dt.date(2026, 11, 1), "dated info"),
        ]


def test_plugin_alerts_sorted_and_flattened(run, register_plugin, monkeypatch):
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", "")
    register_plugin(Fake(), name="fake")
    result = run("status", "--as-of", "2026-11-25")
    assert result.exit_code == 0  # warnings and information only
    assert result.stdout.splitlines() == [
        "DUE SOON (2)",
        "  2026-11-27  zz  a  two lines",
        "  2026-12-01  zz  a  later",
        "",
        "FOR INFORMATION (2)",
        "  2026-11-01  zz  c  dated info",
        "  -           zz  b  undated comes last",
        "",
        "2 due soon, 2 for information (as of 2026-11-25).",
    ]
    data = json.loads(run("status", "--as-of", "2026-11-25", "--json").stdout)
    assert [a["due"] for a in data] == ["2026-11-27", "2026-12-01", "2026-11-01", None]


def test_nothing_to_do(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", "")
    result = run("status", "--as-of", "2026-11-25")
    assert result.exit_code == 0
    assert result.stdout == "Nothing needs attention as of 2026-11-25.\n"
    assert run("status", "--json").stdout.strip() == "[]"
