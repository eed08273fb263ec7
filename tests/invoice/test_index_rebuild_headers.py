"""A stale invoice index is rebuilt from the snapshots' root keys alone, except for the invoices
within the adjustments' lookback, whose billed lines are read too (issue 19: the first command
after a copy or a pull no longer parses every line of five years of invoices)."""
from __future__ import annotations

import datetime as dt
import json

from peerkit_invoice import model


def _issue(run, *weeks):
    for week in weeks:
        result = run("invoice", "--week", week, "--format", "json")
        assert result.exit_code == 0, result.output


def _stale(ws_path):
    folder = ws_path / "invoices"
    written = (folder / "index.json").read_text(), json.loads((folder / model.LINES_NAME).read_text())
    (folder / "index.json").unlink()
    (folder / model.LINES_NAME).unlink()
    return written


def _preview(run, week, ok=(0,)):
    """The preview's JSON (None for exit 5, nothing to bill, when ``ok`` allows it): a read that
    finds the index stale rebuilds it either way."""
    result = run("invoice", "--week", week, "--format", "json", "--preview")
    assert result.exit_code in ok, result.output
    return json.loads(result.stdout) if result.exit_code == 0 else None


def test_old_snapshots_give_their_root_keys_and_recent_ones_their_lines(run, ws_path, today, monkeypatch):
    _issue(run, "2026-W46", "2026-W47")
    index, lines = _stale(ws_path)
    _preview(run, "2026-W48", ok=(0, 5))           # today 2026-11-25: both within the lookback
    folder = ws_path / "invoices"
    assert (folder / "index.json").read_text() == index
    assert json.loads((folder / model.LINES_NAME).read_text()) == lines

    _stale(ws_path)
    today("2027-12-20")                            # both ended more than 366 days ago
    _preview(run, "2027-W50", ok=(0, 5))
    assert (folder / "index.json").read_text() == index       # numbers, periods, note ids: all there
    kept = json.loads((folder / model.LINES_NAME).read_text())["invoices"]
    assert {n: v["lines"] for n, v in kept.items()} == {"INV-2026-0001": None, "INV-2026-0002": None}


def test_an_invoice_whose_lines_were_not_read_is_adjusted_from_its_snapshot(run, ws_path, today):
    _issue(run, "2026-W47")
    _stale(ws_path)
    today("2027-12-20")
    _preview(run, "2027-W50", ok=(0, 5))           # rebuilt without INV-2026-0001's lines
    toml = ws_path / "peerkit.toml"
    assert "[invoice]" not in toml.read_text()
    toml.write_text(toml.read_text() + "\n[invoice]\nadjustment_lookback_days = 800\n")
    result = run("note", "void", "N-2026-11-16-C001-1", "--reason", "duplicate", "--force")
    assert result.exit_code == 0, result.output
    [adj] = [ln for ln in _preview(run, "2027-W50")["lines"] if ln["kind"] == "adjustment"]
    assert adj["original_invoice"] == "INV-2026-0001" and adj["units"] == -4 and adj["amount"] == "-46.44"


def test_a_header_cut_inside_a_value_reads_the_whole_snapshot(tmp_path):
    path = tmp_path / "INV-2026-0009.toml"
    path.write_text('number = "INV-2026-0009"\nvoid_reason = """two lines,\n[the second] starts like a table"""\n'
                    'status = "void"\nstart = 2020-01-06\nend = 2020-01-12\nnotes = []\n'
                    '\n[[lines]]\nkind = "service"\n')
    assert model._snapshot_header(path.read_text(), path) is None     # the whole text is parsed
    entry = model._entry_from_snapshot(path, lines_since=dt.date(2026, 1, 1))
    assert (entry.number, entry.status, str(entry.end)) == ("INV-2026-0009", "void", "2020-01-12")
    plain = tmp_path / "INV-2026-0010.toml"
    plain.write_text('number = "INV-2026-0010"\nstatus = "issued"\n\n[[lines]]\nkind = "service"\n')
    assert model._snapshot_header(plain.read_text(), plain) == {"number": "INV-2026-0010", "status": "issued"}


def test_a_pipe_or_link_planted_as_the_index_is_never_read(run, ws_path, today, tmp_path):
    """A FIFO at invoices/index.json (a read would wait for ever) and a link at the lines file
    are ignored: the index is rebuilt from the snapshots and the preview is right."""
    import os
    import subprocess
    import sys

    _issue(run, "2026-W46")
    expected = _preview(run, "2026-W47")
    folder = ws_path / "invoices"
    (folder / "index.json").unlink()
    os.mkfifo(folder / "index.json")
    outside = tmp_path / "outside.json"
    outside.write_text('{"schema": 1, "invoices": {}}')
    (folder / model.LINES_NAME).unlink()
    (folder / model.LINES_NAME).symlink_to(outside)
    env = {**os.environ, "PEERKIT_TODAY": "2026-11-25"}
    done = subprocess.run([sys.executable, "-m", "peerkit", "--workspace", str(ws_path), "invoice", "--week",
                           "2026-W47", "--format", "json", "--preview"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["lines"] == expected["lines"]
    assert outside.read_text() == '{"schema": 1, "invoices": {}}'
