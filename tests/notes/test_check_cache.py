"""'note check' findings are cached in notes/.checks-cache.json and believed only while every
input is unchanged (issue 19, speed): a client's name, a setting, a note, a rule's code or the
clock (signed-late on drafts) changes what is shown at once."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from notes_helpers import note_dict, set_setting, write_note

from peerkit import derived, storage
from peerkit_notes import checks
from tests.conftest import BUILTINS

NOV = ("--from", "2026-11-01", "--to", "2026-11-30")


@pytest.fixture
def runs(settled_calls):
    """Counts the real check runs (the cache answers without any)."""
    return settled_calls(checks, "run_checks")


def _check(run, *args, env=None):
    result = run("note", "check", *NOV, "--json", *args, **({"env": env} if env else {}))
    assert result.exit_code in (0, 1), result.output
    return [(f["note"], f["rule"], f["severity"], f["message"]) for f in json.loads(result.stdout)]


def _warm(run, runs):
    first = _check(run)
    again = _check(run)
    assert again == first and len(runs) == 1    # the second answer came from the cache
    runs.clear()
    return first


def test_an_unchanged_workspace_is_answered_from_the_cache(run, ws_path, runs):
    first = _warm(run, runs)
    cache = ws_path / "notes" / ".checks-cache.json"
    assert cache.is_file() and oct(cache.stat().st_mode & 0o777) == "0o600"
    assert _check(run) == first and runs == []
    # the same answer as without any cache
    cache.unlink()
    assert _check(run) == first and len(runs) == 1


def test_a_client_renamed_changes_the_cached_finding(run, ws_path, runs):
    path = write_note(ws_path, note_dict(id="N-2026-11-23-C002-1", date=dt.date(2026, 11, 23),
                                         response="Riley said Jamie Newname helped a lot."))
    assert path.is_file()
    before = _warm(run, runs)
    assert not any(r == "other-client-name" and n == "N-2026-11-23-C002-1" for n, r, *_ in before)
    client = ws_path / "clients" / "C003.toml"
    client.write_text(client.read_text().replace('name = "Casey Placeholder"', 'name = "Jamie Newname"'))
    after = _check(run)
    assert len(runs) == 1
    assert any(r == "other-client-name" and n == "N-2026-11-23-C002-1" for n, r, *_ in after)


def test_a_setting_changed_rechecks(run, ws_path, runs):
    before = _warm(run, runs)
    set_setting(ws_path, "min_words", "40")
    after = _check(run)
    assert len(runs) == 1
    assert [f for f in after if f[1] == "narrative-too-short"] and after != before


def test_a_note_edited_in_place_or_removed_rechecks(run, ws_path, runs):
    _warm(run, runs)
    path = ws_path / "notes/2026/11/N-2026-11-24-C004-1.toml"   # the example's incomplete draft
    data = storage.read_toml(path)
    data["purpose"] = "Looked at the bus timetable together for the new job."
    with open(path, "w") as f:                                  # in place: same inode
        f.write(storage.dumps_toml(data))
    after = _check(run)
    assert len(runs) == 1
    assert not any(n == "N-2026-11-24-C004-1" and r == "required-elements" and "purpose" in m
                   for n, r, _s, m in after)
    runs.clear()
    path.unlink()
    gone = _check(run)
    assert len(runs) == 1 and not any(n == "N-2026-11-24-C004-1" for n, *_ in gone)


def test_signed_late_on_a_draft_follows_the_clock(run, ws_path, runs, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-27")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-27T10:00:00")
    first = [f for f in _warm(run, runs) if f[0] == "N-2026-11-24-C004-1" and f[1] == "signed-late"]
    assert first and "not signed" in first[0][3]
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-27T20:00:00")
    later = _check(run)
    assert runs == []                                            # still the cache ...
    late = [f for f in later if f[0] == "N-2026-11-24-C004-1" and f[1] == "signed-late"]
    assert late and late[0][3] != first[0][3]                    # ... but the clock's finding is new
    monkeypatch.delenv("PEERKIT_NOW")
    runs.clear()
    fresh_cache = ws_path / "notes" / ".checks-cache.json"
    fresh_cache.unlink()
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-27T20:00:00")
    assert _check(run) == later and len(runs) == 1               # exactly what a fresh run says


def test_another_day_rechecks(run, ws_path, runs, monkeypatch):
    _warm(run, runs)
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-26")
    _check(run)
    assert len(runs) == 1


def test_a_rule_of_another_plugin_turns_the_cache_off(run, ws_path, runs, trust_workspace):
    _warm(run, runs)
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
    found = _check(run, env=env)
    assert any(r == "agency-always" for _n, r, *_ in found) and len(runs) == 1
    _check(run, env=env)
    assert len(runs) == 2                                       # never cached with such a rule


def test_the_rules_code_is_part_of_the_key(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "rules.py").write_text("def rule(note, ctx):\n    return None\n")
    before = derived.source_tree(pkg)
    (pkg / "rules.py").write_text("def rule(note, ctx):\n    return 'now it says something'\n")
    assert derived.source_tree(pkg) != before


def test_a_damaged_cache_is_ignored(run, ws_path, runs):
    first = _warm(run, runs)
    cache = ws_path / "notes" / ".checks-cache.json"
    data = json.loads(cache.read_text())
    data["files"]["clients"] = {}
    data["findings"] = []
    cache.write_text(json.dumps(data))
    assert _check(run) == first and len(runs) == 1
    cache.write_text("[not json")
    assert _check(run) == first
