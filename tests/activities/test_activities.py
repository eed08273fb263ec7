"""Activities (non-billable time) and the weekly time summary."""
from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest

from peerkit_activities.week import summarize
from tests.conftest import assert_no_traceback


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-02")


def add(run, *args):
    result = run("activity", "add", *args)
    assert_no_traceback(result)
    return result


def test_add_writes_private_file_with_minutes(run, ws_path):
    r = add(run, "--kind", "team-meeting", "--date", "2026-12-01", "--start", "09:00", "--end", "10:15",
            "--note", "Weekly team meeting")
    assert r.exit_code == 0, r.output
    path = ws_path / "activities" / "2026" / "12" / "A-2026-12-01-1.toml"
    data = tomllib.loads(path.read_text())
    assert data == {"id": "A-2026-12-01-1", "kind": "team-meeting", "date": dt.date(2026, 12, 1),
                    "start": dt.time(9, 0), "end": dt.time(10, 15), "minutes": 75,
                    "note": "Weekly team meeting", "status": "active"}
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert add(run, "--kind", "admin", "--date", "2026-12-01", "--minutes", "20").exit_code == 0
    assert (path.parent / "A-2026-12-01-2.toml").is_file()


def test_no_show_says_never_billable(run):
    r = add(run, "--kind", "no-show", "--date", "2026-12-01", "--minutes", "30", "--client", "C002")
    assert r.exit_code == 0
    assert "never billable" in r.stderr
    listed = json.loads(run("activity", "list", "--from", "2026-12-01", "--json").stdout)
    assert listed[-1]["billable"] is False
    assert listed[-1]["billing_note"] == "a no-show is never billable: no service was delivered"
    r = add(run, "--kind", "attempted-contact", "--date", "2026-12-01", "--minutes", "10")
    assert "attempted contact is never billable" in r.stderr


@pytest.mark.parametrize("args, code, text", [
    (["--kind", "bogus", "--date", "2026-12-01", "--minutes", "5"], 3, "field 'kind'"),
    (["--kind", "admin", "--date", "2026-12-01", "--start", "10:00", "--end", "09:00"], 3, "field 'end'"),
    (["--kind", "admin", "--date", "2026-12-01"], 2, "--minutes"),
    (["--kind", "admin", "--date", "2026-12-01", "--start", "10:00"], 2, "--end"),
    (["--kind", "admin", "--date", "2026-12-01", "--minutes", "5", "--client", "C999"], 3, "C999"),
])
def test_bad_input_is_refused_and_nothing_written(run, ws_path, args, code, text):
    before = sorted((ws_path / "activities").rglob("*"))
    r = add(run, *args)
    assert r.exit_code == code
    assert text in r.output
    assert sorted((ws_path / "activities").rglob("*")) == before


def test_agency_kinds_from_config(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text() + '\n[activities]\nkinds = ["peer-recruitment"]\n')
    assert add(run, "--kind", "peer-recruitment", "--date", "2026-12-01", "--minutes", "45").exit_code == 0


def test_edit_moves_month_and_void_keeps_file(run, ws_path):
    add(run, "--kind", "outreach", "--date", "2026-11-30", "--minutes", "40")
    r = run("activity", "edit", "A-2026-11-30-1", "--date", "2026-12-01", "--start", "13:00", "--end", "13:30")
    assert r.exit_code == 0, r.output
    assert not (ws_path / "activities" / "2026" / "11" / "A-2026-11-30-1.toml").exists()
    moved = ws_path / "activities" / "2026" / "12" / "A-2026-11-30-1.toml"
    data = tomllib.loads(moved.read_text())
    assert (data["date"], data["minutes"]) == (dt.date(2026, 12, 1), 30)
    listed = json.loads(run("activity", "list", "--from", "2026-12-01", "--to", "2026-12-01", "--json").stdout)
    assert [a["id"] for a in listed] == ["A-2026-11-30-1"]
    assert run("activity", "void", "A-2026-11-30-1", "--reason", "entered twice").exit_code == 0
    assert tomllib.loads(moved.read_text())["status"] == "void"
    assert "A-2026-11-30-1" not in run("activity", "list").stdout
    assert "A-2026-11-30-1" in run("activity", "list", "--all").stdout
    assert run("activity", "edit", "A-2026-11-30-1", "--minutes", "5").exit_code == 3
    assert run("activity", "void", "A-1999-01-01-1", "--reason", "x").exit_code == 3


