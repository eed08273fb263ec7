"""The caseload alerts of 'peerkit status' are kept in notes/.caseload-alerts-cache.json
(peerkit.derived) and believed only while every record they read is unchanged (issue 19)."""
from __future__ import annotations

import json

import pytest

from peerkit_caseload import model


@pytest.fixture
def computed(settled_calls):
    return settled_calls(model, "compute")


def _alerts(run):
    result = run("status", "--as-of", "2026-11-25", "--json")
    assert result.exit_code in (0, 1), result.output
    return [(a["subject"], a["severity"], a["due"], a["message"])
            for a in json.loads(result.stdout) if a["source"] == "caseload"]


def _warm(run, computed):
    first = _alerts(run)
    assert _alerts(run) == first and len(computed) == 1
    computed.clear()
    return first


def test_kept_alerts_are_shown_without_computing(run, ws_path, computed):
    first = _warm(run, computed)
    assert any(s == "C002 H0038" and "ends on 2026-12-05" in m for s, _sev, _d, m in first)
    assert (ws_path / "notes" / ".caseload-alerts-cache.json").is_file()
    assert _alerts(run) == first and computed == []


def test_an_authorization_changed_shows_at_once(run, ws_path, computed):
    _warm(run, computed)
    path = ws_path / "clients" / "C002.toml"
    path.write_text(path.read_text().replace("end = 2026-12-05", "end = 2026-12-04", 1))
    after = _alerts(run)
    assert len(computed) == 1
    assert any(s == "C002 H0038" and "ends on 2026-12-04" in m for s, _sev, _d, m in after)


def test_a_setting_changed_shows_at_once(run, ws_path, computed):
    _warm(run, computed)
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace("max_people = 10", "max_people = 1"))
    after = _alerts(run)
    assert len(computed) == 1
    assert any(s == "caseload" and "max_people" in m for s, _sev, _d, m in after)


def test_a_note_removed_shows_at_once(run, ws_path, computed):
    before = _warm(run, computed)
    for path in sorted((ws_path / "notes").rglob("N-*-C002-*.toml")):
        path.unlink()
    after = _alerts(run)
    assert len(computed) == 1 and after != before


def test_a_broken_note_is_reported_and_nothing_kept(run, ws_path, computed):
    _warm(run, computed)
    (ws_path / "notes/2026/11/N-2026-11-20-C002-7.toml").write_text("not = = toml\n")
    result = run("status", "--as-of", "2026-11-25", "--json")
    assert result.exit_code == 3 and "N-2026-11-20-C002-7.toml" in result.output
    result = run("status", "--as-of", "2026-11-25", "--json")
    assert result.exit_code == 3 and len(computed) == 2


def test_a_damaged_cache_is_not_believed(run, ws_path, computed):
    first = _warm(run, computed)
    cache = ws_path / "notes" / ".caseload-alerts-cache.json"
    data = json.loads(cache.read_text())
    data["value"] = [{"source": "caseload", "subject": "x"}]
    cache.write_text(json.dumps(data))
    assert _alerts(run) == first
    cache.write_text(cache.read_text()[:20])
    assert _alerts(run) == first
