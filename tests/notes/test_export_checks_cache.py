"""`note export` keeps the findings of its checks in notes/.export-checks-cache.json
(issue 19, speed): an export of unchanged workspaces checks nothing again, and a note edited,
a client renamed, a setting changed, the rules' code changed or the clock moved shows the new
finding at once -- exactly what a fresh check says."""
from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from notes_helpers import note_dict, set_setting, write_note

from peerkit import derived, notecache, session, storage
from peerkit.workspace import Workspace
from peerkit_notes import checkcache, checks, review
from tests.conftest import BUILTINS

PERIOD = ("--from", "2026-11-01", "--to", "2026-11-30")
CACHE = ("notes", ".export-checks-cache.json")
DRAFT = "N-2026-11-24-C004-1"      # the example's incomplete draft


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")


@pytest.fixture
def runs(settled_calls):
    """Counts the rules' runs over the period (the kept answer needs none)."""
    return settled_calls(checks, "run_checks", lambda *a, **kw: kw.get("skip"))


def _export(run, tmp_path, env=None) -> dict[str, str]:
    """{note id: its Findings cell} of a fresh `note export --status all` of the period."""
    out = tmp_path / "review.xlsx"
    out.unlink(missing_ok=True)
    result = run("note", "export", *PERIOD, "--status", "all", "--out", str(out),
                 **({"env": env} if env else {}))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out, read_only=True)[review.NOTES_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    head = list(rows[0])
    note, findings = head.index("Note"), head.index("Findings")
    return {r[note]: r[findings] or "" for r in rows[1:]}


def _warm(run, runs, tmp_path) -> dict[str, str]:
    first = _export(run, tmp_path)
    again = _export(run, tmp_path)
    assert again == first and runs == [checkcache.CLOCK]   # the second from the kept answer
    runs.clear()
    return first


def test_an_unchanged_workspace_is_not_checked_again(run, ws_path, runs, tmp_path):
    first = _warm(run, runs, tmp_path)
    cache = ws_path.joinpath(*CACHE)
    assert cache.is_file() and oct(cache.stat().st_mode & 0o777) == "0o600"
    assert any("required-elements" in text for text in first.values())
    assert _export(run, tmp_path) == first and runs == []
    # exactly what the checks say without any kept answer
    cache.unlink()
    assert _export(run, tmp_path) == first and len(runs) == 1


def test_the_kept_findings_equal_a_full_check(ws_path, monkeypatch):
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    today = dt.date(2026, 11, 25)
    write_note(ws_path, note_dict(id="N-2026-11-27-C002-1", date=dt.date(2026, 11, 27)))  # future
    for _ in range(2):   # computed, then kept
        ws = Workspace(ws_path)
        notes = list(ws.notes(start, end))
        got = checkcache.period_findings(ws, notes, today, (start, end))
        want = checks.run_checks(Workspace(ws_path), notes, today=today, complete=(start, end))
        assert [f.as_json() for f in got] == [f.as_json() for f in want]
        assert {f.rule for f in got} >= {"future-date", "signed-late", "required-elements"}
    assert ws_path.joinpath(*CACHE).is_file()


def test_a_note_edited_shows_its_new_finding(run, ws_path, runs, tmp_path):
    before = _warm(run, runs, tmp_path)
    assert "missing" in before[DRAFT]
    path = ws_path / "notes/2026/11" / f"{DRAFT}.toml"
    data = storage.read_toml(path)
    data["place"] = "the peer's own car"
    with open(path, "w") as f:                      # edited in place: same inode
        f.write(storage.dumps_toml(data))
    after = _export(run, tmp_path)
    assert runs == [checkcache.CLOCK]
    assert "place-allowed" in after[DRAFT] and "place-allowed" not in before[DRAFT]
    runs.clear()
    path.unlink()
    assert DRAFT not in _export(run, tmp_path) and len(runs) == 1


def test_a_new_note_the_same_day_shows_the_overlap(run, ws_path, runs, tmp_path):
    before = _warm(run, runs, tmp_path)
    other = "N-2026-11-20-C001-2"
    assert "overlap" not in before[other]
    data = storage.read_toml(ws_path / "notes/2026/11" / f"{other}.toml")
    write_note(ws_path, note_dict(id="N-2026-11-20-C002-9", date=dt.date(2026, 11, 20),
                                  start=data["start"], end=data["end"]))
    after = _export(run, tmp_path)
    assert len(runs) == 1 and "overlaps note N-2026-11-20-C002-9" in after[other]


def test_a_client_renamed_shows_the_other_client_name(run, ws_path, runs, tmp_path):
    write_note(ws_path, note_dict(id="N-2026-11-23-C002-1", date=dt.date(2026, 11, 23),
                                  response="Riley said Jamie Newname helped a lot."))
    before = _warm(run, runs, tmp_path)
    assert "other-client-name" not in before["N-2026-11-23-C002-1"]
    client = ws_path / "clients" / "C003.toml"
    client.write_text(client.read_text().replace('name = "Casey Placeholder"', 'name = "Jamie Newname"'))
    after = _export(run, tmp_path)
    assert len(runs) == 1 and "other-client-name" in after["N-2026-11-23-C002-1"]


def test_a_setting_changed_rechecks(run, ws_path, runs, tmp_path):
    before = _warm(run, runs, tmp_path)
    set_setting(ws_path, "min_words", "40")
    after = _export(run, tmp_path)
    assert len(runs) == 1
    assert any("narrative-too-short" in t for t in after.values())
    assert not any("narrative-too-short" in t for t in before.values())


def test_the_rules_code_changed_rechecks(run, ws_path, runs, tmp_path, monkeypatch):
    _warm(run, runs, tmp_path)
    real = derived._code_identity

    def edited(names):   # as if a file of the rules' packages had been edited
        found = real(names)
        return None if found is None else {**found, "peerkit_notes": {"checks.py": [1, 2]}}

    monkeypatch.setattr(derived, "_code_identity", edited)
    session.current().code_identities.clear()   # looked at once per process
    _export(run, tmp_path)
    assert len(runs) == 1


def test_the_clock_rules_follow_the_clock(run, ws_path, runs, tmp_path, monkeypatch):
    future = "N-2026-11-27-C002-1"
    write_note(ws_path, note_dict(id=future, date=dt.date(2026, 11, 27)))
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T10:00:00")
    first = _warm(run, runs, tmp_path)
    assert "future-date" in first[future]
    assert "signed-late" not in first[DRAFT]
    # later the same day the draft's deadline has passed; nothing else is checked again
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T20:00:00")
    later = _export(run, tmp_path)
    assert runs == [] and "signed-late" in later[DRAFT]
    # three days later: the note of the 27th is no longer in the future, the draft later still
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-28")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-28T09:00:00")
    moved = _export(run, tmp_path)
    assert runs == [] and "future-date" not in moved[future]
    assert "signed-late" in moved[DRAFT] and moved[DRAFT] != later[DRAFT]
    # ... exactly what a fresh check says at that time
    ws_path.joinpath(*CACHE).unlink()
    assert _export(run, tmp_path) == moved and len(runs) == 1


