"""The mileage log as CSV or xlsx: the fields a reimbursement claim or a tax record needs
(date, start and end places, business purpose, odometer readings, miles, vehicle)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

HEADERS = ["Date", "Start", "Destination", "Business purpose", "Odometer start", "Odometer end",
           "Miles", "Vehicle"]


def _row(t, with_client: bool) -> list:
    row = [t.date, t.start_place, t.end_place, t.purpose, t.odometer_start, t.odometer_end,
           t.miles, t.vehicle]
    return row + [t.client] if with_client else row


def headers(with_client: bool) -> list[str]:
    return HEADERS + ["Client"] if with_client else list(HEADERS)


def total_miles(trips) -> Decimal:
    return sum((t.miles for t in trips), Decimal(0))


def to_csv(trips: list, with_client: bool = False) -> str:
    from peerkit.excel import apostrophe_if_formula

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers(with_client))
    for t in trips:
        w.writerow(["" if v is None else (apostrophe_if_formula(v) if isinstance(v, str) else str(v))
                    for v in _row(t, with_client)])
    w.writerow(["Total", "", "", "", "", "", str(total_miles(trips)), ""] + ([""] if with_client else []))
    return buf.getvalue()


def write_xlsx(trips: list, path, *, title: str, with_client: bool = False) -> None:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from peerkit.excel import DATE_FORMAT, save_workbook, set_text

    wb = openpyxl.Workbook()
    sh = wb.worksheets[0]  # a new workbook has one sheet (wb.active, typed Optional)
    sh.title = "Mileage log"
    set_text(sh.cell(1, 1), title)
    sh.cell(1, 1).font = Font(bold=True)
    head = 3
    cols = headers(with_client)
    for c, name in enumerate(cols, 1):
        sh.cell(head, c, name).font = Font(bold=True)
    r = head
    for t in trips:
        r += 1
        for c, value in enumerate(_row(t, with_client), 1):
            cell = sh.cell(r, c)
            if isinstance(value, str):
                set_text(cell, value, f"trip {t.id}")
            elif isinstance(value, Decimal):
                cell.value = int(value) if value == value.to_integral_value() else float(value)
                cell.number_format = "0.0"
            elif value is not None:
                cell.value = value
                cell.number_format = DATE_FORMAT
    total = r + 1
    sh.cell(total, 1, "Total").font = Font(bold=True)
    miles_col = get_column_letter(7)
    sh.cell(total, 7, f"=SUM({miles_col}{head + 1}:{miles_col}{max(r, head + 1)})").number_format = "0.0"
    sh.freeze_panes = f"A{head + 1}"
    sh.auto_filter.ref = f"A{head}:{get_column_letter(len(cols))}{max(r, head)}"
    for c, width in enumerate((12, 28, 28, 40, 14, 14, 10, 18, 10), 1):
        if c <= len(cols):
            sh.column_dimensions[get_column_letter(c)].width = width
    save_workbook(wb, path)
