"""note list, show, edit, sign, void and check through the CLI."""
from __future__ import annotations

import datetime as dt

import pytest
from notes_helpers import editor_script, loads, note_dict, one_error_line, write_note

from peerkit import storage

NOTES = "notes/2026/11"


def _path(ws_path, nid):
    return ws_path / NOTES / f"{nid}.toml"


# ---------------------------------------------------------------------------- list / show


def test_list_json_has_minutes_and_units(run):
    result = run("note", "list", "--json")
    assert result.exit_code == 0
    notes = {n["id"]: n for n in loads(result)}
    assert len(notes) == 25
    n = notes["N-2026-11-02-C001-1"]
    assert (n["minutes"], n["units"], n["file"]) == (65, 4, f"{NOTES}/N-2026-11-02-C001-1.toml")
    assert notes["N-2026-11-17-C002-1"]["minutes"] == 7 and notes["N-2026-11-17-C002-1"]["units"] == 0
    assert notes["N-2026-11-18-C003-1"]["units"] == 1  # 8 minutes, half-up
    assert notes["N-2026-11-11-C003-1"]["units"] == 0  # void: never billed
    assert notes["N-2026-11-11-C003-1"]["minutes"] == 38


@pytest.mark.parametrize("args, expected", [
    (["--from", "2026-11-20", "--to", "2026-11-21"],
     {"N-2026-11-20-C001-2", "N-2026-11-20-C004-1", "N-2026-11-21-C003-2"}),
    (["--week", "2026-W48"], {"N-2026-11-23-C001-1", "N-2026-11-24-C004-1"}),
    (["--client", "C004", "--status", "denied"], {"N-2026-11-07-C004-2", "N-2026-11-20-C004-1"}),
    (["--status", "draft"], {"N-2026-11-24-C004-1"}),
    (["--code", "H0039"], set()),
])
def test_list_filters(run, args, expected):
    result = run("note", "list", *args, "--json")
    assert result.exit_code == 0, result.output
    assert {n["id"] for n in loads(result)} == expected


def test_list_text_shows_minutes_and_units(run):
    result = run("note", "list", "--week", "2026-W48")
    assert result.exit_code == 0
    line = [row for row in result.stdout.splitlines() if row.startswith("N-2026-11-23-C001-1")][0]
    assert "60" in line.split() and "4" in line.split()
    assert "2 note(s), 110 minutes, 7 units" in result.stderr


def test_units_bundled_per_day(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace('units_per = "note"', 'units_per = "day"'))
    for i, (s, e) in enumerate(((dt.time(9, 0), dt.time(9, 5)), (dt.time(13, 0), dt.time(13, 5))), 1):
        write_note(ws_path, note_dict(id=f"N-2026-11-24-C002-{i}", start=s, end=e))
    notes = {n["id"]: n for n in loads(run("note", "list", "--from", "2026-11-24", "--to", "2026-11-24", "--json"))}
    # 5 + 5 minutes bundled: 10 minutes -> 1 unit; each note shows what it adds to the day
    # (5 min -> 0 units, then 10 min -> 1: the second note brings the unit)
    assert (notes["N-2026-11-24-C002-1"]["minutes"], notes["N-2026-11-24-C002-1"]["units"]) == (5, 0)
    assert (notes["N-2026-11-24-C002-2"]["minutes"], notes["N-2026-11-24-C002-2"]["units"]) == (5, 1)
    shown = loads(run("note", "show", "N-2026-11-24-C002-2", "--json"))
    assert shown["units"] == 1 and shown["minutes"] == 5


def test_show(run):
    result = run("note", "show", "N-2026-11-19-C002-3")
    assert result.exit_code == 0
    assert "82 min, 5 units" in result.stdout and "H0038 HQ" in result.stdout and "group of 3" in result.stdout
    assert "Goal G2: Go to two recovery meetings every week" in result.stdout
    data = loads(run("note", "show", "N-2026-11-19-C002-3", "--json"))
    assert data["id"] == "N-2026-11-19-C002-3" and data["units"] == 5 and data["review"]["decision"] == "approved"
    missing = run("note", "show", "N-2026-11-30-C001-1")
    assert missing.exit_code == 3 and "unknown note id" in one_error_line(missing)


