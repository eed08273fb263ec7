"""Time and dates (issue 12): workspace time zone, DST-aware minutes, plausible service dates."""
from __future__ import annotations

import datetime as dt

import pytest
from notes_helpers import loads, note_dict, set_setting, write_note

from peerkit import storage

FLAGS = ["--place", "community", "--location", "Public library", "--goal", "G1",
         "--purpose", "Housing search", "--intervention", "Compared listings",
         "--response", "Sam chose one", "--plan", "Apply Friday"]


def _set_timezone(ws_path, name):
    set_setting(ws_path, "timezone", f'"{name}"', table="provider")


def test_a_service_across_the_spring_forward_counts_real_minutes(run, ws_path):
    _set_timezone(ws_path, "America/New_York")
    result = run("note", "add", "--client", "C001", "--date", "2026-03-08", "--start", "01:30",
                 "--end", "03:30", *FLAGS, "--json")
    assert result.exit_code == 0, result.output
    assert loads(result)[0]["minutes"] == 60 and loads(result)[0]["units"] == 4
    # the note keeps the wall-clock times as written
    data = storage.read_toml(ws_path / "notes/2026/03/N-2026-03-08-C001-1.toml")
    assert data["start"] == dt.time(1, 30) and data["end"] == dt.time(3, 30)
    listed = loads(run("note", "list", "--from", "2026-03-08", "--to", "2026-03-08", "--json"))
    assert [(n["minutes"], n["units"]) for n in listed] == [(60, 4)]


def test_fall_back_counts_the_repeated_hour(run, ws_path):
    _set_timezone(ws_path, "America/New_York")
    write_note(ws_path, note_dict(id="N-2026-11-01-C002-1", date=dt.date(2026, 11, 1),
                                  start=dt.time(0, 30), end=dt.time(2, 30)))
    listed = loads(run("note", "list", "--from", "2026-11-01", "--to", "2026-11-01", "--json"))
    assert [(n["minutes"], n["units"]) for n in listed] == [(180, 12)]


def test_a_zone_without_dst_counts_wall_clock_minutes(run, ws_path):
    _set_timezone(ws_path, "Etc/UTC")
    write_note(ws_path, note_dict(id="N-2026-03-08-C002-1", date=dt.date(2026, 3, 8),
                                  start=dt.time(1, 30), end=dt.time(3, 30)))
    listed = loads(run("note", "list", "--from", "2026-03-08", "--to", "2026-03-08", "--json"))
    assert [(n["minutes"], n["units"]) for n in listed] == [(120, 8)]


def test_an_unknown_time_zone_is_a_data_error_naming_the_field(run, ws_path):
    _set_timezone(ws_path, "Mars/Olympus_Mons")
    result = run("note", "list")
    assert result.exit_code == 3, result.output
    assert "field 'provider.timezone'" in result.output and "Traceback" not in result.output


def test_init_writes_the_system_time_zone(run_empty, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from peerkit.cli import cli

    monkeypatch.setenv("TZ", "America/Chicago")
    target = tmp_path / "fresh"
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert storage.read_toml(target / "peerkit.toml")["provider"]["timezone"] == "America/Chicago"


def test_system_time_zone_falls_back_to_new_york(monkeypatch):
    from peerkit import dates

    monkeypatch.setenv("TZ", "Nowhere/Bogus")
    monkeypatch.setattr(dates.os.path, "realpath", lambda p: "/nonexistent")
    real_open = open

    def no_timezone_file(path, *a, **kw):
        if str(path) == "/etc/timezone":
            raise OSError("none")
        return real_open(path, *a, **kw)

    monkeypatch.setattr("builtins.open", no_timezone_file)
    assert dates.system_timezone() == "America/New_York"


@pytest.mark.parametrize("day", ["2026-11-27", "9999-12-31", "1999-12-31"])
def test_implausible_service_dates_are_refused_at_entry(run, ws_path, tmp_path, day):
    before = sorted(p.name for p in (ws_path / "notes").rglob("*.toml"))
    result = run("note", "add", "--client", "C001", "--date", day, "--start", "09:00",
                 "--end", "09:40", *FLAGS)
    assert result.exit_code == 3, result.output
    assert "field 'date'" in result.output
    src = tmp_path / "n.toml"
    src.write_text(f'client = "C001"\ndate = {day}\nstart = 09:00:00\nend = 09:40:00\n')
    result = run("note", "add", "--from", src)
    assert result.exit_code == 3, result.output
    assert "field 'date'" in result.output
    result = run("note", "add-group", "--date", day, "--start", "17:00", "--end", "18:00",
                 "--attendee", "C001", "--attendee", "C002")
    assert result.exit_code == 3, result.output
    assert "field 'date'" in result.output
    assert sorted(p.name for p in (ws_path / "notes").rglob("*.toml")) == before


def test_tomorrow_is_still_accepted_at_entry(run, ws_path):
    result = run("note", "add", "--client", "C001", "--date", "2026-11-26", "--start", "09:00",
                 "--end", "09:40", *FLAGS)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["note", "list"], ["note", "check"],
                                     ["note", "export", "--out", "OUT"]])
def test_a_note_dated_9999_on_disk_is_a_data_error_not_a_crash(run, ws_path, tmp_path, command):
    path = write_note(ws_path, note_dict(id="N-9999-12-31-C002-1", date=dt.date(9999, 12, 31)))
    command = [str(tmp_path / "x.xlsx") if c == "OUT" else c for c in command]
    result = run(*command)
    assert result.exit_code == 3, result.output
    assert "notes/9999/12/N-9999-12-31-C002-1.toml" in result.output
    assert "field 'date'" in result.output and "internal error" not in result.output
    assert path.exists()
