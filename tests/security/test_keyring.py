"""Keyring edges (issue 13): no D-Bus is exit 4 with the remedy, never 70; doctor never calls a
plaintext keyring or a missing referenced secret "all clear"."""
from __future__ import annotations

import os
import subprocess
import sys

import keyring
import keyring.errors
import pytest

from peerkit.testing import memory_keyring


def peerkit(args, *, cwd, env_extra, drop=(), input=None):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "peerkit", *args], cwd=cwd, input=input,
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("bus", [None, "unix:path=/nonexistent/peerkit-test-bus"],
                         ids=["no-dbus-session", "dbus-address-with-no-daemon"])
def test_secret_service_without_dbus_is_exit_4_with_what_to_do(ws_path, tmp_path, bus):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
           "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    if bus:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    drop = () if bus else ("DBUS_SESSION_BUS_ADDRESS",)
    for args in (["secret", "set", "tax-id", "--stdin"], ["secret", "list"]):
        proc = peerkit(args, cwd=ws_path, env_extra=env, drop=drop, input="12-3456789\n")
        assert proc.returncode == 4, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error:"), proc.stderr
        assert "D-Bus" in lines[0] and "dbus-run-session" in lines[0]
        assert "12-3456789" not in proc.stderr + proc.stdout
    doctor = peerkit(["doctor"], cwd=ws_path, env_extra=env, drop=drop)
    assert doctor.returncode == 1, doctor.stderr
    assert "keyring: the keyring could not start" in doctor.stdout and "D-Bus" in doctor.stdout
    assert "All checks passed" not in doctor.stdout


class LockedKeyring(type(memory_keyring())):
    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


def test_any_keyring_backend_error_is_exit_4_not_70(run):
    keyring.set_keyring(LockedKeyring())
    for args, stdin in ((["secret", "set", "tax-id"], "123\n"), (["secret", "list"], None)):
        result = run(*args, input=stdin)
        assert result.exit_code == 4, result.output
        assert "KeyringLocked" in result.output and "PYTHON_KEYRING_BACKEND" in result.output
    doctor = run("doctor")
    assert doctor.exit_code == 1 and "KeyringLocked" in doctor.output


def _clean_doctor(run_empty):
    result = run_empty("doctor")
    assert result.exit_code == 0 and "All checks passed." in result.output, result.output


def test_doctor_warns_about_an_allowed_plaintext_keyring(run_empty, monkeypatch):
    from keyrings.alt.file import PlaintextKeyring

    _clean_doctor(run_empty)  # the same workspace passes with a real keyring
    keyring.set_keyring(PlaintextKeyring())
    monkeypatch.setenv("PEERKIT_ALLOW_INSECURE_KEYRING", "1")
    result = run_empty("doctor")
    assert result.exit_code == 1
    assert "keyring: secrets are stored in plain text (keyrings.alt.file.PlaintextKeyring)" in result.output
    assert "All checks passed" not in result.output
    monkeypatch.delenv("PEERKIT_ALLOW_INSECURE_KEYRING")
    refused = run_empty("doctor")
    assert refused.exit_code == 1 and "stores secrets in plain text" in refused.output


def test_doctor_warns_about_referenced_secrets_missing_from_the_keyring(run_empty, empty_ws):
    _clean_doctor(run_empty)
    config = empty_ws / "peerkit.toml"
    config.write_text(config.read_text().replace('# tax_id = "keyring:tax-id"', 'tax_id = "keyring:tax-id"'))
    result = run_empty("doctor")
    assert result.exit_code == 1
    assert ("peerkit.toml: provider.tax_id refers to keyring secret 'tax-id', which is not set: "
            "run 'peerkit secret set tax-id'") in result.output
    assert run_empty("secret", "set", "tax-id", input="12-3456789\n").exit_code == 0
    _clean_doctor(run_empty)
