"""``note check`` findings that cost nothing when nothing changed (issue 19, speed).

The findings of one ``note check`` run are kept in ``notes/.checks-cache.json`` with
everything they were computed from:

* the question: the period, the client filter, today's date;
* the rules' identity: every rule's name, severity and function, and the stat signature of
  every source file of peerkit's core and of the plugin packages that define the rules (an
  upgrade or an edited rule changes them); only when every rule is a built-in one -- a rule
  of another plugin may read anything, so with one the cache is not used at all;
* the stat signature (``peerkit.notecache.signature``: size, mtime, ctime, inode) of
  ``peerkit.toml`` (settings), of every file under ``clients/`` (names, plans, authorizations)
  and ``templates/``, and of every file of every month folder of notes the run read (the
  period and the windows the rules looked at: overlaps, authorizations), with the folders'
  own signatures (a file removed changes its folder).

It is believed only when all of that is identical and nothing in it changed less than
``notecache.RACY_NS`` before the run started (the note cache's "racily clean" rule); else
the notes are checked as before and the cache written again, under the workspace lock only if
it is free (``notecache.write_after_read``).  A run that fails (a broken note) writes nothing.

One rule depends on the clock: ``signed-late`` on a draft ("not signed N hours after the
service").  Its findings on drafts are never taken from the cache: the drafts (ids kept in the
cache) are read and that rule runs on them again, and its findings are put back in their place.
Findings hold note ids, files, rule names and messages that name fields: never narrative.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from peerkit.checks import CheckContext, Finding

CACHE_NAME = ".checks-cache.json"
VERSION = 1
VOLATILE = frozenset({"signed-late"})   # rules whose findings on drafts depend on the clock


def checked_findings(ws, start: dt.date | None, end: dt.date | None, client: str | None,
                     run) -> tuple[list[Finding], int]:
    """``(findings, notes checked)`` of ``run()`` (which returns them), from the cache when it
    provably holds them."""
    from peerkit import dates
    from peerkit.notecache import RACY_NS, write_after_read

    today = dates.today()
    key = _key(ws, start, end, client, today)
    path = ws.path("notes", CACHE_NAME)
    if key is not None:
        data = _load(path, key)
        if data is not None:
            hit = _believe(ws, data, RACY_NS, today)
            if hit is not None:
                return hit
    started = time.time_ns()
    files = _listing(ws, ["peerkit.toml", "clients", "templates"])  # taken before reading
    with _recording(ws, files) as recording:
        findings, checked, drafts = run()
    files = recording.files
    if key is None or files is None or not ws.path("notes").is_dir():
        return findings, checked
    order = {nid: i for i, nid in enumerate(dict.fromkeys([f.note for f in findings] + drafts))}
    payload = {"version": VERSION, "key": key, "started_ns": started, "files": files,
               "checked": checked, "drafts": drafts, "order": order,
               "findings": [[f.note, f.file, f.rule, f.severity, f.message] for f in findings]}
    write_after_read(ws.root, path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return findings, checked


# ------------------------------------------------------------------ what the findings depend on

def _key(ws, start, end, client, today) -> dict | None:
    """The question and the rules' identity; None when the rules cannot be cached."""
    import peerkit
    from peerkit.context import current_plugins

    if os.environ.get("PEERKIT_DEBUG"):
        return None
    plugins = current_plugins()
    rules = []
    packages = {"peerkit"}
    for plugin, check in plugins.collect_list("note_checks"):
        info = plugins.info.get(plugin)
        if info is None or info.source != "built-in":
            return None
        fn = check.check
        module = getattr(fn, "__module__", None) or ""
        rules.append([check.name, check.severity, module, getattr(fn, "__qualname__", "")])
        packages.add(module.split(".")[0])
    code = {}
    for name in sorted(packages):
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None)
        if not where:
            return None
        code[name] = _tree(Path(where).parent if Path(where).name == "__init__.py" else Path(where))
    return {"period": [str(start), str(end)], "client": client, "today": today.isoformat(),
            "peerkit": peerkit.__version__, "rules": sorted(rules), "code": code}


def _tree(path: Path) -> dict:
    """Signatures of the .py files of a package (or of one module)."""
    from peerkit.notecache import signature

    if path.is_file():
        st = path.stat()
        return {path.name: [st.st_size, st.st_mtime_ns]}
    out = {}
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                out[os.path.relpath(os.path.join(folder, name), path)] = signature(st)[:2]
    return out


