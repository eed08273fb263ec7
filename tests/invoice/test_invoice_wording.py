"""Issue 20: the invoice reads well: titles, service descriptions, From and To."""
from __future__ import annotations

import json

import openpyxl
from invoice_helpers import assert_no_traceback


def _out(run, *args):
    result = run("invoice", "--week", "2026-W47", *args)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    return result.stdout.replace("\\", "")


def test_preview_title_is_not_preview_twice(run, ws_path, today):
    md = _out(run, "--preview", "--format", "md")
    assert md.splitlines()[0] == "# Invoice preview (not issued)"
    assert "PREVIEW" not in md
    html = _out(run, "--preview", "--format", "html")
    assert "<h1>Invoice preview (not issued)</h1>" in html and "<title>Invoice preview (not issued)</title>" in html
    assert "PREVIEW" not in html
    out = ws_path.parent / "preview.xlsx"
    _out(run, "--preview", "--out", out)
    assert openpyxl.load_workbook(out)["Invoice"]["A1"].value == "Invoice preview (not issued)"
    issued = _out(run, "--format", "md")
    assert issued.splitlines()[0] == "# Invoice INV-2026-0001"


def test_service_lines_carry_a_description_in_every_format(run, ws_path, today):
    data = json.loads(_out(run, "--format", "json"))
    by_note = {ln["note"]: ln["description"] for ln in data["lines"]}
    assert by_note["N-2026-11-19-C002-3"] == "Peer support, group"
    assert by_note["N-2026-11-16-C001-1"] == "Peer support, individual"
    md = _out(run, "--format", "md")
    assert "| Description |" in md
    assert "| H0038 |  | Peer support, individual | " in md and "| H0038 | HQ | Peer support, group | " in md
    html = _out(run, "--format", "html")
    assert "<th scope=\"col\">Description</th><th scope=\"col\" class=\"num\">Minutes</th>" in html
    assert "<td>HQ</td><td>Peer support, group</td>" in html
    out = ws_path.parent / "inv.xlsx"
    _out(run, "--out", out)
    sheet = openpyxl.load_workbook(out)["Invoice"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] == "Date")
    desc = rows[head].index("Description")
    notes = rows[head].index("Notes")
    xlsx = {r[notes]: r[desc] for r in rows[head + 1:] if r[notes]}
    assert xlsx == by_note


def test_old_snapshot_without_descriptions_still_describes_its_lines(run, ws_path, today):
    _out(run, "--format", "json")
    snap = ws_path / "invoices" / "INV-2026-0001.toml"
    snap.write_text(snap.read_text().replace('description = "Peer support, group"', 'description = ""'))
    (ws_path / "invoices" / "index.json").unlink()
    data = json.loads(_out(run, "--format", "json"))
    assert {ln["description"] for ln in data["lines"]} == {"Peer support, individual", "Peer support, group"}


def test_the_document_says_who_bills_whom(run, ws_path, today):
    md = _out(run, "--format", "md")
    assert "| From | Jordan Rivera, NC CPSS |" in md
    assert "| To | Example Peer Services, 100 Example Way, Durham, NC 27701 |" in md
    html = _out(run, "--format", "html")
    assert "<tr><th scope=\"row\">From</th><td>Jordan Rivera, NC CPSS</td></tr>" in html
    assert ("<tr><th scope=\"row\">To</th>"
            "<td>Example Peer Services<br>100 Example Way, Durham, NC 27701</td></tr>") in html
    out = ws_path.parent / "inv.xlsx"
    _out(run, "--out", out)
    sheet = openpyxl.load_workbook(out)["Invoice"]
    header = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(2, 16)}
    assert header["From"] == "Jordan Rivera" and header["To"] == "Example Peer Services"
