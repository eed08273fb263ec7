"""What `note add` does after start-up (issue 19): no filelock import, the new note is not read
back by its own checks, and its month's cache is refreshed as a rebuild would."""
from __future__ import annotations

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


def test_the_month_cache_after_an_add_is_what_a_rebuild_writes(run, ws_path, monkeypatch):
    from peerkit.records import refresh_note_cache

    assert run("reindex").exit_code == 0
    monkeypatch.setattr(notecache, "RACY_NS", 0)  # the copy's files are only seconds old
    assert run(*ADD).exit_code == 0
    cache = ws_path / NOTES / notecache.CACHE_NAME
    after_add = json.loads(cache.read_text())
    assert "N-2026-11-24-C001-1.toml" in after_add["entries"]
    refresh_note_cache(ws_path / NOTES)  # a full rebuild from the files
    rebuilt = json.loads(cache.read_text())
    assert after_add["entries"] == rebuilt["entries"]
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