# ---------------------------------------------------------------------------- edit


def test_edit_draft_in_place(run, ws_path):
    p = _path(ws_path, "N-2026-11-24-C004-1")
    p.write_text(p.read_text().replace('purpose =', '# my own comment\npurpose =', 1))
    result = run("note", "edit", "N-2026-11-24-C004-1", "--response", "Morgan took two bags home.",
                 "--plan", "Call about benefits", "--end", "15:00")
    assert result.exit_code == 0, result.output
    data = storage.read_toml(p)
    assert data["response"] == "Morgan took two bags home." and data["end"] == dt.time(15, 0)
    assert "addenda" not in data
    assert "# my own comment" in p.read_text()


def test_edit_signed_note_appends_an_addendum(run, ws_path):
    p = _path(ws_path, "N-2026-11-23-C001-1")
    p.write_text("# kept comment\n" + p.read_text())
    old = storage.read_toml(p)
    result = run("note", "edit", "N-2026-11-23-C001-1", "--response", "Sam called the office too.",
                 "--goal", "G1", "--goal", "G2", "--reason", "late detail")
    assert result.exit_code == 0, result.output
    assert "addendum 1" in result.stderr
    data = storage.read_toml(p)
    assert data["response"] == "Sam called the office too."
    assert data["status"] == "signed" and data["signed_at"] == old["signed_at"]
    [add] = data["addenda"]
    assert add["fields"] == ["goals", "response"]
    assert add["old"] == {"goals": old["goals"], "response": old["response"]}
    assert add["new"] == {"goals": ["G1", "G2"], "response": "Sam called the office too."}
    assert add["author"] == "Jordan Rivera" and add["reason"] == "late detail"
    assert add["at"] == dt.datetime(2026, 11, 25, 12, 0)
    assert p.read_text().startswith("# kept comment\n")
    # a second change appends, never rewrites the first addendum
    run("note", "edit", "N-2026-11-23-C001-1", "--plan", "New plan", "--reason", "correction")
    data = storage.read_toml(p)
    assert len(data["addenda"]) == 2 and data["addenda"][0] == add
    assert data["addenda"][1]["reason"] == "correction"
    # the same value again is no change at all
    before = p.read_bytes()
    assert "No change" in run("note", "edit", "N-2026-11-23-C001-1", "--plan", "New plan",
                              "--reason", "again").stderr
    assert p.read_bytes() == before


def test_edit_in_editor(run, ws_path, monkeypatch, tmp_path):
    from peerkit_notes import commands

    monkeypatch.setattr(commands, "_interactive", lambda: True)
    editor = editor_script(tmp_path, "text = text.replace('Helped Sam', 'Helped the person')")
    result = run("note", "edit", "N-2026-11-23-C001-1", input="typo fixed\n", env={"EDITOR": editor})
    assert result.exit_code == 0, result.output
    data = storage.read_toml(_path(ws_path, "N-2026-11-23-C001-1"))
    assert data["intervention"] == "Helped the person fill in the rental application and gather references."
    assert data["addenda"][0]["fields"] == ["intervention"] and data["addenda"][0]["reason"] == "typo fixed"


def test_edit_in_editor_cannot_touch_protected_fields(run, ws_path, monkeypatch, tmp_path):
    from peerkit_notes import commands

    monkeypatch.setattr(commands, "_interactive", lambda: True)
    p = _path(ws_path, "N-2026-11-23-C001-1")
    before = p.read_bytes()
    editor = editor_script(tmp_path, "text = text + 'status = \"approved\"\\n'")
    result = run("note", "edit", "N-2026-11-23-C001-1", env={"EDITOR": editor})
    assert result.exit_code == 3 and "field 'status'" in one_error_line(result)
    assert p.read_bytes() == before


def test_edit_without_flags_and_terminal_is_usage_error(run):
    assert run("note", "edit", "N-2026-11-23-C001-1").exit_code == 2


