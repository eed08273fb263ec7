"""Issue 20: invoice numbers never go backwards (counter + audit log), checked by audit verify."""
from __future__ import annotations

import json

from invoice_helpers import assert_no_traceback, make_note


def _issue(run, *args):
    result = run("invoice", *args, "--format", "json", "--out", "-")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["number"]


def test_year_rollover_and_a_deleted_snapshot_never_reuse_a_number(run, ws, ws_path, today):
    make_note(ws, "N-2026-12-22-C001-1", "C001", "2026-12-22", "09:00", "09:45")
    make_note(ws, "N-2026-12-29-C001-1", "C001", "2026-12-29", "09:00", "09:45")
    make_note(ws, "N-2027-01-05-C001-1", "C001", "2027-01-05", "09:00", "09:45")
    make_note(ws, "N-2027-01-12-C001-1", "C001", "2027-01-12", "09:00", "09:45")
    today("2026-12-30")
    assert _issue(run, "--week", "2026-W45") == "INV-2026-0001"
    assert _issue(run, "--week", "2026-W52") == "INV-2026-0002"
    today("2027-01-04")  # the week of Dec 28 - Jan 3 is invoiced in 2027: a new series
    assert _issue(run, "--week", "2026-W53") == "INV-2027-0001"
    assert run("audit", "verify").exit_code == 0

    # the newest snapshot is deleted (by hand, or an old backup restored)
    (ws_path / "invoices" / "INV-2027-0001.toml").unlink()
    (ws_path / "invoices" / "index.json").unlink()
    today("2027-01-11")
    assert _issue(run, "--week", "2027-W01") == "INV-2027-0002"

    verify = run("audit", "verify")
    assert verify.exit_code == 1
    assert "invoice INV-2027-0001 was issued but its snapshot invoices/INV-2027-0001.toml is missing" \
        in verify.output
    assert "intact" not in verify.output


def test_counter_alone_keeps_the_number_when_the_audit_log_is_lost(run, ws, ws_path, today):
    make_note(ws, "N-2026-12-22-C001-1", "C001", "2026-12-22", "09:00", "09:45")
    today("2026-12-30")
    assert _issue(run, "--week", "2026-W45") == "INV-2026-0001"
    assert _issue(run, "--week", "2026-W52") == "INV-2026-0002"
    (ws_path / "invoices" / "INV-2026-0002.toml").unlink()
    (ws_path / "audit.log").unlink()
    assert 'INV-2026 = 2' in (ws_path / "invoices" / "counter.toml").read_text()
    verify = run("audit", "verify")
    assert verify.exit_code == 1 and "field 'last.INV-2026'" in verify.output
    # the notes of the lost invoice are free again, but the number is not
    assert _issue(run, "--week", "2026-W52") == "INV-2026-0003"


def test_audit_log_alone_keeps_the_number_when_the_counter_is_lost(run, ws, ws_path, today):
    today("2026-12-30")
    assert _issue(run, "--week", "2026-W45") == "INV-2026-0001"
    (ws_path / "invoices" / "INV-2026-0001.toml").unlink()
    (ws_path / "invoices" / "counter.toml").unlink()
    assert _issue(run, "--week", "2026-W45") == "INV-2026-0002"


def test_bad_counter_file_names_file_and_field(run, ws, ws_path, today):
    today("2026-12-30")
    (ws_path / "invoices").mkdir(exist_ok=True)
    (ws_path / "invoices" / "counter.toml").write_text('[last]\n"INV-2026" = "two"\n')
    result = run("invoice", "--week", "2026-W45", "--format", "json", "--out", "-")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert "counter.toml" in result.output and "last.INV-2026" in result.output
