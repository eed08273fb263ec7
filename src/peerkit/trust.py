"""Trust before code: which workspaces' own plugins (``plugins/*.py``) may run, and who may write.

A workspace can come from anywhere (a colleague's copy, a shared folder, a clone), so its
``plugins/*.py`` run only after the user says so with ``peerkit trust``.  What was trusted is
kept in the user's own config folder, never in the workspace (a workspace cannot vouch for
itself)::

    $PEERKIT_CONFIG_DIR, else $XDG_CONFIG_HOME/peerkit, else ~/.config/peerkit   (folder 0700)
    trust.toml                                                                   (file 0600)

    [[workspace]]
    path = "/home/ana/peer-work"        # the real path, symlinks resolved
    owner = 1000                        # uid that owned the folder when it was trusted
    trusted_at = "2026-11-29T19:40:00+00:00"
    [workspace.plugins]
    "agency_rules.py" = "<sha256 of the file>"

A plugin file is imported only when its SHA-256 is the one recorded and the folder still has
the recorded owner.  A workspace folder owned by another user is read-only to peerkit
unless it was trusted explicitly (the class of bug git's ``safe.directory`` fixed).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerkit.errors import DataError, PeerkitError
from peerkit.userconfig import config_dir

CONFIG_ENV = "PEERKIT_CONFIG_DIR"
TRUST_NAME = "trust.toml"


# ---------------------------------------------------------------- where and who

def trust_file() -> Path:
    return config_dir() / TRUST_NAME


def real(root: Path | str) -> Path:
    return Path(os.path.realpath(root))


def current_uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def owner_of(path: Path | str) -> int | None:
    """The uid owning ``path`` (None where the OS has no uids, or when it cannot be read)."""
    if current_uid() is None:
        return None
    try:
        return os.stat(path).st_uid
    except OSError:
        return None


def owned_by_other(root: Path | str) -> bool:
    owner, me = owner_of(root), current_uid()
    return owner is not None and me is not None and owner != me


def plugin_files(root: Path | str) -> list[Path]:
    """The files peerkit would import from the workspace's ``plugins/`` folder."""
    folder = Path(root) / "plugins"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if p.is_file() and not p.name.startswith("_"))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- the trust file

def _unsafe_reason(path: Path) -> str:
    """Why the trust file or its folder cannot be believed ('' when it can)."""
    me = current_uid()
    for p in (path.parent, path):
        try:
            st = os.stat(p)
        except OSError:
            continue
        if me is not None and st.st_uid != me:
            return f"{p} belongs to another user"
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return f"{p} can be changed by other users (run 'chmod go-w {p}')"
    return ""


def load() -> dict[str, dict[str, Any]]:
    """Every trusted workspace by real path.  An unsafe or broken trust file is an error."""
    from peerkit import files

    path = trust_file()
    if not path.is_file():
        return {}
    problem = _unsafe_reason(path)
    if problem:
        raise DataError(f"{problem}; peerkit ignores its trust list until that is fixed")
    data = files.read_plain_toml(path)
    found: dict[str, dict[str, Any]] = {}
    entries = data.get("workspace", [])
    if not isinstance(entries, list):
        raise DataError(files.display_path(path), "[[workspace]] must be an array of tables")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) \
                or not isinstance(entry.get("plugins", {}), dict):
            raise DataError(files.display_path(path), f"workspace entry {i + 1}: needs 'path' and a "
                            "[workspace.plugins] table; run 'peerkit trust --revoke' and trust again")
        found[entry["path"]] = entry
    return found


def _save(entries: dict[str, dict[str, Any]]) -> None:
    from peerkit import files

    path = trust_file()
    files.ensure_dir(path.parent)
    header = ("Workspaces whose plugins/*.py peerkit may run (see 'peerkit trust --help').\n"
              "Edit with 'peerkit trust' and 'peerkit trust --revoke', not by hand.")
    files.write_plain_toml(path, {"workspace": [entries[k] for k in sorted(entries)]}, header=header)


class _Locked:
    """The trust list's own lock; an unwritable config folder is one clear line, not exit 70."""

    def __enter__(self) -> _Locked:
        from filelock import FileLock, Timeout

        from peerkit import files

        files.ensure_dir(config_dir())
        self.lock = FileLock(str(config_dir() / (TRUST_NAME + ".lock")), timeout=10)
        try:
            self.lock.acquire()
        except (OSError, Timeout) as exc:
            raise DataError(f"{config_dir()}: cannot change the trust list "
                            f"({type(exc).__name__}); check that the folder is yours and writable") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def _locked() -> _Locked:
    return _Locked()


