"""Billing adjustments read the billed lines kept in invoices/index.json, never the snapshots,
when the index is current (issue 19, speed); a stale or older index is rebuilt with them."""
from __future__ import annotations

import json

import pytest
from invoice_helpers import assert_no_traceback

from peerkit_invoice import model

NOTE = "N-2026-11-16-C001-1"       # approved, 65 min = 4 units at 11.61 = 46.44 on 2026-W47


def _no_snapshot_reads(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a snapshot was parsed")

    monkeypatch.setattr(model.Invoice, "from_snapshot", classmethod(refuse))
    monkeypatch.setattr(model, "_entry_from_snapshot", refuse)


def _adjustments(run, week):
    result = run("invoice", "--week", week, "--preview", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    return [ln for ln in json.loads(result.stdout)["lines"] if ln["kind"] == "adjustment"]


def _status_alerts(run):
    result = run("status", "--json")
    assert_no_traceback(result)
    return [a for a in json.loads(result.stdout) if "adjustment" in a["message"]]


@pytest.mark.parametrize("change", [
    ("note", "edit", NOTE, "--end", "19:00", "--reason", "end time was wrong"),
    ("note", "void", NOTE, "--reason", "duplicate", "--force"),
])
def test_pending_adjustments_read_the_index_not_the_snapshots(run, today, monkeypatch, change):
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    result = run(*change)
    assert result.exit_code == 0, result.output
    _no_snapshot_reads(monkeypatch)

    [adj] = _adjustments(run, "2026-W48")
    assert adj["original_invoice"] == "INV-2026-0001" and adj["notes"] == [NOTE]
    assert adj["units"] == -4 and adj["amount"] == "-46.44" and adj["rate"] == "11.61"
    [alert] = _status_alerts(run)
    assert alert["subject"] == f"INV-2026-0001 {NOTE}"


def _kept_lines(ws_path):
    return json.loads((ws_path / "invoices" / model.LINES_NAME).read_text())["invoices"]


def test_the_billed_lines_are_kept_beside_the_index(run, ws_path, today):
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    index = json.loads((ws_path / "invoices" / "index.json").read_text())
    [entry] = index["invoices"]
    assert index["schema"] == model.INDEX_SCHEMA and "lines" not in entry and NOTE in entry["notes"]
    kept = _kept_lines(ws_path)["INV-2026-0001"]
    assert kept["size"] == (ws_path / "invoices" / "INV-2026-0001.toml").stat().st_size
    billed = [ln for ln in kept["lines"] if [entry["notes"][i] for i in ln["at"]] == [NOTE]]
    assert [(ln["kind"], ln["units"], ln["minutes"], ln["amount"]) for ln in billed] == [
        ("service", 4, 65, "46.44")]
    assert NOTE not in (ws_path / "invoices" / model.LINES_NAME).read_text()   # positions, not ids


@pytest.mark.parametrize("damage", ["older index", "lines file gone", "lines of another size"])
def test_an_index_whose_lines_cannot_be_used_is_rebuilt_or_read_from_the_snapshot(
        run, ws_path, today, monkeypatch, damage):
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    path = ws_path / "invoices" / "index.json"
    lines_path = ws_path / "invoices" / model.LINES_NAME
    written = _kept_lines(ws_path)
    if damage == "older index":         # schema 2: the lines were kept in index.json itself
        index = json.loads(path.read_text())
        index["schema"] = 2
        path.write_text(json.dumps(index))
    elif damage == "lines file gone":
        lines_path.unlink()
    else:                               # lines read from an earlier version of the snapshot
        data = json.loads(lines_path.read_text())
        data["invoices"]["INV-2026-0001"]["size"] += 1
        data["invoices"]["INV-2026-0001"]["lines"] = []
        lines_path.write_text(json.dumps(data))
    assert run("note", "void", NOTE, "--reason", "duplicate", "--force").exit_code == 0

    [adj] = _adjustments(run, "2026-W48")            # the snapshot's lines, never wrong ones
    assert adj["units"] == -4 and adj["amount"] == "-46.44"
    if damage != "lines of another size":           # found stale by the read: rebuilt, written
        assert json.loads(path.read_text())["schema"] == model.INDEX_SCHEMA
        assert _kept_lines(ws_path) == written
        _no_snapshot_reads(monkeypatch)
        [adj] = _adjustments(run, "2026-W48")
        assert adj["units"] == -4 and adj["amount"] == "-46.44"
