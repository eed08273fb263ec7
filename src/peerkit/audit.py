"""A hash-chained, append-only audit log (``audit.log`` in the workspace, JSON lines).

Each line records who, when, the command, record ids and the output file -- never names or
narrative -- plus the hash of the previous line, so an edited or deleted line is detected
by ``peerkit audit verify``.

A chain alone cannot show that its END was cut off (delete the last lines, empty or delete
the file, or rewrite it as a new consistent chain), so the head of the chain -- sequence
number and hash of the last entry -- is also kept where someone editing the log does not
also fix it: in ``audit-heads.toml`` in the user's own peerkit folder (keyed by the
workspace's real path) and in every invoice snapshot (``[audit_head]``: the head when the
invoice was issued).  ``verify`` reports every recorded head the log no longer holds.

Each entry is one ``os.write`` of the whole line, checked and fsynced; a short or failed
write (a full disk) is cut back so the log never keeps half a line, and the command stops
with exit 3.
"""
from __future__ import annotations

import contextlib
import errno
import getpass
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from peerkit.dates import now
from peerkit.errors import DataError, PeerkitError

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.records import WorkspaceView

LOG_NAME = "audit.log"
AUDIT_DIR = "audit"   # a shared workspace (peerkit sync): one log per person and machine in here
LOCK_NAME = ".audit.lock"
HEADS_NAME = "audit-heads.toml"
SNAPSHOT_KEY = "audit_head"
GENESIS = "0" * 64
DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def actor() -> str:
    """Who appends, as a file name: ``user@host`` (``$PEERKIT_AUDIT_ACTOR`` overrides it)."""
    import re
    import socket

    raw = os.environ.get("PEERKIT_AUDIT_ACTOR") or f"{getpass.getuser()}@{socket.gethostname()}"
    return re.sub(r"[^A-Za-z0-9._@-]+", "-", raw).strip(".-")[:100] or "unknown"


def log_name(ws: WorkspaceView) -> str:
    """The log this process appends to: ``audit.log``, or -- in a shared workspace, which has
    an ``audit/`` folder -- ``audit/<user>@<host>.log``: every person and machine keeps a hash
    chain of their own, so git never has to merge two people's lines (docs/agency.md)."""
    folder = ws.path(AUDIT_DIR)
    if folder.is_dir() and not folder.is_symlink():
        return f"{AUDIT_DIR}/{actor()}.log"
    return LOG_NAME


def log_names(ws: WorkspaceView) -> list[str]:
    """Every log of the workspace: ``audit.log`` (if any), then ``audit/*.log`` by name."""
    names = [LOG_NAME] if ws.path(LOG_NAME).exists() or ws.path(LOG_NAME).is_symlink() else []
    folder = ws.path(AUDIT_DIR)
    if folder.is_dir() and not folder.is_symlink():
        names += sorted(f"{AUDIT_DIR}/{p.name}" for p in folder.glob("*.log"))
    return names


def _digest(line: str | bytes) -> str:
    if isinstance(line, str):
        line = line.encode("utf-8")
    return hashlib.sha256(line).hexdigest()


def _seq_of(raw: bytes) -> int | None:
    try:
        value = json.loads(raw).get("seq")
    except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def refuse_link(path: str | Path) -> DataError:
    return DataError(str(path), "is a symbolic link; peerkit does not write through links "
                                "(remove the link and run again; nothing was written)")


def disk_full(path: Path | str) -> PeerkitError:
    return PeerkitError(f"disk full writing {path}: free space and run again")


# ---------------------------------------------------------------- appending


def append(ws: WorkspaceView, *, command: str, records: list[str], output: str | Path | None = None,
           action: str = "") -> None:
    from filelock import FileLock, Timeout

    from peerkit.errors import LockError

    lock_path = ws.path(LOCK_NAME)
    if lock_path.is_symlink():
        raise refuse_link(ws.rel(lock_path))
    # a lock of its own (not the workspace lock, which the caller may hold): two processes
    # appending at once must not both chain to the same previous line
    try:
        with FileLock(str(lock_path), timeout=30):
            seq, digest, prev = _append(ws, command=command, records=records, output=output,
                                        action=action)
            _record_head(ws, seq, digest, prev, log_name(ws))
    except Timeout:
        raise LockError(f"{ws.rel(lock_path)}: another peerkit has been writing the audit log "
                        "for 30 s; nothing was exported, try again") from None
    except PermissionError:
        raise PeerkitError(f"{ws.rel(lock_path)}: permission denied: the audit log of this "
                           "workspace cannot be written, so nothing was exported") from None
    with contextlib.suppress(OSError):
        if not lock_path.is_symlink():
            os.chmod(lock_path, 0o600)


