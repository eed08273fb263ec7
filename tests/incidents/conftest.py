from __future__ import annotations

import pytest


@pytest.fixture
def now(monkeypatch):
    """Fix the clock at 2026-11-25 10:00 local time."""
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T10:00:00")


@pytest.fixture
def level3(ws_path, run, now):
    """A level III incident learned of 25 hours ago."""
    result = run("incident", "add", "--level", "III", "--occurred-at", "2026-11-24T08:30",
                 "--learned-at", "2026-11-24T09:00", "--client", "C001",
                 "--what", "Generic fictional event", "--actions", "Generic fictional actions")
    assert result.exit_code == 0, result.output
    return "INC-2026-11-24-1"
