"""The weekly invoice, computed by hand for tricky weeks and compared line by line."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from invoice_helpers import add_toml, assert_no_traceback, error_lines, make_note, set_billing, tree

# The example workspace's invoice week 2026-W47 (Mon 2026-11-16 .. Sun 2026-11-22), by hand:
# approved notes only (N-2026-11-20-C001-2 is submitted, N-2026-11-20-C004-1 denied,
# N-2026-11-21-C003-2 signed); 15-minute units rounded half-up; H0038 11.61 and
# H0038 HQ 2.79 since 2025-10-01.
W47_LINES = [
    # date, client, code, modifier, minutes, units, rate, amount, note
    ("2026-11-16", "C001", "H0038", "", 65, 4, "11.61", "46.44", "N-2026-11-16-C001-1"),
    ("2026-11-17", "C002", "H0038", "", 7, 0, "11.61", "0.00", "N-2026-11-17-C002-1"),
    ("2026-11-18", "C003", "H0038", "", 8, 1, "11.61", "11.61", "N-2026-11-18-C003-1"),
    ("2026-11-19", "C001", "H0038", "HQ", 82, 5, "2.79", "13.95", "N-2026-11-19-C001-3"),
    ("2026-11-19", "C002", "H0038", "", 23, 2, "11.61", "23.22", "N-2026-11-19-C002-2"),
    ("2026-11-19", "C002", "H0038", "HQ", 82, 5, "2.79", "13.95", "N-2026-11-19-C002-3"),
    ("2026-11-19", "C003", "H0038", "HQ", 82, 5, "2.79", "13.95", "N-2026-11-19-C003-3"),
]
KEYS = ("date", "client", "code", "modifier", "minutes", "units", "rate", "amount", "note")


def lines_of(data):
    return [tuple(line[k] for k in KEYS) for line in data["lines"]]


def invoice_json(run, *args):
    result = run("invoice", *args, "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_example_week_w47_by_hand(run, ws_path, today):
    data = invoice_json(run, "--week", "2026-W47")
    assert data["number"] == "INV-2026-0001"
    assert data["period"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert lines_of(data) == W47_LINES
    assert data["total_units"] == 22
    assert data["total_amount"] == "123.12"
    assert data["pay_date"] == "2026-12-04"      # biweekly from 2026-01-02: ... 11-20, 12-04
    assert data["provider"]["name"] == "Jordan Rivera"
    assert all(not line["late"] for line in data["lines"])
    # lines name people by id only, never by name
    text = json.dumps(data)
    for name in ("Sam Example", "Riley Sample", "Casey Placeholder"):
        assert name not in text
    snap = (ws_path / "invoices" / "INV-2026-0001.toml").read_text()
    assert 'status = "issued"' in snap and "N-2026-11-19-C003-3" in snap


def test_week_start_is_configurable(run, ws_path, today):
    set_billing(ws_path, "week_start", '"sunday"')
    data = invoice_json(run, "--week", "2026-W47", "--preview")
    # the week holding Monday 2026-11-16, starting on Sunday: 11-15 .. 11-21
    assert data["period"] == {"start": "2026-11-15", "end": "2026-11-21"}
    assert [line["note"] for line in data["lines"]] == [ln[8] for ln in W47_LINES]


def test_week_last_follows_today(run, today):
    today("2026-11-25")
    data = invoice_json(run, "--week", "last", "--preview")
    assert data["period"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert data["number"] == "PREVIEW"


def _tricky_setup(run, ws, ws_path, today):
    """W48 invoiced; a W48 approval arrives later; W49 crosses a month with a rate change."""
    add_toml(ws_path, """