@pytest.mark.parametrize("args, code, needle", [
    (["--end", "09:00"], 3, "field 'end': must be after 'start'"),
    (["--place", "moon"], 3, "field 'place'"),
])
def test_edit_bad_values_leave_the_file(run, ws_path, args, code, needle):
    p = _path(ws_path, "N-2026-11-23-C001-1")
    before = p.read_bytes()
    result = run("note", "edit", "N-2026-11-23-C001-1", *args, "--reason", "fix")
    assert result.exit_code == code, result.output
    assert needle in one_error_line(result)
    assert p.read_bytes() == before


def test_edit_void_note_refused(run, ws_path):
    p = _path(ws_path, "N-2026-11-11-C003-1")
    before = p.read_bytes()
    result = run("note", "edit", "N-2026-11-11-C003-1", "--plan", "x")
    assert result.exit_code == 3 and "is void" in one_error_line(result)
    assert p.read_bytes() == before


# ---------------------------------------------------------------------------- sign


def test_sign_stamps_the_signature(run, ws_path):
    write_note(ws_path, note_dict(date=dt.date(2026, 11, 25), id="N-2026-11-25-C002-1"))
    result = run("note", "sign", "N-2026-11-25-C002-1")
    assert result.exit_code == 0, result.output
    data = storage.read_toml(_path(ws_path, "N-2026-11-25-C002-1"))
    assert data["status"] == "signed" and data["author"] == "Jordan Rivera"
    assert data["credentials"] == "NC CPSS" and data["signed_at"] == dt.datetime(2026, 11, 25, 12, 0)
    assert data["late_entry"] is False
    again = run("note", "sign", "N-2026-11-25-C002-1")
    assert again.exit_code == 0 and "Skipped" in again.stderr


def test_sign_late_marks_late_entry(run, ws_path):
    write_note(ws_path, note_dict())  # 2026-11-24 09:45 end; now is 2026-11-25 12:00 (> 24 h)
    result = run("note", "sign", "N-2026-11-24-C002-1", "--json")
    assert result.exit_code == 0, result.output
    assert loads(result)["signed"][0]["late_entry"] is True
    assert storage.read_toml(_path(ws_path, "N-2026-11-24-C002-1"))["late_entry"] is True
    rendered = run("note", "render", "N-2026-11-24-C002-1", "--format", "txt")
    assert "LATE ENTRY" in rendered.stdout


def test_sign_deadline_is_configurable(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace("note_deadline_hours = 24", "note_deadline_hours = 48"))
    write_note(ws_path, note_dict())
    run("note", "sign", "N-2026-11-24-C002-1")
    assert storage.read_toml(_path(ws_path, "N-2026-11-24-C002-1"))["late_entry"] is False


def test_sign_refuses_a_failing_note_and_signs_the_others(run, ws_path):
    write_note(ws_path, note_dict(date=dt.date(2026, 11, 25), id="N-2026-11-25-C002-1"))
    bad = _path(ws_path, "N-2026-11-24-C004-1")  # the example draft has no response or plan
    before = bad.read_bytes()
    result = run("note", "sign", "N-2026-11-24-C004-1", "N-2026-11-25-C002-1")
    assert result.exit_code == 1
    assert "Refused N-2026-11-24-C004-1" in result.stderr and "required-elements" in result.stderr
    assert bad.read_bytes() == before
    assert storage.read_toml(_path(ws_path, "N-2026-11-25-C002-1"))["status"] == "signed"


def test_sign_refuses_initials(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace('name = "Jordan Rivera"', 'name = "J. Rivera"'))
    write_note(ws_path, note_dict(date=dt.date(2026, 11, 25), id="N-2026-11-25-C002-1"))
    result = run("note", "sign", "N-2026-11-25-C002-1")
    assert result.exit_code == 1 and "signature" in result.stderr
    assert storage.read_toml(_path(ws_path, "N-2026-11-25-C002-1"))["status"] == "draft"


