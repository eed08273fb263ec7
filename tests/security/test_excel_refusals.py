"""Every refusal of peerkit.excel's import preflight and row reader, with its message naming the
file (and sheet, row or cell): what tests/security/test_excel.py does not already show."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest

from peerkit import excel
from peerkit.errors import DataError
from tests.security.test_excel import XXE, _good, _read_all, _rewrite_member


def refusal(path) -> str:
    with pytest.raises(DataError) as err:
        _read_all(path)
    assert err.value.exit_code == 3
    return err.value.message


def zip_of(path, members: dict[str, bytes], **info) -> object:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zinfo = zipfile.ZipInfo(name)
            for key, value in info.items():
                setattr(zinfo, key, value)
            zf.writestr(zinfo, data)
    return path


def test_a_missing_file(tmp_path):
    assert refusal(tmp_path / "absent.xlsx").endswith("absent.xlsx: file not found")


def test_an_encrypted_member(tmp_path):
    path = zip_of(tmp_path / "enc.xlsx", {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")  # the first central directory entry: set its "encrypted" bit
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))
    assert refusal(path).endswith("enc.xlsx: is encrypted; save an unprotected copy and try again")


@pytest.mark.parametrize("name", ["/etc/passwd", "xl/../../evil.xml"])
def test_unsafe_part_names(tmp_path, name):
    path = zip_of(tmp_path / "unsafe.xlsx", {"[Content_Types].xml": b"<x/>", name: b"x"})
    assert refusal(path).endswith("unsafe.xlsx: contains unsafe part names; refusing it")


def test_too_much_once_expanded(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "MAX_UNCOMPRESSED", 1000)
    path = _good(tmp_path)
    assert refusal(path).endswith("good.xlsx: expands to more than 0 MB; refusing it")


def test_a_zip_that_is_no_workbook(tmp_path):
    path = zip_of(tmp_path / "plain.xlsx", {"readme.txt": b"hello"})
    assert refusal(path).endswith("plain.xlsx: is a zip file but not an .xlsx workbook")


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_entity_declarations_are_named_as_unsafe(tmp_path, member):
    def add_doctype(data):
        return XXE + (data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data)

    bad = _rewrite_member(_good(tmp_path), tmp_path / "bad.xlsx", member, add_doctype)
    message = refusal(bad)
    assert message.endswith("bad.xlsx: unsafe spreadsheet (it declares XML entities); refusing it")
    assert "passwd" not in message


def test_other_damage_inside_a_part_names_the_exception_type(tmp_path):
    bad = _rewrite_member(_good(tmp_path), tmp_path / "bad.xlsx", "xl/workbook.xml", lambda d: d[:40])
    assert refusal(bad).endswith("bad.xlsx: could not read this spreadsheet (ParseError); open it in Excel "
                                 "and save it again as .xlsx")


def test_row_and_column_limits_name_the_sheet_and_row(tmp_path):
    path = _good(tmp_path, rows=5)
    wb = excel.open_workbook(path)
    with pytest.raises(DataError, match=r"good.xlsx: sheet 'Sheet' has more than 3 rows; refusing it"):
        list(excel.iter_rows(path, wb.worksheets[0], max_rows=3))
    wb = excel.open_workbook(path)
    with pytest.raises(DataError, match=r"good.xlsx: sheet 'Sheet' row 1 has more than 1 columns"):
        list(excel.iter_rows(path, wb.worksheets[0], max_cols=1))


def test_formulas_may_be_allowed_and_trailing_empty_cells_are_dropped(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["id", "value", None, None])
    wb.active.append(["R1", "=1+1"])
    wb.active["D2"] = None
    wb.active["C1"].value = None
    path = tmp_path / "f.xlsx"
    wb.save(path)
    book = excel.open_workbook(path)
    rows = [values for _, values in excel.iter_rows(path, book.worksheets[0], allow_formulas=True)]
    assert rows == [["id", "value"], ["R1", "=1+1"]]


def test_plain_text_gets_no_quote_prefix(tmp_path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("S")
    ws.append([excel.text_cell(ws, "Alex Sample"), excel.text_cell(ws, "=1+1")])
    path = tmp_path / "t.xlsx"
    excel.save_workbook(wb, path)
    back = openpyxl.load_workbook(path).worksheets[0]
    assert (back["A1"].value, back["A1"].quotePrefix) == ("Alex Sample", False)
    assert (back["B1"].value, back["B1"].quotePrefix) == ("=1+1", True)
