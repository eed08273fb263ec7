"""Run a template render in a child process whose address space is limited.

The sandbox caps (:mod:`peerkit.template_caps`) stop the known ways a template builds a huge
value; this is the backstop for the rest.  On POSIX systems with ``fork`` the render runs in a
forked child that first lowers ``RLIMIT_AS`` to its current size plus
``PEERKIT_TEMPLATE_MEMORY_MB`` (default 1024 MiB; ``0`` or ``off`` renders in-process, without
the limit).  A render that needs more gets a MemoryError in the child, never the machine's
memory, and the command exits 3 with "template used too much memory".  The child sends back
the rendered text, or the error peerkit would have raised, through a pipe; the parent also
kills a child that outlives the render's time limit.

Forking copies the already-loaded interpreter, so a render costs about one ``fork`` more (a few
milliseconds).  Where ``fork`` or ``RLIMIT_AS`` do not exist (Windows; macOS does not enforce
``RLIMIT_AS``) the render runs in-process with the sandbox caps and time limit only.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from peerkit.errors import DataError, PeerkitError, UsageError

ENV = "PEERKIT_TEMPLATE_MEMORY_MB"
DEFAULT_MB = 1024
GRACE_SECONDS = 5  # on top of the render's own time limit before the parent kills the child


def memory_budget() -> int | None:
    """Bytes a render may add to peerkit's address space, or None when the limit is off."""
    raw = os.environ.get(ENV, "").strip().lower()
    if not raw:
        return DEFAULT_MB * 1024 * 1024
    if raw in ("0", "off"):
        return None
    if not raw.isdigit() or int(raw) < 16:
        raise UsageError(f"{ENV} must be a number of MiB (16 or more), or 0/off to render without a limit")
    return int(raw) * 1024 * 1024


def can_fork() -> bool:
    """POSIX with fork and an enforced RLIMIT_AS (macOS does not enforce it: no point forking)."""
    if sys.platform == "darwin":  # pragma: no cover
        return False
    try:
        import resource  # noqa: F401
    except ImportError:  # pragma: no cover - Windows
        return False
    return hasattr(os, "fork")


def _current_address_space() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_address_space(budget: int) -> None:
    import resource

    target = _current_address_space() + budget
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        target = min(target, hard)
    with contextlib.suppress(ValueError, OSError):  # a system that refuses: caps still apply
        resource.setrlimit(resource.RLIMIT_AS, (target, hard))


def run_limited(func: Callable[..., str], *args: Any, where: str, seconds: float) -> str:
    """``func(*args)`` in a child with a limited address space; its result or its PeerkitError."""
    budget = memory_budget()
    if budget is None or not can_fork():
        return _in_process(func, args, where)
    read_end, write_end = os.pipe()
    gc.freeze()  # the child's collector then leaves the parent's objects (and their pages) alone
    pid = -1
    try:
        pid = os.fork()
    except OSError:  # no process to spare (EAGAIN, ENOMEM): render here, caps and time limit only
        os.close(read_end)
        os.close(write_end)
        return _in_process(func, args, where)
    finally:
        if pid != 0:
            gc.unfreeze()
    if pid == 0:  # the child: never returns
        try:
            os.close(read_end)
            _limit_address_space(budget)
            result = _outcome(func, args)
            try:
                data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                data = pickle.dumps(("memory",))
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view):]
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        data = _read_all(read_end, pid, seconds + GRACE_SECONDS, where)
    except BaseException:  # Ctrl-C or a timeout: the child goes too
        _kill(pid)
        raise
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    if not data:
        raise DataError(where, "template used too much memory (or crashed) and was stopped; "
                               f"{ENV} sets the limit in MiB")
    result = pickle.loads(data)
    return _result(result, where)


def _in_process(func: Callable[..., str], args: tuple[Any, ...], where: str) -> str:
    try:
        return func(*args)
    except MemoryError:
        raise DataError(where, "template used too much memory and was stopped") from None


def _outcome(func: Callable[..., str], args: tuple[Any, ...]) -> tuple[Any, ...]:
    try:
        return ("ok", func(*args))
    except MemoryError:
        return ("memory",)
    except PeerkitError as exc:
        return ("error", exc.message, exc.exit_code)
    except BaseException as exc:  # a bug: the parent reports it as one (exit 70)
        return ("bug", type(exc).__name__)


def _result(result: tuple[Any, ...], where: str) -> str:
    kind = result[0]
    if kind == "ok":
        text: str = result[1]
        return text
    if kind == "memory":
        raise DataError(where, "template used too much memory and was stopped; "
                               f"{ENV} sets the limit in MiB (default {DEFAULT_MB})")
    if kind == "error":
        error = DataError(result[1])
        error.exit_code = result[2]
        raise error
    raise RuntimeError(f"template render failed in its child process ({result[1]})")


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signal.SIGKILL)


def _read_all(fd: int, pid: int, seconds: float, where: str) -> bytes:
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        if not ready:
            raise DataError(where, f"took longer than {seconds:g} s to render and was stopped")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
