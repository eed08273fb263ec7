"""The entry points that name peerkit's plugins, and the distributions they come from.

:func:`read` asks ``importlib.metadata``: it scans every distribution on ``sys.path``, which
costs the ``peerkit`` program ~20 ms at every start (importing ``importlib.metadata`` and the
``email`` parser it needs, then reading each ``entry_points.txt``: issue 19).  The program
itself (``peerkit.cli.main``) calls :func:`remembered` instead: the same answer, kept in the
user's cache folder and believed while nothing it came from changed:

* ``sys.path`` is the same list, and each of its folders has the same modification time and
  inode -- installing, upgrading or removing a distribution adds or removes a ``*.dist-info``
  folder there (the rule Python's own import system uses for its folder caches);
* each ``entry_points.txt`` and ``METADATA`` the answer was read from is unchanged.

An answer read less than :data:`RACY_SECONDS` after one of those folders or files changed is
not kept (a change within the same clock tick would go unseen).  The cache holds module names
and distribution names and versions -- nothing of a workspace, nothing of a person -- in
the user's cache folder (``peerkit.userconfig.cache_dir``).  A cache
that cannot be read or written is ignored: peerkit then reads the metadata, as without one.
Tests and programs embedding peerkit get :func:`read` (nothing remembered across processes).
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

FORMAT = 1
RACY_SECONDS = 2.0   # the margin of peerkit's record caches (peerkit.files.RACY_NS), not imported
                     # from there: this module is imported by every start, that one reads records


@dataclass(frozen=True)
class Found:
    """One entry point: ``value`` is ``module`` or ``module:attribute``; ``dist_path`` is the
    folder of its distribution's metadata ('' when unknown)."""

    group: str
    name: str
    value: str
    dist_name: str = ""
    version: str = ""
    dist_path: str = ""

    def load(self) -> Any:
        """Import the module and look up the attribute, as ``EntryPoint.load`` does."""
        module, _, attr = self.value.partition(":")
        obj: Any = import_module(module.strip())
        attr = attr.split("[", 1)[0].strip()   # extras ("mod:obj [extra]") do not change what loads
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
        return obj


def read(groups: tuple[str, ...]) -> list[Found]:
    """The entry points of ``groups`` from ``importlib.metadata``, in its order."""
    import importlib.metadata

    every = importlib.metadata.entry_points()   # one scan for every group
    seen: dict[str | int, tuple[str, str]] = {}
    found: list[Found] = []
    for group in groups:
        for ep in every.select(group=group):
            dist = getattr(ep, "dist", None)
            dist_name, version = dist_identity(dist, seen)
            found.append(Found(group, ep.name, ep.value, dist_name, version,
                               str(getattr(dist, "_path", "") or "")))
    return found


def dist_identity(dist: Any, seen: dict[str | int, tuple[str, str]]) -> tuple[str, str]:
    """(Name, Version) of an entry point's distribution, read once per distribution: the
    header lines of its METADATA up to the first blank line (the long description after it,
    peerkit's whole README, is never parsed)."""
    if dist is None:
        return "", ""
    key: str | int = str(getattr(dist, "_path", "")) or id(dist)
    if key not in seen:
        fields: dict[str, str] = {}
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
        for line in text.splitlines():
            if not line.strip():
                break
            field, sep, value = line.partition(":")
            if sep and field in ("Name", "Version") and field not in fields:
                fields[field] = value.strip()
        if "Name" not in fields:  # an unusual layout: let importlib.metadata parse it
            meta = dist.metadata
            fields = {"Name": str(meta["Name"] or ""), "Version": str(meta["Version"] or "")}
        seen[key] = (fields.get("Name", ""), fields.get("Version", ""))
    return seen[key]


def remembered(groups: tuple[str, ...]) -> list[Found]:
    """:func:`read`'s answer, from the cache while it holds (see the module doc)."""
    path = cache_file()
    kept = _load(path, groups) if path is not None else None
    if kept is not None:
        return kept
    started = time.time()
    found = read(groups)
    if path is not None:
        _keep(path, groups, found, started)
    return found


def cache_file() -> Path | None:
    """One file per interpreter (each virtual environment has its own answer)."""
    import zlib

    from peerkit.userconfig import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    tag = zlib.crc32(f"{sys.executable}\0{sys.prefix}\0{sys.version}".encode())
    return folder / f"entry-points-{tag:08x}.json"


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path or ".")
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ino, st.st_size]


def _files(found: list[Found]) -> list[str]:
    """The metadata files the answer was read from."""
    folders = sorted({f.dist_path for f in found if f.dist_path})
    return [os.path.join(d, name) for d in folders for name in ("entry_points.txt", "METADATA")]


def _state(files: list[str]) -> dict[str, Any]:
    return {"path": list(sys.path), "folders": [_stat(p) for p in sys.path],
            "files": {f: _stat(f) for f in files}}


def _load(path: Path, groups: tuple[str, ...]) -> list[Found] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("groups") != list(groups):
            return None
        if data.get("state") != _state(list(data["state"]["files"])):
            return None
        return [Found(**entry) for entry in data["entries"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None   # missing, damaged or from another layout: read the metadata again


def _keep(path: Path, groups: tuple[str, ...], found: list[Found], started: float) -> None:
    state = _state(_files(found))
    changed = [s[0] for s in (*state["folders"], *state["files"].values()) if s is not None]
    if any(ns / 1e9 > started - RACY_SECONDS for ns in changed):
        return   # something changed just now: a change in the same clock tick would go unseen
    data = {"format": FORMAT, "groups": list(groups), "state": state,
            "entries": [asdict(f) for f in found]}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:   # a read-only or full cache folder: no cache, no harm
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
