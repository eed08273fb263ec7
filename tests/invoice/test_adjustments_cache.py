"""The pending billing adjustments are kept in notes/.adjustments-cache.json (peerkit.derived)
while no record they were computed from changed, and for the index as passed (issue 19)."""
from __future__ import annotations

import json

import pytest
from invoice_helpers import assert_no_traceback

from peerkit_invoice import adjustments

NOTE = "N-2026-11-16-C001-1"       # approved, 65 min = 4 units at 11.61 = 46.44 on 2026-W47
NOTE_PATH = f"notes/2026/11/{NOTE}.toml"


@pytest.fixture
def computed(settled_calls):
    return settled_calls(adjustments, "_pending")


def _preview(run, *args, week="2026-W48"):
    result = run("invoice", "--week", week, "--preview", "--format", "json", *args)
    assert_no_traceback(result)
    if result.exit_code == 5:
        return []
    assert result.exit_code == 0, result.output
    return [(a["kind"], a["notes"], a["units"], a["amount"], a["description"])
            for a in json.loads(result.stdout)["lines"]]


def test_a_billed_note_denied_in_place_shows_at_once(run, ws_path, today, computed):
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    assert _preview(run) == []
    computed.clear()
    assert _preview(run) == [] and computed == []          # kept
    path = ws_path / NOTE_PATH
    text = path.read_text().replace('status = "approved"', 'status = "denied"')
    with open(path, "w") as f:                               # in place: same inode
        f.write(text)
    [line] = _preview(run)
    assert line[:4] == ("adjustment", [NOTE], -4, "-46.44") and len(computed) == 1
    computed.clear()
    assert _preview(run) == [line] and computed == []       # kept again, with the new answer


def test_the_index_as_passed_is_part_of_the_question(run, ws_path, today, computed):
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    path = ws_path / NOTE_PATH
    path.write_text(path.read_text().replace('status = "approved"', 'status = "denied"'))
    assert _preview(run)[0][0] == "adjustment"
    # --reissue of W47 treats INV-2026-0001 as void: no adjustment of it, whatever is kept
    reissue = _preview(run, "--reissue", week="2026-W47")
    assert all(kind != "adjustment" for kind, *_ in reissue)
    (ws_path / "notes" / ".adjustments-cache.json").unlink()
    assert _preview(run, "--reissue", week="2026-W47") == reissue


def test_a_damaged_billed_line_in_the_index_is_read_from_the_snapshot(run, ws_path, today):
    """The index's billed lines are parsed only when adjustments need them; one that does not
    parse is never believed: that invoice's lines are read from its snapshot."""
    assert run("invoice", "--week", "2026-W47", "--format", "json").exit_code == 0
    kept = ws_path / "invoices" / ".billed-lines-cache.json"
    data = json.loads(kept.read_text())
    for line in data["invoices"]["INV-2026-0001"]["lines"]:
        line["units"] = "not a number"
    kept.write_text(json.dumps(data))
    path = ws_path / NOTE_PATH
    path.write_text(path.read_text().replace('status = "approved"', 'status = "denied"'))
    [line] = _preview(run)
    assert line[:4] == ("adjustment", [NOTE], -4, "-46.44")
