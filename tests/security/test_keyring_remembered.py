"""The keyring backend the user's secrets live in is recorded and loaded alone next time (issue 19),
without weakening a single check of peerkit.secrets."""
from __future__ import annotations

import os
import subprocess
import sys

import keyring
import keyring.backend
import keyring.core
import pytest

from peerkit import secrets, session
from peerkit.errors import SecretError
from peerkit.testing import memory_keyring

MemoryKeyring = type(memory_keyring())

STORE: dict = {}


class RememberedKeyring(MemoryKeyring):
    """A backend a fresh process can load by name; its store survives instances like a real one."""

    def __init__(self):
        super().__init__()
        self.store = STORE


@pytest.fixture
def fresh_process(monkeypatch):
    """As in a new process: no backend chosen yet; keyring's detection must not be needed."""
    STORE.clear()
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setattr(session.current(), "keyring_detected", False)

    def no_detection(*args, **kwargs):
        raise AssertionError("keyring detected a backend although one was recorded")

    monkeypatch.setattr(keyring.core, "init_backend", no_detection)
    return monkeypatch


def _detects(monkeypatch, cls):
    def detect(limit=None):
        keyring.core.set_keyring(cls())

    monkeypatch.setattr(keyring.core, "init_backend", detect)


NAME = f"{RememberedKeyring.__module__}.RememberedKeyring"


def test_a_stored_secret_records_its_backend_and_the_next_process_loads_only_it(fresh_process):
    _detects(fresh_process, RememberedKeyring)
    secrets.set_secret("tax-id", "12-3456789")
    assert secrets.remembered_file().read_text() == NAME + "\n"
    # the next process: detection would fail the test; the recorded backend answers
    fresh_process.setattr(keyring.core, "_keyring_backend", None)
    fresh_process.setattr(keyring.core, "init_backend",
                          lambda limit=None: (_ for _ in ()).throw(AssertionError("detected")))
    assert secrets.get_secret("tax-id") == "12-3456789"
    assert type(keyring.get_keyring()) is RememberedKeyring


def test_a_recorded_plaintext_backend_is_still_refused(fresh_process, tmp_path):
    fresh_process.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = secrets.remembered_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("keyrings.alt.file.PlaintextKeyring\n")
    with pytest.raises(SecretError, match="plain text"):
        secrets.backend()
    assert type(keyring.get_keyring()).__name__ == "PlaintextKeyring"   # it was the one loaded
    path.write_text("keyring.backends.null.Keyring\n")
    fresh_process.setattr(keyring.core, "_keyring_backend", None)
    with pytest.raises(SecretError, match="null backend"):
        secrets.backend()


def test_environment_and_keyring_config_win_over_the_record(fresh_process):
    path = secrets.remembered_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NAME + "\n")
    fresh_process.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    fresh_process.setattr(keyring.core, "init_backend",
                          lambda limit=None: keyring.core.set_keyring(keyring.core.load_env()))
    with pytest.raises(SecretError, match="null backend"):
        secrets.backend()


def test_a_record_that_cannot_load_or_that_others_can_change_is_ignored(fresh_process):
    path = secrets.remembered_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    _detects(fresh_process, RememberedKeyring)
    for bad in ("no.such.module.Keyring", "os.system('x')", ""):
        path.write_text(bad + "\n")
        fresh_process.setattr(keyring.core, "_keyring_backend", None)
        assert type(secrets.backend()) is RememberedKeyring   # detected
    if hasattr(os, "getuid"):
        path.write_text("keyring.backends.null.Keyring\n")
        os.chmod(path, 0o666)
        fresh_process.setattr(keyring.core, "_keyring_backend", None)
        assert type(secrets.backend()) is RememberedKeyring   # not the recorded null backend


def test_a_backend_set_by_the_caller_is_never_recorded(memory_keyring):
    secrets.set_secret("tax-id", "12-3456789")
    assert not secrets.remembered_file().exists()


def test_cli_end_to_end_no_other_backend_is_imported_once_recorded(ws_path, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")}
    env.update({"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
                "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PEERKIT_ALLOW_INSECURE_KEYRING": "1",
                "PEERKIT_CONFIG_DIR": str(tmp_path / "config")})

    def peerkit(*args, stdin=None, flags=()):
        return subprocess.run([sys.executable, *flags, "-m", "peerkit", *args], cwd=ws_path,
                              input=stdin, capture_output=True, text=True, env=env, timeout=120)

    first = peerkit("secret", "set", "tax-id", "--stdin", stdin="12-3456789\n")
    assert first.returncode == 0, first.stderr
    recorded = (tmp_path / "config" / "keyring-backend").read_text().strip()
    assert recorded.startswith("keyrings.alt.")   # the only backend this venv can start headless
    second = peerkit("secret", "get", "tax-id", flags=("-X", "importtime"))
    assert second.returncode == 0 and second.stdout.strip() == "12-3456789", second.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in second.stderr.splitlines()
                if line.startswith("import time:")}
    assert "keyring.backends.SecretService" not in imported
    assert "keyring.backends.kwallet" not in imported
    del env["PEERKIT_ALLOW_INSECURE_KEYRING"]      # the record never bypasses the refusal
    refused = peerkit("secret", "get", "tax-id")
    assert refused.returncode == 4 and "plain text" in refused.stderr
