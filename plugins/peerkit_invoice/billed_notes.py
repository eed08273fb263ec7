"""What billing adjustments need of the billed notes, cached by the note files' signatures.

``pending`` (adjustments.py) compares every line billed in the last year with the current
state of its notes: status, date, times, code and modifier.  Reading a year of notes for
that on every ``invoice`` and ``status`` was most of their time (issue 19), although the
notes rarely change.  So the answer of one read -- the billed notes found, reduced to those
fields -- is kept in ``invoices/.billed-notes-cache.json`` with what it was read from:

* the question: the date range and the note ids looked for;
* the stat signature (``peerkit.notecache.signature``: size, mtime, ctime, inode) of every
  ``*.toml`` file of every month folder of that range, wanted or not (a file added, removed,
  renamed or edited anywhere in the range, even a note that is not billed, changes the
  listing), and whether each month folder existed;
* the ids of the clients those notes name, whose files must still exist (a note of a
  removed client does not read).

It is believed only when the question is the same and every signature is identical and
older than the moment the cache was started minus ``notecache.RACY_NS`` (the "racily clean"
rule of the note cache: ctime cannot be set by users and changes with every write, rename or
chmod).  Anything else -- a changed, added or removed file, a damaged or foreign cache --
means the notes are read as before (``ws.notes``, which also reports a broken file) and the
cache is written again after the read, under the workspace lock only if it is free
(``notecache.write_after_read``: a reader never waits for a writer).  The signatures are
taken before the notes are read, so a file changed during the read is re-read next time.
The fields kept are never encrypted ones (issue 18: ids, dates, times, codes, status).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

CACHE_NAME = ".billed-notes-cache.json"
VERSION = 1


@dataclass
class BilledNote:
    """The fields of a note that an adjustment reads (``minutes`` as ``Note.minutes``)."""

    id: str
    status: str
    date: dt.date
    start: dt.time
    end: dt.time
    code: str
    modifier: str
    client: str
    zone: str

    @property
    def minutes(self) -> int:
        from peerkit.dates import elapsed_minutes

        return elapsed_minutes(self.date, self.start, self.end, self.zone)


def current_notes(ws, wanted: set[str], first: dt.date, last: dt.date) -> dict:
    """``{id: note}`` for the notes of ``wanted`` dated in [first, last], exactly as
    ``{n.id: n for n in ws.notes(first, last) if n.id in wanted}`` would give them (a cached
    note is a :class:`BilledNote`, with the same fields)."""
    from peerkit.derived import load
    from peerkit.notecache import RACY_NS, write_after_read
    from peerkit_invoice.model import invoice_dir

    folders = _month_folders(ws, first, last)
    key = _question(first, last, wanted)
    path = invoice_dir(ws) / CACHE_NAME
    cached = load(path, {"question": key}, version=VERSION)
    if cached is not None:
        notes = _believe(ws, cached, folders, RACY_NS)
        if notes is not None:
            ws.notes(first, last)  # reads nothing (lazy): tells a peerkit.derived recording the range
            return notes
    from peerkit.derived import opened

    started = opened(ws)  # the notes read may come from this workspace object's memo
    listing = _listing(folders)
    found = {n.id: n for n in ws.notes(first, last) if n.id in wanted}
    if listing is not None and invoice_dir(ws).is_dir():
        payload = {"version": VERSION, "question": key, "started_ns": started, "folders": listing,
                   "clients": sorted({n.client for n in found.values()}),
                   "notes": {i: _facts(n) for i, n in sorted(found.items())}}
        write_after_read(ws.root, path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return found


def _question(first: dt.date, last: dt.date, wanted: set[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(wanted)).encode("utf-8")).hexdigest()
    return f"{first.isoformat()}..{last.isoformat()}:{digest}"


def _month_folders(ws, first: dt.date, last: dt.date) -> list[Path]:
    from peerkit.dates import month_folders

    return [ws.path("notes", f"{y:04d}", f"{m:02d}") for y, m in month_folders(first, last)]


def _listing(folders: list[Path]) -> dict | None:
    """``{folder name: {file name: signature}}`` (``None`` for a folder that does not exist);
    ``None`` when a folder cannot be listed (then nothing is cached)."""
    from peerkit.notecache import signature

    out: dict = {}
    for folder in folders:
        name = f"{folder.parent.name}/{folder.name}"
        try:
            files = {}
            with os.scandir(folder) as scan:
                for entry in scan:
                    if entry.name.endswith(".toml") and not entry.name.startswith("."):
                        files[entry.name] = signature(entry.stat(follow_symlinks=False))
            out[name] = files
        except FileNotFoundError:
            out[name] = None
        except OSError:
            return None
    return out


def _believe(ws, data: dict, folders: list[Path], racy_ns: int) -> dict | None:
    """The cached notes if every file they were read from is provably unchanged, else None."""
    try:
        started = int(data["started_ns"])
        recorded = data["folders"]
        limit = started - racy_ns
        if not isinstance(recorded, dict) or len(recorded) != len(folders):
            return None
        now = _listing(folders)
        if now is None or now != recorded:
            return None
        for files in now.values():
            for sig in (files or {}).values():
                if sig[1] >= limit or sig[2] >= limit:  # mtime, ctime: too close to the read
                    return None
        for client in data["clients"]:
            if not isinstance(client, str) or "/" in client or client.startswith(".") \
                    or not ws.path("clients", f"{client}.toml").is_file():
                return None
        zone = ws.timezone
        return {i: _note(i, f, zone) for i, f in data["notes"].items()}
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


def _facts(note) -> list:
    return [note.status, note.date.isoformat(), note.start.isoformat(), note.end.isoformat(),
            note.code, note.modifier, note.client]


def _note(note_id: str, facts: list, zone) -> BilledNote:
    status, day, start, end, code, modifier, client = facts
    if not all(isinstance(v, str) for v in facts):
        raise TypeError("not a cached note")
    return BilledNote(note_id, status, dt.date.fromisoformat(day), dt.time.fromisoformat(start),
                      dt.time.fromisoformat(end), code, modifier, client, zone)
