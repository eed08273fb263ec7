"""A hash-chained, append-only audit log (``audit.log`` in the workspace, JSON lines).

Each line records who, when, the command, record ids and the output file -- never names or
narrative -- plus the hash of the previous line, so an edited or deleted line is detected
by ``peerkit audit verify``.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from peerkit.dates import now

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace

LOG_NAME = "audit.log"
GENESIS = "0" * 64


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def _last_line(path: Path) -> tuple[int, str] | None:
    if not path.exists():
        return None
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        block = min(size, 65536)
        fh.seek(size - block)
        tail = fh.read().decode("utf-8", errors="replace")
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    if not lines:
        return None
    last = lines[-1]
    try:
        seq = int(json.loads(last).get("seq", 0))
    except (ValueError, AttributeError):
        seq = 0
    return seq, last


def append(ws: "Workspace", *, command: str, records: list[str], output=None, action: str = "") -> None:
    from filelock import FileLock

    # a lock of its own (not the workspace lock, which the caller may hold): two processes
    # appending at once must not both chain to the same previous line
    with FileLock(str(ws.path(".audit.lock")), timeout=30):
        _append(ws, command=command, records=records, output=output, action=action)
    try:
        os.chmod(ws.path(".audit.lock"), 0o600)
    except OSError:
        pass


def _append(ws: "Workspace", *, command: str, records: list[str], output=None, action: str = "") -> None:
    path = ws.path(LOG_NAME)
    last = _last_line(path)
    entry = {
        "seq": (last[0] + 1) if last else 1,
        "at": now().isoformat(),
        "user": getpass.getuser(),
        "command": command,
        "action": action,
        "records": records,
        "output": str(output) if output else None,
        "prev": _digest(last[1]) if last else GENESIS,
    }
    line = json.dumps(entry, sort_keys=True, ensure_ascii=True)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))  # one write: no half line on a crash
        os.fsync(fd)
    finally:
        os.close(fd)


def entries(ws: "Workspace") -> list[tuple[int, dict]]:
    """The log's readable entries as ``[(line number, entry)]`` (``verify`` reports the rest)."""
    path = ws.path(LOG_NAME)
    if not path.exists():
        return []
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        try:
            entry = json.loads(raw) if raw.strip() else None
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.append((n, entry))
    return out


def verify(ws: "Workspace") -> list[str]:
    """Problems found in the chain (empty when intact), each naming the line number, then
    those of every plugin's ``audit_checks`` (records the log names that are gone, such as an
    issued invoice whose snapshot was deleted).  A plugin check that fails to run is a
    problem too: the log is never reported intact unchecked."""
    return verify_chain(ws) + _plugin_checks(ws)


def _plugin_checks(ws: "Workspace") -> list[str]:
    from peerkit.context import current_plugins

    plugins = current_plugins()
    impls = plugins.pm.hook.audit_checks.get_hookimpls()
    results = plugins.call_each("audit_checks", workspace=ws, entries=entries(ws))
    problems = [p for _plugin, found in results for p in found]
    if len(results) < len(impls):
        problems.append("a plugin's audit check failed to run (see the warning above)")
    return problems


def verify_chain(ws: "Workspace") -> list[str]:
    """Problems found in the hash chain alone (empty when intact), each naming the line."""
    path = ws.path(LOG_NAME)
    if not path.exists():
        return []
    problems = []
    prev = GENESIS
    expected_seq = 1
    for n, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            problems.append(f"{LOG_NAME}:{n}: not a valid entry (edited or truncated)")
            prev = _digest(raw)
            expected_seq += 1
            continue
        if entry.get("prev") != prev:
            problems.append(f"{LOG_NAME}:{n}: entry {entry.get('seq')} does not follow the entry "
                            "before it (a line was edited, removed or inserted)")
        if entry.get("seq") != expected_seq:
            problems.append(f"{LOG_NAME}:{n}: sequence number {entry.get('seq')} where "
                            f"{expected_seq} was expected (a line is missing)")
            if isinstance(entry.get("seq"), int):
                expected_seq = entry["seq"]
        prev = _digest(raw)
        expected_seq += 1
    return problems
