"""What doctor says of a shared workspace (peerkit_sync.health) and the git runner's settings and
file modes (peerkit_sync.gitrun): missing git, loose files, timeouts."""
from __future__ import annotations

import os
import shutil
import stat

import pytest

from peerkit.errors import UsageError
from peerkit_sync import gitrun, health


def test_without_git_doctor_says_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert health.warnings(tmp_path) == [
        "this workspace is a git repository but git is not installed: install git"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_more_than_three_loose_files_are_counted_not_all_listed(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    routed = ".gitattributes: records are not routed to peerkit's merge driver: run 'peerkit sync --init'"
    assert routed in health.warnings(tmp_path)
    (tmp_path / ".gitattributes").write_text("*.toml merge=peerkit\n")
    assert routed not in health.warnings(tmp_path)
    for name in ("a.toml", "b.toml", "c.toml", "d.toml", "e.toml"):
        (tmp_path / name).write_text("x = 1\n")
        os.chmod(tmp_path / name, 0o644)
    os.chmod(tmp_path / ".gitattributes", 0o600)
    gitrun.make_private(tmp_path / ".git")
    os.chmod(tmp_path, 0o700)
    found = [w for w in health.warnings(tmp_path) if "others can read" in w]
    assert found == ["5 file(s) or folder(s) others can read (a.toml, b.toml, c.toml and 2 more), e.g. after a "
                     "git pull: run 'peerkit sync' (it makes them private again)"]
    assert gitrun.make_private(tmp_path) == []
    assert gitrun.loose_files(tmp_path) == []
    assert stat.S_IMODE((tmp_path / "a.toml").stat().st_mode) == 0o600


def test_links_are_left_alone_by_make_private(tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("not ours")
    os.chmod(target, 0o644)
    folder = tmp_path / "ws"
    (folder / "sub").mkdir(parents=True)
    (folder / "link.txt").symlink_to(target)
    (folder / "sub-link").symlink_to(folder / "sub", target_is_directory=True)
    assert gitrun.make_private(folder) == []
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert gitrun.loose_files(folder) == []


@pytest.mark.parametrize("value, why", [
    ("soon", "PEERKIT_GIT_TIMEOUT='soon' is not a number of seconds"),
    ("0", "PEERKIT_GIT_TIMEOUT must be a positive number of seconds"),
])
def test_a_bad_timeout_setting_is_a_usage_error(monkeypatch, value, why):
    monkeypatch.setenv("PEERKIT_GIT_TIMEOUT", value)
    with pytest.raises(UsageError) as err:
        gitrun.timeout()
    assert err.value.message == why


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_in_a_folder_that_is_gone_is_one_line(tmp_path):
    with pytest.raises(gitrun.GitFailed) as err:
        gitrun.git(["status"], tmp_path / "gone")
    assert err.value.message.startswith(f"could not run git in {tmp_path / 'gone'} (")
