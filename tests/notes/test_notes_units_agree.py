"""Issue 20: one unit computation in every view; limits name the note that crosses them."""
from __future__ import annotations

import datetime as dt
import json

import openpyxl
from notes_helpers import note_dict, set_setting, write_note


def _signed(**kw):
    day = kw["date"]
    base = dict(status="approved", author="Jordan Rivera", credentials="NC CPSS",
                signed_at=dt.datetime.combine(day, dt.time(20, 0)),
                purpose="Work on the job search goal together.",
                intervention="Practised answers for an interview out loud.",
                response="Riley said the practice made the interview feel easier.")
    base.update(kw)
    return note_dict(**base)


def test_denied_note_is_not_in_the_days_bundle_of_any_view(run, ws_path, tmp_path, monkeypatch):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace('units_per = "note"', 'units_per = "day"'))
    day = dt.date(2026, 11, 24)
    times = [(dt.time(9, 0), dt.time(9, 25), "approved"), (dt.time(10, 0), dt.time(10, 20), "approved"),
             (dt.time(13, 0), dt.time(13, 20), "denied")]
    for i, (s, e, status) in enumerate(times, 1):
        write_note(ws_path, _signed(id=f"N-2026-11-24-C002-{i}", date=day, start=s, end=e, status=status))
    # 25 + 20 approved minutes = 45 -> 3 units; the denied 20 minutes would make it 65 -> 4.
    # Each note shows what it adds to the day: 25 min -> 2, then 45 min -> 3 (+1).
    listed = {n["id"]: n["units"] for n in json.loads(
        run("note", "list", "--from", "2026-11-24", "--to", "2026-11-24", "--client", "C002",
            "--json").stdout)}
    assert listed == {"N-2026-11-24-C002-1": 2, "N-2026-11-24-C002-2": 1, "N-2026-11-24-C002-3": 0}
    shown = json.loads(run("note", "show", "N-2026-11-24-C002-1", "--json").stdout)
    assert shown["units"] == 2

    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-01")
    inv = json.loads(run("invoice", "--week", "2026-W48", "--preview", "--format", "json").stdout)
    billed = [ln for ln in inv["lines"] if ln["client"] == "C002" and ln["date"] == "2026-11-24"]
    assert [(ln["minutes"], ln["units"]) for ln in billed] == [(45, 3)]

    out = tmp_path / "review.xlsx"
    result = run("note", "export", "--from", "2026-11-24", "--to", "2026-11-24", "--out", out)
    assert result.exit_code == 0, result.output
    from peerkit_notes import review

    sheet = openpyxl.load_workbook(out)["Notes"]
    units_col = review.headers().index("Units") + 1
    got = {sheet.cell(r, 1).value: sheet.cell(r, units_col).value for r in range(2, sheet.max_row + 1)}
    assert {k: v for k, v in got.items() if "C002" in k} == listed


def test_denied_note_bills_zero_units_per_note(run, ws_path):
    write_note(ws_path, _signed(id="N-2026-11-24-C002-1", date=dt.date(2026, 11, 24), status="denied"))
    listed = json.loads(run("note", "list", "--client", "C002", "--from", "2026-11-24",
                            "--to", "2026-11-24", "--json").stdout)
    assert [(n["minutes"], n["units"]) for n in listed] == [(45, 0)]


def test_back_dated_note_gets_the_unmanaged_error_not_the_signed_later_note(run, ws_path):
    # C004 has no authorization: 11-06 approved (3 units), 11-13 approved (6 units) -> 9
    set_setting(ws_path, "unmanaged_units", "9", table="billing")
    (ws_path / "notes/2026/11/N-2026-11-24-C004-1.toml").unlink()  # the draft of 11-24
    assert run("note", "check", "--client", "C004", "--json").exit_code == 0
    # a back-dated draft of 11-10 (45 min = 3 units) would push the fiscal year to 12
    write_note(ws_path, _signed(id="N-2026-11-10-C004-1", client="C004", date=dt.date(2026, 11, 10),
                                status="draft", signed_at=None, author=None, credentials=None,
                                response="Morgan filled in the form for the food pantry."))
    result = run("note", "check", "--client", "C004", "--json")
    found = [f for f in json.loads(result.stdout) if f["rule"] == "authorization"]
    assert [f["note"] for f in found] == ["N-2026-11-10-C004-1"], result.output
    signing = run("note", "sign", "N-2026-11-10-C004-1")
    assert signing.exit_code != 0 and "authorization" in signing.output
    assert 'status = "draft"' in (ws_path / "notes/2026/11/N-2026-11-10-C004-1.toml").read_text()
