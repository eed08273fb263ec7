"""Shared fixtures: isolated environment, in-memory keyring, example workspace, CLI runner."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import keyring
import keyring.backend
import pytest
from click.testing import CliRunner

from peerkit import context
from peerkit.cli import cli

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workspace"
BUILTINS = ("caseload", "certs", "clients", "crypt", "incidents", "invoice", "notes", "resources", "wrap")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring so tests never touch the machine's real keyring."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path_factory):
    """No leakage from the developer's machine: plugins, keyring, workspace, clock."""
    for var in ("PEERKIT_WORKSPACE", "PEERKIT_DISABLE_PLUGINS", "PEERKIT_TRACE_PLUGINS",
                "PEERKIT_DEBUG", "PEERKIT_STRICT_PLUGINS", "PEERKIT_ALLOW_INSECURE_KEYRING",
                "PEERKIT_TODAY", "PEERKIT_NOW", "VISUAL", "EDITOR"):
        monkeypatch.delenv(var, raising=False)
    # Built-ins only: a developer's installed plugins (the example agency plugin) stay out.
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", ",".join(BUILTINS))
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    # The trust list (peerkit.trust) lives in a private temporary config folder per test.
    monkeypatch.setenv("PEERKIT_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(isolated_env):
    return isolated_env


@pytest.fixture
def ws_path(tmp_path) -> Path:
    """A private copy of the example workspace."""
    from peerkit.commands.init import FOLDERS

    target = tmp_path / "ws"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in FOLDERS:  # git keeps no empty folders: make them as 'peerkit init' does
        (target / folder).mkdir(exist_ok=True)
    return target


@pytest.fixture
def ws(ws_path):
    from peerkit.workspace import Workspace

    return Workspace(ws_path)


@pytest.fixture
def empty_ws(tmp_path) -> Path:
    from peerkit.commands.init import create_workspace

    return create_workspace(tmp_path / "empty")


class Runner:
    """``run("note", "list", "--json")`` against a workspace; returns click's Result."""

    def __init__(self, workspace: Path | None):
        self.workspace = workspace
        self.runner = CliRunner()

    def __call__(self, *args, input=None, workspace: Path | None | bool = True, env=None):
        argv = [str(a) for a in args]
        target = self.workspace if workspace is True else workspace
        if target:
            argv = ["--workspace", str(target), *argv]
        return self.runner.invoke(cli, argv, input=input, env=env, catch_exceptions=True)


@pytest.fixture
def run(ws_path):
    return Runner(ws_path)


@pytest.fixture
def run_empty(empty_ws):
    return Runner(empty_ws)


@pytest.fixture
def trust_workspace():
    """``trust_workspace(path)``: what 'peerkit trust PATH' does, after writing plugins/*.py."""
    from peerkit.trust import trust

    return trust


@pytest.fixture
def register_plugin():
    """Register a test plugin for every CLI invocation in the test; always removed after."""
    added = []

    def register(obj, name="test_plugin"):
        context.EXTRA_PLUGINS.append((name, obj))
        added.append((name, obj))
        current = os.environ.get("PEERKIT_LOAD_PLUGINS")
        if current is not None and name not in current.split(","):
            os.environ["PEERKIT_LOAD_PLUGINS"] = current + "," + name
        return obj

    yield register
    for item in added:
        if item in context.EXTRA_PLUGINS:
            context.EXTRA_PLUGINS.remove(item)


def assert_no_traceback(result):
    assert "Traceback" not in (result.output or ""), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
