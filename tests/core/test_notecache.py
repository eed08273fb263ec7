"""The note cache: used only when provably current; never changes what is read."""
import datetime as dt
import json

import pytest

from peerkit import notecache, storage
from peerkit.workspace import Workspace

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def counting(monkeypatch):
    calls = []
    real = storage.read_toml

    def read(path):
        calls.append(path.name)
        return real(path)

    monkeypatch.setattr(storage, "read_toml", read)
    return calls


def _notes(ws_path):
    return {n.id: n for n in Workspace(ws_path).notes(*NOV)}


def test_reindex_builds_a_cache_that_readers_use(run, ws_path, counting, monkeypatch):
    uncached = _notes(ws_path)
    assert run("reindex").exit_code == 0
    cache = ws_path / "notes" / "2026" / "11" / notecache.CACHE_NAME
    assert cache.is_file() and oct(cache.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    counting.clear()
    cached = _notes(ws_path)
    assert [c for c in counting if c.startswith("N-")] == []  # no note file parsed
    assert cached.keys() == uncached.keys()
    for nid in cached:
        assert cached[nid].to_dict() == uncached[nid].to_dict()


def test_files_changed_after_the_cache_are_read_again(run, ws_path, counting, monkeypatch):
    assert run("reindex").exit_code == 0
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    path = ws_path / "notes" / "2026" / "11" / "N-2026-11-16-C001-1.toml"
    text = path.read_text()
    # same size, other content: written in place, the way another program might
    path.write_text(text.replace("Public library, Main St", "Public library, Mall St"))
    assert len(path.read_text()) == len(text)
    counting.clear()
    note = _notes(ws_path)["N-2026-11-16-C001-1"]
    assert note.location == "Public library, Mall St"
    assert counting.count("N-2026-11-16-C001-1.toml") == 1


def test_recent_files_are_never_trusted(run, ws_path, counting):
    assert run("reindex").exit_code == 0  # files written in the last 2 s: racy, re-read
    counting.clear()
    _notes(ws_path)
    assert len([c for c in counting if c.startswith("N-")]) == 25


def test_a_damaged_cache_is_ignored(run, ws_path, monkeypatch):
    expected = {k: v.to_dict() for k, v in _notes(ws_path).items()}
    assert run("reindex").exit_code == 0
    cache = ws_path / "notes" / "2026" / "11" / notecache.CACHE_NAME
    for garbage in (b"{not json", json.dumps({"version": 99}).encode(), b"[]"):
        cache.write_bytes(garbage)
        monkeypatch.setattr(notecache, "RACY_NS", 0)
        assert {k: v.to_dict() for k, v in _notes(ws_path).items()} == expected


def test_commands_that_write_notes_refresh_their_month(run, ws_path):
    cache = ws_path / "notes" / "2026" / "11" / notecache.CACHE_NAME
    assert not cache.exists()
    refused = run("note", "sign", "N-2026-11-24-C004-1")  # a draft missing elements: nothing written
    assert refused.exit_code == 1 and "required-elements" in refused.output
    result = run("note", "submit", "N-2026-11-23-C001-1")
    assert result.exit_code == 0, result.output
    data = json.loads(cache.read_text())
    entry = data["entries"]["N-2026-11-23-C001-1.toml"]
    assert entry["note"]["status"] == "submitted"
    assert len(data["entries"]) == 25


def test_the_in_process_memo_never_serves_a_note_this_process_changed(ws_path):
    ws = Workspace(ws_path)
    before = {n.id: n.status for n in ws.notes(*NOV)}
    assert before["N-2026-11-23-C001-1"] == "signed"
    with ws.lock(), storage.edit_toml(ws.path("notes", "2026", "11", "N-2026-11-23-C001-1.toml")) as doc:
        doc["status"] = "submitted"
    after = {n.id: n.status for n in ws.notes(*NOV)}
    assert after["N-2026-11-23-C001-1"] == "submitted"


def test_cached_notes_still_need_an_existing_client(run, ws_path, monkeypatch):
    from peerkit.errors import DataError

    assert run("reindex").exit_code == 0
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    (ws_path / "clients" / "C004.toml").unlink()
    with pytest.raises(DataError, match="field 'client': names an unknown client"):
        list(Workspace(ws_path).notes(*NOV))


def test_the_memo_is_bounded(ws_path, monkeypatch):
    from peerkit import records

    monkeypatch.setattr(records, "MEMO_MAX_NOTES", 10)
    ws = Workspace(ws_path)
    assert len(list(ws.notes(*NOV))) == 25
    memo = ws.note_memo
    assert sum(len(v) for v in memo.months.values()) == memo.count <= 25
    ws.forget_notes()
    assert memo.months == {} and memo.count == 0
    assert len(list(ws.notes(*NOV))) == 25


def test_clients_are_read_from_their_cache_only_when_current(run, ws_path, counting, monkeypatch):
    expected = {k: v.to_dict() for k, v in Workspace(ws_path).clients().items()}
    assert run("reindex").exit_code == 0
    assert (ws_path / "clients" / notecache.CLIENTS_CACHE_NAME).is_file()
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    counting.clear()
    cached = {k: v.to_dict() for k, v in Workspace(ws_path).clients().items()}
    assert cached == expected
    assert [c for c in counting if c.startswith("C0")] == []
    path = ws_path / "clients" / "C004.toml"
    path.write_text(path.read_text().replace("Morgan Testperson", "Morgan Testperzon"))
    assert Workspace(ws_path).client("C004").name == "Morgan Testperzon"
    assert counting.count("C004.toml") == 1
