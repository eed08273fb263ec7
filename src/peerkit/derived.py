"""Results computed from the workspace's records, kept while every record they read is unchanged.

``remembered(ws, name, key, compute, packages=...)`` returns what ``compute()`` returned the
last time, from ``notes/.<name>-cache.json``, when it provably still holds, else runs
``compute()`` and keeps its answer.  Kept with the answer (issue 19, speed):

* ``key``: the caller's question (e.g. today's date and its options);
* the code's identity: peerkit's version and the size and mtime of every ``.py`` file of
  peerkit's core and of ``packages`` (the plugin computing it);
* the stat signature (``peerkit.notecache.signature``: size, mtime, ctime, inode) of
  ``peerkit.toml``, of every file under ``clients/`` and ``templates/`` and of the files of
  the caller's ``folders`` (e.g. ``invoices``), taken before ``compute()`` runs; and of every
  file of every month folder of notes that ``compute()`` reads through ``ws.notes`` /
  ``ws.note``, taken before each read.

It is kept only when nothing in it changed less than ``notecache.RACY_NS`` before the
workspace object that computed it was opened (its memoised notes, clients and settings may be
that old: the note cache's "racily clean" rule), and believed only while all of that is
identical; anything else runs ``compute()`` again.  ``compute()`` returns ``(value, keep)``: ``value``
must be JSON (lists, dicts, text, numbers); ``keep=False`` (e.g. a broken record was found)
keeps nothing.  ``compute()`` must read the records only through the workspace (``ws.notes``,
``ws.note``, ``ws.clients()``, ``ws.section``) or in ``folders`` -- what it reads otherwise is
not watched (a cache of its own that answers without reading must still call ``ws.notes(start,
end)`` for the range it stands for: the call itself reads nothing until iterated).
Written like the other caches after a read: under the workspace lock only if it is free, never
through a link (``notecache.write_after_read``); a damaged or foreign file is ignored.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from peerkit import session

if TYPE_CHECKING:
    import datetime as dt

    from peerkit.workspace import Workspace

VERSION = 2   # 2: written only when not racy, so a reader no longer checks (no "started_ns")
Files = dict[str, Any]   # key (peerkit.toml, clients, notes/YYYY/MM...) -> the signatures behind it
BASE = ("peerkit.toml", "clients", "templates")


def cache_path(ws: Workspace, name: str) -> Path:
    return ws.path("notes", f".{name}-cache.json")


def remembered(ws: Workspace, name: str, key: Any, compute: Callable[[], tuple[Any, bool]], *,
               packages: tuple[str, ...] = (), folders: tuple[str, ...] = ()) -> Any:
    from peerkit.notecache import RACY_NS, write_after_read

    full = {"key": key, "code": code_identity(packages)}
    path = cache_path(ws, name)
    if full["code"] is not None and not os.environ.get("PEERKIT_DEBUG"):
        data = load(path, full)
        if data is not None and unchanged(ws, data.get("files")):
            for outer in session.current().recordings:   # an answer computed around this one
                outer.absorb(data["files"])                 # depends on them too
            return data["value"]
    started = opened(ws)
    files = listing(ws, [*BASE, *(f"dir:{f}" for f in folders)])
    with Recording(ws, files) as recording:
        value, keep = compute()
    files = recording.files
    # an answer that read a file changed less than RACY_NS before the workspace was opened is
    # not kept: a later change in the same clock tick would go unseen (decided here once, as a
    # kept answer is believed only while its files keep exactly these signatures)
    if keep and files is not None and full["code"] is not None and ws.path("notes").is_dir() \
            and not _too_recent(files, started - RACY_NS):
        payload = {"version": VERSION, **full, "files": files, "value": value}
        write_after_read(ws.root, path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return value


def remembered_alerts(ws: Workspace, name: str, today: dt.date, compute: Callable[[], list[Any]], *,
                      packages: tuple[str, ...] = (), folders: tuple[str, ...] = ()) -> list[Any]:
    """A plugin's ``alerts`` for ``today``, kept in ``notes/.<name>-cache.json`` as
    :func:`remembered` keeps any answer.  ``compute()`` returns alerts and the DataErrors of
    records it could not read; only a list of alerts alone is kept (a broken record is reported
    again on every run), and a kept list that does not read back as alerts is computed again."""
    from peerkit.alerts import Alert

    fresh: list[Any] = []

    def run() -> tuple[Any, bool]:
        fresh.extend(compute())
        return [a.as_json() for a in fresh if isinstance(a, Alert)], all(isinstance(a, Alert) for a in fresh)

    kept = remembered(ws, name, {"today": today.isoformat()}, run, packages=packages, folders=folders)
    if fresh:
        return fresh
    try:
        return [Alert.from_json(a) for a in kept]
    except (KeyError, TypeError, ValueError):  # not what peerkit wrote: computed, never believed
        return compute()


def opened(ws: Workspace) -> int:
    """When ``ws`` was opened: what it memoised (notes, clients, peerkit.toml) may have been read
    any time since, so an answer is judged against that moment, not the moment it was computed
    (a file changed in between is then too recent to be believed)."""
    return min(time.time_ns(), ws.opened_ns)


# ------------------------------------------------------------------ what an answer depends on


def code_identity(packages: tuple[str, ...]) -> dict[str, Any] | None:
    """peerkit's version and the signatures of the source files of peerkit and ``packages``
    (looked at once per process: ``Session.code_identities``)."""
    names = tuple(sorted({"peerkit", *packages}))
    known = session.current().code_identities
    if names not in known:
        known[names] = _code_identity(names)
    found: dict[str, Any] | None = known[names]
    return found


def _code_identity(names: tuple[str, ...]) -> dict[str, Any] | None:
    import peerkit

    out: dict[str, Any] = {"peerkit": peerkit.__version__}
    for name in names:
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None)
        if not where:
            return None
        path = Path(where)
        out[name] = source_tree(path.parent if path.name == "__init__.py" else path)
    return out


def source_tree(path: Path) -> dict[str, list[int]]:
    """Size and mtime of the .py files of a package (or of one module)."""
    if path.is_file():
        st = path.stat()
        return {path.name: [st.st_size, st.st_mtime_ns]}
    out: dict[str, list[int]] = {}
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                out[os.path.relpath(os.path.join(folder, name), path)] = [st.st_size, st.st_mtime_ns]
    return out


class Recording:
    """While ``compute()`` reads notes through the workspace (``ws.notes``, ``ws.note``:
    :meth:`peerkit.workspace.Workspace.watching_reads`), the month folders each read may look in
    are listed into ``files`` -- before the read, so a file changed or removed after it was
    listed is seen by the next run."""

    def __init__(self, ws: Workspace, files: Files | None):
        self.ws, self.files = ws, files
        self._watching: Any = None

    def absorb(self, files: Files) -> None:
        """Files a kept answer used inside this computation was just found to match."""
        if self.files is None:
            return
        for key, value in files.items():
            if key in self.files and self.files[key] != value:
                self.files = None   # changed between the two looks: keep nothing
                return
            self.files[key] = value

    def take(self, start: dt.date | None, end: dt.date | None) -> None:
        from peerkit.dates import month_folders

        if self.files is None:
            return
        months = month_folders(start, end)
        if months is None:
            keys = ["notes/*", *(f"notes/{name}" for name in all_months(self.ws))]
        else:
            keys = [f"notes/{y:04d}/{m:02d}" for y, m in months]
        wanted = [k for k in keys if k not in self.files]
        if not wanted:
            return
        listed = listing(self.ws, wanted)
        if listed is None:
            self.files = None   # unreadable: nothing is kept
            return
        self.files.update(listed)

    def __enter__(self) -> Recording:
        self._watching = self.ws.watching_reads(self.take)
        self._watching.__enter__()
        session.current().recordings.append(self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        session.current().recordings.remove(self)
        self._watching.__exit__(exc_type, exc, tb)
        return False


def all_months(ws: Workspace) -> list[str]:
    from peerkit.dates import month_dirs

    return [f"{m.parent.name}/{m.name}" for m in month_dirs(ws.path("notes"))]


# Not records: invoices/index.json is a cache of the snapshots (checked against them and rebuilt
# from them by every reader), so only the snapshots it is made from are watched.
NOT_RECORDS = frozenset({"index.json"})


def signatures(folder: Path) -> dict[str, list[int]] | None:
    """``{file name: signature}`` of the folder's records (not hidden, not ``NOT_RECORDS``);
    None if it does not exist."""
    from peerkit.notecache import signature

    try:
        out: dict[str, list[int]] = {}
        with os.scandir(folder) as scan:
            for entry in scan:
                if not entry.name.startswith(".") and entry.name not in NOT_RECORDS:
                    out[entry.name] = signature(entry.stat(follow_symlinks=False))
        return out
    except (FileNotFoundError, NotADirectoryError):
        return None


def _tree_of(root: Path) -> dict[str, Any] | None:
    if not root.is_dir():
        return None
    out: dict[str, Any] = {}
    for folder, dirs, _files in os.walk(root):
        dirs.sort()
        out[os.path.relpath(folder, root)] = signatures(Path(folder))
    return out


def listing(ws: Workspace, keys: list[str]) -> Files | None:
    """The signatures behind each key (peerkit.toml, clients, templates, notes/*, notes/YYYY/MM);
    None when something cannot be read."""
    from peerkit.notecache import signature

    out: Files = {}
    seen = session.current().listed(str(ws.root))   # this command's looks, until it writes
    try:
        for key in keys:
            if key in seen:
                out[key] = seen[key]
                continue
            if key == "peerkit.toml":
                out[key] = signature(os.stat(ws.path("peerkit.toml")))
            elif key == "clients":
                out[key] = signatures(ws.path("clients"))
            elif key == "templates":
                out[key] = _tree_of(ws.path("templates"))
            elif key == "notes/*":
                out[key] = all_months(ws)
            elif key.startswith("dir:") and ".." not in key and not key[4:].startswith("/"):
                out[key] = signatures(ws.path(*key[4:].split("/")))
            elif key.startswith("notes/") and key.count("/") == 2:
                out[key] = signatures(ws.path(*key.split("/")))
            else:
                return None
            seen[key] = out[key]
    except OSError:
        return None
    return out


# ------------------------------------------------------------------ believing an answer

def load(path: Path, expected: dict[str, Any], *, version: int = VERSION) -> dict[str, Any] | None:
    """The cache file's data if it is peerkit's (of ``version``) and answers ``expected``
    (key and code); never through a link, a damaged or foreign file being no answer."""
    from peerkit.notecache import read_cache

    raw = read_cache(path)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("version") != version \
            or any(data.get(k) != v for k, v in expected.items()):
        return None
    return data


def _too_recent(files: Files, limit: int) -> bool:
    """Whether any signature in ``files`` (``listing``'s shape) has an mtime or ctime at or
    after ``limit``."""
    stack: list[Any] = [files]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list) and len(value) == 4 and all(isinstance(v, int) for v in value) \
                and (value[1] >= limit or value[2] >= limit):   # mtime, ctime
            return True
    return False


def unchanged(ws: Workspace, files: Any) -> bool:
    """Every listed file still has its signature (a kept answer was never written from files
    changed too close to its computation: see :func:`remembered`)."""
    try:
        if not isinstance(files, dict) or not files:
            return False
        return listing(ws, list(files)) == files
    except (TypeError, ValueError):
        return False