def test_sign_unknown_id_changes_nothing(run, ws_path):
    write_note(ws_path, note_dict(date=dt.date(2026, 11, 25), id="N-2026-11-25-C002-1"))
    p = _path(ws_path, "N-2026-11-25-C002-1")
    before = p.read_bytes()
    result = run("note", "sign", "N-2026-11-25-C002-1", "N-2026-11-25-C002-7")
    assert result.exit_code == 3 and "unknown note id" in one_error_line(result)
    assert p.read_bytes() == before


# ---------------------------------------------------------------------------- void


def test_void(run, ws_path):
    result = run("note", "void", "N-2026-11-21-C003-2", "--reason", "entered in error")
    assert result.exit_code == 0, result.output
    data = storage.read_toml(_path(ws_path, "N-2026-11-21-C003-2"))
    assert data["status"] == "void" and data["void_reason"] == "entered in error"
    assert data["voided_from"] == "signed" and data["voided_at"] == dt.datetime(2026, 11, 25, 12, 0)
    again = run("note", "void", "N-2026-11-21-C003-2", "--reason", "again")
    assert again.exit_code == 3 and "already void" in one_error_line(again)
    listed = {n["id"]: n for n in loads(run("note", "list", "--json"))}
    assert listed["N-2026-11-21-C003-2"]["units"] == 0


def test_void_approved_needs_force(run, ws_path):
    p = _path(ws_path, "N-2026-11-16-C001-1")
    before = p.read_bytes()
    result = run("note", "void", "N-2026-11-16-C001-1", "--reason", "duplicate")
    assert result.exit_code == 3 and "--force" in one_error_line(result)
    assert p.read_bytes() == before
    assert run("note", "void", "N-2026-11-16-C001-1", "--reason", "duplicate", "--force").exit_code == 0
    assert storage.read_toml(p)["status"] == "void"


def test_void_needs_a_reason(run):
    assert run("note", "void", "N-2026-11-21-C003-2").exit_code == 2
    assert run("note", "void", "N-2026-11-21-C003-2", "--reason", "  ").exit_code == 2


# ---------------------------------------------------------------------------- check


def test_check_clean_workspace_exits_0(run):
    result = run("note", "check", "--json")
    assert result.exit_code == 0, result.output
    found = loads(result)
    assert all(set(f) == {"note", "file", "rule", "severity", "message"} for f in found)
    assert {f["severity"] for f in found} == {"warning"}


def test_check_finds_errors_and_exits_1(run, ws_path):
    write_note(ws_path, note_dict(id="N-2026-11-23-C002-1", date=dt.date(2026, 11, 23),
                                  start=dt.time(10, 30), end=dt.time(11, 0), status="signed",
                                  author="Jordan Rivera", credentials="NC CPSS",
                                  signed_at=dt.datetime(2026, 11, 23, 12, 0), goals=["G7"],
                                  response="Riley met Sam Example there."))
    result = run("note", "check", "--from", "2026-11-23", "--to", "2026-11-23", "--json")
    assert result.exit_code == 1
    rules = {(f["note"], f["rule"]) for f in loads(result) if f["severity"] == "error"}
    assert rules == {("N-2026-11-23-C002-1", "overlap"), ("N-2026-11-23-C001-1", "overlap"),
                     ("N-2026-11-23-C002-1", "goal-in-plan"), ("N-2026-11-23-C002-1", "other-client-name")}
    text = run("note", "check", "--from", "2026-11-23", "--to", "2026-11-23")
    assert text.exit_code == 1 and "ERROR" in text.stdout and "4 error(s)" in text.stderr
    # another range is not affected
    assert run("note", "check", "--from", "2026-11-02", "--to", "2026-11-09").exit_code == 0


def test_hook_note_checks(run, register_plugin):
    from peerkit import hookimpl
    from peerkit.checks import NoteCheck

    class Agency:
        @hookimpl
        def note_checks(self):
            return [NoteCheck("agency-location-words", "error",
                              lambda n, c: "say who called whom" if n.location == "Phone call" else None)]

    register_plugin(Agency(), name="agency_rules")
    result = run("note", "check", "--json")
    assert result.exit_code == 1
    found = {f["note"] for f in loads(result) if f["rule"] == "agency-location-words"}
    assert found == {"N-2026-11-07-C004-2", "N-2026-11-17-C002-1"}


