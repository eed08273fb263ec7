"""note add (flags, --from file/stdin, prompts) and note add-group."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from notes_helpers import editor_script, loads, one_error_line, set_setting

from peerkit import storage

NOTES = "notes/2026/11"
FLAGS = ["--place", "community", "--location", "Public library", "--goal", "G1",
         "--purpose", "Housing search", "--intervention", "Compared listings",
         "--response", "Sam chose one", "--plan", "Apply Friday"]


def _files(ws_path):
    return sorted(p.name for p in (ws_path / NOTES).glob("*.toml"))


def test_add_with_flags_computes_id_and_units(run, ws_path):
    result = run("note", "add", "--client", "C001", "--date", "2026-11-25", "--start", "09:00",
                 "--end", "09:40", *FLAGS, "--json")
    assert result.exit_code == 0, result.output
    out = loads(result)
    assert out == [{"id": "N-2026-11-25-C001-1", "file": f"{NOTES}/N-2026-11-25-C001-1.toml",
                    "client": "C001", "date": "2026-11-25", "minutes": 40, "units": 3}]
    data = storage.read_toml(ws_path / NOTES / "N-2026-11-25-C001-1.toml")
    assert data["status"] == "draft" and data["code"] == "H0038" and data["modifier"] == ""
    assert data["start"] == dt.time(9, 0) and data["goals"] == ["G1"]
    assert data["written_at"] == dt.datetime(2026, 11, 25, 12, 0)
    assert "units" not in data  # never stored, always computed
    # the next note of that client and day takes the next number; existing ones are respected
    run("note", "add", "--client", "C001", "--date", "2026-11-25", "--start", "13:00", "--end", "13:30", *FLAGS)
    assert (ws_path / NOTES / "N-2026-11-25-C001-2.toml").exists()
    result = run("note", "add", "--client", "C001", "--date", "2026-11-19", "--start", "08:00",
                 "--end", "08:30", *FLAGS, "--json")
    assert loads(result)[0]["id"] == "N-2026-11-19-C001-4"  # -1 and -3 exist: next after the highest


def test_add_reports_findings_of_an_incomplete_draft(run, ws_path):
    result = run("note", "add", "--client", "C001", "--date", "2026-11-25", "--start", "09:00", "--end", "09:40")
    assert result.exit_code == 0
    assert "required-elements" in result.stderr and "peerkit note check" in result.stderr


def test_add_without_terminal_never_prompts(run, ws_path):
    before = _files(ws_path)
    result = run("note", "add", "--client", "C001", "--date", "2026-11-25", "--start", "09:00", input="10:00\n")
    assert result.exit_code == 2
    assert "missing --end" in result.output
    assert _files(ws_path) == before


def test_add_from_toml_list(run, ws_path, tmp_path):
    src = tmp_path / "notes.toml"
    src.write_text("""
[[notes]]
client = "C001"
date = 2026-11-25
start = 09:00:00
end = 10:00:00
place = "community"
location = "Library"
goals = ["G1"]
purpose = "p"
intervention = "i"
response = "r"
plan = "n"

