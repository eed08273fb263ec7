"""The review workbook's rows are written by peerkit's own row writer (issue 19, speed): the
sheet XML it makes is byte for byte the XML of xlsxwriter's per-cell calls, for every kind of
cell it takes; the rows it does not take (bold, formulas, booleans) still go through xlsxwriter."""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from peerkit import xlsx_writer

TEXT = st.lists(st.sampled_from(list("ab Z09_x&<>\"'=+-@\n\t\r\u00a0\u2003\u00e9\u4e2d\U0001f600")
                                + ["_x0041_", "_x00", "_xFFFF_", "=SUM(A1)", " ", "\ufffe", "<r>", "</r>"]),
                max_size=12).map("".join).filter(lambda t: not (t.startswith("<r>") and t.endswith("</r>")))
CELL = st.one_of(
    st.none(), TEXT, st.integers(-10**18, 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.times(), st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)))
ROWS = st.lists(st.lists(CELL, max_size=6), max_size=6)


def _sheet_xml(tmp_path, name, rows, plain: bool, monkeypatch=None) -> bytes:
    out = tmp_path / f"{name}.xlsx"
    saved = xlsx_writer._plain
    if not plain:
        xlsx_writer._plain = lambda cells: False      # every row through xlsxwriter's calls
    try:
        with xlsx_writer.StreamingWorkbook(out) as wb:
            sheet = wb.add_sheet("Notes")
            sheet.freeze_header()
            sheet.set_widths([10, 12, 8], hidden=[2])
            sheet.append(["Note", "Date", None, "Total"], bold=True)
            for row in rows:
                sheet.append(row, where=lambda c: f"column {c}")
            sheet.append([xlsx_writer.Formula("=SUM(B2:B3)", 3), True, "after"])
            sheet.append(["last", dt.date(2026, 11, 25)])
    finally:
        xlsx_writer._plain = saved
    with zipfile.ZipFile(out) as zf:
        return zf.read("xl/worksheets/sheet1.xml") + zf.read("xl/styles.xml")


@settings(max_examples=200, deadline=None)
@given(rows=ROWS)
def test_plain_rows_are_xlsxwriters_rows_byte_for_byte(tmp_path_factory, rows):
    tmp_path = tmp_path_factory.mktemp("rows")
    assert _sheet_xml(tmp_path, "ours", rows, True) == _sheet_xml(tmp_path, "xlsxwriter", rows, False)


def test_a_text_like_rich_text_xml_stays_text(tmp_path):
    """xlsxwriter writes a text reading <r>...</r> unescaped (as rich text); here it is text."""
    out = tmp_path / "rich.xlsx"
    text = "<r><t>not markup</t></r>"
    with xlsx_writer.StreamingWorkbook(out) as wb:
        sheet = wb.add_sheet("Notes")
        sheet.append(["Note"], bold=True)
        sheet.append([text, 5, dt.date(2026, 11, 25), dt.time(9, 30), " padded "])
    rows = list(openpyxl.load_workbook(out)["Notes"].iter_rows(values_only=True))
    assert rows[1] == (text, 5, dt.datetime(2026, 11, 25), dt.time(9, 30), " padded ")


def test_rows_it_does_not_take_go_through_xlsxwriter(tmp_path):
    out = tmp_path / "mixed.xlsx"
    with xlsx_writer.StreamingWorkbook(out) as wb:
        sheet = wb.add_sheet("S")
        sheet.append(["a", None, Decimal("2.50")])
        sheet.append([True, "b"])
        sheet.append([xlsx_writer.Formula("=C1*2", 5)])
        sheet.append(["=1+2", "-x"])
    ws = openpyxl.load_workbook(out)["S"]
    assert [c.value for c in ws[1]] == ["a", None, 2.5]
    assert [c.value for c in ws[2]][:2] == [True, "b"]
    assert ws["A3"].value == "=C1*2"
    assert ws["A4"].value == "=1+2" and ws["A4"].quotePrefix and ws["B4"].quotePrefix


def test_without_the_internals_it_needs_every_row_goes_through_xlsxwriter(tmp_path, monkeypatch):
    """A future xlsxwriter without the constant-memory internals the plain rows use: the sheet
    falls back to xlsxwriter's own calls and the workbook holds the same cells."""
    rows = [["N-1", dt.date(2026, 11, 16), 4, Decimal("46.44"), "a & b <c>"], [None, "x", 1.5]]
    normal = _sheet_xml(tmp_path, "normal", rows, plain=True)
    with xlsx_writer.StreamingWorkbook(tmp_path / "probe.xlsx") as wb:
        assert wb.add_sheet("Notes")._fast
    monkeypatch.setattr(xlsx_writer, "_INTERNALS", (*xlsx_writer._INTERNALS, "_no_such_internal"))
    with xlsx_writer.StreamingWorkbook(tmp_path / "probe2.xlsx") as wb:
        assert not wb.add_sheet("Notes")._fast
    assert _sheet_xml(tmp_path, "fallback", rows, plain=True) == normal