def _tail(fd: int, size: int) -> bytes:
    start = max(0, size - 65536)
    os.lseek(fd, start, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    if start > 0:  # the first line may be cut: drop it
        data = data[data.find(b"\n") + 1:] if b"\n" in data else b""
    return data


def _repair(fd: int, size: int, tail: bytes) -> tuple[int, bytes]:
    """Make the log end with a newline: a complete entry missing its newline gets one; half a
    line (a write cut short) is removed.  Returns the new size and tail."""
    if not tail or tail.endswith(b"\n"):
        return size, tail
    cut = tail.rfind(b"\n") + 1
    partial = tail[cut:]
    if _seq_of(partial) is not None:
        if os.write(fd, b"\n") != 1:
            raise OSError(errno.ENOSPC, "short write")
        return size + 1, tail + b"\n"
    new_size = size - len(partial)
    os.ftruncate(fd, new_size)
    return new_size, tail[:cut]


def _next_seq(lines: list[bytes]) -> int:
    """One more than the last readable sequence number (plus any unreadable lines after it)."""
    for back, raw in enumerate(reversed(lines)):
        seq = _seq_of(raw)
        if seq is not None:
            return seq + back + 1
    return len(lines) + 1


def _append(ws: WorkspaceView, *, command: str, records: list[str], output: str | Path | None = None,
            action: str = "") -> tuple[int, str, tuple[int, str]]:
    name = log_name(ws)
    path = ws.path(name)
    shown = ws.rel(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refuse_link(shown) from None
        if exc.errno in DISK_FULL:
            raise disk_full(shown) from None
        raise
    try:
        size = os.fstat(fd).st_size
        try:
            size, tail = _repair(fd, size, _tail(fd, size))
            lines = [ln for ln in tail.split(b"\n") if ln.strip()]
            last = lines[-1] if lines else None
            prev = (_next_seq(lines) - 1, _digest(last)) if last is not None else (0, GENESIS)
            entry: dict[str, Any] = {
                "seq": prev[0] + 1,
                "at": now().isoformat(),
                "user": getpass.getuser(),
                "command": command,
                "action": action,
                "records": records,
                "output": str(output) if output else None,
                "prev": prev[1],
            }
            line = json.dumps(entry, sort_keys=True, ensure_ascii=True)
            data = (line + "\n").encode("utf-8")
            written = os.write(fd, data)  # one write of the whole line
            if written != len(data):
                raise OSError(errno.ENOSPC, "short write")
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)  # never keep half a line
            if exc.errno in DISK_FULL:
                raise disk_full(shown) from None
            raise PeerkitError(f"{shown}: could not write the audit entry "
                               f"({exc.strerror or type(exc).__name__}); nothing was exported") from None
    finally:
        os.close(fd)
    return entry["seq"], _digest(line), prev


# ---------------------------------------------------------------- the head, kept elsewhere


def heads_path() -> Path:
    from peerkit.userconfig import config_dir

    return config_dir() / HEADS_NAME


def workspace_key(ws: WorkspaceView, name: str = LOG_NAME) -> str:
    """The key of one log's head: the workspace's real path (``#audit/<actor>.log`` added for
    the per-person logs of a shared workspace)."""
    root = os.path.realpath(ws.root)
    return root if name == LOG_NAME else f"{root}#{name}"


def _read_heads(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def _record_head(ws: WorkspaceView, seq: int, digest: str, prev: tuple[int, str],
                 name: str = LOG_NAME) -> None:
    """Keep the new head in the user's folder -- unless the head kept there is no longer in
    the log (the log was cut): then that evidence is kept and a warning printed."""
    def update(heads: dict[str, Any], path: Path) -> bool:
        key = workspace_key(ws, name)
        old = heads.get(key)
        if (isinstance(old, dict) and (old.get("seq"), old.get("hash")) != prev
                and not _log_holds(ws.path(name), old.get("seq"), old.get("hash"))):
            print(f"peerkit: warning: {ws.rel(ws.path(name))} no longer holds entry "
                  f"{old.get('seq')} recorded in {path}; run 'peerkit audit verify'", file=sys.stderr)
            return False
        heads[key] = {"seq": seq, "hash": digest}
        return True

    _change_heads(update)


def forget_heads(root: Path) -> None:
    """Drop the heads kept for a workspace folder: ``peerkit init`` made a new workspace there,
    whose logs start afresh (a workspace deleted and made again is not a cut log)."""
    real = os.path.realpath(root)

    def update(heads: dict[str, Any], path: Path) -> bool:
        stale = [k for k in heads if k == real or k.startswith(real + "#")]
        for key in stale:
            del heads[key]
        return bool(stale)

    _change_heads(update)


def _change_heads(update: Callable[[dict[str, Any], Path], bool]) -> None:
    """Read the heads file, let ``update(heads, path)`` change it (True: write it back), under
    its lock.  The entries themselves are in the logs: a heads file that cannot be kept only
    weakens the check for a later cut, so failures are quiet."""
    from filelock import FileLock

    from peerkit import storage
    from peerkit.userconfig import ensure_config_dir

    try:
        folder = ensure_config_dir()
        path = folder / HEADS_NAME
        with FileLock(str(folder / (HEADS_NAME + ".lock")), timeout=30):
            heads = _read_heads(path)
            if update(heads, path):
                import tomli_w

                storage.atomic_write_bytes(path, tomli_w.dumps(heads).encode("utf-8"))
    except (OSError, PeerkitError, ValueError):  # (tomllib.TOMLDecodeError is a ValueError)
        return


def _entries(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            raw = raw.rstrip(b"\n")
            if raw.strip():
                yield n, raw


def _log_holds(path: Path, seq: object, digest: object) -> bool:
    if not isinstance(seq, int) or seq <= 0:
        return True
    try:
        return any(_seq_of(raw) == seq and _digest(raw) == digest for _n, raw in _entries(path))
    except OSError:
        return False


def head(ws: WorkspaceView) -> dict[str, Any]:
    """The head of this process's chain now (``{"seq", "hash"}``, plus ``"log"`` for a
    per-person log; seq 0 for an empty log), for snapshots."""
    name = log_name(ws)
    extra = {} if name == LOG_NAME else {"log": name}
    path = ws.path(name)
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    except OSError:
        return {"seq": 0, "hash": GENESIS, **extra}
    try:
        lines = [ln for ln in _tail(fd, os.fstat(fd).st_size).split(b"\n") if ln.strip()]
    finally:
        os.close(fd)
    if not lines:
        return {"seq": 0, "hash": GENESIS, **extra}
    return {"seq": _next_seq(lines) - 1, "hash": _digest(lines[-1]), **extra}


# ---------------------------------------------------------------- verifying


def _anchors(ws: WorkspaceView, log: str = LOG_NAME) -> tuple[list[tuple[str, int, str]], list[str]]:
    """Every recorded head of one chain of this workspace: (where, seq, hash), and read problems."""
    from peerkit import storage

    found: list[tuple[str, int, str]] = []
    problems: list[str] = []
    hp = heads_path()
    try:
        mine = _read_heads(hp).get(workspace_key(ws, log))
    except (OSError, ValueError):
        problems.append(f"{hp}: cannot be read, so a cut at the end of {log} cannot be checked")
        mine = None
    if isinstance(mine, dict) and isinstance(mine.get("seq"), int):
        found.append((f"the head kept in {hp}", mine["seq"], str(mine.get("hash"))))
    folder = ws.path("invoices")
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".toml") and not n.startswith("."))
    except OSError:
        names = []
    for name in names:
        try:
            data = storage.read_toml(folder / name)
        except PeerkitError:
            problems.append(f"invoices/{name}: cannot be read, so its audit head was not checked")
            continue
        anchor = data.get(SNAPSHOT_KEY)
        if isinstance(anchor, dict) and anchor.get("log", LOG_NAME) != log:
            continue
        if isinstance(anchor, dict) and isinstance(anchor.get("seq"), int):
            found.append((f"invoices/{name}", anchor["seq"], str(anchor.get("hash"))))
    return found, problems


def entries(ws: WorkspaceView) -> list[tuple[int, dict[str, Any]]]:
    """Every log's readable entries as ``[(line number, entry)]``, log by log (``verify``
    reports the rest)."""
    out = []
    for name in log_names(ws):
        path = ws.path(name)
        if not path.is_file() or path.is_symlink():
            continue
        for n, raw in _entries(path):
            try:
                entry = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError):   # verify reports the line
                continue
            if isinstance(entry, dict):
                out.append((n, entry))
    return out


