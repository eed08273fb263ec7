"""Caches of parsed record files, provably never stale: per month of notes, and for clients.

Each ``notes/YYYY/MM/`` folder may hold ``.notes-cache.json`` (and ``clients/`` may hold
``.clients-cache.json``): for every record file, its stat
signature (size, mtime, ctime, inode) and its parsed TOML values.  A reader uses an entry only
when the file's signature is identical AND the file's ctime is older than the moment the cache
was started minus a safety margin (the "racily clean" rule git uses); anything else is parsed
from the TOML file as usual.  ctime cannot be set by users and changes with every write,
rename or chmod, so a changed file can never be served from the cache.  A damaged or foreign
cache file is ignored.

Reading never changes a record; it may only refresh a cache.  Commands that wrote note files
refresh their months under the workspace lock (see ``Workspace.lock``), and ``peerkit reindex``
rebuilds every cache.  A reader that finds a folder's cache stale (missing, or not serving a
file it read: after a copy, a restore or a git pull) writes it again from what it has just
parsed (``refresh_after_read``): only when the workspace and the folder are the user's own and
writable, never through a symbolic link, atomically (a temporary file renamed over the cache),
and only if the workspace lock is free at that instant -- a reader never waits for a writer; when
the lock is busy it just reads.  Deleting a cache is always safe.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peerkit.discovery import LOCK_NAME
from peerkit.files import RACY_NS as RACY_MARGIN_NS

CACHE_NAME = ".notes-cache.json"
CLIENTS_CACHE_NAME = ".clients-cache.json"
VERSION = 2
RACY_NS = RACY_MARGIN_NS  # files changed less than 2 s before the cache was started are re-read


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


def _decode_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "$d":
            return dt.date.fromisoformat(value)
        if key == "$t":
            return dt.time.fromisoformat(value)
        if key == "$dt":
            return dt.datetime.fromisoformat(value)
    return obj


def read_cache(path: Path) -> bytes | None:
    """A cache file's bytes; None when it is missing or unreadable, or is not a plain file (a
    link or a pipe planted in a workspace is never followed or read)."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return path.read_bytes()
    except OSError:
        return None


class MonthCache:
    """The cached values of one folder, as found on disk (possibly empty).

    ``decode=False``: the values stay as stored (dates as ``{"$d": ...}``) until :meth:`get`
    decodes the one asked for: for :func:`refresh`, which copies current entries as they are,
    and for readers that use few of a month's entries (one client's notes, :meth:`other_client`).
    An entry that does not decode is then not current (its file is read), where a decoded load
    ignores the whole cache."""

    def __init__(self, folder: Path, name: str = CACHE_NAME, *, decode: bool = True):
        self.folder = folder
        self.started_ns = 0
        self.entries: dict[str, dict[str, Any]] = {}
        self.opener: Any = None  # issue 18: decrypts cached values of an encrypted workspace
        self.decoded = decode
        raw = read_cache(folder / name)
        if raw is None:
            return
        try:
            data = json.loads(raw, object_hook=_decode_hook if decode else None)
            if data.get("version") == VERSION and isinstance(data.get("entries"), dict):
                self.started_ns = int(data["started_ns"])
                self.entries = data["entries"]
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            self.entries = {}

    def current(self, name: str, st: os.stat_result) -> dict[str, Any] | None:
        """The cache entry of file ``name`` if, and only if, it is provably current."""
        entry = self.entries.get(name)
        if not isinstance(entry, dict) or entry.get("sig") != signature(st):
            return None
        if st.st_ctime_ns >= self.started_ns - RACY_NS or st.st_mtime_ns >= self.started_ns - RACY_NS:
            return None
        return entry if isinstance(entry.get("note"), dict) else None

    def get(self, name: str, st: os.stat_result) -> dict[str, Any] | None:
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
        note: dict[str, Any] = entry["note"]  # a dict: checked by current()
        if not self.decoded:
            try:
                note = _decode(note)
            except (ValueError, TypeError, RecursionError):
                return None
        return note

    def other_client(self, name: str, st: os.stat_result, client: str) -> bool:
        """Whether file ``name`` provably holds a note of another client than ``client`` (its
        entry is current and names another client; an encrypted entry is not looked into)."""
        entry = self.current(name, st)
        if entry is None or "sealed" in entry:
            return False
        return bool(entry["note"].get("client") != client)


