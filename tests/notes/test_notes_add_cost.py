"""What `note add` does after start-up (issue 19): no filelock import, the new note is not read
back by its own checks, and its month's cache is refreshed as a rebuild would."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

from notes_helpers import loads

from peerkit import notecache, storage

NOTES = "notes/2026/11"
ADD = ["note", "add", "--client", "C001", "--date", "2026-11-24", "--start", "07:00", "--end", "07:50",
       "--place", "community", "--location", "Public library", "--goal", "G1",
       "--purpose", "Weekly check-in on the housing search, as set in the plan.",
       "--intervention", "Shared my own experience of waiting lists and compared listings.",
       "--response", "Said the next step felt manageable and set a reminder.",
       "--plan", "Meet on Thursday to call the housing authority together."]

IMPORTS = """
import sys
from peerkit import cli
try:
    cli.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(code, sorted(m for m in sys.modules if m.split(".")[0] == "filelock"), file=sys.stderr)
"""


def test_note_add_does_not_import_filelock(ws_path):
    env = dict(os.environ, PEERKIT_TODAY="2026-11-25")
    proc = subprocess.run([sys.executable, "-c", IMPORTS, "--workspace", str(ws_path), *ADD],
                          capture_output=True, text=True, env=env)
    assert proc.stderr.strip().splitlines()[-1] == "0 []", proc.stderr
    assert (ws_path / NOTES / "N-2026-11-24-C001-1.toml").is_file()


def test_the_checks_of_an_added_note_do_not_read_it_back(run, ws_path, monkeypatch):
    # the copy's files must be older than the racy margin for the cache to serve them, and the
    # note added must be younger than it (as it always is): a 0.3 s margin, files 0.4 s old
    monkeypatch.setattr(notecache, "RACY_NS", 300_000_000)
    time.sleep(0.4)
    assert run("reindex").exit_code == 0
    reads: list[str] = []
    real = storage.read_toml

    def read(path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(storage, "read_toml", read)
    refreshed: list[object] = []
    monkeypatch.setattr(notecache, "refresh_after_read", lambda root, folder, **k: refreshed.append(folder))
    result = run(*ADD, "--json")
    assert result.exit_code == 0, result.output
    assert loads(result)[0]["id"] == "N-2026-11-24-C001-1"
    # parsed once, by the month's cache refresh when the lock is released; not by the checks
    assert reads.count("N-2026-11-24-C001-1.toml") == 1
    assert ws_path / NOTES not in refreshed  # no reader rewrites the month's cache after the writer


def test_an_added_note_is_still_checked_against_the_notes_of_its_day(run, ws_path):
    assert run(*ADD).exit_code == 0
    again = [a if a != "07:00" else "07:30" for a in ADD]
    again = [a if a != "07:50" else "08:10" for a in again]
    result = run(*again)
    assert result.exit_code == 0, result.output
    assert "overlap" in result.output  # the stored note of the day against the new one
    check = run("note", "check", "--from", "2026-11-24", "--to", "2026-11-24", "--json")
    rules = {(f["note"], f["rule"]) for f in loads(check)}
    assert ("N-2026-11-24-C001-2", "overlap") in rules


def _parsed_entries(folder):
    """What a cache of ``folder`` must hold when every file is current: each file parsed."""
    from peerkit.records import note_cache_value

    return {p.name: {"sig": notecache.signature(p.stat()), "note": notecache._encode(note_cache_value(p))}
            for p in sorted(folder.glob("*.toml"))}


def test_the_month_cache_after_an_add_is_what_a_rebuild_writes(run, ws_path, monkeypatch):
    assert run("reindex").exit_code == 0
    monkeypatch.setattr(notecache, "RACY_NS", 0)  # the copy's files are only seconds old
    assert run(*ADD).exit_code == 0
    cache = ws_path / NOTES / notecache.CACHE_NAME
    after_add = json.loads(cache.read_text())
    assert "N-2026-11-24-C001-1.toml" in after_add["entries"]
    assert after_add["entries"] == _parsed_entries(ws_path / NOTES)
    assert oct(cache.stat().st_mode & 0o777) == "0o600"


def test_a_cache_entry_readers_cannot_decode_is_replaced_by_the_next_read(run, ws_path, monkeypatch):
    """Current entries are copied as stored: one that does not decode must not be kept for ever."""
    from peerkit.workspace import Workspace

    assert run("reindex").exit_code == 0
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    cache = ws_path / NOTES / notecache.CACHE_NAME
    data = json.loads(cache.read_text())
    data["entries"]["N-2026-11-02-C001-1.toml"]["note"]["date"] = {"$d": "not a date"}
    cache.write_text(json.dumps(data))
    time.sleep(0.01)
    # the writer's refresh copies the bad entry as it is; the add's checks then read the month,
    # cannot use its cache, parse its files and write the cache again from them
    assert run(*ADD).exit_code == 0
    assert json.loads(cache.read_text())["entries"] == _parsed_entries(ws_path / NOTES)
    reads: list[str] = []
    real = storage.read_toml
    monkeypatch.setattr(storage, "read_toml", lambda p: (reads.append(p.name), real(p))[1])
    notes = list(Workspace(ws_path).notes(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))
    assert len(notes) == 26 and [r for r in reads if r.startswith("N-")] == []  # served by it


def _temp_files(ws_path):
    return [p for p in ws_path.rglob("*") if storage.TMP_MARK in p.name]


def test_a_full_disk_adds_nothing_and_keeps_the_month_cache(run, ws_path, monkeypatch):
    import errno

    assert run("reindex").exit_code == 0
    cache = ws_path / NOTES / notecache.CACHE_NAME
    before = cache.read_bytes()

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    result = run(*ADD)
    monkeypatch.undo()
    assert result.exit_code == 3 and "disk full" in result.output, result.output
    assert not (ws_path / NOTES / "N-2026-11-24-C001-1.toml").exists()
    assert cache.read_bytes() == before
    assert _temp_files(ws_path) == []


def test_a_month_cache_that_cannot_be_written_leaves_the_old_one(run, ws_path, monkeypatch):
    import errno

    assert run("reindex").exit_code == 0
    cache = ws_path / NOTES / notecache.CACHE_NAME
    before = cache.read_bytes()
    real = os.replace

    def replace(src, dst, **kw):
        if os.fspath(dst).endswith(notecache.CACHE_NAME):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)
    result = run(*ADD)
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    assert (ws_path / NOTES / "N-2026-11-24-C001-1.toml").is_file()
    assert cache.read_bytes() == before  # still valid: entries are checked file by file
    assert _temp_files(ws_path) == []


OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def _october(ws_path):
    """Signed October notes of C001 and C002 (H0038), inside C001's authorization window."""
    from notes_helpers import note_dict, write_note

    for day in (5, 12, 19, 26):
        for client in ("C001", "C002"):
            d = dt.date(2026, 10, day)
            write_note(ws_path, note_dict(id=f"N-{d.isoformat()}-{client}-1", client=client, date=d,
                                          status="signed", signed_at=dt.datetime(2026, 10, day, 12, 0),
                                          author="Jordan Rivera", credentials="NC CPSS"))


