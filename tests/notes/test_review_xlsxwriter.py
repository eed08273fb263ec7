"""The review export is written by xlsxwriter in constant-memory mode (issue 19): read back cell by
cell with openpyxl it is the workbook the openpyxl writer made -- types, formats, widths, hidden
parts, validation, quote prefixes, cached totals -- and a failed export leaves no file behind."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile

import openpyxl
import pytest

from peerkit import xlsx_writer
from peerkit.excel import CellTooLong
from peerkit.workspace import Workspace
from peerkit_notes import review


@pytest.fixture
def exported(ws_path, tmp_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    out = tmp_path / "review.xlsx"
    result = review.export_review([Workspace(ws_path)], out, progress=False)
    return out, result


def test_the_workbook_is_xlsxwriters_and_reads_back_typed(exported, ws_path):
    out, result = exported
    with zipfile.ZipFile(out) as zf:
        app = zf.read("docProps/app.xml").decode()
        core = zf.read("docProps/core.xml").decode()
        notes_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "Microsoft Excel" in app                 # xlsxwriter's app.xml, not openpyxl's
    assert "<dc:creator>peerkit</dc:creator>" in core and "2000-01-01" in core
    assert 't="inlineStr"' in notes_xml             # constant_memory: streamed inline strings
    wb = openpyxl.load_workbook(out)
    sheet = wb["Notes"]
    assert sheet.max_row == result.notes + 1
    notes = {n.id: n for n in Workspace(ws_path).notes()}
    hdr = review.headers()
    for r in range(2, sheet.max_row + 1):
        cells = {h: sheet.cell(r, i + 1) for i, h in enumerate(hdr)}
        note = notes[cells["Note"].value]
        assert cells["Note"].data_type == "s"
        assert cells["Date"].value == dt.datetime.combine(note.date, dt.time())
        assert cells["Date"].number_format == "yyyy-mm-dd"
        assert cells["Start"].value == note.start and cells["Start"].number_format == "hh:mm"
        assert cells["Minutes"].data_type == "n" and cells["Minutes"].value == note.minutes
        assert cells["Purpose"].value == note.purpose and cells["Purpose"].data_type == "s"
        assert not cells["Purpose"].quotePrefix
        assert cells["Decision"].value is None
    assert all(c.font.b for c in sheet[1]) and not sheet.cell(2, 1).font.b
    widths, hidden = {}, []
    for dim in list(sheet.column_dimensions.values()):   # a <col> may span equal columns
        for i in range(dim.min, dim.max + 1):
            widths[i] = dim.width
            if dim.hidden:
                hidden.append(review.COLUMNS[i - 1].header)
    assert widths == {i + 1: c.width for i, c in enumerate(review.COLUMNS)}
    assert hidden == ["Exported state"]
    dv = sheet.data_validations.dataValidation[0]
    assert dv.errorStyle in (None, "stop") and dv.showInputMessage and dv.prompt.startswith("approved")
    assert wb["peerkit"].sheet_state == "hidden" and wb["Summary"].sheet_state == "visible"


def test_summary_totals_carry_their_computed_values(exported):
    out, result = exported
    values = openpyxl.load_workbook(out, data_only=True)["Summary"]
    formulas = openpyxl.load_workbook(out)["Summary"]
    assert formulas.cell(3, 3).value == "=SUM(C2:C2)"
    assert values.cell(3, 3).value == result.notes == values.cell(2, 3).value
    for c in range(3, 8):   # what a spreadsheet shows before recalculating equals the sum
        assert values.cell(3, c).value == values.cell(2, c).value


def test_formula_like_text_is_text_with_a_quote_prefix(tmp_path):
    out = tmp_path / "t.xlsx"
    with xlsx_writer.StreamingWorkbook(out) as wb:
        sheet = wb.add_sheet("S")
        sheet.append(["=1+1", "+SUM(A1)", " -3", "@x", "plain", 7, None, "a\x01b"])
    cells = openpyxl.load_workbook(out)["S"][1]
    assert [c.value for c in cells[:5]] == ["=1+1", "+SUM(A1)", " -3", "@x", "plain"]
    assert [c.data_type for c in cells[:5]] == ["s"] * 5
    assert [bool(c.quotePrefix) for c in cells[:5]] == [True, True, True, True, False]
    assert cells[5].value == 7 and cells[6].value is None and cells[7].value == "ab"
    with zipfile.ZipFile(out) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()


def test_a_failed_write_leaves_no_workbook_and_no_temporary_files(tmp_path):
    out = tmp_path / "t.xlsx"
    before = set(os.listdir(tempfile.gettempdir()))
    with pytest.raises(CellTooLong, match="row 2 col B"), xlsx_writer.StreamingWorkbook(out) as wb:
        sheet = wb.add_sheet("S")
        sheet.append(["ok", "fine"])
        sheet.append(["ok", "x" * 40_000], where=lambda c: f"row 2 col {'AB'[c]}")
    assert not out.exists() and os.listdir(tmp_path) == []
    after = set(os.listdir(tempfile.gettempdir()))
    assert not [n for n in after - before if n.startswith("peerkit-xlsx-")]


def _cells(path):
    wb = openpyxl.load_workbook(path)
    return {name: [[(c.value, c.data_type, c.number_format, bool(c.quotePrefix)) for c in row]
                   for row in wb[name].iter_rows()] for name in wb.sheetnames}


@pytest.fixture
def three(ws_path, tmp_path):
    import shutil

    roots = [ws_path]
    for name in ("b", "c"):
        shutil.copytree(ws_path, tmp_path / name)
        roots.append(tmp_path / name)
    return roots


def test_rows_computed_in_a_worker_process_come_out_in_order_and_identical(three, tmp_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    parallel, serial = tmp_path / "p.xlsx", tmp_path / "s.xlsx"
    review.export_review([Workspace(r) for r in three], parallel, progress=False)
    monkeypatch.setenv("PEERKIT_EXPORT_JOBS", "1")
    review.export_review([Workspace(r) for r in three], serial, progress=False)
    got = _cells(parallel)
    assert got == _cells(serial)
    order = [row[2][0] for row in got["Notes"][1:]]
    assert order == sorted(order, key=["ws", "b", "c"].index) and set(order) == {"ws", "b", "c"}


def test_bad_data_in_a_worker_is_the_same_one_line_error(three, tmp_path, monkeypatch):
    from peerkit.errors import PeerkitError

    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    bad = three[2] / "notes/2026/11/N-2026-11-23-C001-1.toml"
    bad.write_text(bad.read_text().replace('code = "H0038"', 'code = 7'))
    messages = []
    for jobs in ("2", "1"):
        monkeypatch.setenv("PEERKIT_EXPORT_JOBS", jobs)
        out = tmp_path / f"x{jobs}.xlsx"
        with pytest.raises(PeerkitError) as caught:
            review.export_review([Workspace(r) for r in three], out, progress=False)
        assert caught.value.exit_code == 3 and not out.exists()
        messages.append(caught.value.message)
    assert messages[0] == messages[1] and "N-2026-11-23-C001-1" in messages[0]