def test_a_rule_of_another_plugin_turns_the_cache_off(run, ws_path, runs, tmp_path, trust_workspace):
    _warm(run, runs, tmp_path)
    plugins = ws_path / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "agency_rule.py").write_text(
        "from peerkit import hookimpl\n"
        "from peerkit.checks import NoteCheck\n\n"
        "@hookimpl\n"
        "def note_checks():\n"
        "    return [NoteCheck('agency-always', 'warning', lambda note, ctx: 'agency says hi')]\n")
    trust_workspace(ws_path)
    env = {"PEERKIT_LOAD_PLUGINS": ",".join(BUILTINS) + ",agency_rule"}
    found = _export(run, tmp_path, env=env)
    assert "agency-always" in found[DRAFT] and len(runs) == 1
    _export(run, tmp_path, env=env)
    assert len(runs) == 2                             # never kept with such a rule


def test_a_rule_that_fails_to_run_is_never_kept(run, ws_path, runs, tmp_path, monkeypatch):
    def broken(note, ctx):
        raise RuntimeError("boom")

    patched = [c if c.name != "times" else type(c)(c.name, c.severity, broken, c.description)
               for c in checks.BUILTIN_CHECKS]
    monkeypatch.setattr(checks, "BUILTIN_CHECKS", patched)
    first = _export(run, tmp_path)
    assert "times: the check failed to run" in first[DRAFT]
    assert not ws_path.joinpath(*CACHE).exists()
    _export(run, tmp_path)
    assert len(runs) == 2


def test_a_broken_note_still_stops_the_export(run, ws_path, runs, tmp_path):
    _warm(run, runs, tmp_path)
    bad = ws_path / "notes/2026/11/N-2026-11-26-C001-1.toml"
    bad.write_text("id = \"N-2026-11-26-C001-1\"\nthis is not toml\n")
    out = tmp_path / "broken.xlsx"
    result = run("note", "export", *PERIOD, "--status", "all", "--out", str(out))
    assert result.exit_code == 3 and not out.exists()
    assert "N-2026-11-26-C001-1.toml" in result.output


def test_a_damaged_cache_is_ignored(run, ws_path, runs, tmp_path):
    first = _warm(run, runs, tmp_path)
    cache = ws_path.joinpath(*CACHE)
    data = json.loads(cache.read_text())
    data["value"]["findings"] = [["not", "a"]]
    cache.write_text(json.dumps(data))
    assert _export(run, tmp_path) == first
    cache.write_text("[not json")
    assert _export(run, tmp_path) == first


class _NoClock:
    """A 'today' that no kept rule may look at: any comparison raises."""

    def __bool__(self):
        return True

    def _refuse(self, other):
        raise AssertionError("a kept rule read the clock")

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _refuse
    __hash__ = object.__hash__


def test_only_the_clock_rules_read_the_clock(ws_path, monkeypatch):
    """Every built-in rule but CLOCK's is kept without today's date: none may read the clock
    (a rule added later that does must be added to checkcache.CLOCK, or this fails)."""
    from peerkit import dates

    def no_clock(*a, **kw):
        raise AssertionError("a kept rule read the clock")

    write_note(ws_path, note_dict(id="N-2026-11-27-C002-1", date=dt.date(2026, 11, 27)))
    ws = Workspace(ws_path)
    notes = list(ws.notes())
    monkeypatch.setattr(dates, "now", no_clock)
    monkeypatch.setattr(dates, "today", no_clock)
    findings = checks.run_checks(ws, notes, today=_NoClock(), skip=checkcache.CLOCK)
    assert findings and not [f for f in findings if "failed to run" in f.message]
    # ... and the clock's rules do read it (a rule that raises is a "failed to run" finding)
    every = checks.run_checks(ws, notes, today=_NoClock(), skip=frozenset())
    assert {f.rule for f in every if "failed to run" in f.message} == checkcache.CLOCK
