"""``peerkit trust --list`` and ``--revoke`` as text, their usage errors, and the user's config
folder they live in (peerkit.userconfig): what is printed and what is on disk."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from peerkit import userconfig
from peerkit.errors import DataError


def test_the_list_as_text_empty_then_one_workspace(run, ws_path):
    empty = run("trust", "--list", workspace=False)
    assert empty.exit_code == 0 and empty.stdout == ""
    assert empty.stderr.strip() == "No workspace is trusted."
    (ws_path / "plugins").mkdir(exist_ok=True)
    (ws_path / "plugins" / "agency_extra.py").write_text("VALUE = 1\n")
    trusted = run("trust")
    assert trusted.exit_code == 0
    real = os.path.realpath(ws_path)
    assert trusted.stderr.startswith(f"Trusted {real}") and "1 plugin file(s): agency_extra.py" in trusted.stderr
    listed = run("trust", "--list", workspace=False)
    assert listed.exit_code == 0
    header, rule, row = listed.stdout.splitlines()
    assert header.split() == ["workspace", "owner", "trusted", "at", "plugin", "files"]
    shown = real if len(real) <= 60 else real[:57] + "..."  # long cells are shortened
    assert row.split()[0] == shown and row.split()[-1] == "agency_extra.py"


def test_a_workspace_without_plugin_files_lists_a_dash(run, ws_path):
    assert run("trust").exit_code == 0
    row = run("trust", "--list", workspace=False).stdout.splitlines()[2]
    assert row.split()[-1] == "-"


@pytest.mark.parametrize("args", [("--list", "--revoke"), ("--list", "DIR")])
def test_list_takes_no_directory_and_no_revoke(run, ws_path, args):
    args = tuple(str(ws_path) if a == "DIR" else a for a in args)
    result = run("trust", *args, workspace=False)
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: --list takes no DIRECTORY and no --revoke"


def test_revoking_a_workspace_that_was_not_trusted_changes_nothing(run, ws_path):
    result = run("trust", "--revoke")
    assert result.exit_code == 0
    assert result.stderr.strip() == f"{os.path.realpath(ws_path)} was not trusted; nothing changed"
    assert run("trust", "--list", "--json", workspace=False).stdout.strip() == "[]"


def test_revoke_defaults_to_this_workspace(run, ws_path):
    assert run("trust").exit_code == 0
    result = run("trust", "--revoke")
    assert result.exit_code == 0 and result.stderr.strip() == f"No longer trusted: {os.path.realpath(ws_path)}"
    assert run("trust", "--list", "--json", workspace=False).stdout.strip() == "[]"


# ------------------------------------------------------------------------------ the config folder

def test_config_dir_order_explicit_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv(userconfig.ENV, str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert userconfig.config_dir() == tmp_path / "explicit"
    monkeypatch.delenv(userconfig.ENV)
    assert userconfig.config_dir() == tmp_path / "xdg" / "peerkit"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert userconfig.config_dir() == tmp_path / "home" / ".config" / "peerkit"


def test_no_home_folder_known_is_one_clear_error(monkeypatch):
    monkeypatch.delenv(userconfig.ENV)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    with pytest.raises(DataError) as err:
        userconfig.config_dir()
    assert err.value.message == f"no config folder: set HOME or {userconfig.ENV}"
    assert err.value.exit_code == 3


def test_ensure_config_dir_creates_it_private(monkeypatch, tmp_path):
    target = tmp_path / "a" / "peerkit"
    monkeypatch.setenv(userconfig.ENV, str(target))
    previous = os.umask(0o022)
    try:
        assert userconfig.ensure_config_dir() == target
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert userconfig.ensure_config_dir() == target  # already there: left as it is
