"""The invoice workbook read back with openpyxl, mileage lines (trips), the example agency plugin's
monthly fee, and LibreOffice."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from invoice_helpers import assert_no_traceback, make_note


def issue_xlsx(run, out: Path, *args) -> dict:
    result = run("invoice", "--week", "2026-W47", "--out", str(out), *args)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    js = run("invoice", "--week", "2026-W47", "--format", "json")
    return json.loads(js.stdout)


def read_sheet(path: Path):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return wb, wb["Invoice"]


def find_rows(sheet):
    """(header row, first line row, total row) by the labels in column A."""
    head = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Date")
    total = next(r for r in range(head, sheet.max_row + 1) if sheet.cell(r, 1).value == "Total")
    return head, head + 1, total


def cents(x) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_workbook_rows_formulas_and_totals(run, ws_path, today, memory_keyring):
    from peerkit.secrets import set_secret

    set_secret("tax-id", "98-7654321")
    out = ws_path.parent / "invoice.xlsx"
    data = issue_xlsx(run, out)
    wb, sh = read_sheet(out)
    head, first, total = find_rows(sh)
    header = {sh.cell(r, 1).value: sh.cell(r, 2).value for r in range(2, head)}
    assert header["Invoice number"] == "INV-2026-0001"
    assert header["From"] == "Jordan Rivera"
    assert header["To"] == "Example Peer Services"
    assert header["Period start"] == dt.datetime(2026, 11, 16)
    assert header["Period end"] == dt.datetime(2026, 11, 22)
    assert header["Pay date"] == dt.datetime(2026, 12, 4)
    assert header["Tax ID"].endswith("4321") and "7654321" not in header["Tax ID"]
    assert [c.value for c in sh[head]][:10] == ["Date", "Client", "Code", "Modifier", "Description",
                                                 "Minutes", "Units", "Quantity", "Rate", "Amount"]
    assert total - first == len(data["lines"]) == 7
    amounts = []
    for i, line in enumerate(data["lines"]):
        r = first + i
        assert sh.cell(r, 1).value == dt.datetime.fromisoformat(line["date"])
        assert sh.cell(r, 1).number_format == "yyyy-mm-dd"
        assert sh.cell(r, 2).value == line["client"]
        assert sh.cell(r, 6).value == line["minutes"]
        assert sh.cell(r, 7).value == line["units"]
        assert Decimal(str(sh.cell(r, 9).value)) == Decimal(line["rate"])
        assert sh.cell(r, 10).value == f"=ROUND(G{r}*I{r},2)"
        assert "$" in sh.cell(r, 10).number_format
        value = cents(Decimal(line["units"]) * Decimal(str(sh.cell(r, 9).value)))
        assert value == Decimal(line["amount"])
        amounts.append(value)
        assert sh.cell(r, 11).value == line["note"]
    assert sh.cell(total, 7).value == f"=SUM(G{first}:G{total - 1})"
    assert sh.cell(total, 10).value == f"=SUM(J{first}:J{total - 1})"
    assert "$" in sh.cell(total, 10).number_format
    assert sum(amounts) == Decimal(data["total_amount"]) == Decimal("123.12")
    assert sum(sh.cell(r, 7).value for r in range(first, total)) == data["total_units"] == 22
    assert sh.freeze_panes == f"A{first}"
    assert sh.auto_filter.ref.startswith(f"A{head}:")
    assert wb.properties.creator == "peerkit"
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_user_text_is_never_a_formula(run, ws, ws_path, today, register_plugin):
    from peerkit import hookimpl

    class Evil:
        @hookimpl
        def invoice_adjust(self, invoice):
            invoice.add_line(description='=HYPERLINK("http://x","y")', quantity="2", rate="1.50",
                             kind="fee")

    register_plugin(Evil(), name="evil")
    out = ws_path.parent / "inv.xlsx"
    issue_xlsx(run, out)
    _, sh = read_sheet(out)
    cell = next(c for row in sh.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.quotePrefix


@pytest.fixture
def mileage(ws_path):
    """[billing] mileage_rate set: the example's trips become invoice lines (built-in trips plugin)."""
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace('# mileage_rate = "0.70"', 'mileage_rate = "0.70"'))
    assert 'mileage_rate = "0.70"' in p.read_text()


def test_trips_add_mileage_lines(run, ws_path, today, mileage):
    # examples/workspace/trips: 12.4 mi on 11-16, 8 mi on 11-19 (W47), 5.5 mi on 11-24 (W48)
    out = ws_path.parent / "inv.xlsx"
    data = issue_xlsx(run, out)
    miles = [ln for ln in data["lines"] if ln["kind"] == "mileage"]
    assert [(m["date"], m["client"], m["quantity"], m["rate"], m["amount"]) for m in miles] == [
        ("2026-11-16", "C001", "12.4", "0.70", "8.68"),
        ("2026-11-19", "", "8", "0.70", "5.60"),
    ]
    assert miles[0]["description"] == "Mileage: Drive to community meeting place"
    assert data["total_units"] == 22                  # miles are not units
    assert data["total_amount"] == "137.40"           # 123.12 + 8.68 + 5.60
    _, sh = read_sheet(out)
    head, first, total = find_rows(sh)
    rows = {sh.cell(r, 5).value: r for r in range(first, total)}
    r = rows["Mileage: Community center group"]
    assert sh.cell(r, 8).value == 8 and sh.cell(r, 7).value is None
    assert sh.cell(r, 10).value == f"=ROUND(H{r}*I{r},2)"
    snap = (ws_path / "invoices" / "INV-2026-0001.toml").read_text()
    assert 'kind = "mileage"' in snap
    md = run("invoice", "--week", "2026-W47", "--format", "md").stdout.replace("\\", "")
    assert "| 2026-11-16 | mileage | Mileage: Drive to community meeting place | 12.4 | $0.70 | $8.68 |" in md
    assert "**Total amount:** $137.40" in md


