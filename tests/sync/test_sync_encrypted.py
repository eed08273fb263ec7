"""An encrypted workspace shared through git: the bare remote holds no plaintext (issue 18)."""
import shutil
import subprocess

import pytest

from tests.crypt.test_crypt_workspace import NAME, SENTINELS, STORY, _plant

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def test_no_sentinel_in_any_object_of_the_remote(run, ws_path, tmp_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-28")
    _plant(ws_path)
    assert run("crypt", "enable").exit_code == 0
    remote = tmp_path / "remote.git"
    _git("init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path)
    result = run("sync", "--init", str(remote))
    assert result.exit_code == 0, result.output
    # a later edit, synced too
    result = run("note", "edit", "N-2026-11-02-C001-1", "--plan", f"Call {NAME} about the porch swing on Friday.",
                 "--reason", "plan agreed by phone")
    assert result.exit_code == 0, result.output
    assert run("sync").exit_code == 0
    history = _git("log", "-p", "--all", cwd=remote)
    objects = _git("cat-file", "--batch-all-objects", "--batch", cwd=remote)
    assert b"enc:v1:" in history                       # the records are there, encrypted
    for s in SENTINELS:
        assert s.encode() not in history, s
        assert s.encode() not in objects, s          # zlib-inflated by --batch: every blob in clear form
    # and everything still reads back in the workspace
    shown = run("note", "render", "N-2026-11-02-C001-1")
    assert STORY in shown.stdout and "porch swing on Friday" in shown.stdout