class PluginCaller(Protocol):
    """What :func:`verify` needs of the running command's ``peerkit.plugins.Plugins``."""

    pm: Any

    def call(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]: ...


def verify(ws: WorkspaceView, plugins: PluginCaller) -> list[str]:
    """Problems found in the chain (empty when intact), each naming the line number, then
    those of every plugin's ``audit_checks`` (records the log names that are gone, such as an
    issued invoice whose snapshot was deleted) among ``plugins`` (the command's).  A plugin
    check that fails to run is a problem too: the log is never reported intact unchecked."""
    return verify_chain(ws) + _plugin_checks(ws, plugins)


def _plugin_checks(ws: WorkspaceView, plugins: PluginCaller) -> list[str]:
    impls = plugins.pm.hook.audit_checks.get_hookimpls()
    results = plugins.call("audit_checks", workspace=ws, entries=entries(ws))
    problems = [p for _plugin, found in results for p in found]
    if len(results) < len(impls):
        problems.append("a plugin's audit check failed to run (see the warning above)")
    return problems


def verify_chain(ws: WorkspaceView) -> list[str]:
    """Problems found in the hash chains alone (empty when intact), each naming the log and
    line: ``audit.log`` and, in a shared workspace, every ``audit/*.log`` (each person's and
    machine's own chain, checked on its own)."""
    names = [LOG_NAME, log_name(ws), *log_names(ws)]
    problems: list[str] = []
    for name in dict.fromkeys(names):
        problems += _verify_one(ws, name)
    return problems