def test_no_mileage_rate_no_mileage_lines(run, ws_path, today):
    data = json.loads(run("invoice", "--week", "2026-W47", "--format", "json").stdout)
    assert [ln for ln in data["lines"] if ln["kind"] == "mileage"] == []
    assert data["total_amount"] == "123.12"


def test_bad_trip_stops_the_invoice_naming_file_and_field(run, ws_path, today, mileage):
    (ws_path / "trips" / "2026" / "11" / "T-2026-11-16-1.toml").write_text(
        'id = "T-2026-11-16-1"\ndate = 2026-11-16\nfrom = "a"\nto = "b"\nmiles = -3\npurpose = "x"\n')
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert "T-2026-11-16-1.toml" in result.output and "'miles'" in result.output
    assert not (ws_path / "invoices").exists() or not any((ws_path / "invoices").iterdir())


def test_mileage_rate_as_float_is_refused(run, ws_path, today, mileage):
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace('mileage_rate = "0.70"', "mileage_rate = 0.7"))
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert result.exit_code == 3
    assert "billing.mileage_rate" in result.output


@pytest.fixture
def monthly_fee(agency_plugin, register_plugin):
    register_plugin(agency_plugin, name="agency_example")
    return agency_plugin


def test_example_agency_plugin_adds_a_monthly_fee(run, ws_path, today, monthly_fee):
    # [agency_example] monthly_fee = "25.00": on the invoice whose period holds the 1st of a month
    today("2026-12-09")
    w47 = json.loads(run("invoice", "--week", "2026-W47", "--format", "json").stdout)
    assert [ln for ln in w47["lines"] if ln["kind"] == "fee"] == []
    out = ws_path.parent / "w49.xlsx"
    result = run("invoice", "--week", "2026-W49", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(run("invoice", "--week", "2026-W49", "--format", "json").stdout)
    fees = [ln for ln in data["lines"] if ln["kind"] == "fee"]
    assert [(f["date"], f["description"], f["amount"]) for f in fees] == [
        ("2026-12-01", "Monthly program fee (December 2026)", "25.00")]
    assert data["total_amount"] == "25.00"
    _, sh = read_sheet(out)
    head, first, total = find_rows(sh)
    assert sh.cell(total, 10).value.upper().startswith("=SUM(")
    assert sh.cell(first, 5).value == "Monthly program fee (December 2026)"


# ----------------------------------------------------------------------------- LibreOffice

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""  # noqa: E501 - LibreOffice's settings XML, one item a line as LibreOffice writes it


def soffice_or_skip() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("soffice (LibreOffice) is required in CI: install libreoffice-calc-nogui")
    pytest.skip("soffice not found: install libreoffice-calc-nogui to check the totals in a real "
                "spreadsheet engine")


def recalculate(xlsx: Path, workdir: Path) -> Path:
    """Open the workbook in LibreOffice with a profile that always recalculates, save as xlsx."""
    soffice = soffice_or_skip()
    profile = workdir / "lo-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_XCU)
    outdir = workdir / "lo-out"
    outdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env["HOME"] = str(workdir)
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                    "--convert-to", "xlsx", "--outdir", str(outdir), str(xlsx)],
                   check=True, timeout=240, capture_output=True, env=env)
    result = outdir / xlsx.name
    assert result.is_file(), "LibreOffice wrote no file"
    return result


@pytest.mark.libreoffice
def test_libreoffice_totals_agree_to_the_cent(run, ws, ws_path, today, mileage, tmp_path):
    import openpyxl

    soffice_or_skip()
    # amounts that floats get wrong: 3 units at 0.875 -> 2.625 -> 2.63 (ROUND half away from zero)
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text() + '\n[[billing.rates]]\ncode = "T1"\nmodifier = ""\nrate = "0.875"\n'
                                 'from = 2026-01-01\n')
    make_note(ws, "N-2026-11-20-C003-9", "C003", "2026-11-20", "09:00", "09:45", code="T1")
    make_note(ws, "N-2026-11-21-C002-9", "C002", "2026-11-21", "09:00", "09:45", code="T1")
    out = tmp_path / "INV.xlsx"
    data = issue_xlsx(run, out)
    assert data["total_amount"] == "142.66"          # 123.12 + 2.63 + 2.63 + 8.68 + 5.60
    recalculated = recalculate(out, tmp_path)
    values = openpyxl.load_workbook(recalculated, data_only=True)["Invoice"]
    formulas = openpyxl.load_workbook(recalculated)["Invoice"]
    head, first, total = find_rows(formulas)
    assert str(formulas.cell(total, 10).value).upper().startswith("=SUM(")
    assert cents(values.cell(total, 10).value) == Decimal(data["total_amount"])
    assert values.cell(total, 7).value == data["total_units"]
    for i, line in enumerate(data["lines"]):
        assert cents(values.cell(first + i, 10).value) == Decimal(line["amount"]), line
