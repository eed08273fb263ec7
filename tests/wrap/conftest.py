"""Fixtures of the wrap tests: a fixed clock, the example plan, editors that rewrite a file."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from peerkit import plugins as plugin_mod

TODAY = "2026-11-25"

# Every supporter's phone in examples/workspace/wrap/C001.toml
C001_PHONES = ["919-555-0142", "919-555-0187", "919-555-0110 ext. 204", "(919) 555-0163"]
SCRIPT_ITEM = "<script>alert('x')</script> & <b>bold</b>"


@pytest.fixture(autouse=True)
def wrap_clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", TODAY)
    monkeypatch.setenv("PEERKIT_NOW", TODAY + "T12:00:00")
    plugin_mod.set_plugins(None)
    yield
    plugin_mod.set_plugins(None)


@pytest.fixture
def plan_path(ws_path) -> Path:
    return ws_path / "wrap" / "C001.toml"


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.fixture
def make_editor(tmp_path, monkeypatch):
    """Set $EDITOR to a small Python script; ``body`` is the script's code acting on ``p``
    (a pathlib.Path of the file being edited)."""
    def make(body: str) -> Path:
        script = tmp_path / f"editor{len(list(tmp_path.glob('editor*.py')))}.py"
        script.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                          + textwrap.dedent(body), encoding="utf-8")
        monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{script}"')
        return script
    return make
