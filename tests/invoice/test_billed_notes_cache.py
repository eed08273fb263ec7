"""Billing adjustments read the billed notes through invoices/.billed-notes-cache.json, believed
only while every note file of the range is unchanged (issue 19, speed): every change of a note,
of the range's listing or of a client file shows at once."""
from __future__ import annotations

import json

import pytest
from invoice_helpers import assert_no_traceback

from peerkit import derived, notecache, records, storage, workspace
from peerkit_invoice import billed_notes

NOTE = "N-2026-11-16-C001-1"       # approved, 65 min = 4 units at 11.61 = 46.44 on 2026-W47
NOTE_PATH = f"notes/2026/11/{NOTE}.toml"


@pytest.fixture
def reads(monkeypatch):
    """Counts the full reads of notes that pending() makes (ws.notes over the billed range)."""
    monkeypatch.setattr(notecache, "RACY_NS", 0)   # files just written count as settled
    # the kept answers above this cache (peerkit.derived: adjustments, alerts) are left out here
    monkeypatch.setattr(derived, "remembered", lambda ws, name, key, compute, **kw: compute()[0])
    calls = []
    real = records.iter_notes

    def counting(ws, start=None, end=None, **kw):
        def reading():   # counted when read, not when merely asked for (iter_notes is lazy)
            calls.append((start, end))
            yield from real(ws, start, end, **kw)
        return reading()

    monkeypatch.setattr(records, "iter_notes", counting)
    monkeypatch.setattr(workspace, "iter_notes", counting)   # Workspace.notes calls it by name
    return calls


def _adjustments(run, week="2026-W48"):
    result = run("invoice", "--week", week, "--preview", "--format", "json")
    assert_no_traceback(result)
    if result.exit_code == 5 and "Nothing to bill" in result.output:
        return []
    assert result.exit_code == 0, result.output
    return [(a["notes"], a["units"], a["amount"]) for a in json.loads(result.stdout)["lines"]
            if a["kind"] == "adjustment"]


def _issued(run):
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert result.exit_code == 0, result.output


def _full_reads(reads, ws_path):
    """The reads of the billed range (the first to the last billed day, as the cache names it);
    the W48 invoice itself reads its own week and the late-notes lookback."""
    question = json.loads((ws_path / "invoices" / billed_notes.CACHE_NAME).read_text())["question"]
    first, last = question.split(":")[0].split("..")
    return [r for r in reads if r[0] is not None and r[1] is not None
            and (r[0].isoformat(), r[1].isoformat()) == (first, last)]


def test_a_warm_cache_answers_without_reading_the_notes(run, ws_path, today, reads):
    _issued(run)
    assert _adjustments(run) == []
    cache = ws_path / "invoices" / billed_notes.CACHE_NAME
    assert cache.is_file() and oct(cache.stat().st_mode & 0o777) == "0o600"
    reads.clear()
    assert _adjustments(run) == []
    assert _full_reads(reads, ws_path) == []


@pytest.mark.parametrize("change", ["cli-edit", "in-place-denied", "removed"])
def test_a_changed_billed_note_shows_at_once(run, ws_path, today, reads, change):
    _issued(run)
    assert _adjustments(run) == []   # the cache is written
    assert _adjustments(run) == []   # and believed
    path = ws_path / NOTE_PATH
    if change == "cli-edit":
        result = run("note", "edit", NOTE, "--end", "19:00", "--reason", "end time was wrong")
        assert result.exit_code == 0, result.output
    elif change == "in-place-denied":
        text = path.read_text().replace('status = "approved"', 'status = "denied"')
        assert 'status = "denied"' in text
        with open(path, "w") as f:   # an editor writing in place: same inode
            f.write(text)
    else:
        path.unlink()
    reads.clear()
    assert _adjustments(run) == [([NOTE], -4, "-46.44")]
    assert len(_full_reads(reads, ws_path)) == 1          # the cache was not believed: read again
    reads.clear()
    assert _adjustments(run) == [([NOTE], -4, "-46.44")]
    assert _full_reads(reads, ws_path) == []              # and rewritten with the new state


def test_a_note_edited_back_is_billed_as_before(run, ws_path, today, reads):
    _issued(run)
    assert _adjustments(run) == []
    path = ws_path / NOTE_PATH
    data = storage.read_toml(path)
    data["status"] = "submitted"
    storage.write_toml(path, data)
    assert _adjustments(run) == [([NOTE], -4, "-46.44")]
    data["status"] = "approved"
    storage.write_toml(path, data)
    assert _adjustments(run) == []


def test_a_broken_unbilled_note_in_the_range_is_still_reported(run, ws_path, today, reads):
    _issued(run)
    assert _adjustments(run) == []
    assert _adjustments(run) == []   # believed
    (ws_path / "notes/2026/11/N-2026-11-17-C002-9.toml").write_text("this is = = not toml\n")
    result = run("invoice", "--week", "2026-W48", "--preview", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert "N-2026-11-17-C002-9.toml" in result.output


def test_a_removed_client_file_is_not_believed(run, ws_path, today, reads):
    import datetime as dt

    from peerkit.errors import DataError
    from peerkit.workspace import Workspace

    _issued(run)
    span = (dt.date(2026, 11, 16), dt.date(2026, 11, 19))
    first = billed_notes.current_notes(Workspace(ws_path), {NOTE}, *span)
    reads.clear()
    again = billed_notes.current_notes(Workspace(ws_path), {NOTE}, *span)
    assert reads == [] and isinstance(again[NOTE], billed_notes.BilledNote)
    assert (again[NOTE].status, again[NOTE].minutes, again[NOTE].code) == (
        first[NOTE].status, first[NOTE].minutes, first[NOTE].code)
    (ws_path / "clients" / "C001.toml").rename(ws_path / "C001.toml.away")
    with pytest.raises(DataError):               # as without the cache: C001's notes do not read
        billed_notes.current_notes(Workspace(ws_path), {NOTE}, *span)
    assert reads == [span]


def test_a_recent_file_is_not_believed(run, ws_path, today, monkeypatch):
    """Without the test's RACY_NS = 0: files written within 2 s of the cache are re-read."""
    _issued(run)
    assert _adjustments(run) == []
    calls = []
    real = records.iter_notes

    def counting(ws, start=None, end=None, **kw):
        calls.append(start)
        return real(ws, start, end, **kw)

    monkeypatch.setattr(records, "iter_notes", counting)
    monkeypatch.setattr(workspace, "iter_notes", counting)   # Workspace.notes calls it by name
    assert _adjustments(run) == []
    assert any(c is not None and c.isoformat() == "2026-11-16" for c in calls)


def test_a_damaged_or_foreign_cache_is_ignored(run, ws_path, today, reads):
    _issued(run)
    assert _adjustments(run) == []
    cache = ws_path / "invoices" / billed_notes.CACHE_NAME
    data = json.loads(cache.read_text())
    data["notes"][NOTE][0] = "denied"          # a cache claiming what the file does not say
    data["folders"] = {}
    cache.write_text(json.dumps(data))
    assert _adjustments(run) == []
    cache.write_text("{not json")
    assert _adjustments(run) == []
    data = json.loads(cache.read_text())        # rewritten by the read
    assert data["notes"][NOTE][0] == "approved"
