"""Trust before code: a workspace's plugins/*.py run only after 'peerkit trust' (issue 13).

Also: another user's workspace and a read-only workspace are never changed (exit 3, one line).
CI runs as root, so "another user" is simulated by chown to nobody, and "read-only" is the
folder's owner-write bit, which peerkit honours even for root.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from peerkit import trust
from tests.conftest import BUILTINS, Runner

NOBODY = 65534
LOAD = {"PEERKIT_LOAD_PLUGINS": ",".join(BUILTINS) + ",spy,other"}


def spy_plugin(root: Path, marker: Path, name: str = "spy") -> Path:
    """A plugin that leaves a marker file when imported (what a hostile one would do instead)."""
    path = root / "plugins" / f"{name}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    return path


def error_lines(result) -> list[str]:
    return [ln for ln in result.output.splitlines() if ln.startswith("Error:")]


def plugins_json(run, *args) -> dict:
    result = run(*args, "plugins", "--json", env=LOAD)
    assert result.exit_code == 0, result.output
    return {p["name"]: p for p in json.loads(result.stdout)}


def test_an_untrusted_workspace_plugin_never_runs_even_on_help(run, ws_path, tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    spy_plugin(ws_path, marker)
    spy_plugin(ws_path, marker, "other")
    monkeypatch.chdir(ws_path / "clients")  # anywhere below the workspace, as in the issue
    result = run("--help", env=LOAD, workspace=False)
    assert result.exit_code == 0
    assert not marker.exists()
    real = os.path.realpath(ws_path)
    warnings = [ln for ln in result.stderr.splitlines() if "not trusted" in ln]
    assert len(warnings) == 1, result.stderr  # one warning for the folder, naming the command
    assert f"{real}/plugins" in warnings[0] and f"peerkit trust {real}" in warnings[0]
    assert "other.py, spy.py" in warnings[0]
    # listed as a plugin that failed to load, with a short reason
    found = plugins_json(run)
    assert found["spy"]["source"] == "workspace"
    assert found["spy"]["error"] == f"not trusted (run: peerkit trust {real})"
    assert not marker.exists()


def test_peerkit_trust_lets_the_files_run_as_they_are_now(run, ws_path, tmp_path):
    marker = tmp_path / "ran"
    plugin = spy_plugin(ws_path, marker)
    result = run("trust")
    assert result.exit_code == 0, result.output
    assert "spy.py" in result.stderr
    assert plugins_json(run)["spy"]["error"] is None
    assert marker.read_text() == "ran"
    # a changed file is not imported again until trusted again
    marker.unlink()
    plugin.write_text(plugin.read_text() + "# changed\n")
    found = plugins_json(run)
    assert found["spy"]["error"].startswith("changed since it was trusted")
    assert not marker.exists()
    # a new file added after trusting is not imported either
    spy_plugin(ws_path, marker, "other")
    found = plugins_json(run)
    assert found["other"]["error"].startswith("not trusted: added after the workspace was trusted")
    assert not marker.exists()
    assert run("trust").exit_code == 0
    assert plugins_json(run)["spy"]["error"] is None and marker.exists()


def test_trust_a_folder_by_path_list_and_revoke(ws_path, tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    spy_plugin(ws_path, marker)
    outside = Runner(None)
    monkeypatch.chdir(tmp_path)
    assert outside("trust", ws_path, workspace=False).exit_code == 0
    listed = outside("trust", "--list", "--json", workspace=False)
    assert listed.exit_code == 0
    [entry] = json.loads(listed.stdout)
    assert entry["path"] == os.path.realpath(ws_path)
    assert entry["owner"] == os.getuid() and entry["plugins"] == ["spy.py"]
    # the trust list is private: file 0600, folder 0700, outside the workspace
    tf = trust.trust_file()
    assert stat.S_IMODE(tf.stat().st_mode) == 0o600
    assert stat.S_IMODE(tf.parent.stat().st_mode) == 0o700
    assert ws_path not in tf.parents
    assert outside("trust", "--revoke", ws_path, workspace=False).exit_code == 0
    assert json.loads(outside("trust", "--list", "--json", workspace=False).stdout) == []
    assert plugins_json(Runner(ws_path))["spy"]["error"].startswith("not trusted")
    assert not marker.exists()
    bad = outside("trust", tmp_path, workspace=False)
    assert bad.exit_code == 3 and len(error_lines(bad)) == 1


def test_a_trust_list_others_can_change_is_ignored(run, ws_path, tmp_path):
    marker = tmp_path / "ran"
    spy_plugin(ws_path, marker)
    assert run("trust").exit_code == 0
    os.chmod(trust.trust_file(), 0o666)
    assert plugins_json(run)["spy"]["error"] == "not trusted: the trust list cannot be read"
    assert not marker.exists()


def test_doctor_reports_untrusted_and_changed_plugin_files(run, ws_path, tmp_path):
    marker = tmp_path / "ran"
    changed = spy_plugin(ws_path, marker)
    assert run("trust").exit_code == 0
    changed.write_text("X = 2\n")
    spy_plugin(ws_path, marker, "other")
    result = run("doctor", env=LOAD)
    assert result.exit_code == 1
    assert "All checks passed" not in result.output
    assert "plugins/spy.py: changed since it was trusted" in result.output
    assert "plugins/other.py: not trusted: added after the workspace was trusted" in result.output
    assert not marker.exists()


def test_init_trusts_what_it_creates(tmp_path):
    outside = Runner(None)
    for args in (["init", tmp_path / "new"], ["init", tmp_path / "demo", "--example"]):
        assert outside(*args, workspace=False).exit_code == 0
    listed = json.loads(outside("trust", "--list", "--json", workspace=False).stdout)
    assert {e["path"] for e in listed} == {os.path.realpath(tmp_path / "new"),
                                           os.path.realpath(tmp_path / "demo")}


def test_note_export_never_imports_a_peers_plugins(ws_path, tmp_path):
    marker = tmp_path / "ran"
    spy_plugin(ws_path, marker)
    out = tmp_path / "review.xlsx"
    # the supervisor exports the peer's folder, naming it as workspace and as argument
    result = Runner(ws_path)("note", "export", "--out", out, ws_path, env=LOAD)
    assert result.exit_code == 0, result.output
    assert out.exists() and not marker.exists()


@pytest.mark.skipif(not hasattr(os, "chown") or os.getuid() != 0,
                    reason="giving a folder to another user needs root")
def test_another_users_workspace_is_read_only_and_its_plugins_never_run(ws_path, tmp_path):
    marker = tmp_path / "ran"
    spy_plugin(ws_path, marker)
    run = Runner(ws_path)
    assert run("trust").exit_code == 0  # trusted while it was ours...
    os.chown(ws_path, NOBODY, NOBODY)   # ...then it changed hands
    found = plugins_json(run)
    assert found["spy"]["error"] == f"not trusted: the workspace belongs to another user " \
                                    f"(run: peerkit trust {os.path.realpath(ws_path)})"
    assert not marker.exists()
    before = sorted(p.name for p in (ws_path / "clients").iterdir())
    result = run("client", "add", "C900", "--name", "Test Person")
    assert result.exit_code == 3, result.output
    assert len(error_lines(result)) == 1 and "belongs to another user" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in (ws_path / "clients").iterdir()) == before
    out = tmp_path / "review.xlsx"
    exported = run("note", "export", "--out", out, ws_path)
    assert exported.exit_code == 3 and not out.exists()  # refused before any PHI file is written
    doctor = run("doctor")
    assert doctor.exit_code == 1 and "belongs to another user" in doctor.output
    # trusting it explicitly lets peerkit write there and run its plugins
    assert run("trust").exit_code == 0
    assert run("client", "add", "C900", "--name", "Test Person").exit_code == 0
    assert plugins_json(run)["spy"]["error"] is None and marker.exists()


def test_another_owner_simulated_through_the_uid(ws_path, monkeypatch, memory_keyring):
    """The same refusal where chown is impossible: peerkit sees another uid as owner."""
    run = Runner(ws_path)
    monkeypatch.setattr(trust, "current_uid", lambda: os.stat(ws_path).st_uid + 1)
    result = run("client", "add", "C900", "--name", "Test Person")
    assert result.exit_code == 3 and "belongs to another user" in result.output
    assert not (ws_path / "clients" / "C900.toml").exists()
    secret = run("secret", "set", "tax-id", input="12-3456789\n")
    assert secret.exit_code == 3 and "belongs to another user" in secret.output
    assert memory_keyring.store == {}


def test_a_read_only_workspace_is_exit_3_not_70(ws_path, memory_keyring):
    run = Runner(ws_path)
    mode = stat.S_IMODE(ws_path.stat().st_mode)
    os.chmod(ws_path, 0o500)
    try:
        for args in (["client", "add", "C900", "--name", "Test Person"], ["reindex"]):
            result = run(*args)
            assert result.exit_code == 3, result.output
            assert len(error_lines(result)) == 1 and "read-only" in result.output
            assert f"chmod u+w {ws_path}" in result.output
        assert not (ws_path / "clients" / "C900.toml").exists()
        out = ws_path.parent / "review.xlsx"
        exported = run("note", "export", "--out", out)  # its audit entry could not be written
        assert exported.exit_code == 3 and "read-only" in exported.output and not out.exists()
        secret = run("secret", "set", "tax-id", input="12-3456789\n")
        assert secret.exit_code == 3 and "read-only" in secret.output
        assert memory_keyring.store == {}  # refused before the keyring was touched
        assert run("client", "list").exit_code == 0  # reading still works
    finally:
        os.chmod(ws_path, mode)


def test_the_plugin_runs_from_the_bytes_that_were_hashed_not_a_planted_pyc(run, ws_path, tmp_path):
    """A stale or planted plugins/__pycache__/*.pyc is never what runs."""
    marker = tmp_path / "ran"
    plugin = ws_path / "plugins" / "spy.py"
    plugin.write_text("X = 1\n")
    assert run("trust").exit_code == 0
    cache = ws_path / "plugins" / "__pycache__"
    cache.mkdir()
    import importlib._bootstrap_external as bootstrap
    import importlib.util

    evil = compile(f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n", str(plugin), "exec")
    st = plugin.stat()  # a header matching the trusted source: Python's own loader would run it
    pyc = bootstrap._code_to_timestamp_pyc(evil, int(st.st_mtime), st.st_size)
    Path(importlib.util.cache_from_source(str(plugin))).write_bytes(pyc)
    assert plugins_json(run)["spy"]["error"] is None
    assert not marker.exists()
    shutil.rmtree(cache)