def trust(root: Path | str) -> dict[str, Any]:
    """Record ``root`` (real path, owner, SHA-256 of each plugin file) as trusted."""
    root = real(root)
    plugins = {}
    for p in plugin_files(root):
        try:
            plugins[p.name] = digest(p.read_bytes())
        except OSError:
            raise DataError(str(p), "cannot be read, so it cannot be trusted") from None
    entry: dict[str, Any] = {"path": str(root), "trusted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "plugins": plugins}
    owner = owner_of(root)
    if owner is not None:
        entry["owner"] = owner
    with _locked():
        entries = load()
        entries[str(root)] = entry
        _save(entries)
    return entry


def revoke(root: Path | str) -> bool:
    """Forget ``root``; True when it was trusted."""
    key = str(real(root))
    with _locked():
        entries = load()
        if key not in entries:
            return False
        del entries[key]
        _save(entries)
    return True


# ---------------------------------------------------------------- checking

def trust_command(root: Path | str) -> str:
    return f"peerkit trust {real(root)}"


@dataclass
class Verdict:
    """The trust status of one workspace, read once per command."""

    root: Path
    entry: dict[str, Any] | None
    error: str = ""  # the trust file could not be read
    other_owner: bool = False
    problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Path | str) -> Verdict:
        root = real(root)
        error = ""
        try:
            entry = load().get(str(root))
        except PeerkitError as exc:
            entry, error = None, exc.message
        if entry is not None and "owner" in entry and entry["owner"] != owner_of(root):
            entry = None  # the folder changed hands since it was trusted
        return cls(root, entry, error, owned_by_other(root))

    @property
    def trusted(self) -> bool:
        """The workspace itself was trusted (by this user, with its current owner)."""
        return self.entry is not None

    def problem(self, name: str, data: bytes) -> str:
        """Why the plugin file ``name`` with content ``data`` must not run ('' when it may)."""
        run = f"run: {trust_command(self.root)}"
        if self.entry is None:
            if self.error:
                return "not trusted: the trust list cannot be read"
            if self.other_owner:
                return f"not trusted: the workspace belongs to another user ({run})"
            return f"not trusted ({run})"
        recorded = self.entry.get("plugins", {}).get(name)
        if recorded is None:
            return f"not trusted: added after the workspace was trusted (review it, then {run})"
        if recorded != digest(data):
            return f"changed since it was trusted (review it, then {run})"
        return ""

    def warning(self, names: list[str]) -> str:
        """The one warning for the workspace's plugin files that were not loaded."""
        files = ", ".join(names)
        if self.error:
            return f"workspace plugins not loaded ({files}): {self.error}"
        return (f"the workspace plugins in {self.root / 'plugins'} are not trusted or have changed, "
                f"so they were not loaded ({files}); if you trust this code, run: "
                f"{trust_command(self.root)}")


def doctor_warnings(root: Path | str) -> list[str]:
    """One line per plugin file that would not run, and one for a foreign owner."""
    verdict = Verdict.of(root)
    out = []
    if verdict.error:
        out.append(f"trust list: {verdict.error}")
    if verdict.other_owner and not verdict.trusted:
        out.append(f"{verdict.root}: the workspace belongs to another user (uid {owner_of(root)}); "
                   f"peerkit will not change it or run its plugins unless you run "
                   f"'{trust_command(root)}'")
    for p in plugin_files(verdict.root):
        try:
            data = p.read_bytes()
        except OSError:
            out.append(f"plugins/{p.name}: cannot be read")
            continue
        reason = verdict.problem(p.name, data)
        if reason:
            out.append(f"plugins/{p.name}: {reason}")
    return out


def check_writable(root: Path | str) -> None:
    """Refuse (exit 3) to change a workspace owned by someone else or marked read-only."""
    root = Path(root)
    try:
        st = os.stat(root)
    except OSError:
        return  # a missing folder gives its own clear error where it is used
    me = current_uid()
    if me is not None and st.st_uid != me and not Verdict.of(root).trusted:
        raise DataError(f"{root}: this workspace belongs to another user, so peerkit will not change "
                        f"it; work in your own copy, or run 'peerkit trust {real(root)}' if you "
                        "really mean to change it")
    owner_cannot_write = me is not None and st.st_uid == me and not st.st_mode & stat.S_IWUSR
    if owner_cannot_write or not os.access(root, os.W_OK):
        raise DataError(f"{root}: the workspace folder is read-only, so nothing can be changed; "
                        f"run 'chmod u+w {root}' to allow changes")
