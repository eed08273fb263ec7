"""Fixtures for the resources tests: sample data copied into tests/resources/fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")


@pytest.fixture
def fx() -> Path:
    """The folder of copied sample data (each with its licence notice)."""
    return FIXTURES


@pytest.fixture
def snapshot():
    def take(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*"))
                if p.is_file()}
    return take


@pytest.fixture
def other_ws(tmp_path):
    """A second, empty workspace and a CLI runner for it: (path, run)."""
    from click.testing import CliRunner

    from peerkit.cli import cli
    from peerkit.commands.init import create_workspace

    path = create_workspace(tmp_path / "other")

    def run(*args):
        return CliRunner().invoke(cli, ["--workspace", str(path), *[str(a) for a in args]])

    return path, run
