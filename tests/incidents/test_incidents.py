"""Incidents: deadlines, exact alerts, marks, bad input."""
from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest

from tests.conftest import assert_no_traceback

LEVEL3_ALERTS = [
    {"source": "incidents", "subject": "INC-2026-11-24-1", "severity": "error", "due": "2026-11-25",
     "message": "level III: report to the supervisor overdue by 1 h (was due 2026-11-25 09:00, 24 h after "
                "learning of it); when done: peerkit incident mark INC-2026-11-24-1 reported-supervisor"},
    {"source": "incidents", "subject": "INC-2026-11-24-1", "severity": "error", "due": "2026-11-25",
     "message": "level III: verbal notice to the LME/MCO overdue by 1 h (was due 2026-11-25 09:00, 24 h "
                "after learning of it); when done: peerkit incident mark INC-2026-11-24-1 verbal-notice"},
    {"source": "incidents", "subject": "INC-2026-11-24-1", "severity": "info", "due": "2026-11-27",
     "message": "level III: entry in IRIS due by 2026-11-27 09:00 (in 47 h); when done: "
                "peerkit incident mark INC-2026-11-24-1 entered-iris"},
]


def incident_alerts(run, *args):
    result = run("status", "--json", *args)
    assert_no_traceback(result)
    return result, [a for a in json.loads(result.stdout) if a["source"] == "incidents"]


def test_add_writes_record(level3, ws_path):
    data = tomllib.loads((ws_path / "incidents" / f"{level3}.toml").read_text())
    assert data == {"id": level3, "level": "III", "occurred_at": dt.datetime(2026, 11, 24, 8, 30),
                    "learned_at": dt.datetime(2026, 11, 24, 9, 0), "client": "C001",
                    "what": "Generic fictional event", "actions": "Generic fictional actions"}
    assert (ws_path / "incidents" / f"{level3}.toml").stat().st_mode & 0o777 == 0o600


def test_level3_learned_25_hours_ago_exact_alerts(level3, run):
    result, alerts = incident_alerts(run)
    assert result.exit_code == 1
    assert alerts == LEVEL3_ALERTS


def test_marks_clear_alerts(level3, run, ws_path):
    r = run("incident", "mark", level3, "reported-supervisor", "--at", "2026-11-25T09:30")
    assert r.exit_code == 0 and "(after the deadline)" in r.stderr
    r = run("incident", "mark", level3, "verbal-notice")
    assert r.exit_code == 0
    _, alerts = incident_alerts(run)
    assert alerts == LEVEL3_ALERTS[2:]
    assert run("incident", "mark", level3, "entered-iris", "--at", "2026-11-25T10:00").exit_code == 0
    _, alerts = incident_alerts(run)
    assert alerts == []
    data = tomllib.loads((ws_path / "incidents" / f"{level3}.toml").read_text())
    assert data["reported_supervisor_at"] == dt.datetime(2026, 11, 25, 9, 30)
    assert data["verbal_notice_at"] == dt.datetime(2026, 11, 25, 10, 0)
    listed = json.loads(run("incident", "list", "--json").stdout)
    mine = [i for i in listed if i["id"] == level3][0]
    assert [(d["name"], d["state"]) for d in mine["deadlines"]] == [
        ("supervisor", "done-late"), ("verbal-notice", "done-late"), ("iris", "done")]
    assert mine["open"] is False
    assert run("incident", "list", "--due", "--json").stdout.strip() == "[]"


def test_mark_updated_appends_and_keeps_comments(level3, run, ws_path):
    path = ws_path / "incidents" / f"{level3}.toml"
    path.write_text(path.read_text() + "# a comment the peer wrote\n")
    assert run("incident", "mark", level3, "updated", "--at", "2026-11-25T11:00").exit_code == 0
    assert run("incident", "mark", level3, "updated", "--at", "2026-11-26T09:00").exit_code == 0
    text = path.read_text()
    assert "# a comment the peer wrote" in text
    assert tomllib.loads(text)["updates"] == [dt.datetime(2026, 11, 25, 11, 0), dt.datetime(2026, 11, 26, 9, 0)]


def test_due_soon_is_a_warning(ws_path, run, now):
    # level II learned of 2 hours ago: supervisor due in 22 h (warning), IRIS in 70 h (info)
    assert run("incident", "add", "--level", "II", "--occurred-at", "2026-11-25T07:45",
               "--learned-at", "2026-11-25T08:00", "--client", "C002", "--what", "x").exit_code == 0
    result, alerts = incident_alerts(run)
    assert [(a["severity"], a["due"], a["message"].split(";")[0]) for a in alerts] == [
        ("warning", "2026-11-26", "level II: report to the supervisor due by 2026-11-26 08:00 (in 22 h)"),
        ("info", "2026-11-28", "level II: entry in IRIS due by 2026-11-28 08:00 (in 70 h)"),
    ]
    assert not [a for a in json.loads(result.stdout) if a["severity"] == "error" and a["source"] == "incidents"]


