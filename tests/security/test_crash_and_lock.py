"""Fault injection: SIGKILL while saving, concurrent writers, lock holders."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import tomllib

import pytest

from peerkit import storage

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from peerkit import storage
    path = Path(sys.argv[1])
    big = "x" * 200_000
    i = 0
    while True:
        i += 1
        if i % 2:
            storage.write_toml(path, {"version": "new", "n": i, "text": big})
        else:
            with storage.edit_toml(path) as doc:
                doc["version"] = "edited"
                doc["n"] = i
""")


def test_sigkill_at_random_points_leaves_old_or_new_never_half(tmp_path):
    path = tmp_path / "record.toml"
    storage.write_toml(path, {"version": "old", "n": 0, "text": "x" * 200_000})
    rng = random.Random(1234)
    trials = 100
    for _ in range(trials):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
        time.sleep(rng.uniform(0.05, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = tomllib.loads(path.read_text())  # always parseable
        assert data["version"] in ("old", "new", "edited")
        assert len(data["text"]) == 200_000
    # orphaned temp files are expected after SIGKILL; the next run's lock sweeps them
    from peerkit.workspace import Workspace

    (tmp_path / "peerkit.toml").write_text("schema = 1\n")
    with Workspace(tmp_path).lock():
        pass
    assert not [f for f in os.listdir(tmp_path) if storage.TMP_MARK in f]


INCREMENT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from peerkit import storage
    from peerkit.workspace import Workspace
    ws = Workspace(Path(sys.argv[1]))
    for _ in range(int(sys.argv[2])):
        with ws.lock():
            with storage.edit_toml(ws.path("counter.toml")) as doc:
                doc["n"] = doc["n"] + 1
""")


def test_four_processes_times_200_edits_lose_none(tmp_path):
    (tmp_path / "peerkit.toml").write_text("schema = 1\n")
    storage.write_toml(tmp_path / "counter.toml", {"n": 0})
    procs = [subprocess.Popen([sys.executable, "-c", INCREMENT, str(tmp_path), "200"]) for _ in range(4)]
    for p in procs:
        assert p.wait(timeout=300) == 0
    assert tomllib.loads((tmp_path / "counter.toml").read_text())["n"] == 800


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from peerkit.workspace import Workspace
    with Workspace(Path(sys.argv[1])).lock():
        print("locked", flush=True)
        time.sleep(30)
""")


def test_a_second_writer_waits_then_names_the_holder(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_LOCK_TIMEOUT", "0.5")  # read when the lock is taken
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ws_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = (ws_path / "clients" / "C001.toml").read_bytes()
        result = run("client", "edit", "C001", "--record-number", "MR-9")
        assert result.exit_code == 3
        assert "another peerkit is changing this workspace" in result.output
        assert f"pid {holder.pid}" in result.output
        assert (ws_path / "clients" / "C001.toml").read_bytes() == before
        # readers do not need the lock
        assert run("client", "list").exit_code == 0
    finally:
        holder.kill()
        holder.wait()
    # a SIGKILLed holder leaves no stale lock (flock is released by the kernel)
    assert run("client", "edit", "C001", "--record-number", "MR-9").exit_code == 0


def test_read_only_workspace_refuses_writes_cleanly(run, ws_path, monkeypatch):
    import errno

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    before = (ws_path / "clients" / "C001.toml").read_bytes()
    monkeypatch.setattr(os, "replace", denied)
    result = run("client", "edit", "C001", "--record-number", "MR-9")
    assert result.exit_code == 3
    assert "permission denied" in result.output and "left as it was" in result.output
    assert "Traceback" not in result.output
    assert (ws_path / "clients" / "C001.toml").read_bytes() == before
    monkeypatch.undo()
    assert run("client", "list").exit_code == 0


def test_plaintext_backend_from_the_environment_is_refused(tmp_path):
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
               HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "peerkit", "secret", "set", "tax-id", "--stdin"],
                          input="12-3456789\n", capture_output=True, text=True, env=env)
    assert proc.returncode == 4, proc.stderr
    assert "plain text" in proc.stderr and "12-3456789" not in proc.stderr + proc.stdout
    assert not any(tmp_path.rglob("*.cfg"))


AUDITOR = textwrap.dedent("""
    import sys
    from pathlib import Path
    from peerkit.workspace import Workspace
    ws = Workspace(Path(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        ws.audit("test", records=[f"R{i}"])
""")


def test_concurrent_audit_appends_keep_the_chain(tmp_path):
    from peerkit.audit import verify
    from peerkit.plugins import get_plugins
    from peerkit.workspace import Workspace

    (tmp_path / "peerkit.toml").write_text("schema = 1\n")
    procs = [subprocess.Popen([sys.executable, "-c", AUDITOR, str(tmp_path), "50"]) for _ in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert len((tmp_path / "audit.log").read_text().splitlines()) == 200
    assert verify(Workspace(tmp_path), get_plugins()) == []


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf", "10s"])
def test_a_bad_lock_timeout_is_a_usage_error_for_writers_only(run, ws_path, monkeypatch, value):
    monkeypatch.setenv("PEERKIT_LOCK_TIMEOUT", value)
    before = (ws_path / "clients" / "C001.toml").read_bytes()
    result = run("client", "edit", "C001", "--record-number", "MR-9")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: PEERKIT_LOCK_TIMEOUT must be a number of seconds (0 or more), such as 10; "
        "unset it for the default (10)"]
    assert (ws_path / "clients" / "C001.toml").read_bytes() == before
    assert not (ws_path / ".peerkit.lock.owner").exists()
    # read when the lock is taken, not at import: commands that only read still work
    assert run("client", "list").exit_code == 0


@pytest.mark.parametrize("value", ["0", "2.5", " 10 "])
def test_a_good_lock_timeout_is_used(run, ws_path, monkeypatch, value):
    from peerkit.workspace import lock_timeout

    monkeypatch.setenv("PEERKIT_LOCK_TIMEOUT", value)
    assert lock_timeout() == float(value)
    assert run("client", "edit", "C001", "--record-number", "MR-9").exit_code == 0
    assert 'record_number = "MR-9"' in (ws_path / "clients" / "C001.toml").read_text()


def test_a_bad_lock_timeout_does_not_break_reading_commands_in_a_new_process(ws_path):
    """The variable was parsed at import time: '=abc' made every command exit 70."""
    env = {**os.environ, "PEERKIT_LOCK_TIMEOUT": "abc"}
    listed = subprocess.run([sys.executable, "-m", "peerkit", "-w", str(ws_path), "client", "list"],
                            capture_output=True, text=True, env=env)
    assert listed.returncode == 0 and "C001" in listed.stdout
    edited = subprocess.run([sys.executable, "-m", "peerkit", "-w", str(ws_path), "client", "edit", "C001",
                             "--record-number", "MR-9"], capture_output=True, text=True, env=env)
    assert edited.returncode == 2 and "PEERKIT_LOCK_TIMEOUT" in edited.stderr
    assert "Traceback" not in edited.stderr
