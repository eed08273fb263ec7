"""An exclusive lock on a lock file, as cheap to take as the operating system allows.

On POSIX it is ``fcntl.flock(LOCK_EX)`` on the lock file, polled every 50 ms until the
timeout: the same lock ``filelock.FileLock`` takes there, so a peerkit using this module and
one using filelock exclude each other.  Importing filelock costs ~9 ms, more than many
commands spend on their own work.  Where ``fcntl`` is missing (Windows), or the file system
does not implement ``flock`` (``ENOSYS``), the lock is filelock's, which handles those cases.

Like filelock, the lock file is created if missing (0600, never through a symbolic link) and
left in place on release; the kernel drops the lock when the process ends, even a killed
one.  The lock is not re-entrant: a second :class:`FileLock` on the same path in the same
process waits for the first, as two processes do.  While it holds the lock, the holder may keep
a few bytes in the lock file (``write_data``/``read_data``: the workspace sweep's record of the
folders it listed, see ``peerkit.files.sweep_temp_files``); filelock never reads them.
"""
from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

POLL_SECONDS = 0.05
_BUSY = frozenset({errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK})


class LockTimeout(Exception):
    """The lock was still held by someone else when the timeout ran out."""


class FileLock:
    """``with FileLock(path, timeout=10):`` -- see the module.  ``timeout`` is in seconds
    (0: one try; a negative number: wait for ever).  :meth:`acquire` raises
    :class:`LockTimeout` when the lock stays busy, ``OSError`` (``PermissionError``...) when
    the lock file cannot be opened."""

    def __init__(self, path: str | Path, *, timeout: float = -1, mode: int = 0o600):
        self.path = os.fspath(path)
        self.timeout = timeout
        self.mode = mode
        self._fd: int | None = None
        self._fallback: Any = None  # a filelock.FileLock, where flock cannot be used

    @property
    def is_locked(self) -> bool:
        return self._fd is not None or self._fallback is not None

    def acquire(self, *, blocking: bool = True) -> None:
        if self.is_locked:
            raise RuntimeError(f"{self.path}: this lock is already held (it is not re-entrant)")
        if fcntl is None:
            self._acquire_fallback(blocking)
            return
        deadline = None if self.timeout < 0 else time.monotonic() + self.timeout
        while True:
            fd = self._open()
            try:
                locked = self._wait(fd, deadline, blocking)
            except BaseException:
                os.close(fd)
                raise
            if locked is None:  # no flock on this file system
                os.close(fd)
                self._acquire_fallback(blocking, deadline)
                return
            if self._still_the_lock_file(fd):
                self._fd = fd
                return
            # the file was removed or replaced while we waited: lock the one now at the path
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def release(self) -> None:
        if self._fallback is not None:
            fallback, self._fallback = self._fallback, None
            fallback.release()
            return
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            assert fcntl is not None  # an fd is only held where flock is used
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def read_data(self) -> bytes | None:
        """What the holder last kept in the lock file (``write_data``); None where the lock is
        filelock's (its file is its own).  Up to 1 MB."""
        if self._fd is None:
            return None
        return os.pread(self._fd, 1 << 20, 0)

    def write_data(self, data: bytes) -> None:
        """Keep ``data`` in the lock file while holding it (the workspace sweep's record of the
        folders it listed).  Not atomic: a reader must accept damaged data.  Nothing is kept
        where the lock is filelock's."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        view = memoryview(data)
        offset = 0
        while offset < len(view):
            written = os.pwrite(self._fd, view[offset:], offset)
            if written <= 0:
                raise OSError(errno.ENOSPC, "short write", self.path)
            offset += written

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # ------------------------------------------------------------------ internals
    def _open(self) -> int:
        flags = (os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_CLOEXEC", 0))
        return os.open(self.path, flags, self.mode)

    def _wait(self, fd: int, deadline: float | None, blocking: bool) -> bool | None:
        """Lock ``fd``: True once locked, None if the file system has no flock; LockTimeout."""
        assert fcntl is not None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno == errno.ENOSYS:
                    return None
                if exc.errno not in _BUSY:
                    raise
            left = None if deadline is None else deadline - time.monotonic()
            if not blocking or (left is not None and left <= 0):
                raise LockTimeout(self.path)
            time.sleep(POLL_SECONDS if left is None else min(POLL_SECONDS, left))

    def _still_the_lock_file(self, fd: int) -> bool:
        held = os.fstat(fd)
        try:
            now = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return held.st_nlink > 0 and (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)

    def _acquire_fallback(self, blocking: bool, deadline: float | None = None) -> None:
        import filelock

        timeout = self.timeout if deadline is None else max(0.0, deadline - time.monotonic())
        lock = filelock.FileLock(self.path, timeout=timeout, mode=self.mode)
        try:
            lock.acquire(blocking=blocking)
        except filelock.Timeout:
            raise LockTimeout(self.path) from None
        self._fallback = lock