def _decode(value: Any) -> Any:
    """The values of a cache entry loaded with ``decode=False``, as ``_decode_hook`` gives them."""
    if isinstance(value, dict):
        return _decode_hook({k: _decode(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def refresh(folder: Path, *, name: str = CACHE_NAME, build: Callable[[Path], dict[str, Any]] | None,
            fresh: dict[str, Any] | None = None, started_ns: int | None = None) -> None:
    """Rebuild the cache of one folder (call while holding the workspace lock).

    ``build(path)``: the value to cache for a record file that must be parsed (the parsers
    are in ``peerkit.records``: ``records.refresh_note_cache`` and ``refresh_client_cache``
    pass theirs).

    ``fresh``: ``{file name: (stat signature taken before it was read, cached value)}`` that the
    caller has just parsed, used when the file's signature is still the same (before the old
    cache's entry: a reader parsed the file because that entry did not serve it); ``started_ns``
    (with ``fresh``): when the caller started reading.  ``build=None`` parses nothing: files
    neither fresh nor current in the old cache are left out (read from TOML next time).

    The entries still current are copied as stored, without decoding and encoding them again
    (a note added to a month of 130 costs the new note, not the month); the file is replaced
    atomically but not fsynced: a cache lost or damaged by a crash is ignored, and the record
    files it describes were fsynced when they were written."""
    from peerkit import storage
    from peerkit.cryptkeys import cache_sealing, seal_for_cache
    from peerkit.errors import PeerkitError

    started = time.time_ns() if started_ns is None else started_ns
    old = MonthCache(folder, name, decode=False)
    sealing = cache_sealing(folder)  # issue 18: no plaintext of an encrypted field in a cache
    entries: dict[str, dict[str, Any]] = {}
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
        data = None
        if fresh and entry.name in fresh and fresh[entry.name][0] == signature(st):
            data = fresh[entry.name][1]
        cached = old.current(entry.name, st) if data is None else None
        if cached is not None and ("sealed" in cached) == sealing:
            entries[entry.name] = {"sig": cached["sig"], "note": cached["note"],  # as stored
                                   **({"sealed": cached["sealed"]} if sealing else {})}
            continue
        if data is None:
            if build is None:
                continue
            try:
                data = build(Path(entry.path))
            except PeerkitError:
                continue  # a broken file is not cached: readers parse it and report it
        if sealing:  # issue 18: the values as one ciphertext, nothing in clear
            try:  # noqa: SIM105 - per-file loop: cheaper than contextlib.suppress
                entries[entry.name] = {"sig": signature(st), "note": {},
                                       "sealed": seal_for_cache(Path(entry.path), data)}
            except PeerkitError:
                pass
            continue
        try:
            entries[entry.name] = {"sig": signature(st), "note": _encode(data)}
        except ValueError:
            continue
    payload = json.dumps({"version": VERSION, "started_ns": started, "entries": entries},
                         ensure_ascii=False, separators=(",", ":"))
    if build is not None:  # a writer's refresh (under the lock): never through a link
        try:
            storage.guard_write(folder / name)
        except PeerkitError:
            return  # a cache that cannot be written is simply not used
    _write_cache_file(folder / name, payload.encode("utf-8"))


def _write_cache_file(path: Path, data: bytes) -> None:
    """Atomically replace a cache file (temporary file + rename, 0600), quietly: a cache that
    cannot be written is simply not used.  Unlike ``storage.atomic_write_bytes`` it does not
    count as this process changing the workspace (the notes memoised in memory stay valid) and
    does not fsync: a cache is never the only copy of anything (see :func:`refresh`)."""
    import tempfile

    from peerkit import storage

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{storage.TMP_MARK}", dir=path.parent)
    except OSError:
        return
    try:
        try:
            os.fchmod(fd, storage.FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _own_writable(path: Path) -> bool:
    """A folder the user owns and may write (its owner-write bit honoured even for root)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None and st.st_uid != uid:
        return False
    return bool(st.st_mode & 0o200) and os.access(path, os.W_OK)


def may_refresh(root: Path, folder: Path, name: str) -> bool:
    """Whether a reader may write ``folder/name``: the workspace and the folder are the user's
    own and writable, the folder is really inside the workspace (no symbolic link on the way)
    and the cache file, if any, is a regular file."""
    try:
        real_root = os.path.realpath(root)
        relative = os.path.relpath(os.path.abspath(folder), os.path.abspath(root))
        if relative.startswith("..") or os.path.realpath(folder) != os.path.join(real_root, relative):
            return False
        target = folder / name
        if os.path.islink(target) or (target.exists() and not target.is_file()):
            return False
    except (OSError, ValueError):
        return False
    return _own_writable(Path(root)) and _own_writable(folder)


def refresh_after_read(root: Path, folder: Path, *, name: str = CACHE_NAME, fresh: dict[str, Any],
                       started_ns: int) -> bool:
    """A reader found ``folder``'s cache stale: write it again from what it parsed (``fresh``)
    and the old cache's still-current entries, if allowed (``may_refresh``) and the workspace
    lock is free right now.  Never waits; True when the cache was written."""
    if not may_refresh(root, folder, name):
        return False
    return _under_free_lock(root, lambda: refresh(folder, name=name, build=None, fresh=fresh,
                                                  started_ns=started_ns))


def write_after_read(root: Path, path: Path, data: bytes) -> bool:
    """For plugins' own caches (e.g. the invoice index): a reader that rebuilt ``path`` in
    memory writes it, under the same rules as ``refresh_after_read``."""
    path = Path(path)
    if not may_refresh(root, path.parent, path.name):
        return False
    return _under_free_lock(root, lambda: _write_cache_file(path, data))


def _under_free_lock(root: Path, work: Callable[[], None]) -> bool:
    """Run ``work`` holding the workspace lock if it is free this instant; never wait."""
    from peerkit import storage
    from peerkit.locking import FileLock, LockTimeout

    lock = FileLock(Path(root) / LOCK_NAME, timeout=0, mode=storage.FILE_MODE)
    try:
        lock.acquire(blocking=False)
    except (LockTimeout, OSError):
        return False  # a writer is at work (it refreshes what it writes): just read
    try:
        work()
    finally:
        lock.release()
    return True


def refresh_all(notes_root: Path, *, build: Callable[[Path], dict[str, Any]]) -> int:
    from peerkit.dates import month_dirs

    months = month_dirs(notes_root)
    for month in months:
        refresh(month, build=build)
    return len(months)
