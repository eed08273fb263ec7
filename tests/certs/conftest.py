"""Fixtures for the certs tests: a workspace with a fixed set of credentials (fictional)."""
from __future__ import annotations

import pytest

from tests.certs.certs_scenario import scenario_text


@pytest.fixture
def scenario(ws_path, monkeypatch):
    """The example workspace with the scenario's credentials.toml, today fixed at 2026-11-25."""
    (ws_path / "credentials.toml").write_text(scenario_text(), encoding="utf-8")
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T10:00:00")
    return ws_path
