"""peerkit.derived: a kept answer is never believed when a record it was computed from changed,
even when the change came while the computing process held the old record in memory."""
from __future__ import annotations

import datetime as dt

import pytest

from peerkit import derived, notecache, storage
from peerkit.workspace import Workspace

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
NOTE = "notes/2026/11/N-2026-11-16-C001-1.toml"


@pytest.fixture(autouse=True)
def settled(monkeypatch):
    monkeypatch.setattr(notecache, "RACY_NS", 0)   # files just written count as settled


def _statuses(ws):
    calls = []

    def compute():
        calls.append(1)
        return sorted(f"{n.id}={n.status}" for n in ws.notes(*NOV)), True

    return derived.remembered(ws, "test-statuses", {"q": 1}, compute), calls


def test_an_answer_is_kept_and_a_changed_note_is_seen(ws_path):
    first, calls = _statuses(Workspace(ws_path))
    again, calls = _statuses(Workspace(ws_path))
    assert again == first and calls == []
    path = ws_path / NOTE
    data = storage.read_toml(path)
    data["status"] = "denied"
    storage.write_toml(path, data)
    after, calls = _statuses(Workspace(ws_path))
    assert calls == [1] and "N-2026-11-16-C001-1=denied" in after


def test_a_note_changed_after_it_was_memoised_is_not_believed_later(ws_path):
    ws = Workspace(ws_path)
    list(ws.notes(*NOV))                    # this process now holds November in memory
    path = ws_path / NOTE
    text = path.read_text()
    with open(path, "w") as f:              # another program edits the file meanwhile
        f.write(text.replace('status = "approved"', 'status = "denied"'))
    stale, _ = _statuses(ws)                # computed from the memoised (old) note
    assert "N-2026-11-16-C001-1=approved" in stale
    fresh, calls = _statuses(Workspace(ws_path))
    assert calls == [1] and "N-2026-11-16-C001-1=denied" in fresh


def test_recording_restores_the_workspace_methods(ws_path):
    ws = Workspace(ws_path)
    _statuses(ws)
    assert "notes" not in ws.__dict__ and "note" not in ws.__dict__


def test_an_answer_read_from_files_changed_just_before_is_not_kept(ws_path, monkeypatch):
    monkeypatch.setattr(notecache, "RACY_NS", 3600 * 10**9)   # every file counts as just changed
    _statuses(Workspace(ws_path))
    assert not derived.cache_path(Workspace(ws_path), "test-statuses").exists()
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    _statuses(Workspace(ws_path))
    assert derived.cache_path(Workspace(ws_path), "test-statuses").exists()


def test_a_commands_listing_is_looked_at_once_until_this_process_writes(ws_path):
    from peerkit import session

    session.current().new_command()
    ws = Workspace(ws_path)
    before = derived.listing(ws, ["notes/2026/11"])
    path = ws_path / NOTE
    path.write_text(path.read_text() + "\n")            # another program: seen by the next command
    assert derived.listing(ws, ["notes/2026/11"]) == before
    session.current().new_command()
    changed = derived.listing(ws, ["notes/2026/11"])
    assert changed != before
    data = storage.read_toml(path)
    data["status"] = "denied"
    storage.write_toml(path, data)                      # this process writes: looked at again
    assert derived.listing(ws, ["notes/2026/11"]) != changed
