"""A stale invoice index (after a copy, a restore or a pull) is rewritten by a read (issue 19)."""


def test_a_stale_invoice_index_is_rewritten_by_a_read(run, ws_path, today):
    issued = run("invoice", "--week", "2026-W47", "--format", "json")
    assert issued.exit_code == 0, issued.output
    index = ws_path / "invoices" / "index.json"
    written = index.read_text()
    index.unlink()
    preview = run("invoice", "--week", "2026-W47", "--format", "json", "--preview")
    assert preview.exit_code == 0, preview.output
    assert index.read_text() == written
