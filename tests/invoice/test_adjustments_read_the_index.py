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


def test_an_index_without_billed_lines_is_rebuilt_with_them(run, ws_path, today, monkeypatch):
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    path = ws_path / "invoices" / "index.json"
    index = json.loads(path.read_text())
    [entry] = index["invoices"]
    billed = [ln for ln in entry["lines"] if [entry["notes"][i] for i in ln["at"]] == [NOTE]]
    assert [(ln["kind"], ln["units"], ln["minutes"], ln["amount"]) for ln in billed] == [
        ("service", 4, 65, "46.44")]
    assert path.read_text().count(NOTE) == 1   # each id once: lines name notes by position
    written = entry["lines"]
    index["invoices"] = [{k: v for k, v in item.items() if k != "lines"}   # as before schema 2
                         for item in index["invoices"]]
    index["schema"] = 1
    path.write_text(json.dumps(index))
    assert run("note", "void", NOTE, "--reason", "duplicate", "--force").exit_code == 0

    [adj] = _adjustments(run, "2026-W48")            # rebuilt from the snapshot, then written
    assert adj["units"] == -4 and adj["amount"] == "-46.44"
    assert json.loads(path.read_text())["invoices"][0]["lines"] == written
    _no_snapshot_reads(monkeypatch)
    [adj] = _adjustments(run, "2026-W48")
    assert adj["units"] == -4 and adj["amount"] == "-46.44"
