"""The drafts behind the notes plugin's 'status' alerts are kept in
notes/.draft-alerts-cache.json (peerkit.derived) while no record read changed; the clock is
applied afresh on every run (issue 19)."""
from __future__ import annotations

import json

import pytest

from peerkit_notes import overdue

DRAFT = "N-2026-11-24-C004-1"     # the example draft: ended 2026-11-24 14:50, deadline 24 h


@pytest.fixture
def computed(settled_calls):
    return settled_calls(overdue, "_draft_deadlines")


def _alerts(run):
    result = run("status", "--json")
    assert result.exit_code in (0, 1), result.output
    return [(a["subject"], a["severity"]) for a in json.loads(result.stdout) if a["source"] == "notes"]


def test_the_clock_applies_to_kept_drafts(run, ws_path, computed, monkeypatch):
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")
    assert _alerts(run) == [(DRAFT, "warning")]
    assert _alerts(run) == [(DRAFT, "warning")] and len(computed) == 1
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T16:00:00")     # past the deadline, same day
    assert _alerts(run) == [(DRAFT, "error")] and len(computed) == 1


def test_a_draft_signed_or_removed_shows_at_once(run, ws_path, computed, monkeypatch):
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")
    _alerts(run)
    _alerts(run)
    path = ws_path / f"notes/2026/11/{DRAFT}.toml"
    text = path.read_text()
    with open(path, "w") as f:                                    # in place: same inode
        f.write(text.replace('status = "draft"', 'status = "signed"'))
    assert _alerts(run) == [] and len(computed) == 2
    path.unlink()
    assert _alerts(run) == [] and len(computed) == 3


def test_a_damaged_cache_is_not_believed(run, ws_path, computed, monkeypatch):
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")
    _alerts(run)
    cache = ws_path / "notes" / ".draft-alerts-cache.json"
    data = json.loads(cache.read_text())
    data["value"] = [["N-2026-11-24-C004-1", "not a time"]]
    cache.write_text(json.dumps(data))
    assert _alerts(run) == [(DRAFT, "warning")]