def _verify_one(ws: WorkspaceView, name: str) -> list[str]:
    """One chain, and every head recorded for it elsewhere."""
    path = ws.path(name)
    anchors, problems = _anchors(ws, name)
    if path.is_symlink():
        return problems + [f"{name}: is a symbolic link, not the workspace's own log"]
    seen: dict[int, set[str]] = {}
    last_seq = 0
    if path.exists():
        prev = GENESIS
        expected_seq = 1
        for n, raw in _entries(path):
            seq = _seq_of(raw)
            try:
                entry = json.loads(raw)
                if not isinstance(entry, dict):
                    raise ValueError
            except (ValueError, UnicodeDecodeError, RecursionError):
                problems.append(f"{name}:{n}: not a valid entry (edited or truncated)")
                prev = _digest(raw)
                expected_seq += 1
                continue
            if entry.get("prev") != prev:
                problems.append(f"{name}:{n}: entry {entry.get('seq')} does not follow the entry "
                                "before it (a line was edited, removed or inserted)")
            if seq != expected_seq:
                problems.append(f"{name}:{n}: sequence number {entry.get('seq')} where "
                                f"{expected_seq} was expected (a line is missing)")
                if seq is not None:
                    expected_seq = seq
            prev = _digest(raw)
            expected_seq += 1
            if seq is not None:
                seen.setdefault(seq, set()).add(prev)
                last_seq = seq
    for where, seq, digest in anchors:
        if seq <= 0:
            continue
        if not path.exists():
            problems.append(f"{name} is missing, but {where} records entry {seq}: "
                            "the log was deleted")
        elif seq not in seen:
            problems.append(f"{name} has no entry {seq} (it ends at entry {last_seq}), but "
                            f"{where} records it: the log was cut or emptied")
        elif digest not in seen[seq]:
            problems.append(f"{name} entry {seq} is not the one {where} records: the log was "
                            "rewritten or re-chained")
    return problems


def verify_seals(ws: WorkspaceView) -> list[str]:
    """Signed notes whose content no longer matches their seal (see records.note_seal)."""
    from peerkit.records import seal_problem

    problems = []
    for note in ws.notes():
        problem = seal_problem(note)
        if problem:
            assert note.path is not None  # ws.notes() reads every note from its file
            problems.append(f"{ws.rel(note.path)}: seal-broken: {problem}")
    return problems