class _recording:
    """While a run reads notes through the workspace (``ws.notes``, ``ws.note``), the month
    folders each read may look in are listed into ``files`` -- before the read, so a file
    changed or removed after it was listed is seen by the next run."""

    def __init__(self, ws, files: dict | None):
        self.ws, self.files = ws, files

    def _take(self, start, end) -> None:
        from peerkit.dates import month_folders

        if self.files is None:
            return
        months = month_folders(start, end)
        if months is None:
            keys = ["notes/*", *(f"notes/{name}" for name in _all_months(self.ws))]
        else:
            keys = [f"notes/{y:04d}/{m:02d}" for y, m in months]
        wanted = [k for k in keys if k not in self.files]
        if not wanted:
            return
        listed = _listing(self.ws, wanted)
        if listed is None:
            self.files = None   # unreadable: nothing is cached
            return
        self.files.update(listed)

    def __enter__(self):
        ws = self.ws
        notes, note = ws.notes, ws.note

        def recorded_notes(start=None, end=None, **kw):
            self._take(start, end)
            return notes(start, end, **kw)

        def recorded_note(note_id):
            self._take(None, None)   # it may look in any month folder
            return note(note_id)

        ws.notes, ws.note = recorded_notes, recorded_note
        return self

    def __exit__(self, *exc):
        del self.ws.notes, self.ws.note   # the class's methods again
        return False


def _all_months(ws) -> list[str]:
    root = ws.path("notes")
    if not root.is_dir():
        return []
    return sorted(f"{y.name}/{m.name}" for y in root.iterdir() if y.is_dir() and y.name.isdigit()
                  for m in y.iterdir() if m.is_dir() and m.name.isdigit())


def _signatures(folder: Path) -> dict | None:
    """``{file name: signature}`` of the folder's non-hidden files; None if it does not exist."""
    from peerkit.notecache import signature

    try:
        out = {}
        with os.scandir(folder) as scan:
            for entry in scan:
                if not entry.name.startswith("."):
                    out[entry.name] = signature(entry.stat(follow_symlinks=False))
        return out
    except (FileNotFoundError, NotADirectoryError):
        return None


def _listing(ws, keys: list[str]) -> dict | None:
    """The signatures behind each key (peerkit.toml, clients, templates, notes/*, notes/YYYY/MM);
    None when something cannot be read."""
    from peerkit.notecache import signature

    out: dict = {}
    try:
        for key in keys:
            if key == "peerkit.toml":
                out[key] = signature(os.stat(ws.path("peerkit.toml")))
            elif key == "clients":
                out[key] = _signatures(ws.path("clients"))
            elif key == "templates":
                out[key] = _tree_of(ws.path("templates"))
            elif key == "notes/*":
                out[key] = _all_months(ws)
            elif key.startswith("notes/"):
                out[key] = _signatures(ws.path(*key.split("/")))
            else:
                return None
    except OSError:
        return None
    return out


def _tree_of(root: Path) -> dict | None:
    if not root.is_dir():
        return None
    out = {}
    for folder, dirs, _files in os.walk(root):
        dirs.sort()
        out[os.path.relpath(folder, root)] = _signatures(Path(folder))
    return out


# ------------------------------------------------------------------ believing the cache

def _load(path: Path, key: dict) -> dict | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION or data.get("key") != key:
        return None
    return data


def _too_recent(value, limit: int) -> bool:
    """Whether any signature in this listing changed at or after ``limit`` (mtime or ctime)."""
    if isinstance(value, dict):
        return any(_too_recent(v, limit) for v in value.values())
    if isinstance(value, list) and len(value) == 4:
        return value[1] >= limit or value[2] >= limit
    return False


def _believe(ws, data: dict, racy_ns: int, today: dt.date) -> tuple[list[Finding], int] | None:
    try:
        files = data["files"]
        if not isinstance(files, dict) or _listing(ws, list(files)) != files \
                or _too_recent(files, int(data["started_ns"]) - racy_ns):
            return None
        findings = [Finding(*item) for item in data["findings"]]
        checked = int(data["checked"])
        drafts = list(data["drafts"])
        order = dict(data["order"])
        if not all(isinstance(f.note, str) and isinstance(f.message, str) for f in findings) \
                or not all(isinstance(d, str) for d in drafts):
            return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if drafts:
        findings = _recheck_drafts(ws, findings, drafts, order, today)
    return findings, checked


def _recheck_drafts(ws, findings: list[Finding], drafts: list[str], order: dict,
                    today: dt.date) -> list[Finding]:
    """The clock-dependent rules run again on the drafts; their findings put back in place."""
    from peerkit.context import current_plugins
    from peerkit_notes.checks import check_note, collect_checks

    checks = collect_checks(current_plugins())
    rank = {c.name: i for i, c in enumerate(checks)}
    volatile = [c for c in checks if c.name in VOLATILE]
    ctx = CheckContext(workspace=ws, clients=ws.clients(), today=today, settings=ws.section("notes"))
    ctx.cache.update(signing=False, overrides={}, months={})
    keep = set(drafts)
    out = [f for f in findings if not (f.note in keep and f.rule in VOLATILE)]
    for note_id in drafts:
        out += check_note(ws, ws.note(note_id), volatile, ctx)
    return sorted(out, key=lambda f: (order.get(f.note, len(order)), rank.get(f.rule, len(rank))))
