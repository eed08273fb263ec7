"""peerkit.locking: the workspace lock without importing filelock (flock), filelock elsewhere."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import threading
import types

import pytest

from peerkit import locking
from peerkit.locking import FileLock, LockTimeout

pytestmark = pytest.mark.skipif(locking.fcntl is None, reason="flock is POSIX only")

HOLD = textwrap.dedent("""
    import sys, time
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "filelock":
        from filelock import FileLock
        lock = FileLock(path)
    else:
        from peerkit.locking import FileLock
        lock = FileLock(path)
    lock.acquire()
    print("locked", flush=True)
    sys.stdin.readline()
    lock.release()
    print("released", flush=True)
""")


def _holder(kind: str, path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, kind, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _let_go(proc) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "released"
    assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize("kind", ["peerkit", "filelock"])
def test_a_second_process_waits_for_the_holder_then_gets_the_lock(tmp_path, kind):
    """peerkit's lock and filelock's (which older peerkits take) exclude each other."""
    path = tmp_path / ".peerkit.lock"
    proc = _holder(kind, path)
    try:
        with pytest.raises(LockTimeout):
            FileLock(path, timeout=0.3).acquire()
        with pytest.raises(LockTimeout):
            FileLock(path, timeout=0).acquire(blocking=False)
    finally:
        _let_go(proc)
    with FileLock(path, timeout=1) as lock:
        assert lock.is_locked
        if kind == "peerkit":  # created private (filelock's own file is 0644 until peerkit's chmod)
            assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not lock.is_locked
    assert path.exists()  # left in place: waiters share its inode


def test_filelock_waits_for_peerkits_lock(tmp_path):
    import filelock

    path = tmp_path / ".peerkit.lock"
    with FileLock(path, timeout=1), pytest.raises(filelock.Timeout):
        filelock.FileLock(str(path), timeout=0.2).acquire()
    with filelock.FileLock(str(path), timeout=1):
        pass


def test_the_lock_is_not_reentrant_in_one_process(tmp_path):
    path = tmp_path / ".peerkit.lock"
    with FileLock(path, timeout=1) as first:
        with pytest.raises(LockTimeout):
            FileLock(path, timeout=0.1).acquire()
        with pytest.raises(RuntimeError):
            first.acquire()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    path = tmp_path / ".peerkit.lock"
    proc = _holder("peerkit", path)
    proc.kill()
    proc.wait()
    with FileLock(path, timeout=1):
        pass


def test_a_link_at_the_lock_path_is_never_followed(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    path = tmp_path / ".peerkit.lock"
    path.symlink_to(target)
    with pytest.raises(OSError) as info:
        FileLock(path, timeout=0).acquire()
    assert info.value.errno == errno.ELOOP
    assert target.read_text() == "keep me"


def test_a_lock_file_removed_while_waiting_is_not_taken_for_the_lock(tmp_path):
    """A waiter whose lock file was unlinked and recreated must lock the new file, else two
    processes would each believe they hold the lock."""
    path = tmp_path / ".peerkit.lock"
    first = FileLock(path, timeout=1)
    first.acquire()
    outcome: list[object] = []

    def wait():
        try:
            FileLock(path, timeout=1.5).acquire()
            outcome.append("locked")
        except LockTimeout:
            outcome.append("timeout")

    waiter = threading.Thread(target=wait)
    waiter.start()
    os.unlink(path)
    second = FileLock(path, timeout=1)
    second.acquire()  # a new file at the path, locked by someone else
    first.release()  # the waiter now gets the old, unlinked file
    waiter.join(timeout=10)
    second.release()
    assert outcome == ["timeout"]


def test_without_fcntl_the_lock_is_filelocks(tmp_path, monkeypatch):
    """Windows: no fcntl, so filelock's lock is used (with its own Windows locking)."""
    import filelock

    monkeypatch.setattr(locking, "fcntl", None)
    path = tmp_path / ".peerkit.lock"
    lock = FileLock(path, timeout=1)
    lock.acquire()
    assert isinstance(lock._fallback, filelock.FileLock)
    with pytest.raises(LockTimeout):
        FileLock(path, timeout=0.1).acquire()
    lock.release()
    with FileLock(path, timeout=0.1):
        pass


def test_a_file_system_without_flock_falls_back_to_filelock(tmp_path, monkeypatch):
    import fcntl

    import filelock

    def no_flock(fd, op):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(locking, "fcntl", types.SimpleNamespace(
        flock=no_flock, LOCK_EX=fcntl.LOCK_EX, LOCK_NB=fcntl.LOCK_NB, LOCK_UN=fcntl.LOCK_UN))
    path = tmp_path / ".peerkit.lock"
    with FileLock(path, timeout=1) as lock:
        assert isinstance(lock._fallback, filelock.FileLock)
        assert lock._fd is None


def test_the_holder_keeps_data_in_the_lock_file(tmp_path):
    path = tmp_path / ".peerkit.lock"
    with FileLock(path, timeout=1) as lock:
        assert lock.read_data() == b""
        lock.write_data(b"a longer first record")
        lock.write_data(b"second")
        assert lock.read_data() == b"second"
    with FileLock(path, timeout=1) as lock:
        assert lock.read_data() == b"second"
    released = FileLock(path)
    assert released.read_data() is None  # only while held
    released.write_data(b"ignored")
    assert path.read_bytes() == b"second"
