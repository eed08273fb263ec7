"""certs status --ics: a valid calendar parsed back, right dates and alarms, stable UIDs."""
from __future__ import annotations

import datetime as dt
import shutil

import icalendar


def export(run, tmp_path, name="deadlines.ics", *extra):
    out = tmp_path / name
    result = run("certs", "status", "--ics", str(out), *extra)
    assert result.exit_code == 1, result.output  # the scenario has lapsed items
    return out


def events(path):
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return cal, {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_calendar_parsed_back(scenario, run, tmp_path):
    out = export(run, tmp_path)
    assert out.stat().st_mode & 0o777 == 0o600
    raw = out.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    cal, evs = events(out)
    assert str(cal["version"]) == "2.0"
    assert str(cal["prodid"]) == "-//peerkit//certs status//EN"
    assert sorted(evs) == sorted([
        "NC Certified Peer Support Specialist expires",
        "NC Certified Peer Support Specialist: renewal due",
        "NC driver licence expires",
        "Auto insurance expires",
        "Supervision: at least 60 minutes this month",
    ])
    expiry = {name: ev.decoded("dtstart") for name, ev in evs.items()}
    assert expiry["NC driver licence expires"] == dt.date(2026, 11, 24)
    assert expiry["Auto insurance expires"] == dt.date(2026, 11, 26)
    assert expiry["NC Certified Peer Support Specialist: renewal due"] == dt.date(2027, 6, 30)
    assert expiry["Supervision: at least 60 minutes this month"] == dt.date(2026, 11, 30)
    for ev in evs.values():  # all-day events: a DATE, ending the next day
        assert type(ev.decoded("dtstart")) is dt.date
        assert ev.decoded("dtend") == ev.decoded("dtstart") + dt.timedelta(days=1)
        assert ev.decoded("dtstamp") == dt.datetime(2026, 11, 25, 10, 0).astimezone(dt.UTC)
        assert str(ev["uid"]).endswith("@peerkit")
    ins = evs["Auto insurance expires"]
    alarms = ins.walk("VALARM")
    assert [a.decoded("trigger") for a in alarms] == [dt.timedelta(days=-30), dt.timedelta(days=-7)]
    assert all(str(a["action"]) == "DISPLAY" and a.get("description") for a in alarms)
    sup = evs["Supervision: at least 60 minutes this month"]
    assert sup["rrule"]["FREQ"] == ["MONTHLY"] and sup["rrule"]["BYMONTHDAY"] == [-1]
    assert [a.decoded("trigger") for a in sup.walk("VALARM")] == [dt.timedelta(days=-7)]
    renewal = evs["NC Certified Peer Support Specialist: renewal due"]
    assert "20 h of continuing education (20 h earned as of 2026-11-25)" in str(renewal["description"])
    assert "3 h ethics (1 h earned)" in str(renewal["description"])
    assert b"NCCPSS-1234" not in raw  # numbers stay out of calendars


def test_uids_stable_across_runs_and_folders(scenario, run, tmp_path, monkeypatch):
    first = export(run, tmp_path, "a.ics")
    # a later run, from a copy of the workspace in another folder, with one more CE entry
    other = tmp_path / "elsewhere" / "ws"
    shutil.copytree(scenario, other)
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-26T08:00:00")
    assert run("certs", "ce", "add", "--date", "2026-11-25", "--hours", "2", "--category", "ethics",
               "--title", "Ethics", workspace=other).exit_code == 0
    second = tmp_path / "b.ics"
    result = run("certs", "status", "--ics", str(second), workspace=other)
    assert second.exists(), result.output
    _, a = events(first)
    _, b = events(second)
    assert {k: str(v["uid"]) for k, v in a.items()} == {k: str(v["uid"]) for k, v in b.items()}
    assert len({str(v["uid"]) for v in a.values()}) == len(a)  # all different
    assert b["Auto insurance expires"].decoded("dtstamp") > a["Auto insurance expires"].decoded("dtstamp")


def test_same_input_same_bytes(scenario, run, tmp_path):
    assert export(run, tmp_path, "1.ics").read_bytes() == export(run, tmp_path, "2.ics").read_bytes()


def test_alarm_days_setting_and_json_still_printed(scenario, run, tmp_path):
    toml = scenario / "peerkit.toml"
    toml.write_text(toml.read_text().replace("alarm_days = [30, 7]", "alarm_days = [60, 14, 1]"))
    out = tmp_path / "x.ics"
    result = run("certs", "status", "--ics", str(out), "--json")
    import json

    assert json.loads(result.stdout)["alerts"]  # --json output is unchanged by --ics
    _, evs = events(out)
    triggers = [a.decoded("trigger").days for a in evs["NC driver licence expires"].walk("VALARM")]
    assert triggers == [-60, -14, -1]


def test_ics_write_is_audited(scenario, run, tmp_path):
    export(run, tmp_path)
    log = (scenario / "audit.log").read_text()
    assert '"command": "certs status --ics"' in log
