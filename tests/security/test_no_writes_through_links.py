"""Issue 13: peerkit never writes through a symbolic link planted in a workspace."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def assert_no_traceback(result):
    assert "Traceback" not in (result.output or ""), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)

NOTE_FLAGS = ["--client", "C001", "--date", "2026-11-25", "--start", "09:00", "--end", "09:40",
              "--place", "community", "--location", "Public library", "--goal", "G1",
              "--purpose", "Housing search", "--intervention", "Compared listings",
              "--response", "Sam chose one", "--plan", "Apply Friday"]


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file outside the workspace that an attacker wants overwritten."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    os.chmod(path, 0o644)
    return path


def assert_untouched(victim: Path) -> None:
    assert victim.read_text() == "precious\n"
    assert victim.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("name", [".peerkit.lock.owner", ".peerkit.lock"])
def test_lock_files_that_are_links_are_refused(run, ws_path, victim, name):
    (ws_path / name).symlink_to(victim)
    result = run("note", "add", *NOTE_FLAGS)
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    assert name in result.output and "symbolic link" in result.output
    assert_untouched(victim)
    assert (ws_path / name).is_symlink()  # not deleted either


def test_an_audit_log_that_is_a_link_is_refused(run, ws_path, victim):
    (ws_path / "audit.log").symlink_to(victim)
    result = run("secret", "set", "x", input="v\n")
    assert_no_traceback(result)
    assert result.exit_code == 3 and "audit.log" in result.output and "symbolic link" in result.output
    assert_untouched(victim)
    result = run("audit", "verify")
    assert result.exit_code == 1 and "symbolic link" in result.output


def test_a_record_that_is_a_link_is_not_replaced(run, ws_path):
    # even a link to another file of the same workspace: the write would land elsewhere
    client = ws_path / "clients" / "C001.toml"
    real = ws_path / "clients-C001-real.toml"
    client.rename(real)
    client.symlink_to(real)
    before = real.read_text()
    result = run("client", "edit", "C001", "--name", "Sam Example")
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    assert "C001.toml" in result.output and "symbolic link" in result.output
    assert real.read_text() == before and client.is_symlink()


def test_a_record_folder_that_leads_outside_is_refused(run, ws_path, tmp_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-03")   # the note's date must not be in the future
    outside = tmp_path / "outside"
    outside.mkdir()
    month = ws_path / "notes" / "2026" / "12"
    month.symlink_to(outside, target_is_directory=True)
    flags = [f if f != "2026-11-25" else "2026-12-02" for f in NOTE_FLAGS]
    result = run("note", "add", *flags)
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    assert "leading outside the workspace" in result.output
    assert list(outside.iterdir()) == []


def test_a_record_that_resolves_outside_is_refused_when_read(run, ws_path, tmp_path):
    foreign = tmp_path / "foreign.toml"
    shutil.copy(ws_path / "clients" / "C001.toml", foreign)
    foreign.write_text(foreign.read_text().replace('"C001"', '"C009"'))
    (ws_path / "clients" / "C009.toml").symlink_to(foreign)
    result = run("client", "list")
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    assert "C009.toml" in result.output and "outside the workspace" in result.output


def test_a_cache_that_is_a_link_is_never_written_through(run, ws_path, victim):
    cache = ws_path / "notes" / "2026" / "11" / ".notes-cache.json"
    cache.unlink(missing_ok=True)
    cache.symlink_to(victim)
    result = run("note", "add", *NOTE_FLAGS)
    assert result.exit_code == 0, result.output  # the cache is optional: just not written
    assert_untouched(victim)


def test_out_onto_a_link_replaces_the_link_not_its_target(run, ws_path, tmp_path, victim):
    out = tmp_path / "note.md"
    out.symlink_to(victim)
    result = run("note", "render", "N-2026-11-16-C001-1", "--out", out)
    assert result.exit_code == 0, result.output
    assert_untouched(victim)
    assert not out.is_symlink() and "N-2026-11-16-C001-1" in out.read_text()
    assert out.stat().st_mode & 0o777 == 0o600


def test_out_onto_a_link_inside_the_workspace_is_refused(run, ws_path, victim):
    out = ws_path / "note.md"
    out.symlink_to(victim)
    result = run("note", "render", "N-2026-11-16-C001-1", "--out", out)
    assert result.exit_code == 3 and "note.md" in result.output
    assert_untouched(victim) and out.is_symlink()


def test_a_pipe_or_device_where_a_record_should_be_is_refused_not_waited_on(run, ws_path):
    fifo = ws_path / "clients" / "C009.toml"
    os.mkfifo(fifo)
    result = run("client", "list")
    assert result.exit_code == 3 and "C009.toml" in result.output and "not a regular file" in result.output


def test_a_cache_linked_to_an_endless_device_is_ignored(run, ws_path):
    cache = ws_path / "clients" / ".clients-cache.json"
    cache.unlink(missing_ok=True)
    cache.symlink_to("/dev/zero")
    result = run("client", "list", "--json")
    assert result.exit_code == 0, result.output


def test_a_temp_file_of_an_export_in_flight_is_not_swept(ws_path):
    from peerkit import storage
    from peerkit.userconfig import ensure_config_dir
    from peerkit.workspace import Workspace

    in_flight = ws_path / f".report.md{storage.TMP_MARK}abc.md"
    in_flight.write_text("being written")
    orphan = ws_path / f".old.md{storage.TMP_MARK}def.md"
    orphan.write_text("left by a kill")
    pending = ensure_config_dir() / storage.PENDING_DIR
    pending.mkdir()
    (pending / f"{os.getppid()}-0001").write_text(str(in_flight))  # a live process
    with Workspace(ws_path).lock():
        pass
    assert in_flight.exists() and not orphan.exists()
