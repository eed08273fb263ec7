"""The built-in invoice formats (json, md, html, xlsx), registered by ``invoice_formats``.

Each is ``render(invoice, workspace) -> str | bytes``.  Agencies add or replace layouts
with their own templates (``templates/invoice/invoice.html.j2`` in the workspace) or a
plugin's ``invoice_formats`` hook.
"""
from __future__ import annotations

HEADERS = ["Date", "Client", "Code", "Modifier", "Description", "Minutes", "Units", "Quantity",
           "Rate", "Amount", "Notes", "Late"]
COLUMN_WIDTHS = [12, 10, 8, 9, 28, 9, 8, 10, 10, 12, 40, 6]


def render_json(invoice, workspace) -> str:
    from peerkit.output import to_json

    return to_json(invoice.as_json()) + "\n"


# JSON is for scripts: it carries no tax ID or bank account (not even masked), so producing
# it never waits for the OS keyring.  Formats without this attribute get the masked values.
render_json.needs_secrets = False  # type: ignore[attr-defined]  # a function attribute, read with getattr


def title(invoice) -> str:
    """``Invoice INV-2026-0007``; ``Invoice preview (not issued)``; ``Invoice ... (void)``."""
    if invoice.status == "preview":
        return "Invoice preview (not issued)"
    if invoice.status == "void":
        return f"Invoice {invoice.number} (void)"
    return f"Invoice {invoice.number}"


def template_context(invoice) -> dict:
    """What invoice templates see: ``invoice`` (the JSON shape) and its lines split into
    ``service_lines``, ``adjustment_lines`` (corrections of earlier invoices) and
    ``other_lines`` (plugins' lines: mileage, fees)."""
    data = invoice.as_json()
    return {
        "invoice": data,
        "title": title(invoice),   # Invoice INV-2026-0007 / Invoice preview (not issued)
        "service_lines": [ln for ln in data["lines"] if ln["kind"] == "service"],
        "adjustment_lines": [ln for ln in data["lines"] if ln.get("original_invoice")],
        "other_lines": [ln for ln in data["lines"]
                        if ln["kind"] != "service" and not ln.get("original_invoice")],
    }


def render_md(invoice, workspace) -> str:
    from peerkit.templating import render

    return render(workspace, "invoice/invoice.md.j2", template_context(invoice), fmt="md")


def render_html(invoice, workspace) -> str:
    from peerkit.templating import render

    return render(workspace, "invoice/invoice.html.j2", template_context(invoice), fmt="html")


