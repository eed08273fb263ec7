"""pytest fixtures for testing peerkit plugins (a pytest plugin shipped in peerkit's wheel).

Installing peerkit registers this module with pytest through the ``pytest11`` entry point
``peerkit``. It adds no hooks and no autouse fixtures: nothing happens in a test run until a
test asks for one of these fixtures, and they import peerkit only inside their bodies.

    peerkit_env               hermetic environment: no PEERKIT_* variables from your shell,
                              HOME and PEERKIT_CONFIG_DIR in temporary folders, an in-memory
                              keyring (returned;
                              ``.store`` is ``{(service, name): value}``), built-in plugins only
    peerkit_workspace         a private copy of the example workspace (fictional people) -> Path
    peerkit_empty_workspace   a new empty workspace, as ``peerkit init`` makes it -> Path
    peerkit_run               ``peerkit_run("note", "list", "--json")`` runs the CLI in-process
                              against ``peerkit_workspace``; returns click's Result
                              (``.exit_code``, ``.stdout`` = data, ``.stderr`` = messages)
    peerkit_register          ``peerkit_register(plugin, "name")`` loads a plugin object in every
                              peerkit run of the test, replacing an installed plugin of that name

If pytest runs with plugin autoloading disabled (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``), enable
these fixtures with ``pytest -p peerkit``; ``-p no:peerkit`` turns them off.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pytest

if TYPE_CHECKING:  # pragma: no cover - nothing of peerkit is imported until a fixture runs
    from click.testing import Result

    from peerkit.memory_keyring import MemoryKeyring
    from peerkit.plugins import Plugins

T = TypeVar("T")


class Register(Protocol):
    """What ``peerkit_register`` gives: ``register(plugin, name="test_plugin") -> plugin``."""

    def __call__(self, plugin: T, name: str = ...) -> T: ...


# Variables that change what peerkit does; peerkit_env removes them for the test.
PEERKIT_VARIABLES = (
    "PEERKIT_WORKSPACE", "PEERKIT_DISABLE_PLUGINS", "PEERKIT_LOAD_PLUGINS", "PEERKIT_TRACE_PLUGINS",
    "PEERKIT_DEBUG", "PEERKIT_STRICT_PLUGINS", "PEERKIT_ALLOW_INSECURE_KEYRING", "PEERKIT_TODAY",
    "PEERKIT_NOW", "PEERKIT_LOCK_TIMEOUT", "PEERKIT_CACHE_DIR", "VISUAL", "EDITOR",
)


def builtin_plugin_names() -> list[str]:
    """The names of peerkit's own feature plugins (entry points of the peerkit distribution)."""
    from importlib.metadata import entry_points

    names: list[str] = []
    for ep in entry_points(group="peerkit"):
        dist = getattr(ep, "dist", None)
        if dist is not None and (dist.metadata["Name"] or "").lower() == "peerkit":
            names.append(ep.name)
    return sorted(names)


def memory_keyring() -> MemoryKeyring:
    """A fresh in-memory keyring backend (``.store`` holds what was set)."""
    from peerkit.memory_keyring import MemoryKeyring

    return MemoryKeyring()


class Runner:
    """Runs the peerkit CLI in-process: ``runner("note", "list", "--json")``.

    ``workspace=`` another folder for one call (``None``/``False``: no ``--workspace``);
    ``input=`` text for stdin; ``env=`` extra environment variables for the call.
    """

    def __init__(self, workspace: Path | None) -> None:
        from click.testing import CliRunner

        self.workspace = workspace
        self.runner = CliRunner()

    def __call__(self, *args: Any, input: str | bytes | None = None, workspace: Path | None | bool = True,
                 env: Mapping[str, str | None] | None = None) -> Result:
        from peerkit.cli import cli

        argv = [str(a) for a in args]
        target = self.workspace if workspace is True else workspace
        if target:
            argv = ["--workspace", str(target), *argv]
        return self.runner.invoke(cli, argv, input=input, env=env, catch_exceptions=True,
                                  prog_name="peerkit")


@pytest.fixture
def peerkit_env(monkeypatch: pytest.MonkeyPatch,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemoryKeyring]:
    """No leakage from the machine: PEERKIT_* variables, HOME, keyring, installed plugins."""
    import keyring

    from peerkit import plugins as plugin_mod

    for var in PEERKIT_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", ",".join(builtin_plugin_names()))
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    # peerkit's own per-user settings (such as the list of trusted workspaces) in a private folder
    monkeypatch.setenv("PEERKIT_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)   # caches under the temporary HOME
    backend = memory_keyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    plugin_mod.set_plugins(None)
    yield backend
    plugin_mod.set_plugins(None)
    keyring.set_keyring(previous)


@pytest.fixture
def peerkit_workspace(peerkit_env: MemoryKeyring, tmp_path: Path) -> Path:
    """A private copy of the example workspace, in ``tmp_path / "ws"``."""
    import shutil

    from peerkit.commands.init import example_dir, folders

    target = tmp_path / "ws"
    shutil.copytree(example_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for folder in folders():  # git keeps no empty folders: make them as 'peerkit init' does
        (target / folder).mkdir(exist_ok=True)
    return target


@pytest.fixture
def peerkit_empty_workspace(peerkit_env: MemoryKeyring, tmp_path: Path) -> Path:
    """A new, empty workspace in ``tmp_path / "empty"``."""
    from peerkit.commands.init import create_workspace

    return create_workspace(tmp_path / "empty")


@pytest.fixture
def peerkit_run(peerkit_workspace: Path) -> Runner:
    """A CLI runner bound to ``peerkit_workspace``."""
    return Runner(peerkit_workspace)


@pytest.fixture
def peerkit_register(peerkit_env: MemoryKeyring) -> Iterator[Register]:
    """``register(plugin, name)``: load ``plugin`` in every peerkit run of this test.

    The object replaces an installed (entry point) or workspace plugin of the same name, so a
    plugin can be tested under its own name while it is also installed. Removed after the test.
    """
    from peerkit import plugins as plugin_mod

    registered: list[tuple[str, object]] = []

    def factory(**kwargs: Any) -> Plugins:
        return plugin_mod.Plugins(**kwargs, objects=list(registered))

    def register(plugin: T, name: str = "test_plugin") -> T:
        registered[:] = [(n, p) for n, p in registered if n != name]
        registered.append((name, plugin))
        plugin_mod.set_plugins(None)  # a plugin set built before this call is stale
        return plugin

    previous = plugin_mod.set_factory(factory)
    yield register
    plugin_mod.set_factory(previous)