[[notes]]
client = "C002"
date = "2026-11-25"
start = "10:15"
end = "10:45"
goals = ["G2"]
""")
    result = run("note", "add", "--from", src, "--json")
    assert result.exit_code == 0, result.output
    assert [n["id"] for n in loads(result)] == ["N-2026-11-25-C001-1", "N-2026-11-25-C002-1"]
    assert [n["units"] for n in loads(result)] == [4, 2]
    assert storage.read_toml(ws_path / NOTES / "N-2026-11-25-C002-1.toml")["start"] == dt.time(10, 15)


def test_add_from_json_stdin_single_object(run, ws_path):
    note = {"client": "C003", "date": "2026-11-25", "start": "14:00", "end": "14:50", "goals": ["G1"],
            "place": "telehealth", "location": "Video call"}
    result = run("note", "add", "--from", "-", "--json", input=json.dumps(note))
    assert result.exit_code == 0, result.output
    assert loads(result)[0]["id"] == "N-2026-11-25-C003-1"
    result = run("note", "add", "--from", "-", input=json.dumps([note, {**note, "start": "15:00", "end": "15:20"}]))
    assert result.exit_code == 0
    assert {"N-2026-11-25-C003-2.toml", "N-2026-11-25-C003-3.toml"} <= set(_files(ws_path))


@pytest.mark.parametrize("record, needle", [
    ({"units": 4}, "field 'units': units are computed"),
    ({"status": "approved"}, "field 'status': new notes are drafts"),
    ({"signed_at": "2026-11-25T10:00:00"}, "field 'signed_at'"),
    ({"client": "C999"}, "field 'client': names an unknown client"),
    ({"end": "08:00"}, "field 'end': must be after 'start'"),
    ({"place": "the moon"}, "field 'place': must be one of"),
    ({"start": "25:99"}, "field 'start': expected a time"),
])
def test_add_bad_records_change_nothing(run, ws_path, record, needle):
    good = {"client": "C001", "date": "2026-11-25", "start": "09:00", "end": "10:00", "goals": ["G1"]}
    before = _files(ws_path)
    # the bad record comes second: nothing at all is written
    result = run("note", "add", "--from", "-", input=json.dumps([good, {**good, **record}]))
    assert result.exit_code == 3, result.output
    line = one_error_line(result)
    assert needle in line and "(note 2)" in line
    assert _files(ws_path) == before


def test_add_malformed_file(run, ws_path, tmp_path):
    src = tmp_path / "bad.toml"
    src.write_text('client = "C001"\ndate = 2026-11-25\nstart = \n')
    result = run("note", "add", "--from", src)
    assert result.exit_code == 3
    assert "bad.toml:3: not valid TOML" in one_error_line(result)
    result = run("note", "add", "--from", "-", input="[{not json")
    assert result.exit_code == 3 and "not valid JSON" in one_error_line(result)


def test_add_from_and_flags_conflict(run):
    assert run("note", "add", "--from", "x.toml", "--client", "C001").exit_code == 2


def test_interactive_prompts_on_a_terminal(run, ws_path, monkeypatch, tmp_path):
    from peerkit_notes import commands

    monkeypatch.setattr(commands, "_interactive", lambda: True)
    answers = "\n".join(["C002", "2026-11-25", "09:00", "09:30", "office", "Agency office", "G1,G2",
                         "Job search", "Practised an interview", "Riley felt ready", "Apply Monday"]) + "\n"
    result = run("note", "add", input=answers)
    assert result.exit_code == 0, result.output
    data = storage.read_toml(ws_path / NOTES / "N-2026-11-25-C002-1.toml")
    assert data["place"] == "office" and data["goals"] == ["G1", "G2"]
    assert data["response"] == "Riley felt ready" and data["plan"] == "Apply Monday"


def test_interactive_long_text_in_editor(run, ws_path, monkeypatch, tmp_path):
    from peerkit_notes import commands

    monkeypatch.setattr(commands, "_interactive", lambda: True)
    editor = editor_script(tmp_path, "text = text + 'Written in the editor.\\nSecond line.\\n'")
    answers = "\n".join(["C002", "2026-11-25", "09:00", "09:30", "office", "Agency office", "G1"]) + "\n"
    result = run("note", "add", input=answers, env={"EDITOR": editor})
    assert result.exit_code == 0, result.output
    data = storage.read_toml(ws_path / NOTES / "N-2026-11-25-C002-1.toml")
    assert data["purpose"] == "Written in the editor.\nSecond line."
    assert "#" not in data["response"]


# ---------------------------------------------------------------------------- groups


def _group_args(*attendees):
    args = ["note", "add-group", "--date", "2026-11-24", "--start", "17:00", "--end", "18:00",
            "--place", "community", "--location", "Community center", "--purpose", "Weekly group",
            "--intervention", "Facilitated a talk on routines", "--plan", "Next week"]
    for a in attendees:
        args += ["--attendee", a]
    return args


def test_add_group_writes_one_note_per_attendee(run, ws_path):
    result = run(*_group_args("C001", "C002", "C003"), "--response-for", "C001=Shared a routine",
                 "--goal-for", "C001=G2", "--goal-for", "C001=G1", "--response-for", "C002=Listened",
                 "--goal-for", "C002=G2", "--response-for", "C003=Drew a plan", "--goal-for", "C003=G1",
                 "--plan-for", "C003=Try the tool daily", "--json")
    assert result.exit_code == 0, result.output
    ids = [n["id"] for n in loads(result)]
    assert ids == ["N-2026-11-24-C001-1", "N-2026-11-24-C002-1", "N-2026-11-24-C003-1"]
    notes = {i: storage.read_toml(ws_path / NOTES / f"{i}.toml") for i in ids}
    for n in notes.values():
        assert n["modifier"] == "HQ" and n["code"] == "H0038" and n["group_size"] == 3
        assert n["purpose"] == "Weekly group" and n["intervention"] == "Facilitated a talk on routines"
        assert n["group_id"] == "GRP-2026-11-24-1700"
    assert notes["N-2026-11-24-C001-1"]["goals"] == ["G2", "G1"]
    assert notes["N-2026-11-24-C001-1"]["response"] == "Shared a routine"
    assert notes["N-2026-11-24-C002-1"]["response"] == "Listened"
    assert notes["N-2026-11-24-C002-1"]["plan"] == "Next week"
    assert notes["N-2026-11-24-C003-1"]["plan"] == "Try the tool daily"
    # the session's notes do not overlap each other
    check = run("note", "check", "--from", "2026-11-24", "--to", "2026-11-24", "--json")
    assert not [f for f in loads(check) if f["rule"] == "overlap"]


def test_add_group_from_file(run, ws_path, tmp_path):
    src = tmp_path / "session.toml"
    src.write_text("""date = 2026-11-24
