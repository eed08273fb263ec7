"""Caches of parsed record files, provably never stale: per month of notes, and for clients.

Each ``notes/YYYY/MM/`` folder may hold ``.notes-cache.json`` (and ``clients/`` may hold
``.clients-cache.json``): for every record file, its stat
signature (size, mtime, ctime, inode) and its parsed TOML values.  A reader uses an entry only
when the file's signature is identical AND the file's ctime is older than the moment the cache
was started minus a safety margin (the "racily clean" rule git uses); anything else is parsed
from the TOML file as usual.  ctime cannot be set by users and changes with every write,
rename or chmod, so a changed file can never be served from the cache.  A damaged or foreign
cache file is ignored.

Readers never write the cache ("reading never changes a file").  It is refreshed under the
workspace lock by commands that wrote note files (see ``Workspace.lock``) and by
``peerkit reindex``.  Deleting it is always safe.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

CACHE_NAME = ".notes-cache.json"
CLIENTS_CACHE_NAME = ".clients-cache.json"
VERSION = 2
RACY_NS = 2_000_000_000  # files changed less than 2 s before the cache was started are re-read


def signature(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$t": value.isoformat()}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError("not cacheable")
    return value


def _decode_hook(obj: dict) -> Any:
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "$d":
            return dt.date.fromisoformat(value)
        if key == "$t":
            return dt.time.fromisoformat(value)
        if key == "$dt":
            return dt.datetime.fromisoformat(value)
    return obj


class MonthCache:
    """The cached values of one folder, as found on disk (possibly empty)."""

    def __init__(self, folder: Path, name: str = CACHE_NAME):
        self.folder = folder
        self.started_ns = 0
        self.entries: dict[str, dict] = {}
        self.opener = None  # issue 18: decrypts cached values of an encrypted workspace
        try:
            raw = (folder / name).read_bytes()
        except OSError:
            return
        try:
            data = json.loads(raw, object_hook=_decode_hook)
            if data.get("version") == VERSION and isinstance(data.get("entries"), dict):
                self.started_ns = int(data["started_ns"])
                self.entries = data["entries"]
        except (ValueError, TypeError, KeyError, AttributeError):
            self.entries = {}

    def current(self, name: str, st: os.stat_result) -> dict | None:
        """The cache entry of file ``name`` if, and only if, it is provably current."""
        entry = self.entries.get(name)
        if not entry or entry.get("sig") != signature(st):
            return None
        if st.st_ctime_ns >= self.started_ns - RACY_NS or st.st_mtime_ns >= self.started_ns - RACY_NS:
            return None
        return entry if isinstance(entry.get("note"), dict) else None

    def get(self, name: str, st: os.stat_result) -> dict | None:
        """The cached note of file ``name`` (validated when cached, as ``Note.to_dict()``)
        if, and only if, it is provably current."""
        entry = self.current(name, st)
        if entry is None:
            return None
        if "sealed" in entry:  # issue 18: an encrypted workspace's record, one ciphertext
            from peerkit.cryptkeys import opener
            from peerkit.errors import DataError

            if self.opener is None:
                self.opener = opener(self.folder) or False
            try:
                data = self.opener(name, entry["sealed"]) if self.opener else None
            except DataError:
                return None  # the file itself is read and reported
            return data if isinstance(data, dict) else None
        return entry["note"]


def _build_note(path: Path) -> dict:
    from peerkit import storage
    from peerkit.records import note_from_dict

    # validated here once (all but the client id, which readers check)
    return note_from_dict(storage.read_toml(path), path, expect_id=path.stem).to_dict()


def _build_client(path: Path) -> dict:
    from peerkit import storage
    from peerkit.records import client_from_dict

    data = storage.read_toml(path)
    client_from_dict(data, path, expect_id=path.stem)  # only valid clients are cached
    return data  # readers validate again (cheap): what is cached is the file's values


def refresh_clients(folder: Path) -> None:
    refresh(folder, name=CLIENTS_CACHE_NAME, build=_build_client)


def refresh(folder: Path, *, name: str = CACHE_NAME, build=_build_note) -> None:
    """Rebuild the cache of one folder (call while holding the workspace lock)."""
    from peerkit import storage
    from peerkit.errors import PeerkitError

    from peerkit.cryptkeys import cache_sealing, seal_for_cache

    started = time.time_ns()
    old = MonthCache(folder, name)
    sealing = cache_sealing(folder)  # issue 18: no plaintext of an encrypted field in a cache
    entries: dict[str, dict] = {}
    try:
        scan = sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in scan:
        if not entry.name.endswith(".toml") or entry.name.startswith("."):
            continue
        try:
            st = entry.stat()
        except OSError:
            continue
        cached = old.current(entry.name, st)
        if cached is not None and ("sealed" in cached) == sealing:
            entries[entry.name] = {"sig": cached["sig"], "note": _encode(cached["note"]),
                                   **({"sealed": cached["sealed"]} if sealing else {})}
            continue
        try:
            data = build(Path(entry.path))
            if sealing:  # issue 18: the values as one ciphertext, nothing in clear
                entries[entry.name] = {"sig": signature(st), "note": {},
                                       "sealed": seal_for_cache(Path(entry.path), data)}
                continue
        except PeerkitError:
            continue  # a broken file is not cached: readers parse it and report it
        try:
            entries[entry.name] = {"sig": signature(st), "note": _encode(data)}
        except ValueError:
            continue
    payload = json.dumps({"version": VERSION, "started_ns": started, "entries": entries},
                         ensure_ascii=False, separators=(",", ":"))
    try:
        storage.atomic_write_bytes(folder / name, payload.encode("utf-8"))
    except PeerkitError:
        pass  # a cache that cannot be written is simply not used


def refresh_all(notes_root: Path) -> int:
    n = 0
    if not notes_root.is_dir():
        return 0
    for year in sorted(notes_root.iterdir()):
        if year.is_dir() and year.name.isdigit():
            for month in sorted(year.iterdir()):
                if month.is_dir() and month.name.isdigit():
                    refresh(month)
                    n += 1
    return n