[[billing.rates]]
code = "H0038"
modifier = ""
rate = "12.34"
from = 2026-12-02
""")
    make_note(ws, "N-2026-11-27-C002-1", "C002", "2026-11-27", "10:00", "10:30")
    today("2026-11-30")
    first = invoice_json(run, "--week", "2026-W48")
    assert first["number"] == "INV-2026-0001"
    assert [ln["note"] for ln in first["lines"]] == ["N-2026-11-27-C002-1"]
    # approved after W48 was invoiced -> a late line on the next invoice
    make_note(ws, "N-2026-11-28-C003-1", "C003", "2026-11-28", "11:00", "11:45")
    # W49 = 2026-11-30 .. 2026-12-06 (crosses into December)
    make_note(ws, "N-2026-11-30-C001-1", "C001", "2026-11-30", "09:00", "09:07")            # 7 min
    make_note(ws, "N-2026-11-30-C002-1", "C002", "2026-11-30", "09:00", "09:08")            # 8 min
    make_note(ws, "N-2026-12-01-C003-1", "C003", "2026-12-01", "14:00", "14:22")            # 22 min
    make_note(ws, "N-2026-12-02-C001-1", "C001", "2026-12-02", "14:00", "14:23")            # 23 min, new rate
    make_note(ws, "N-2026-12-03-C001-2", "C001", "2026-12-03", "17:00", "18:22", modifier="HQ", group_size=2)
    make_note(ws, "N-2026-12-03-C003-2", "C003", "2026-12-03", "17:00", "18:22", modifier="HQ", group_size=2)
    make_note(ws, "N-2026-12-04-C002-2", "C002", "2026-12-04", "10:00", "11:00", status="denied")
    make_note(ws, "N-2026-12-04-C003-3", "C003", "2026-12-04", "10:00", "11:00", status="submitted")
    make_note(ws, "N-2026-12-05-C001-3", "C001", "2026-12-05", "10:00", "11:00", status="signed")
    today("2026-12-08")


W49_LINES = [
    ("2026-11-28", "C003", "H0038", "", 45, 3, "11.61", "34.83", "N-2026-11-28-C003-1"),   # late
    ("2026-11-30", "C001", "H0038", "", 7, 0, "11.61", "0.00", "N-2026-11-30-C001-1"),
    ("2026-11-30", "C002", "H0038", "", 8, 1, "11.61", "11.61", "N-2026-11-30-C002-1"),
    ("2026-12-01", "C003", "H0038", "", 22, 1, "11.61", "11.61", "N-2026-12-01-C003-1"),
    ("2026-12-02", "C001", "H0038", "", 23, 2, "12.34", "24.68", "N-2026-12-02-C001-1"),
    ("2026-12-03", "C001", "H0038", "HQ", 82, 5, "2.79", "13.95", "N-2026-12-03-C001-2"),
    ("2026-12-03", "C003", "H0038", "HQ", 82, 5, "2.79", "13.95", "N-2026-12-03-C003-2"),
]


def test_tricky_week_by_hand(run, ws, ws_path, today):
    _tricky_setup(run, ws, ws_path, today)
    data = invoice_json(run, "--week", "2026-W49")
    assert data["number"] == "INV-2026-0002"
    assert data["period"] == {"start": "2026-11-30", "end": "2026-12-06"}
    assert lines_of(data) == W49_LINES
    assert [ln["late"] for ln in data["lines"]] == [True] + [False] * 6
    assert data["late_lines"] == 1
    assert data["total_units"] == 17
    assert data["total_amount"] == "110.63"
    assert Decimal(data["total_amount"]) == sum(Decimal(ln[7]) for ln in W49_LINES)
    assert data["pay_date"] == "2026-12-18"
    # the note billed on INV-2026-0001 is never billed again
    assert "N-2026-11-27-C002-1" not in json.dumps(data)
    index = (ws_path / "invoices" / "index.json").read_text()
    assert index.count("N-2026-11-27-C002-1") == 1


def test_late_lines_only_for_invoiced_periods(run, ws, today):
    # W46 (11-09..11-15) was never invoiced: its approved notes are not swept into W47.
    data = invoice_json(run, "--week", "2026-W47")
    assert not any(ln["date"] < "2026-11-16" for ln in data["lines"])
    # once W46 is invoiced, an approval for it arriving later goes on the next new invoice
    invoice_json(run, "--week", "2026-W46")
    make_note(ws, "N-2026-11-14-C001-9", "C001", "2026-11-14", "10:00", "10:30")
    later = invoice_json(run, "--week", "2026-W48")
    assert [(ln["note"], ln["late"], ln["units"], ln["amount"]) for ln in later["lines"]] == [
        ("N-2026-11-14-C001-9", True, 2, "23.22")]


def test_late_lookback_is_bounded(run, ws, ws_path, today):
    add_toml(ws_path, "[invoice]\nlate_lookback_days = 5\n")
    invoice_json(run, "--week", "2026-W46")
    make_note(ws, "N-2026-11-10-C001-9", "C001", "2026-11-10", "10:00", "10:30")   # 13 days before W48
    result = run("invoice", "--week", "2026-W48", "--format", "json")
    assert result.exit_code == 5                      # nothing to bill
    assert "Nothing to bill" in result.output
    assert not (ws_path / "invoices" / "INV-2026-0002.toml").exists()


def test_same_period_twice_is_one_invoice(run, ws, ws_path, today):
    first = invoice_json(run, "--week", "2026-W47")
    # an approval arriving later does not change an issued invoice
    make_note(ws, "N-2026-11-21-C001-9", "C001", "2026-11-21", "10:00", "10:30")
    again = invoice_json(run, "--week", "2026-W47")
    assert again["number"] == first["number"] == "INV-2026-0001"
    assert again["lines"] == first["lines"]
    assert again["total_amount"] == first["total_amount"]
    assert sorted(p.name for p in (ws_path / "invoices").iterdir()) == [
        ".billed-lines-cache.json", "INV-2026-0001.toml", "counter.toml", "index.json"]
    # also by --from/--to naming the same days
    same = invoice_json(run, "--from", "2026-11-16", "--to", "2026-11-22")
    assert same["number"] == "INV-2026-0001"


def test_overlapping_period_is_refused(run, ws_path, today):
    invoice_json(run, "--week", "2026-W47")
    before = tree(ws_path / "invoices")
    result = run("invoice", "--from", "2026-11-20", "--to", "2026-11-26", "--format", "json")
    assert result.exit_code == 2
    assert len(error_lines(result)) == 1 and "INV-2026-0001" in result.output
    assert tree(ws_path / "invoices") == before


def test_reissue_voids_and_replaces(run, ws, ws_path, today):
    first = invoice_json(run, "--week", "2026-W47")
    make_note(ws, "N-2026-11-21-C001-9", "C001", "2026-11-21", "10:00", "10:30")
    second = invoice_json(run, "--week", "2026-W47", "--reissue")
    assert second["number"] == "INV-2026-0002"
    assert second["replaces"] == "INV-2026-0001"
    assert sorted(ln["note"] for ln in second["lines"]) == sorted(
        [ln[8] for ln in W47_LINES] + ["N-2026-11-21-C001-9"])
    assert second["total_amount"] == str(Decimal(first["total_amount"]) + Decimal("23.22"))
    old = (ws_path / "invoices" / "INV-2026-0001.toml").read_text()
    assert 'status = "void"' in old and 'replaced_by = "INV-2026-0002"' in old
    # asking again returns the replacement; numbers are never reused
    assert invoice_json(run, "--week", "2026-W47")["number"] == "INV-2026-0002"
    make_note(ws, "N-2026-11-25-C002-9", "C002", "2026-11-25", "10:00", "10:30")
    assert invoice_json(run, "--week", "2026-W48")["number"] == "INV-2026-0003"


def test_preview_writes_nothing_and_takes_no_number(run, ws_path, today):
    before = tree(ws_path)
    data = invoice_json(run, "--week", "2026-W47", "--preview")
    assert data["number"] == "PREVIEW" and data["status"] == "preview"
    assert lines_of(data) == W47_LINES
    assert tree(ws_path) == before
    assert invoice_json(run, "--week", "2026-W47")["number"] == "INV-2026-0001"


def test_per_day_bundling(run, ws, ws_path, today):
    set_billing(ws_path, "units_per", '"day"')
    today("2026-12-08")
    make_note(ws, "N-2026-11-30-C001-1", "C001", "2026-11-30", "09:00", "09:07")
    make_note(ws, "N-2026-11-30-C001-2", "C001", "2026-11-30", "15:00", "15:07")   # 7 + 7 = 14 -> 1
    make_note(ws, "N-2026-12-01-C002-1", "C002", "2026-12-01", "09:00", "09:10")
    make_note(ws, "N-2026-12-01-C002-2", "C002", "2026-12-01", "13:00", "13:10")   # 10 + 10 = 20 -> 1
    make_note(ws, "N-2026-12-01-C002-3", "C002", "2026-12-01", "16:00", "16:23", status="denied")
    data = invoice_json(run, "--week", "2026-W49")
    got = [(ln["date"], ln["client"], ln["minutes"], ln["units"], ln["amount"], ln["notes"])
           for ln in data["lines"]]
    assert got == [
        ("2026-11-30", "C001", 14, 1, "11.61", ["N-2026-11-30-C001-1", "N-2026-11-30-C001-2"]),
        ("2026-12-01", "C002", 20, 1, "11.61", ["N-2026-12-01-C002-1", "N-2026-12-01-C002-2"]),
    ]
    assert data["total_amount"] == "23.22"


def test_money_rounds_half_up_per_line(run, ws, ws_path, today):
    # 3 units at 0.875 = 2.625 -> 2.63 (half-up; binary floats would give 2.62)
    add_toml(ws_path, '[[billing.rates]]\ncode = "T1"\nmodifier = ""\nrate = "0.875"\nfrom = 2026-01-01\n')
    today("2026-12-08")
    make_note(ws, "N-2026-12-01-C001-1", "C001", "2026-12-01", "09:00", "09:45", code="T1")
    make_note(ws, "N-2026-12-02-C001-1", "C001", "2026-12-02", "09:00", "09:45", code="T1")
    data = invoice_json(run, "--week", "2026-W49")
    assert [ln["amount"] for ln in data["lines"]] == ["2.63", "2.63"]
    assert data["total_amount"] == "5.26"


def test_missing_rate_is_one_error_and_writes_nothing(run, ws, ws_path, today):
    invoice_json(run, "--week", "2026-W46")
    today("2026-12-08")
    make_note(ws, "N-2026-12-01-C001-1", "C001", "2026-12-01", "09:00", "09:45", modifier="U4")
    before = tree(ws_path / "invoices")
    result = run("invoice", "--week", "2026-W49", "--out", str(ws_path.parent / "x.xlsx"))
    assert_no_traceback(result)
    assert result.exit_code == 3
    errs = error_lines(result)
    assert len(errs) == 1
    assert "H0038" in errs[0] and "U4" in errs[0] and "2026-12-01" in errs[0]
    assert tree(ws_path / "invoices") == before
    assert not (ws_path.parent / "x.xlsx").exists()


def test_rate_before_first_effective_date_is_an_error(run, ws, ws_path, today):
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace("from = 2019-11-01", "from = 2026-11-17")
                 .replace("from = 2025-10-01", "from = 2026-11-18"))
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert result.exit_code == 3
    assert "no rate for code H0038" in result.output and "2026-11-16" in result.output
    assert not (ws_path / "invoices" / "index.json").exists()


def test_broken_note_file_is_one_error_and_writes_nothing(run, ws_path, today):
    invoice_json(run, "--week", "2026-W46")
    before = tree(ws_path / "invoices")
    broken = ws_path / "notes" / "2026" / "11" / "N-2026-11-18-C003-1.toml"
    broken.write_text(broken.read_text().replace('code = "H0038"', 'code = "H0038'))
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert len(error_lines(result)) == 1
    assert "N-2026-11-18-C003-1.toml" in result.output
    assert result.stdout == ""  # no half invoice on stdout
    assert tree(ws_path / "invoices") == before


def test_float_rate_is_refused(run, ws_path, today):
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace('rate = "11.61"', "rate = 11.61"))
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert result.exit_code == 3
    assert "billing.rates[2].rate" in result.output


def test_empty_period_takes_no_number(run, ws_path, today):
    result = run("invoice", "--week", "2026-W40", "--format", "json")
    assert result.exit_code == 5                      # "nothing to bill" differs from "billed"
    assert "Nothing to bill" in result.output and result.stdout == ""
    assert not (ws_path / "invoices" / "index.json").exists()
    preview = run("invoice", "--week", "2026-W40", "--preview")
    assert preview.exit_code == 5 and preview.stdout == ""


def test_numbering_uses_prefix_and_year(run, ws_path, today):
    set_billing(ws_path, "invoice_prefix", '"JR"')
    assert invoice_json(run, "--week", "2026-W46")["number"] == "JR-2026-0001"
    assert invoice_json(run, "--week", "2026-W47")["number"] == "JR-2026-0002"
    today("2027-01-04")
    assert invoice_json(run, "--week", "2026-W45")["number"] == "JR-2027-0001"


def test_index_is_rebuilt_when_it_does_not_match_the_snapshots(run, ws, ws_path, today):
    invoice_json(run, "--week", "2026-W46")
    (ws_path / "invoices" / "index.json").unlink()           # lost (or a crash before it was written)
    data = invoice_json(run, "--week", "2026-W47")
    assert data["number"] == "INV-2026-0002"
    # a stale index (claims nothing was invoiced) is detected by the snapshots' stats
    idx = ws_path / "invoices" / "index.json"
    idx.write_text('{"invoices": [{"number": "INV-2026-0001", "status": "void", "start": "2026-11-09", '
                   '"end": "2026-11-15", "notes": []}]}')
    again = invoice_json(run, "--week", "2026-W47")
    assert again["number"] == "INV-2026-0002"
    # were the stale index believed, the W46 notes would be free to bill again as late lines
    make_note(ws, "N-2026-11-14-C001-9", "C001", "2026-11-14", "10:00", "10:30")
    w48 = invoice_json(run, "--week", "2026-W48")
    assert w48["number"] == "INV-2026-0003"
    assert [ln["note"] for ln in w48["lines"]] == ["N-2026-11-14-C001-9"]
    assert 'status = "issued"' in (ws_path / "invoices" / "INV-2026-0001.toml").read_text()


def test_secrets_masked_and_never_stored(run, ws_path, today, memory_keyring):
    from peerkit.secrets import set_secret

    set_secret("tax-id", "98-7654321")
    set_secret("bank-account", "000123456789")
    data = invoice_json(run, "--week", "2026-W47")
    # json (for scripts) never carries them, not even masked, and never waits for the keyring
    assert "tax_id" not in data["provider"] and "bank_account" not in data["provider"]
    html = run("invoice", "--week", "2026-W47", "--format", "html").stdout
    assert "<td>******4321</td>" in html  # 98-7654321: ten characters, the last four shown
    assert "6789</td>" in html and "000123" not in html and "7654321" not in html
    out = ws_path.parent / "inv.xlsx"
    result = run("invoice", "--week", "2026-W47", "--out", str(out))
    assert result.exit_code == 0, result.output
    import zipfile

    with zipfile.ZipFile(out) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
    assert b"******4321" in blob
    for secret in (b"98-7654321", b"7654321", b"000123456789", b"0123456789"):
        assert secret not in blob
        for p in ws_path.rglob("*"):
            if p.is_file():
                assert secret not in p.read_bytes(), p


def test_unset_secret_renders_not_set_with_warning(run, today):
    result = run("invoice", "--week", "2026-W47", "--format", "md")
    assert result.exit_code == 0
    assert "| Tax ID | (not set) |" in result.stdout.replace("\\", "")
    assert "Warning" in result.stderr and "tax-id" in result.stderr


def test_require_tax_id_exits_4_and_writes_nothing(run, ws_path, today):
    add_toml(ws_path, "[invoice]\nrequire_tax_id = true\n")
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 4
    assert len(error_lines(result)) == 1 and "tax-id" in result.output
    assert not (ws_path / "invoices" / "index.json").exists()


def test_md_and_html_render_from_templates(run, ws_path, today):
    md = run("invoice", "--week", "2026-W47", "--format", "md")
    assert md.exit_code == 0, md.output
    text = md.stdout.replace("\\", "")     # whatever Markdown escaping the core applies
    assert "# Invoice INV-2026-0001" in text
    assert ("| 2026-11-19 | C002 | H0038 | HQ | Peer support, group | 82 | 5 | $2.79 | $13.95 | "
            "N-2026-11-19-C002-3 |") in text
    assert "**Total amount:** $123.12" in text
    html = run("invoice", "--week", "2026-W47", "--format", "html")
    assert html.exit_code == 0
    assert "Content-Security-Policy" in html.stdout
    assert "<td class=\"num\">$123.12</td>" in html.stdout
    # a workspace template overrides the default
    folder = ws_path / "templates" / "invoice"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "invoice.md.j2").write_text("AGENCY {{ invoice.number }} {{ invoice.total_amount }}\n")
    custom = run("invoice", "--week", "2026-W47", "--format", "md")
    assert custom.stdout.replace("\\", "").strip() == "AGENCY INV-2026-0001 123.12"


def test_out_suffix_chooses_format_and_unknown_format_is_usage_error(run, ws_path, today):
    out = ws_path.parent / "inv.json"
    result = run("invoice", "--week", "2026-W47", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["total_amount"] == "123.12"
    bad = run("invoice", "--week", "2026-W47", "--format", "docx")
    assert bad.exit_code == 2


def test_xlsx_without_out_is_named_after_the_number(run, ws_path, today, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("invoice", "--week", "2026-W47", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "INV-2026-0001.xlsx").is_file()
    assert oct((tmp_path / "INV-2026-0001.xlsx").stat().st_mode & 0o777) == "0o600"


def test_hook_invoice_adjust(run, register_plugin, today):
    from peerkit import hookimpl

    class FlatFee:
        @hookimpl
        def invoice_adjust(self, invoice, workspace):
            invoice.add_line(description="Training day", amount="25.00", kind="fee",
                             date=dt.date(2026, 11, 20))

    register_plugin(FlatFee(), name="flatfee")
    data = invoice_json(run, "--week", "2026-W47")
    fee = [ln for ln in data["lines"] if ln["kind"] == "fee"]
    assert fee == [{**fee[0], "amount": "25.00", "rate": "25.00", "quantity": "1",
                    "description": "Training day", "units": 0}]
    assert data["total_units"] == 22
    assert data["total_amount"] == "148.12"


def test_xlsx_describes_each_line_as_every_format_does():
    """One source of truth for a line's text (``InvoiceLine.label``): a service line of an older
    snapshot (no description) is named by its service; a plugin's line is never called peer
    support, even with an empty description."""
    from peerkit_invoice.formats import build_workbook
    from peerkit_invoice.model import Invoice, InvoiceLine

    inv = Invoice(number="INV-2026-0001", start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 22),
                  pay_date=dt.date(2026, 12, 4))
    inv.lines = [InvoiceLine(date=dt.date(2026, 11, 16), kind="service", client="C001", code="H0038",
                             modifier="HQ", minutes=60, units=4, rate=Decimal("11.61"),
                             amount=Decimal("46.44"), notes=("N-2026-11-16-C001-1",), description="")]
    inv.add_line(description="", amount="5.00", kind="fee", date=dt.date(2026, 11, 20))
    sheet = build_workbook(inv)["Invoice"]
    head = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Date")
    shown = [sheet.cell(head + i, 5).value or "" for i in (1, 2)]
    assert shown == ["Peer support, group", ""]
    assert shown == [ln["description"] for ln in inv.as_json()["lines"]]


def test_failing_adjust_plugin_stops_the_invoice(run, register_plugin, ws_path, today):
    from peerkit import hookimpl

    class Broken:
        @hookimpl
        def invoice_adjust(self, invoice):
            raise RuntimeError("Sam Example")

    register_plugin(Broken(), name="broken")
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert "broken" in result.output and "Sam Example" not in result.output
    assert not (ws_path / "invoices").exists() or not any((ws_path / "invoices").iterdir())


def test_audit_entry_on_issue(run, ws_path, today):
    invoice_json(run, "--week", "2026-W47")
    log = (ws_path / "audit.log").read_text().splitlines()
    entry = json.loads(log[-1])
    assert entry["command"] == "invoice" and entry["action"] == "issued"
    assert "INV-2026-0001" in entry["records"]
    assert "Sam" not in log[-1]


def test_alert_for_approved_notes_not_invoiced(run, today):
    result = run("status", "--as-of", "2026-11-25", "--json")
    alerts = [a for a in json.loads(result.stdout) if a["source"] == "invoice"]
    # notes at least 7 days old (up to 2026-11-18), grouped by week
    assert [a["subject"] for a in alerts] == ["2026-11-02..2026-11-08", "2026-11-09..2026-11-15",
                                              "2026-11-16..2026-11-22"]
    assert [a["message"].split(" ")[0] for a in alerts] == ["7", "4", "3"]
    assert all(a["severity"] == "warning" for a in alerts)
    run("invoice", "--week", "2026-W45", "--format", "json")
    result = run("status", "--as-of", "2026-11-25", "--json")
    alerts = [a for a in json.loads(result.stdout) if a["source"] == "invoice"]
    assert [a["subject"] for a in alerts] == ["2026-11-09..2026-11-15", "2026-11-16..2026-11-22"]


@pytest.mark.parametrize("schedule,anchor,end,expected", [
    ("biweekly", "2026-01-02", "2026-11-22", "2026-12-04"),
    ("biweekly", "2026-01-02", "2026-12-04", "2026-12-04"),     # on a pay date: that day
    ("biweekly", "2026-01-02", "2025-12-20", "2026-01-02"),     # before the anchor
    ("weekly", "2026-01-02", "2026-11-22", "2026-11-27"),
    ("semimonthly", None, "2026-11-08", "2026-11-15"),
    ("semimonthly", None, "2026-11-15", "2026-11-15"),
    ("semimonthly", None, "2026-11-22", "2026-11-30"),
    ("semimonthly", None, "2026-02-20", "2026-02-28"),
    ("semimonthly", None, "2028-02-20", "2028-02-29"),
])
def test_pay_date(schedule, anchor, end, expected):
    from peerkit_invoice.model import Settings, pay_date

    s = Settings(pay_schedule=schedule, pay_anchor=dt.date.fromisoformat(anchor) if anchor else None)
    assert pay_date(s, dt.date.fromisoformat(end)).isoformat() == expected


def test_pay_lag_days(run, ws_path, today):
    add_toml(ws_path, "[invoice]\npay_lag_days = 14\n")
    data = invoice_json(run, "--week", "2026-W47", "--preview")
    assert data["pay_date"] == "2026-12-18"    # first pay date on or after 11-22 + 14 = 12-06


def test_hook_invoice_formats(run, register_plugin, ws_path, today):
    from peerkit import hookimpl

    class Csv:
        @hookimpl
        def invoice_formats(self):
            def render(invoice, workspace):
                rows = [f"{ln.note},{ln.description},{ln.units},{ln.amount}" for ln in invoice.lines]
                return "\n".join(rows + [f"total,{invoice.total_units},{invoice.total_amount}"]) + "\n"
            return {"csv": render}

    register_plugin(Csv(), name="csvformat")
    out = ws_path.parent / "inv.csv"
    result = run("invoice", "--week", "2026-W47", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "N-2026-11-16-C001-1,Peer support, individual,4,46.44"  # the xlsx's text
    assert lines[-1] == "total,22,123.12"
    assert (ws_path / "invoices" / "INV-2026-0001.toml").is_file()
    # a plugin may not take a built-in format's name silently
    class Clash:
        @hookimpl
        def invoice_formats(self):
            return {"json": lambda invoice, workspace: "{}"}

    register_plugin(Clash(), name="clash")
    clash = run("invoice", "--week", "2026-W47", "--format", "json")
    assert clash.exit_code == 3 and "defined by two plugins" in clash.output


def test_a_plugin_format_that_returns_bytes_is_binary_like_xlsx(run, register_plugin, ws_path, today,
                                                               monkeypatch):
    """One source of truth for binary formats: ``render.binary`` (xlsx and pdf set it too)."""
    from peerkit import hookimpl

    class Zipped:
        @hookimpl
        def invoice_formats(self):
            def render(invoice, workspace):
                return b"PK\x03\x04" + invoice.number.encode()
            render.binary = True
            return {"zipped": render}

    register_plugin(Zipped(), name="zipped")
    refused = run("invoice", "--week", "2026-W47", "--format", "zipped", "--out", "-")
    assert refused.exit_code == 2 and "zipped cannot go to stdout" in refused.output
    preview = run("invoice", "--week", "2026-W47", "--format", "zipped", "--preview")
    assert preview.exit_code == 2 and "--preview with zipped needs --out FILE.zipped" in preview.output
    assert not (ws_path / "invoices").exists() or not list((ws_path / "invoices").glob("*.toml"))
    monkeypatch.chdir(ws_path.parent)
    result = run("invoice", "--week", "2026-W47", "--format", "zipped")   # no --out: <number>.zipped
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written == ws_path.parent / "INV-2026-0001.zipped"
    assert written.read_bytes() == b"PK\x03\x04INV-2026-0001"


def test_preview_with_reissue_changes_nothing(run, ws, ws_path, today):
    invoice_json(run, "--week", "2026-W47")
    make_note(ws, "N-2026-11-21-C001-9", "C001", "2026-11-21", "10:00", "10:30")
    before = tree(ws_path / "invoices")
    data = invoice_json(run, "--week", "2026-W47", "--reissue", "--preview")
    assert data["number"] == "PREVIEW"
    assert "N-2026-11-21-C001-9" in [ln["note"] for ln in data["lines"]]
    assert tree(ws_path / "invoices") == before


@pytest.mark.parametrize("args", [("--week", "2026-W99"), ("--week", "soon"),
                                  ("--from", "2026-11-16"), ("--week", "last", "--from", "2026-11-16",
                                                             "--to", "2026-11-22"),
                                  ("--from", "2026-11-22", "--to", "2026-11-16")])
def test_bad_period_is_a_usage_error(run, ws_path, args):
    result = run("invoice", *args, "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert len(error_lines(result)) == 1
    assert not (ws_path / "invoices" / "index.json").exists()


def test_semimonthly_schedule_from_config(run, ws_path, today):
    set_billing(ws_path, "pay_schedule", '"semimonthly"')
    assert invoice_json(run, "--week", "2026-W47", "--preview")["pay_date"] == "2026-11-30"
    set_billing(ws_path, "pay_schedule", '"fortnightly"')
    result = run("invoice", "--week", "2026-W47", "--preview", "--format", "json")
    assert result.exit_code == 3 and "billing.pay_schedule" in result.output


def test_alert_for_late_approval_points_to_the_next_invoice(run, ws, today):
    invoice_json(run, "--week", "2026-W46")
    make_note(ws, "N-2026-11-14-C001-9", "C001", "2026-11-14", "10:00", "10:30")
    result = run("status", "--as-of", "2026-11-25", "--json")
    alert = next(a for a in json.loads(result.stdout)
                 if a["source"] == "invoice" and a["subject"] == "2026-11-09..2026-11-15")
    assert alert["message"].startswith("1 approved note(s) not invoiced yet: approved after")


def test_crash_between_snapshot_and_index_is_harmless(run, ws_path, today, monkeypatch):
    from peerkit.errors import PeerkitError
    from peerkit_invoice import model

    invoice_json(run, "--week", "2026-W46")
    real_save = model.Index.save

    def crash(self, ws):
        raise PeerkitError("invoices/index.json: could not write (the disk is full)")

    monkeypatch.setattr(model.Index, "save", crash)
    result = run("invoice", "--week", "2026-W47", "--format", "json")
    assert result.exit_code == 3
    assert (ws_path / "invoices" / "INV-2026-0002.toml").is_file()      # the snapshot made it
    monkeypatch.setattr(model.Index, "save", real_save)
    again = invoice_json(run, "--week", "2026-W47")
    assert again["number"] == "INV-2026-0002"                        # found through the snapshots
    assert lines_of(again) == W47_LINES
    make_note_args = ("N-2026-11-25-C002-9", "C002", "2026-11-25", "10:00", "10:30")
    from peerkit.workspace import Workspace

    make_note(Workspace(ws_path), *make_note_args)
    w48 = invoice_json(run, "--week", "2026-W48")
    assert w48["number"] == "INV-2026-0003"
    assert [ln["note"] for ln in w48["lines"]] == ["N-2026-11-25-C002-9"]
    index = (ws_path / "invoices" / "index.json").read_text()
    assert "INV-2026-0002" in index and "INV-2026-0003" in index


def test_per_day_late_note_adds_to_the_billed_bundle(run, ws, ws_path, today):
    set_billing(ws_path, "units_per", '"day"')
    today("2026-12-08")
    make_note(ws, "N-2026-11-30-C001-1", "C001", "2026-11-30", "09:00", "09:10")
    first = invoice_json(run, "--week", "2026-W49")
    assert [(ln["minutes"], ln["units"]) for ln in first["lines"]] == [(10, 1)]
    # approved later, same client, code and day: 10 + 10 = 20 min is still 1 unit -> 0 more
    make_note(ws, "N-2026-11-30-C001-2", "C001", "2026-11-30", "15:00", "15:10")
    # and another 10 min: 30 min = 2 units -> 1 more
    make_note(ws, "N-2026-11-30-C001-3", "C001", "2026-11-30", "17:00", "17:10")
    make_note(ws, "N-2026-12-08-C002-1", "C002", "2026-12-08", "09:00", "09:30")
    nxt = invoice_json(run, "--week", "2026-W50")
    late = [ln for ln in nxt["lines"] if ln["late"]]
    assert [(ln["notes"], ln["minutes"], ln["units"], ln["amount"]) for ln in late] == [
        (["N-2026-11-30-C001-2", "N-2026-11-30-C001-3"], 20, 1, "11.61")]
    assert late[0]["description"].startswith(
        "Peer support, individual. Adds to the day's bundle already billed (10 min, 1 units)")


def test_index_in_toml_is_read_and_a_leftover_index_toml_is_not_a_snapshot(run, ws_path, today):
    invoice_json(run, "--week", "2026-W46")
    folder = ws_path / "invoices"
    size = (folder / "INV-2026-0001.toml").stat().st_size
    snap = (folder / "INV-2026-0001.toml").read_text()
    ids = [ln.strip().strip('",') for ln in snap.split("notes = [")[1].split("]")[0].splitlines() if ln.strip()]
    toml_index = ('[[invoice]]\nnumber = "INV-2026-0001"\nstatus = "issued"\nstart = 2026-11-09\n'
                  f'end = 2026-11-15\nissued = 2026-11-25\nsize = {size}\nnotes = {json.dumps(ids)}\n')
    (folder / "index.json").write_text(toml_index)
    (folder / "index.toml").write_text(toml_index)
    data = invoice_json(run, "--week", "2026-W47")
    assert data["number"] == "INV-2026-0002"
    index = json.loads((folder / "index.json").read_text())
    assert [e["number"] for e in index["invoices"]] == ["INV-2026-0001", "INV-2026-0002"]


def test_out_folder_gets_the_number_as_file_name(run, ws_path, today, tmp_path):
    folder = tmp_path / "invoices-out"
    result = run("invoice", "--week", "2026-W47", "--format", "xlsx", "--out", f"{folder}/")
    assert result.exit_code == 0, result.output
    assert (folder / "INV-2026-0001.xlsx").is_file()
    folder.mkdir(exist_ok=True)
    again = run("invoice", "--week", "2026-W47", "--format", "json", "--out", str(folder))
    assert again.exit_code == 0, again.output
    assert json.loads((folder / "INV-2026-0001.json").read_text())["number"] == "INV-2026-0001"


def test_a_broken_client_record_stops_the_invoice_and_takes_no_number(run, ws_path, monkeypatch):
    """Fail closed: the notes of a person whose record cannot be read are never billed."""
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    client = ws_path / "clients" / "C002.toml"
    client.write_text(client.read_text() + 'name = "unterminated\n')
    for args in (("--preview", "--format", "json"), ("--format", "json")):
        result = run("invoice", "--week", "2026-W47", *args)
        assert result.exit_code == 3, result.output
        assert "clients/C002.toml" in result.output and "Traceback" not in result.output
    assert not list((ws_path / "invoices").glob("INV-*.toml"))
    assert not (ws_path / "invoices" / "counter.toml").exists()