def _used(ws, notes, note_id):
    from peerkit_notes.checks import run_checks

    found = [f.message for f in run_checks(ws, notes) if f.rule == "authorization" and f.note == note_id]
    assert len(found) == 1, found
    return found[0].split(" are used")[0].rsplit(" ", 1)[-1]


def _counts_agree(ws_path, base_note):
    """One client's note (read for that client only) counts what a check of two clients'
    notes (months read whole) counts."""
    from notes_helpers import change

    from peerkit.workspace import Workspace

    other = change(base_note, id="N-2026-11-25-C002-9", client="C002", start=dt.time(13, 0),
                   end=dt.time(13, 30))
    alone = _used(Workspace(ws_path), [base_note], base_note.id)
    together = _used(Workspace(ws_path), [base_note, other], base_note.id)
    assert alone == together
    return int(alone)


def test_one_clients_authorization_counts_what_a_whole_read_counts(ws_path, base_note, monkeypatch):
    _october(ws_path)
    p = ws_path / "clients" / "C001.toml"
    p.write_text(p.read_text().replace("units = 240", "units = 1", 1))
    uncached = _counts_agree(ws_path, base_note)
    from peerkit.records import refresh_all_note_caches

    refresh_all_note_caches(ws_path / "notes")
    monkeypatch.setattr(notecache, "RACY_NS", 0)  # every cache entry current: other clients skipped
    assert _counts_agree(ws_path, base_note) == uncached
    # October's C001 notes count: without them the total is smaller
    for f in (ws_path / "notes" / "2026" / "10").glob("*-C001-1.toml"):
        f.unlink()
    assert _counts_agree(ws_path, base_note) < uncached


def test_a_stale_cache_entry_never_hides_a_clients_note(ws_path, monkeypatch):
    from peerkit.records import refresh_all_note_caches
    from peerkit.workspace import Workspace

    _october(ws_path)
    refresh_all_note_caches(ws_path / "notes")
    monkeypatch.setattr(notecache, "RACY_NS", 0)
    path = ws_path / "notes" / "2026" / "10" / "N-2026-10-05-C002-1.toml"
    # the cache says C002; the file now says C001 (changed in place, same size)
    path.write_text(path.read_text().replace('client = "C002"', 'client = "C001"'))
    ids = {n.id for n in Workspace(ws_path).notes(*OCT, client="C001")}
    assert ids == {"N-2026-10-05-C001-1", "N-2026-10-12-C001-1", "N-2026-10-19-C001-1",
                   "N-2026-10-26-C001-1", "N-2026-10-05-C002-1"}
    assert {n.id for n in Workspace(ws_path).notes(*OCT, client="C002")} == {
        "N-2026-10-12-C002-1", "N-2026-10-19-C002-1", "N-2026-10-26-C002-1"}
