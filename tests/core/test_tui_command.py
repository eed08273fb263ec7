"""``peerkit tui`` outside the forms themselves (tests/tui runs those with the extra installed):
it needs a terminal, says what to install without the extra, and opens the forms on the
workspace given."""
from __future__ import annotations

import sys
import types

import pytest


@pytest.fixture
def terminal(monkeypatch):
    """stdin and stdout are a terminal, as when a person types 'peerkit tui'."""
    fake_sys = types.SimpleNamespace(stdin=types.SimpleNamespace(isatty=lambda: True),
                                     stdout=types.SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr("peerkit.commands.tui.sys", fake_sys)


def test_without_a_terminal_it_points_to_the_commands(run):
    result = run("tui")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: peerkit tui needs a terminal (stdin and stdout); "
                                              "in scripts use the commands themselves")


def test_without_the_extra_it_says_what_to_install(run, terminal, monkeypatch):
    monkeypatch.setitem(sys.modules, "peerkit.tui", None)  # import fails as without textual
    result = run("tui")
    assert result.exit_code == 4
    assert result.stderr.strip() == "Error: peerkit tui needs the optional extra: pip install 'peerkit[tui]'"


def test_the_forms_open_on_the_workspace(run, ws_path, terminal, monkeypatch):
    opened = []

    class Forms:
        def __init__(self, root):
            self.root = root

        def run(self):
            opened.append(self.root)

    monkeypatch.setitem(sys.modules, "peerkit.tui", types.SimpleNamespace(PeerkitTui=Forms))
    result = run("tui")
    assert result.exit_code == 0, result.output
    assert opened == [ws_path.resolve()]