def test_check_malformed_note_file(run, ws_path):
    p = ws_path / NOTES / "N-2026-11-26-C001-1.toml"
    p.write_text('id = "N-2026-11-26-C001-1"\nclient = "C001"\ndate = 2026-11-26\n'
                 'start = 10:00:00\nend = 09:00:00\ncode = "H0038"\n')
    before = p.read_bytes()
    for args in (("note", "check"), ("note", "list")):
        result = run(*args)
        assert result.exit_code == 3
        line = one_error_line(result)
        assert "N-2026-11-26-C001-1.toml:5: field 'end': must be after 'start'" in line
    assert p.read_bytes() == before
    p.write_text('id = "N-2026-11-26-C001-1"\nclient = \n')
    result = run("note", "check")
    assert result.exit_code == 3 and "not valid TOML" in one_error_line(result)


def test_note_file_with_unknown_client(run, ws_path):
    write_note(ws_path, note_dict(id="N-2026-11-24-C404-1", client="C404"))
    p = ws_path / NOTES / "N-2026-11-24-C404-1.toml"
    before = p.read_bytes()
    for args in (("note", "check"), ("note", "show", "N-2026-11-24-C404-1"), ("note", "sign", "N-2026-11-24-C404-1")):
        result = run(*args)
        assert result.exit_code == 3, (args, result.output)
        assert "field 'client': names an unknown client" in one_error_line(result)
    assert p.read_bytes() == before


def test_note_submit_moves_signed_and_denied_notes_only(run, ws_path):
    import tomllib

    result = run("note", "submit", "N-2026-11-21-C003-2", "N-2026-11-20-C004-1", "N-2026-11-24-C004-1")
    assert result.exit_code == 0, result.output
    def status(nid):
        return tomllib.loads((ws_path / "notes" / "2026" / "11" / f"{nid}.toml").read_text())
    assert status("N-2026-11-21-C003-2")["status"] == "submitted"
    assert status("N-2026-11-20-C004-1")["status"] == "submitted"
    assert status("N-2026-11-20-C004-1")["review"]["decision"] == "denied"  # history kept
    assert status("N-2026-11-24-C004-1")["status"] == "draft"
    assert "Skipped N-2026-11-24-C004-1: it is draft" in result.stderr


def test_note_submit_a_week(run, ws_path):
    import tomllib

    result = run("note", "submit", "--week", "2026-W48")
    assert result.exit_code == 0, result.output
    data = tomllib.loads((ws_path / "notes" / "2026" / "11" / "N-2026-11-23-C001-1.toml").read_text())
    assert data["status"] == "submitted"
    assert run("note", "submit").exit_code == 2


def test_an_error_check_that_raises_blocks_note_sign(run, ws_path, register_plugin, monkeypatch):
    from peerkit import hookimpl
    from peerkit.checks import NoteCheck

    class Broken:
        @hookimpl
        def note_checks(self):
            return [NoteCheck("agency-broken", "error", lambda n, c: 1 / 0)]

    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T08:00:00")
    edited = run("note", "edit", "N-2026-11-24-C004-1", "--response", "Chose a meeting to attend.",
                 "--plan", "Meet again next Tuesday.")
    assert edited.exit_code == 0, edited.output
    assert run("note", "check", "--from", "2026-11-24", "--to", "2026-11-24").exit_code == 0
    path = ws_path / NOTES / "N-2026-11-24-C004-1.toml"
    before = path.read_bytes()
    assert b'status = "draft"' in before
    register_plugin(Broken(), name="agency_broken")
    result = run("note", "sign", "N-2026-11-24-C004-1")
    assert result.exit_code == 1, result.output
    assert "1 error(s)" in result.output
    assert "agency-broken: the check failed to run (ZeroDivisionError)" in result.output
    assert path.read_bytes() == before  # still a draft: not signed
