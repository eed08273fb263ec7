"""Core commands: init, templates, secret, status, doctor, audit; discovery and errors."""
import json
import os
import stat
from pathlib import Path

import keyring
import pytest

from tests.conftest import Runner, assert_no_traceback


def _modes(root: Path):
    for dirpath, _dirnames, filenames in os.walk(root):
        yield Path(dirpath), stat.S_IMODE(os.stat(dirpath).st_mode)
        for f in filenames:
            p = Path(dirpath) / f
            yield p, stat.S_IMODE(os.stat(p).st_mode)


@pytest.mark.parametrize("example", [False, True])
def test_init_creates_a_private_workspace_whatever_the_umask(tmp_path, example):
    old = os.umask(0o022)
    try:
        target = tmp_path / "new"
        result = Runner(None)("init", target, *(["--example"] if example else []), workspace=False)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert (target / "peerkit.toml").is_file()
    for path, mode in _modes(target):
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    if example:
        assert (target / "clients" / "C001.toml").is_file()
        listed = Runner(target)("client", "list", "--json")
        assert [c["id"] for c in json.loads(listed.stdout)] == ["C001", "C002", "C003", "C004"]
    else:
        assert Runner(target)("client", "list", "--json").stdout.strip() == "[]"


def test_init_refuses_an_existing_workspace(ws_path):
    before = (ws_path / "peerkit.toml").read_bytes()
    result = Runner(None)("init", ws_path, workspace=False)
    assert result.exit_code == 3
    assert "already exists" in result.output
    assert (ws_path / "peerkit.toml").read_bytes() == before


def test_workspace_discovery(ws_path, monkeypatch):
    runner = Runner(None)
    monkeypatch.chdir(ws_path / "clients")
    assert runner("client", "list", workspace=False).exit_code == 0  # nearest parent
    monkeypatch.chdir(ws_path.parent)
    result = runner("client", "list", workspace=False)
    assert result.exit_code == 2 and "no workspace here" in result.output
    monkeypatch.setenv("PEERKIT_WORKSPACE", str(ws_path))
    assert runner("client", "list", workspace=False).exit_code == 0


def test_bad_data_gives_one_line_exit_3_and_no_traceback(run, ws_path):
    (ws_path / "clients" / "C001.toml").write_text('id = "C001"\nname = \n')
    result = run("client", "list")
    assert result.exit_code == 3
    assert_no_traceback(result)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "C001.toml:2: not valid TOML" in lines[0]


def test_debug_shows_the_traceback(run, ws_path):
    (ws_path / "clients" / "C001.toml").write_text('id = "C001"\nname = \n')
    result = run("client", "list", env={"PEERKIT_DEBUG": "1"})
    assert result.exit_code != 0 and result.exception is not None


def test_config_with_a_plain_secret_is_refused(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace('tax_id = "keyring:tax-id"', 'tax_id = "12-3456789"'))
    assert run("client", "list").exit_code == 0  # a command that does not read peerkit.toml
    # status shows the problem after every alert it could collect, and exits 3
    result = run("status")
    assert result.exit_code == 3 and "field 'provider.tax_id'" in result.output
    assert "12-3456789" not in result.output
    from peerkit.errors import DataError
    from peerkit.workspace import Workspace

    with pytest.raises(DataError) as err:
        _ = Workspace(ws_path).config
    assert "peerkit secret set tax-id" in err.value.message
    assert "12-3456789" not in err.value.message


def test_templates_list_and_copy(run, ws_path):
    result = run("templates", "list", "--json")
    assert result.exit_code == 0
    names = {t["name"]: t for t in json.loads(result.stdout)}
    assert names, "default templates are shipped"
    name = sorted(names)[0]
    assert names[name]["source"] == "default"
    result = run("templates", "copy", name)
    assert result.exit_code == 0, result.output
    copied = ws_path / "templates" / name
    assert copied.read_bytes() == Path(names[name]["path"]).read_bytes()
    assert stat.S_IMODE(copied.stat().st_mode) == 0o600
    after = {t["name"]: t for t in json.loads(run("templates", "list", "--json").stdout)}
    assert after[name]["source"] == "workspace"
    again = run("templates", "copy", name)
    assert again.exit_code == 3 and "--force" in again.output
    assert run("templates", "copy", "no/such.j2").exit_code == 3


def test_secret_set_get_list_delete(run, memory_keyring, ws_path):
    assert run("secret", "set", "tax-id", input="12-3456789\n").exit_code == 0
    assert memory_keyring.store[("peerkit", "tax-id")] == "12-3456789"
    got = run("secret", "get", "tax-id")
    assert got.exit_code == 0 and got.stdout.strip() == "12-3456789"
    assert json.loads(run("secret", "list", "--json").stdout) == ["tax-id"]
    assert run("secret", "delete", "tax-id").exit_code == 0
    missing = run("secret", "get", "tax-id")
    assert missing.exit_code == 4 and "peerkit secret set tax-id" in missing.output
    # secret changes are audited by name only
    log = (ws_path / "audit.log").read_text()
    assert "tax-id" in log and "12-3456789" not in log
    assert run("secret", "set", "../bad", input="x\n").exit_code == 3


def test_missing_keyring_backend_is_exit_4_with_remedy(run):
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    result = run("secret", "get", "tax-id")
    assert result.exit_code == 4
    assert "no keyring backend" in result.output and "PYTHON_KEYRING_BACKEND" in result.output


def test_plaintext_keyring_is_refused_unless_allowed(run, tmp_path):
    from keyrings.alt.file import PlaintextKeyring  # noqa: F401 - installed with the test extra

    kr = PlaintextKeyring()
    kr.file_path  # noqa: B018
    keyring.set_keyring(kr)
    result = run("secret", "set", "tax-id", input="123\n")
    assert result.exit_code == 4 and "plain text" in result.output
    result = run("secret", "list", env={"PEERKIT_ALLOW_INSECURE_KEYRING": "1"})
    assert result.exit_code == 0


def test_null_keyring_is_refused(run):
    from keyring.backends import null

    keyring.set_keyring(null.Keyring())
    assert run("secret", "set", "tax-id", input="123\n").exit_code == 4


def test_audit_log_detects_edits_and_deletions(run, ws_path):
    for i in range(3):
        run("secret", "set", f"s{i}", input="v\n")
    assert run("audit", "verify").exit_code == 0
    log = ws_path / "audit.log"
    lines = log.read_text().splitlines()
    assert len(lines) == 3
    log.write_text("\n".join([lines[0], lines[2]]) + "\n")
    result = run("audit", "verify")
    assert result.exit_code == 1 and "audit.log:2" in result.output
    edited = lines[1].replace('"set"', '"get"')
    log.write_text("\n".join([lines[0], edited, lines[2]]) + "\n")
    result = run("audit", "verify")
    assert result.exit_code == 1 and "audit.log:3" in result.output


def test_doctor_warns_about_open_permissions(run, ws_path):
    os.chmod(ws_path / "clients" / "C001.toml", 0o644)
    result = run("doctor")
    assert result.exit_code == 1
    assert "C001.toml: readable by other users" in result.output


def test_status_with_nothing_due(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", "clients")
    result = run("status", "--as-of", "2026-11-25")
    assert result.exit_code == 0 and "Nothing needs attention" in result.output
    assert json.loads(run("status", "--json").stdout) == []


def test_version_and_python_m(tmp_path):
    import subprocess
    import sys

    from peerkit import __version__

    out = subprocess.run([sys.executable, "-m", "peerkit", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"peerkit {__version__}"