def build_workbook(invoice):
    """An openpyxl workbook: header block, one row per line, live ROUND/SUM formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Invoice"
    ws["A1"] = title(invoice)
    ws["A1"].font = Font(bold=True, size=14)
    head_row = _write_header(ws, invoice) + 1
    for col, heading in enumerate(HEADERS, 1):
        ws.cell(row=head_row, column=col, value=heading).font = Font(bold=True)
    first = head_row + 1
    for r, line in enumerate(invoice.lines, first):
        _write_line(ws, r, line, f"invoice line {r - first + 1}")
    last = first + len(invoice.lines) - 1
    total_row = last + 1
    _write_totals(ws, total_row, first, last)
    _finish_sheet(ws, head_row, first, last)
    _name_totals(wb, total_row)
    return wb


def _header_fields(invoice) -> list[tuple[str, object]]:
    """(label, value) of the block above the lines."""
    header = [
        ("Invoice number", invoice.number),
        ("Status", invoice.status),
        ("Period start", invoice.start),
        ("Period end", invoice.end),
        ("Issued", invoice.issued),
        ("Pay date", invoice.pay_date),
        ("From", invoice.provider.get("name", "")),
        ("Credentials", invoice.provider.get("credentials", "")),
        ("Tax ID", invoice.tax_id_masked),
        ("Bank account", invoice.bank_account_masked),
        ("To", invoice.agency.get("name", "")),
        ("Address", invoice.agency.get("address", "")),
    ]
    if invoice.replaces:
        header.append(("Replaces", invoice.replaces))
    return header


def _write_header(ws, invoice) -> int:
    """The header block from row 2, one label and value a row; returns its last row + 1."""
    from openpyxl.styles import Font

    from peerkit.excel import DATE_FORMAT, set_text

    bold = Font(bold=True)
    row = 2
    for label, value in _header_fields(invoice):
        ws.cell(row=row, column=1, value=label).font = bold
        cell = ws.cell(row=row, column=2)
        if hasattr(value, "isoformat"):
            cell.value = value
            cell.number_format = DATE_FORMAT
        else:
            set_text(cell, value or "", f"invoice header {label}")
        row += 1
    return row


def _write_line(ws, r: int, line, where: str) -> None:
    """Row ``r``: one invoice line, its amount a live ``=ROUND(quantity*rate,2)`` unless a
    plugin set the amount by its own rule."""
    from peerkit.excel import DATE_FORMAT, MONEY_FORMAT, set_text
    from peerkit.money import rate_number_format

    c = ws.cell(row=r, column=1)
    if line.date:
        c.value = line.date
        c.number_format = DATE_FORMAT
    set_text(ws.cell(row=r, column=2), line.client, f"{where} client")
    set_text(ws.cell(row=r, column=3), line.code, f"{where} code")
    set_text(ws.cell(row=r, column=4), line.modifier, f"{where} modifier")
    set_text(ws.cell(row=r, column=5), line.label, f"{where} description")
    if line.counts_units:  # service lines and billing adjustments (units may be negative)
        ws.cell(row=r, column=6, value=line.minutes)
        ws.cell(row=r, column=7, value=line.units)
        qty_ref = f"G{r}"
    else:
        q = ws.cell(row=r, column=8, value=float(line.quantity or 0))
        q.number_format = "0.00"
        qty_ref = f"H{r}"
    rate = ws.cell(row=r, column=9, value=float(line.rate))
    rate.number_format = rate_number_format(line.rate)  # $0.875 shown as billed
    amount = ws.cell(row=r, column=10)
    if line.formula_amount == line.amount:
        amount.value = f"=ROUND({qty_ref}*I{r},2)"
    else:  # a plugin set the amount by its own rule: a plain number
        amount.value = float(line.amount)
    amount.number_format = MONEY_FORMAT
    set_text(ws.cell(row=r, column=11), ", ".join(line.notes), f"{where} notes")
    set_text(ws.cell(row=r, column=12), "late" if line.late else "", f"{where} late")


def _write_totals(ws, total_row: int, first: int, last: int) -> None:
    """The Total row: live sums of units and amounts (0 when there are no lines)."""
    from openpyxl.styles import Font

    from peerkit.excel import MONEY_FORMAT

    bold = Font(bold=True)
    ws.cell(row=total_row, column=1, value="Total").font = bold
    if last >= first:
        ws.cell(row=total_row, column=7, value=f"=SUM(G{first}:G{last})")
        ws.cell(row=total_row, column=10, value=f"=SUM(J{first}:J{last})")
    else:
        ws.cell(row=total_row, column=7, value=0)
        ws.cell(row=total_row, column=10, value=0)
    ws.cell(row=total_row, column=7).font = bold
    tot = ws.cell(row=total_row, column=10)
    tot.font = bold
    tot.number_format = MONEY_FORMAT


def _finish_sheet(ws, head_row: int, first: int, last: int) -> None:
    """Frozen header, filter over the lines, column widths."""
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = ws.cell(row=first, column=1)
    ws.auto_filter.ref = f"A{head_row}:{get_column_letter(len(HEADERS))}{max(last, head_row)}"
    for col, width in enumerate(COLUMN_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _name_totals(wb, total_row: int) -> None:
    """Where the totals are, for readers (tests, agency scripts): a defined name each."""
    from openpyxl.workbook.defined_name import DefinedName

    for name, ref in (("TotalUnits", f"$G${total_row}"), ("TotalAmount", f"$J${total_row}")):
        wb.defined_names[name] = DefinedName(name, attr_text=f"Invoice!{ref}")


def render_xlsx(invoice, workspace) -> bytes:
    import tempfile
    from pathlib import Path

    from peerkit.excel import save_workbook

    wb = build_workbook(invoice)
    with tempfile.TemporaryDirectory(prefix="peerkit-invoice-") as tmp:
        path = save_workbook(wb, Path(tmp) / "invoice.xlsx")
        return path.read_bytes()


def render_pdf(invoice, workspace) -> bytes:
    """The HTML invoice as a US-letter PDF (needs the extra peerkit[pdf])."""
    from peerkit.pdf import html_to_pdf

    return html_to_pdf(render_html(invoice, workspace))


# Formats that return bytes say so (read by commands.is_binary): never printed to a terminal.
render_xlsx.binary = True  # type: ignore[attr-defined]  # a function attribute, read with getattr
render_pdf.binary = True  # type: ignore[attr-defined]


BUILTIN = {"json": render_json, "md": render_md, "html": render_html, "xlsx": render_xlsx,
           "pdf": render_pdf}