start = 17:00:00
end = 18:00:00
place = "community"
location = "Community center"
purpose = "Weekly group"
intervention = "Facilitated"
plan = "Next week"

[[attendees]]
client = "C001"
response = "Shared"
goals = ["G2"]

[[attendees]]
client = "C003"
response = "Listened"
goals = ["G2"]
""")
    result = run("note", "add-group", "--from", src, "--json")
    assert result.exit_code == 0, result.output
    assert [n["client"] for n in loads(result)] == ["C001", "C003"]
    assert storage.read_toml(ws_path / NOTES / "N-2026-11-24-C003-1.toml")["group_size"] == 2


def test_add_group_over_the_limit_is_refused(run, ws_path):
    for i in range(5, 14):
        storage.write_toml(ws_path / "clients" / f"C{i:03d}.toml",
                           {"id": f"C{i:03d}", "name": f"Person Number{i}", "status": "active",
                            "admitted": dt.date(2026, 1, 1)})
    before = _files(ws_path)
    result = run(*_group_args(*[f"C{i:03d}" for i in range(1, 14)]))
    assert result.exit_code == 3
    assert "13 attendees" in one_error_line(result) and "at most 12" in result.output
    assert _files(ws_path) == before
    result = run(*_group_args(*[f"C{i:03d}" for i in range(1, 13)]))
    assert result.exit_code == 0, result.output
    assert storage.read_toml(ws_path / NOTES / "N-2026-11-24-C012-1.toml")["group_size"] == 12


def test_add_group_limit_is_configurable(run, ws_path):
    set_setting(ws_path, "max_group_size", "2")
    result = run(*_group_args("C001", "C002", "C003"))
    assert result.exit_code == 3 and "at most 2" in one_error_line(result)


@pytest.mark.parametrize("extra, code, needle", [
    (["--response-for", "C004=hello"], 2, "not an --attendee"),
    (["--response-for", "nonsense"], 2, "CLIENT=VALUE"),
    (["--attendee", "C001"], 3, "listed twice"),
    (["--attendee", "C777"], 3, "unknown client"),
])
def test_add_group_bad_input(run, ws_path, extra, code, needle):
    before = _files(ws_path)
    result = run(*_group_args("C001", "C002"), *extra)
    assert result.exit_code == code, result.output
    assert needle in result.output and "Traceback" not in result.output
    assert _files(ws_path) == before


def test_add_group_missing_flags_without_terminal(run, ws_path):
    result = run("note", "add-group", "--date", "2026-11-24", "--start", "17:00", "--end", "18:00")
    assert result.exit_code == 2 and "--attendee" in result.output


def test_add_group_prompts_on_a_terminal(run, ws_path, monkeypatch):
    from peerkit_notes import commands

    monkeypatch.setattr(commands, "_interactive", lambda: True)
    answers = "\n".join(["2026-11-24", "17:00", "18:00", "C001, C003", "Shared a routine", "G2",
                         "Drew a plan", "G1"]) + "\n"
    result = run("note", "add-group", "--place", "community", "--location", "Community center",
                 "--purpose", "Weekly group", "--intervention", "Facilitated", "--plan", "Next week",
                 input=answers)
    assert result.exit_code == 0, result.output
    c3 = storage.read_toml(ws_path / NOTES / "N-2026-11-24-C003-1.toml")
    assert (c3["response"], c3["goals"], c3["group_size"], c3["modifier"]) == ("Drew a plan", ["G1"], 2, "HQ")