def test_level1_internal_only(ws_path, run, now):
    assert run("incident", "add", "--id", "INC-A", "--level", "I", "--occurred-at", "2026-11-25T09:00",
               "--learned-at", "2026-11-25T09:00", "--client", "C003", "--what", "x").exit_code == 0
    data = json.loads(run("incident", "show", "INC-A", "--json").stdout)
    assert [d["name"] for d in data["deadlines"]] == ["supervisor"]
    path = ws_path / "incidents" / "INC-A.toml"
    before = path.read_bytes()
    r = run("incident", "mark", "INC-A", "entered-iris")
    assert r.exit_code == 3 and "level I incidents are kept internal and not entered in IRIS" in r.output
    r = run("incident", "mark", "INC-A", "verbal-notice")
    assert r.exit_code == 3
    assert path.read_bytes() == before


def test_rules_are_configurable(level3, run, ws_path):
    toml = ws_path / "peerkit.toml"
    toml.write_text(toml.read_text().replace("supervisor_hours = 24", "supervisor_hours = 48")
                    .replace('verbal_levels = ["III"]', "verbal_levels = []"))
    _, alerts = incident_alerts(run)
    assert [(a["severity"], a["message"].split(";")[0]) for a in alerts] == [
        ("warning", "level III: report to the supervisor due by 2026-11-26 09:00 (in 23 h)"),
        ("info", "level III: entry in IRIS due by 2026-11-27 09:00 (in 47 h)"),
    ]


def test_as_of_uses_end_of_that_day(level3, run):
    # As of the day the incident was learned of: nothing overdue at the end of that day.
    result, alerts = incident_alerts(run, "--as-of", "2026-11-24")
    assert [a["severity"] for a in alerts] == ["warning", "warning", "info"]
    assert alerts[0]["message"].startswith("level III: report to the supervisor due by 2026-11-25 09:00 (in 9 h)")
    # As of the day before it was learned of: not known yet.
    _, alerts = incident_alerts(run, "--as-of", "2026-11-23")
    assert alerts == []


def test_from_file_json_and_stdin(ws_path, run, now, tmp_path):
    src = tmp_path / "inc.json"
    src.write_text(json.dumps([
        {"level": "II", "occurred_at": "2026-11-20T10:00", "learned_at": "2026-11-20T12:00",
         "client": "C001", "what": "a", "reported_supervisor_at": "2026-11-20T13:00",
         "entered_iris_at": "2026-11-21T09:00"},
        {"level": "I", "occurred_at": "2026-11-20T15:00", "learned_at": "2026-11-20T15:00",
         "client": "C002", "what": "b"},
    ]))
    r = run("incident", "add", "--from", str(src))
    assert r.exit_code == 0, r.output
    assert "INC-2026-11-20-1, INC-2026-11-20-2" in r.stderr
    toml_in = ('level = "I"\noccurred_at = 2026-11-21T10:00:00\nlearned_at = 2026-11-21T10:30:00\n'
               'client = "C003"\nwhat = "c"\n')
    r = run("incident", "add", "--from", "-", input=toml_in)
    assert r.exit_code == 0, r.output
    ids = [i["id"] for i in json.loads(run("incident", "list", "--json").stdout)]
    assert {"INC-2026-11-20-1", "INC-2026-11-20-2", "INC-2026-11-21-1"} <= set(ids)
    due = [i["id"] for i in json.loads(run("incident", "list", "--due", "--json").stdout)]
    assert due == ["INC-2026-11-20-2", "INC-2026-11-21-1"]
    table = run("incident", "list", "--due").stdout
    assert "INC-2026-11-20-2" in table and "report to the supervisor by 2026-11-21 15:00" in table
    assert "overdue" in table


# ---------------------------------------------------------------- bad input


def error_line(result) -> str:
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1
    return lines[0]


def listing(ws_path):
    return sorted(p.name for p in (ws_path / "incidents").iterdir())


@pytest.mark.parametrize("args, expected", [
    (["--occurred-at", "2026-11-24T09:00", "--learned-at", "2026-11-24T08:00", "--client", "C001"],
     "Error: command line: field 'learned_at': is before 'occurred_at'"),
    (["--occurred-at", "2026-11-24T09:00", "--learned-at", "2026-11-24T10:00", "--client", "C999"],
     "Error: command line: field 'client': names an unknown client"),
    (["--occurred-at", "2026-11-26T09:00", "--learned-at", "2026-11-26T10:00", "--client", "C001"],
     "Error: command line: field 'occurred_at': is in the future"),
])
def test_bad_add_refused(ws_path, run, now, args, expected):
    before = listing(ws_path)
    result = run("incident", "add", "--level", "II", "--what", "Generic", *args)
    assert error_line(result).startswith(expected)
    assert listing(ws_path) == before
    assert "Generic" not in result.output