class N:
    def __init__(self, day, minutes, status):
        self.date, self.minutes, self.status = day, minutes, status


class A:
    def __init__(self, day, kind, minutes, status="active"):
        self.date, self.kind, self.minutes, self.status = day, kind, minutes, status


def test_summarize_counts_signed_and_approved_notes_and_live_activities():
    d = dt.date(2026, 11, 24)
    notes = [N(d, 60, "approved"), N(d, 45, "signed"), N(d, 30, "draft"), N(d, 30, "denied"),
             N(dt.date(2026, 12, 1), 60, "approved")]
    acts = [A(d, "team-meeting", 60), A(d, "no-show", 15), A(d, "travel", 30, "void")]
    s = summarize(notes, acts, dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert (s["billable_minutes"], s["approved_minutes"], s["non_billable_minutes"]) == (105, 60, 75)
    assert s["billable_hours"] == "1.75" and s["non_billable_hours"] == "1.25"
    assert s["productivity_percent"] == "58.3"
    assert [(k["kind"], k["minutes"]) for k in s["by_kind"]] == [("no-show", 15), ("team-meeting", 60)]
    empty = summarize([], [], dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert empty["productivity_percent"] is None


def test_week_command_json(run):
    add(run, "--kind", "team-meeting", "--date", "2026-11-30", "--minutes", "60")
    add(run, "--kind", "on-call", "--date", "2026-12-02", "--start", "17:00", "--end", "21:00")
    r = run("week", "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["period"] == {"start": "2026-11-30", "end": "2026-12-06"}
    assert s["non_billable_minutes"] == 300
    assert {k["kind"]: k["minutes"] for k in s["by_kind"]} == {"on-call": 240, "team-meeting": 60}
    assert run("week", "--week", "nonsense").exit_code == 2
    text = run("week", "--week", "2026-W49")
    assert "Productivity" in text.stdout


def test_example_workspace_week(run):
    s = json.loads(run("week", "--week", "2026-W47", "--json").stdout)
    assert s["non_billable_minutes"] == 660
    assert s["billable_minutes"] == 489
    assert s["productivity_percent"] == "42.6"


def test_activities_sheet_in_the_review_workbook(run, ws_path, tmp_path):
    import openpyxl

    out = tmp_path / "review.xlsx"
    r = run("note", "export", "--from", "2026-11-16", "--to", "2026-11-22", "--out", out)
    assert r.exit_code == 0, r.output
    sh = openpyxl.load_workbook(out)["Activities"]
    rows = list(sh.iter_rows(values_only=True))
    assert rows[0] == ("Workspace", "Date", "Kind", "Start", "End", "Minutes", "Client", "Note", "Status",
                       "Billing")
    assert len(rows) == 12 and sum(r[5] for r in rows[1:]) == 660
    no_show = next(r for r in rows if r[2] == "no-show")
    assert no_show[1] == dt.datetime(2026, 11, 18) and no_show[6] == "C004"
    assert no_show[9] == "a no-show is never billable: no service was delivered"
    out2 = tmp_path / "deid.xlsx"
    assert run("note", "export", "--deidentify", "--from", "2026-11-16", "--to", "2026-11-22",
               "--out", out2).exit_code == 0
    assert "Activities" not in openpyxl.load_workbook(out2).sheetnames


@pytest.mark.parametrize("day,start,end,minutes", [
    ("2026-03-08", "01:30", "03:30", 60),    # clocks go forward at 02:00 (America/New_York)
    ("2026-11-01", "00:30", "02:30", 180),   # clocks go back at 02:00: 01:00-02:00 twice
    ("2026-11-02", "00:30", "02:30", 120),
])
def test_minutes_are_real_minutes_across_a_daylight_saving_change(run, ws_path, day, start, end, minutes):
    """Before, an activity's minutes were the wall-clock difference (120 on both change nights)."""
    r = add(run, "--kind", "on-call", "--date", day, "--start", start, "--end", end)
    assert r.exit_code == 0, r.output
    path = ws_path / "activities" / day[:4] / day[5:7] / f"A-{day}-1.toml"
    assert tomllib.loads(path.read_text())["minutes"] == minutes
    listed = json.loads(run("activity", "list", "--from", day, "--to", day, "--json").stdout)
    assert [a["minutes"] for a in listed] == [minutes]
