"""Billing adjustments (issue 12): a note on an issued invoice that is later changed, denied or
voided produces an adjustment line on the next issued invoice, in every format."""
from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
from invoice_helpers import assert_no_traceback

from peerkit import storage

NOTE = "N-2026-11-16-C001-1"       # approved, 65 min = 4 units at 11.61 = 46.44 on 2026-W47
NOTE_PATH = f"notes/2026/11/{NOTE}.toml"


def _invoice(run, *args):
    result = run("invoice", *args, "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _adjustments(data):
    return [ln for ln in data["lines"] if ln["kind"] == "adjustment"]


def _status_alerts(run):
    result = run("status", "--json")
    assert_no_traceback(result)
    return [a for a in json.loads(result.stdout) if "adjustment" in a["message"]]


def test_an_invoiced_note_sent_back_to_review_is_credited_on_the_next_invoice(run, ws_path, today):
    first = _invoice(run, "--week", "2026-W47")
    assert first["number"] == "INV-2026-0001" and first["total_units"] == 22
    assert _status_alerts(run) == []
    edit = run("note", "edit", NOTE, "--end", "19:00", "--reason", "end time was wrong")
    assert edit.exit_code == 0, edit.output

    alerts = _status_alerts(run)
    assert len(alerts) == 1
    assert alerts[0]["subject"] == f"INV-2026-0001 {NOTE}"
    assert "-4 units, -$46.44" in alerts[0]["message"]

    second = _invoice(run, "--week", "2026-W48")
    assert second["number"] == "INV-2026-0002"
    [adj] = _adjustments(second)
    assert adj["original_invoice"] == "INV-2026-0001"
    assert adj["notes"] == [NOTE] and adj["date"] == "2026-11-16" and adj["client"] == "C001"
    assert adj["units"] == -4 and adj["amount"] == "-46.44" and adj["rate"] == "11.61"
    assert adj["minutes"] == -65
    assert "INV-2026-0001" in adj["description"] and "back in review" in adj["description"]
    assert second["total_units"] == -4 and second["total_amount"] == "-46.44"
    snap = storage.read_toml(ws_path / "invoices" / "INV-2026-0002.toml")
    assert snap["lines"][0]["original_invoice"] == "INV-2026-0001"
    assert snap["notes"] == []  # the note stays billed by its original invoice
    # issued: the alert is gone, and the same adjustment is never made twice
    assert _status_alerts(run) == []
    preview = run("invoice", "--week", "2026-W49", "--preview", "--format", "json")
    assert "Nothing to bill" in preview.output

    # approved again with its corrected times (10:00-19:00 = 540 minutes = 36 units): the
    # next invoice bills them as a positive adjustment of the original invoice
    data = storage.read_toml(ws_path / NOTE_PATH)
    assert (data["start"], data["end"]) == (dt.time(10, 0), dt.time(19, 0))
    data["status"] = "approved"
    storage.write_toml(ws_path / NOTE_PATH, data)
    units = 36
    third = _invoice(run, "--week", "2026-W49")
    [adj] = _adjustments(third)
    assert adj["original_invoice"] == "INV-2026-0001"
    assert adj["units"] == units
    amount = (Decimal(units) * Decimal("11.61")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(adj["amount"]) == amount


def test_denying_an_invoiced_note_by_review_import_is_credited(run, ws_path, today, tmp_path):
    _invoice(run, "--week", "2026-W47")
    out = tmp_path / "review.xlsx"
    assert run("note", "export", "--from", "2026-11-16", "--to", "2026-11-16", "--out", out).exit_code == 0
    wb = openpyxl.load_workbook(out)
    sheet = wb["Notes"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("Note")].value == NOTE:
            row[headers.index("Decision")].value = "denied"
            row[headers.index("Reason")].value = "Goal not addressed"
    wb.save(out)
    result = run("note", "import-review", out, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    second = _invoice(run, "--week", "2026-W48")
    [adj] = _adjustments(second)
    assert (adj["units"], adj["amount"], adj["original_invoice"]) == (-4, "-46.44", "INV-2026-0001")
    assert f"{NOTE} denied" in adj["description"]


def test_voiding_an_invoiced_note_is_credited_in_every_format(run, ws_path, today, tmp_path):
    _invoice(run, "--week", "2026-W47")
    assert run("note", "void", NOTE, "--reason", "duplicate", "--force").exit_code == 0
    md = run("invoice", "--week", "2026-W48", "--preview", "--format", "md")
    assert md.exit_code == 0, md.output
    assert "## Adjustments of earlier invoices" in md.stdout
    row = next(ln for ln in md.stdout.splitlines() if ln.startswith("| 2026-11-16"))
    assert "INV-2026-0001" in row and NOTE in row and "| -4 |" in row and "-$46.44" in row
    assert "**Total units:** -4" in md.stdout and "**Total amount:** -$46.44" in md.stdout
    html = run("invoice", "--week", "2026-W48", "--preview", "--format", "html")
    assert "Adjustments of earlier invoices" in html.stdout and "-$46.44" in html.stdout

    out = tmp_path / "inv.xlsx"
    result = run("invoice", "--week", "2026-W48", "--out", out)
    assert result.exit_code == 0, result.output
    sh = openpyxl.load_workbook(out)["Invoice"]
    head = next(r for r in range(1, sh.max_row + 1) if sh.cell(r, 1).value == "Date")
    total = next(r for r in range(head, sh.max_row + 1) if sh.cell(r, 1).value == "Total")
    r = head + 1
    assert total == r + 1  # one line: the adjustment
    assert sh.cell(r, 7).value == -4 and sh.cell(r, 6).value == -65
    assert Decimal(str(sh.cell(r, 9).value)) == Decimal("11.61")
    assert sh.cell(r, 10).value == f"=ROUND(G{r}*I{r},2)"
    assert "INV-2026-0001" in sh.cell(r, 5).value and sh.cell(r, 11).value == NOTE
    assert sh.cell(total, 7).value == f"=SUM(G{r}:G{r})"
    assert sh.cell(total, 10).value == f"=SUM(J{r}:J{r})"
    # what the formulas evaluate to agrees with the JSON totals of the issued invoice
    again = _invoice(run, "--week", "2026-W48")
    value = (Decimal(sh.cell(r, 7).value) * Decimal(str(sh.cell(r, 9).value))).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert value == Decimal(again["total_amount"]) == Decimal("-46.44")
    assert sh.cell(r, 7).value == again["total_units"]


def test_an_unchanged_invoiced_week_gives_no_adjustment(run, today):
    _invoice(run, "--week", "2026-W47")
    # editing only the location of an approved note keeps it approved and billed as it was
    assert run("note", "edit", NOTE, "--location", "Library", "--reason", "precise").exit_code == 0
    preview = run("invoice", "--week", "2026-W48", "--preview", "--format", "json")
    assert "Nothing to bill" in preview.output


def test_a_credit_for_a_reissued_invoice_is_corrected(run, ws_path, today):
    """INV-1 billed the note, INV-2 credited it; reissuing INV-1's week (INV-3, without the
    note, now in review) voids INV-1: the credit on INV-2 was then one too many."""
    _invoice(run, "--week", "2026-W47")
    assert run("note", "edit", NOTE, "--end", "19:00", "--reason", "end time").exit_code == 0
    [credit] = _adjustments(_invoice(run, "--week", "2026-W48"))
    assert (credit["units"], credit["amount"]) == (-4, "-46.44")
    replaced = _invoice(run, "--week", "2026-W47", "--reissue")
    assert replaced["number"] == "INV-2026-0003" and replaced["replaces"] == "INV-2026-0001"
    # the replacement does not bill the note (in review) and carries the correction itself
    [back] = [ln for ln in replaced["lines"] if NOTE in ln["notes"]]
    assert back["kind"] == "adjustment" and back["original_invoice"] == "INV-2026-0001"
    assert (back["units"], back["amount"]) == (4, "46.44")
    assert _status_alerts(run) == []
    preview = run("invoice", "--week", "2026-W49", "--preview", "--format", "json")
    assert "Nothing to bill" in preview.output