def test_bad_from_file_refused_whole(ws_path, run, now, tmp_path):
    src = tmp_path / "inc.toml"
    src.write_text('[[incidents]]\nlevel = "II"\noccurred_at = 2026-11-20T10:00:00\n'
                   'learned_at = 2026-11-20T12:00:00\nclient = "C001"\nwhat = "a"\n\n'
                   '[[incidents]]\nlevel = "IV"\noccurred_at = 2026-11-20T10:00:00\n'
                   'learned_at = 2026-11-20T12:00:00\nclient = "C001"\nwhat = "b"\n')
    before = listing(ws_path)
    line = error_line(run("incident", "add", "--from", str(src)))
    assert "(record 2): field 'level': must be \"I\", \"II\" or \"III\"" in line
    assert listing(ws_path) == before


def test_bad_option_values_are_usage_errors(ws_path, run, now):
    r = run("incident", "add", "--level", "IV", "--occurred-at", "2026-11-24T09:00",
            "--learned-at", "2026-11-24T10:00", "--client", "C001", "--what", "x")
    assert r.exit_code == 2
    r = run("incident", "add", "--level", "II", "--occurred-at", "yesterday-ish",
            "--learned-at", "2026-11-24T10:00", "--client", "C001", "--what", "x")
    assert r.exit_code == 2 and "is not a date and time" in r.output


def test_mark_before_learned_refused(level3, run, ws_path):
    path = ws_path / "incidents" / f"{level3}.toml"
    before = path.read_bytes()
    line = error_line(run("incident", "mark", level3, "reported-supervisor", "--at", "2026-11-23T09:00"))
    assert "--at is before 'learned_at'" in line
    assert run("incident", "mark", level3, "reported-supervisor").exit_code == 0
    after = path.read_bytes()
    line = error_line(run("incident", "mark", level3, "reported-supervisor"))
    assert "is already recorded" in line
    assert path.read_bytes() == after != before


def test_unknown_incident(run, now):
    assert "unknown incident id 'INC-NOPE'" in error_line(run("incident", "mark", "INC-NOPE", "updated"))


def test_broken_record_on_read(ws_path, run, now):
    path = ws_path / "incidents" / "INC-2026-11-18-1.toml"
    text = path.read_text().replace("learned_at = 2026-11-18T11:05:00", "learned_at = 2026-11-17T11:05:00")
    path.write_text(text)
    line_no = [i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("learned_at")][0]
    line = error_line(run("incident", "list"))
    assert f"incidents/INC-2026-11-18-1.toml:{line_no}: field 'learned_at': is before 'occurred_at'" in line
    result, alerts = incident_alerts(run)
    assert result.exit_code == 3  # status: data that could not be read, shown on stderr
    assert alerts == []
    assert f"incidents/INC-2026-11-18-1.toml:{line_no}: field 'learned_at': is before 'occurred_at'" \
        in result.stderr


def test_example_incidents_have_nothing_due(run, now):
    _, alerts = incident_alerts(run)
    assert alerts == []
    listed = json.loads(run("incident", "list", "--json").stdout)
    assert [(i["id"], i["level"], i["open"]) for i in listed] == [
        ("INC-2026-11-10-1", "I", False), ("INC-2026-11-18-1", "II", False)]


def test_show_and_list_as_text(level3, run):
    assert run("incident", "mark", level3, "reported-supervisor", "--at", "2026-11-24T09:30").exit_code == 0
    assert run("incident", "mark", level3, "updated", "--at", "2026-11-25T08:00").exit_code == 0
    shown = run("incident", "show", level3)
    assert shown.exit_code == 0
    assert shown.stdout.splitlines() == [
        f"{level3}  level III  client C001",
        "  occurred 2026-11-24 08:30, learned of 2026-11-24 09:00",
        "  what: Generic fictional event",
        "  actions: Generic fictional actions",
        "  report to the supervisor: due 2026-11-25 09:00, done 2026-11-24 09:30 [done]",
        "  verbal notice to the LME/MCO: due 2026-11-25 09:00, not yet [overdue]",
        "  entry in IRIS: due 2026-11-27 09:00, not yet [open]",
        "  update sent 2026-11-25 08:00",
    ]
    listed = run("incident", "list").stdout.splitlines()
    assert listed[0].split() == ["id", "level", "occurred", "learned", "client", "next", "deadline", "state"]
    assert listed[-1].split() == [level3, "III", "2026-11-24", "08:30", "2026-11-24", "09:00", "C001",
                                  "verbal", "notice", "to", "the", "LME/MCO", "by", "2026-11-25", "09:00",
                                  "overdue"]
