"""The invoice plugin's 'peerkit status' alerts are kept in notes/.invoice-alerts-cache.json
(peerkit.derived) and believed only while every record they read is unchanged -- including
the billed notes that invoices/.billed-notes-cache.json answers for (issue 19)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

import peerkit_invoice
from peerkit import storage

NOTE = "N-2026-11-16-C001-1"       # approved, 65 min = 4 units at 11.61 = 46.44 on 2026-W47
NOTE_PATH = f"notes/2026/11/{NOTE}.toml"


@pytest.fixture
def computed(settled_calls):
    return settled_calls(peerkit_invoice, "_alerts")


def _alerts(run, today="2026-12-02"):
    result = run("status", "--as-of", today, "--json")
    assert result.exit_code in (0, 1), result.output
    return [(a["subject"], a["message"]) for a in json.loads(result.stdout) if a["source"] == "invoice"]


def _warm(run, computed):
    first = _alerts(run)
    assert _alerts(run) == first and len(computed) == 1
    computed.clear()
    return first


def test_kept_alerts_are_shown_without_computing(run, ws_path, computed):
    first = _warm(run, computed)
    assert any("not invoiced yet" in m for _s, m in first)
    assert (ws_path / "notes" / ".invoice-alerts-cache.json").is_file()
    assert _alerts(run) == first and computed == []


def test_issuing_an_invoice_clears_the_alert_at_once(run, ws_path, computed, monkeypatch):
    before = _warm(run, computed)
    assert any(s.startswith("2026-11-16..") for s, _m in before)
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-02")
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    after = _alerts(run)
    assert len(computed) == 1 and not any(s.startswith("2026-11-16..") for s, _m in after)


def test_a_billed_note_changed_in_place_shows_its_adjustment(run, ws_path, computed, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-02")
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    _warm(run, computed)
    path = ws_path / NOTE_PATH
    text = path.read_text().replace('status = "approved"', 'status = "denied"')
    with open(path, "w") as f:      # an editor writing in place: same inode
        f.write(text)
    after = _alerts(run)
    assert len(computed) == 1
    assert any(s == f"INV-2026-0001 {NOTE}" and "-4 units" in m for s, m in after)


def test_a_new_approved_note_shows_at_once(run, ws_path, computed):
    _warm(run, computed)
    data = storage.read_toml(ws_path / NOTE_PATH)
    data.update(id="N-2026-11-02-C001-9", date=dt.date(2026, 11, 2))
    storage.write_toml(ws_path / "notes/2026/11/N-2026-11-02-C001-9.toml", data)
    after = _alerts(run)
    assert len(computed) == 1
    assert any(s.startswith("2026-11-02..") for s, _m in after)


def test_a_billed_note_older_than_the_alert_window_still_shows_its_adjustment(run, ws_path, computed,
                                                                             monkeypatch):
    """Months only the billed-notes cache answers for (no note of them is otherwise read) are
    watched too: that cache tells the recording which range it stands for."""
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-02")
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    _alerts(run)             # writes invoices/.billed-notes-cache.json
    assert (ws_path / "invoices" / ".billed-notes-cache.json").is_file()
    computed.clear()
    later = "2027-04-15"     # November 2026 is out of the 120-day window of uninvoiced notes
    first = _alerts(run, later)
    assert _alerts(run, later) == first and len(computed) == 1
    path = ws_path / NOTE_PATH
    text = path.read_text().replace('status = "approved"', 'status = "denied"')
    with open(path, "w") as f:
        f.write(text)
    after = _alerts(run, later)
    assert len(computed) == 2
    assert any(s == f"INV-2026-0001 {NOTE}" and "-4 units" in m for s, m in after)


def test_a_kept_inner_answer_watches_its_files_for_the_outer_one(run, ws_path, computed, monkeypatch):
    """The alerts are computed again (a new note) while the pending adjustments inside them are
    still kept: the files those depend on must be watched by the kept alerts too."""
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-02")
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    later = "2027-04-15"
    first = _alerts(run, later)
    assert _alerts(run, later) == first
    data = storage.read_toml(ws_path / NOTE_PATH)
    data.update(id="N-2027-03-01-C001-9", date=dt.date(2027, 3, 1))
    storage.write_toml(ws_path / "notes/2027/03/N-2027-03-01-C001-9.toml", data)
    assert any(s.startswith("2027-03-01..") for s, _m in _alerts(run, later))
    assert any(s.startswith("2027-03-01..") for s, _m in _alerts(run, later))   # kept
    path = ws_path / NOTE_PATH
    text = path.read_text().replace('status = "approved"', 'status = "denied"')
    with open(path, "w") as f:
        f.write(text)
    after = _alerts(run, later)
    assert any(s == f"INV-2026-0001 {NOTE}" and "-4 units" in m for s, m in after)
