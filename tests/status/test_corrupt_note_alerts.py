"""One corrupt note file never hides the other alerts of the plugins that read notes
(invoice, caseload, notes): status shows them, names the file and exits 3."""
from __future__ import annotations

import json

CORRUPT = "notes/2026/11/N-2026-11-02-C001-1.toml"  # client C001, week 2026-11-02..08


def _status(run):
    result = run("status", "--json")
    return result, json.loads(result.stdout or "[]")


def _untouched(alerts: list, source: str) -> list:
    """The alerts of ``source`` that do not depend on the corrupt note (another week for the
    invoice, another client for the caseload)."""
    if source == "invoice":
        return [a for a in alerts if a["source"] == "invoice"
                and not a["subject"].startswith("2026-11-02..")]
    return [a for a in alerts if a["source"] == source and not a["subject"].startswith("C001")]


def test_a_corrupt_note_keeps_the_invoice_and_caseload_alerts(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    result, before = _status(run)
    assert result.exit_code == 1
    expected = {s: _untouched(before, s) for s in ("invoice", "caseload")}
    # the example has alerts of both that do not depend on the note corrupted below
    assert len(expected["invoice"]) == 2 and len(expected["caseload"]) >= 3

    (ws_path / CORRUPT).write_text("status = [\n")
    result, after = _status(run)
    assert result.exit_code == 3
    assert result.stderr.count(CORRUPT) == 1  # read by three plugins, shown once
    for source, alerts in expected.items():
        assert _untouched(after, source) == alerts

    text = run("status")
    assert text.exit_code == 3
    assert CORRUPT in text.stdout
    assert "Nothing needs attention" not in text.output
    assert "approved note(s) not invoiced yet" in text.stdout          # an invoice alert
    assert "C003 H0038" in text.stdout                                 # a caseload alert


def test_the_caseload_command_still_stops_on_a_corrupt_note(run, ws_path, monkeypatch):
    """Only the status alerts go on without the file: the caseload report itself refuses."""
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    (ws_path / CORRUPT).write_text("status = [\n")
    result = run("caseload")
    assert result.exit_code == 3
    assert CORRUPT in result.output


def test_a_corrupt_note_of_an_issued_invoice_is_reported_not_billed_back(run, ws_path, monkeypatch):
    """An invoiced note that cannot be read: the adjustment cannot be computed, so status says
    which file (exit 3) rather than showing a credit for a note that merely failed to read."""
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    issued = run("invoice", "--from", "2026-11-02", "--to", "2026-11-08", "--out", str(ws_path / "i.xlsx"))
    assert issued.exit_code == 0, issued.output
    (ws_path / CORRUPT).write_text("status = [\n")
    result, after = _status(run)
    assert result.exit_code == 3
    assert CORRUPT in result.stderr
    assert not [a for a in after if "adjustment" in a["message"]]
    assert [a["subject"] for a in after if a["source"] == "invoice"] == [
        "2026-11-09..2026-11-15", "2026-11-16..2026-11-22"]


def test_a_broken_client_record_is_a_data_problem_shown_once_not_an_alert(run, ws_path, monkeypatch):
    """Before, the clients plugin turned the record's DataError into an error alert too, so
    the same line was shown twice (as an alert and under NOT CHECKED)."""
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    path = ws_path / "clients" / "C001.toml"
    path.write_text(path.read_text().replace("admitted = 2026-09-01", 'admitted = "soon"'))
    result = run("status")
    assert result.exit_code == 3
    assert result.stdout.count("clients/C001.toml:7: field 'admitted'") == 1
    assert "NOT CHECKED" in result.stdout
    result, alerts = _status(run)
    assert result.exit_code == 3
    assert not [a for a in alerts if a["source"] == "clients" and a["subject"] == "clients"]
