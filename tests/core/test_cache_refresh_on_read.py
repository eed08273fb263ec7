"""A read that finds a cache stale rebuilds it (issue 19): after a copy, a restore or a pull the
workspace is warm again from its second command -- but never by waiting for a writer, never in
a workspace that is not the user's own and writable, never through a symbolic link."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import time

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


def month_cache(ws_path):
    return ws_path / "notes" / "2026" / "11" / notecache.CACHE_NAME


def read_november(ws_path):
    return {n.id: n.to_dict() for n in Workspace(ws_path).notes(*NOV)}


def test_a_read_rebuilds_a_missing_month_cache_and_the_next_read_uses_it(ws_path, counting, monkeypatch):
    assert not month_cache(ws_path).exists()
    first = read_november(ws_path)
    cache = month_cache(ws_path)
    assert cache.is_file() and stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert set(json.loads(cache.read_text())["entries"]) == {f"{nid}.toml" for nid in first}
    assert not [p for p in cache.parent.iterdir() if storage.TMP_MARK in p.name]
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    counting.clear()
    assert read_november(ws_path) == first            # the same notes ...
    assert [c for c in counting if c.startswith("N-")] == []   # ... none parsed again


def test_a_changed_file_found_by_a_read_is_re_cached_with_its_new_values(ws_path, monkeypatch):
    read_november(ws_path)
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    path = ws_path / "notes" / "2026" / "11" / "N-2026-11-16-C001-1.toml"
    path.write_text(path.read_text().replace("Public library, Main St", "Public library, Mall St"))
    assert read_november(ws_path)["N-2026-11-16-C001-1"]["location"] == "Public library, Mall St"
    entry = json.loads(month_cache(ws_path).read_text())["entries"]["N-2026-11-16-C001-1.toml"]
    assert entry["note"]["location"] == "Public library, Mall St"
    assert entry["sig"] == notecache.signature(path.stat())


def test_a_read_caches_only_what_it_read_and_parses_nothing_more(ws_path, counting):
    week = [n.id for n in Workspace(ws_path).notes(dt.date(2026, 11, 16), dt.date(2026, 11, 22))]
    assert week
    entries = json.loads(month_cache(ws_path).read_text())["entries"]
    assert set(entries) == {f"{nid}.toml" for nid in week}
    assert len([c for c in counting if c.startswith("N-")]) == len(week)


def test_a_read_rebuilds_the_clients_cache(ws_path, counting, monkeypatch):
    expected = {k: v.to_dict() for k, v in Workspace(ws_path).clients().items()}
    assert (ws_path / "clients" / notecache.CLIENTS_CACHE_NAME).is_file()
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    counting.clear()
    assert {k: v.to_dict() for k, v in Workspace(ws_path).clients().items()} == expected
    assert [c for c in counting if c.startswith("C0")] == []


def test_no_rebuild_while_a_writer_holds_the_lock_and_no_waiting_for_it(ws_path):
    lock = ws_path / ".peerkit.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(lock)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        notes = read_november(ws_path)
        clients = Workspace(ws_path).clients()
        assert time.monotonic() - started < 5      # the lock timeout is 10 s: it did not wait
        assert notes and clients
        assert not month_cache(ws_path).exists()
        assert not (ws_path / "clients" / notecache.CLIENTS_CACHE_NAME).exists()
    finally:
        holder.kill()
        holder.wait()
    read_november(ws_path)                          # lock free again: rebuilt
    assert month_cache(ws_path).is_file()


def test_no_rebuild_in_a_read_only_workspace_or_folder(ws_path):
    mode = stat.S_IMODE(ws_path.stat().st_mode)
    os.chmod(ws_path, 0o500)      # honoured even for root (peerkit checks the owner-write bit)
    try:
        assert read_november(ws_path)
        assert not month_cache(ws_path).exists()
    finally:
        os.chmod(ws_path, mode)
    month = ws_path / "notes" / "2026" / "11"
    os.chmod(month, 0o500)
    try:
        assert read_november(ws_path)
        assert not month_cache(ws_path).exists()
    finally:
        os.chmod(month, 0o700)


def test_no_rebuild_in_another_users_workspace(ws_path, monkeypatch):
    monkeypatch.setattr(notecache.os, "getuid", lambda: os.stat(ws_path).st_uid + 1, raising=False)
    assert read_november(ws_path)
    assert not month_cache(ws_path).exists()


def test_never_through_a_symbolic_link(ws_path, tmp_path):
    month = ws_path / "notes" / "2026" / "11"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(month), elsewhere)
    month.symlink_to(elsewhere, target_is_directory=True)
    from peerkit.errors import DataError

    with pytest.raises(DataError, match="leads outside the workspace"):   # records are not read through it
        read_november(ws_path)
    assert not (elsewhere / notecache.CACHE_NAME).exists()
    month.unlink()
    shutil.move(str(elsewhere), month)
    from peerkit import session

    session.current().new_command()   # a new command: the folders' real paths are looked up again
    target = tmp_path / "target.json"
    target.write_text("keep")
    month_cache(ws_path).symlink_to(target)          # a planted link where the cache goes
    assert read_november(ws_path)
    assert target.read_text() == "keep" and month_cache(ws_path).is_symlink()

