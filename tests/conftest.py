"""Shared fixtures of peerkit's own tests, built on the pytest plugin ``peerkit.testing``
(the same fixtures plugin authors use): isolated environment, in-memory keyring, example
workspace, CLI runner, plugin registration."""
from __future__ import annotations

from pathlib import Path

import pytest

from peerkit.testing import Runner

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workspace"
BUILTINS = ("activities", "caseload", "certs", "clients", "crypt", "incidents", "invoice", "notes", "resources",
            "sync", "trips", "wrap")


@pytest.fixture(autouse=True)
def isolated_env(peerkit_env):
    """No leakage from the developer's machine: plugins, keyring, workspace, clock."""
    return peerkit_env


@pytest.fixture
def memory_keyring(peerkit_env):
    return peerkit_env


@pytest.fixture
def ws_path(peerkit_workspace) -> Path:
    """A private copy of the example workspace."""
    return peerkit_workspace


@pytest.fixture
def ws(ws_path):
    from peerkit.workspace import Workspace

    return Workspace(ws_path)


@pytest.fixture
def empty_ws(peerkit_empty_workspace) -> Path:
    return peerkit_empty_workspace


@pytest.fixture
def run(peerkit_run):
    return peerkit_run


@pytest.fixture
def run_empty(empty_ws):
    return Runner(empty_ws)


@pytest.fixture
def trust_workspace():
    """``trust_workspace(path)``: what 'peerkit trust PATH' does, after writing plugins/*.py."""
    from peerkit.trust import trust

    return trust


@pytest.fixture
def register_plugin(peerkit_register):
    """Register a test plugin for every CLI invocation in the test; always removed after."""
    return peerkit_register


def assert_no_traceback(result):
    assert "Traceback" not in (result.output or ""), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@pytest.fixture
def settled_calls(monkeypatch):
    """For the kept-answer tests: files just written count as settled (``notecache.RACY_NS``
    = 0), and ``settled_calls(module, "name")`` wraps that function so that each real call
    appends ``what(*args, **kwargs)`` (default 1) to the list it returns."""
    from peerkit import notecache

    monkeypatch.setattr(notecache, "RACY_NS", 0)

    def count(owner, name, what=lambda *a, **kw: 1):
        calls = []
        real = getattr(owner, name)

        def counting(*a, **kw):
            calls.append(what(*a, **kw))
            return real(*a, **kw)

        monkeypatch.setattr(owner, name, counting)
        return calls

    return count
