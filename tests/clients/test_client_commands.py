"""``peerkit client`` add, list, show, edit (flags and $EDITOR) and discharge: what lands on disk,
what is printed, and the exit code of every refusal (the record is then left as it was)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import assert_no_traceback


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")


def client_file(ws_path, cid):
    return ws_path / "clients" / f"{cid}.toml"


def read_client(ws_path, cid) -> dict:
    return tomllib.loads(client_file(ws_path, cid).read_text())


def files(ws_path) -> list[str]:
    return sorted(p.name for p in (ws_path / "clients").glob("*.toml"))


def error_line(result) -> str:
    assert_no_traceback(result)
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


# ------------------------------------------------------------------------------------------ add

def test_add_from_flags_writes_the_record(run, ws_path):
    r = run("client", "add", "C005", "--name", "Alex Sample", "--admitted", "2026-11-01",
            "--record-number", "MR-1005", "--medicaid-id", "900000005A")
    assert r.exit_code == 0 and r.stderr.strip() == "Added 1 client(s): C005"
    assert r.stdout == ""
    assert read_client(ws_path, "C005") == {
        "id": "C005", "name": "Alex Sample", "record_number": "MR-1005", "medicaid_id": "900000005A",
        "status": "active", "admitted": tomllib.loads("d = 2026-11-01")["d"]}
    assert run("client", "show", "C005", "--json").exit_code == 0


def test_add_from_a_toml_file_with_several_clients(run, ws_path, tmp_path):
    src = tmp_path / "new.toml"
    src.write_text('[[clients]]\nid = "C007"\nname = "Riley Example"\n\n'
                   '[[clients]]\nid = "C008"\nname = "Jamie Example"\nadmitted = 2026-10-01\n')
    r = run("client", "add", "--from", src)
    assert r.exit_code == 0 and r.stderr.strip() == "Added 2 client(s): C007, C008"
    assert read_client(ws_path, "C007")["status"] == "active"
    assert str(read_client(ws_path, "C008")["admitted"]) == "2026-10-01"


def test_add_from_json_on_stdin(run, ws_path):
    r = run("client", "add", "--from", "-",
            input=json.dumps([{"id": "C007", "name": "Riley Example", "admitted": "2026-10-01"}]))
    assert r.exit_code == 0 and "C007" in r.stderr
    assert str(read_client(ws_path, "C007")["admitted"]) == "2026-10-01"


def test_one_bad_record_in_a_file_writes_none(run, ws_path, tmp_path):
    before = files(ws_path)
    src = tmp_path / "new.toml"
    src.write_text('[[clients]]\nid = "C007"\nname = "Riley Example"\n\n'
                   '[[clients]]\nid = "C008"\nname = "Jamie Example"\nstatus = "gone"\n')
    r = run("client", "add", "--from", src)
    assert r.exit_code == 3
    assert "(record 2): field 'status': must be one of 'active', 'discharged'" in error_line(r)
    assert files(ws_path) == before


def test_the_same_id_twice_in_one_input_writes_none(run, ws_path):
    before = files(ws_path)
    r = run("client", "add", "--from", "-",
            input=json.dumps([{"id": "C009", "name": "Riley Example"}, {"id": "C009", "name": "Jamie Example"}]))
    assert r.exit_code == 3 and error_line(r) == "Error: <stdin>: the same client id appears twice"
    assert files(ws_path) == before


def test_an_existing_client_is_never_overwritten(run, ws_path):
    before = client_file(ws_path, "C001").read_bytes()
    r = run("client", "add", "C001", "--name", "Alex Sample")
    assert r.exit_code == 3
    assert error_line(r) == "Error: clients/C001.toml: already exists; use 'peerkit client edit'"
    assert client_file(ws_path, "C001").read_bytes() == before


@pytest.mark.parametrize("args, why", [
    (("C006",), "CLIENT_ID and --name are required (or use --from FILE)"),
    (("--name", "Alex Sample"), "CLIENT_ID and --name are required (or use --from FILE)"),
    (("C006", "--name", "Alex Sample", "--from", "x.toml"), "give either --from or CLIENT_ID/--name, not both"),
])
def test_add_usage_errors(run, ws_path, args, why):
    before = files(ws_path)
    r = run("client", "add", *args)
    assert r.exit_code == 2 and error_line(r) == f"Error: {why}"
    assert files(ws_path) == before


# ----------------------------------------------------------------------------------- list, show

def test_list_shows_active_clients_by_default_and_filters_by_status(run, ws_path):
    assert run("client", "discharge", "C002", "--date", "2026-11-20").exit_code == 0
    active = run("client", "list")
    assert active.exit_code == 0
    rows = active.stdout.splitlines()
    assert rows[0].split() == ["id", "name", "status", "admitted", "goals", "auths"]
    assert [row.split()[0] for row in rows[2:]] == ["C001", "C003", "C004"]
    discharged = run("client", "list", "--status", "discharged", "--json")
    assert [(c["id"], c["status"], c["discharged"]) for c in json.loads(discharged.stdout)] == [
        ("C002", "discharged", "2026-11-20")]
    everyone = json.loads(run("client", "list", "--status", "all", "--json").stdout)
    assert [c["id"] for c in everyone] == ["C001", "C002", "C003", "C004"]


def test_list_counts_active_goals_and_authorizations(run):
    row = next(r for r in run("client", "list").stdout.splitlines() if r.startswith("C001"))
    assert row.split()[-2:] == ["2", "2"]
    assert run("client", "edit", "C001", "--goal-status", "G1:met").exit_code == 0
    row = next(r for r in run("client", "list").stdout.splitlines() if r.startswith("C001"))
    assert row.split()[-2:] == ["1", "2"]


def test_show_text_and_json(run):
    text = run("client", "show", "C001")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == "C001  Sam Example  (active)"
    assert "  Record number: MR-1001" in lines
    assert "    H0038 HQ: 96 units, 2026-09-01 to 2027-02-28, 2 h/week" in lines
    assert "  Needs: Stable housing; Transport to appointments" in lines
    assert lines[-2:] == ["    G1 [active] Find and keep housing of my choice",
                          "    G2 [active] Build a daily routine that keeps me well"]
    data = json.loads(run("client", "show", "C004", "--json").stdout)
    assert data["id"] == "C004" and data["authorizations"] == []
    assert [g["id"] for g in data["goals"]] == ["G1"]


def test_show_an_unknown_client(run):
    r = run("client", "show", "C999")
    assert r.exit_code == 3
    assert error_line(r) == "Error: unknown client id 'C999': no clients/C999.toml (see 'peerkit client list')"


# ------------------------------------------------------------------------------- edit with flags

def test_edit_flags_change_only_those_fields_and_keep_comments(run, ws_path):
    before = client_file(ws_path, "C001").read_text()
    r = run("client", "edit", "C001", "--name", "Sam Q. Example", "--medicaid-id", "900000009Z",
            "--admitted", "2026-08-01")
    assert r.exit_code == 0 and r.stderr.strip() == "Updated client C001."
    after = client_file(ws_path, "C001").read_text()
    assert after.startswith("# A person receiving peer support (fictional).\n")
    changed = set(after.splitlines()) - set(before.splitlines())
    assert changed == {'name = "Sam Q. Example"', 'medicaid_id = "900000009Z"', "admitted = 2026-08-01"}
    assert len(after.splitlines()) == len(before.splitlines())


def test_goal_status_marks_a_goal_met_or_dropped(run, ws_path):
    r = run("client", "edit", "C001", "--goal-status", "G1:met", "--goal-status", "G2:dropped")
    assert r.exit_code == 0
    goals = {g["id"]: g["status"] for g in read_client(ws_path, "C001")["goals"]}
    assert goals == {"G1": "met", "G2": "dropped"}
    assert "    G1 [met] Find and keep housing of my choice" in run("client", "show", "C001").stdout


def test_add_goal_to_a_client_without_goals_then_set_its_status(run, ws_path):
    assert run("client", "add", "C005", "--name", "Alex Sample").exit_code == 0
    r = run("client", "edit", "C005", "--add-goal", "G1:Open a bank account", "--goal-status", "G1:dropped")
    assert r.exit_code == 0
    goals = read_client(ws_path, "C005")["goals"]
    assert [(g["id"], g["text"], g["status"], str(g["started"])) for g in goals] == [
        ("G1", "Open a bank account", "dropped", "2026-11-25")]


@pytest.mark.parametrize("args, why", [
    (("--goal-status", "G1:finished"), "Error: --goal-status needs ID:STATUS with STATUS one of active, met, dropped"),
    (("--goal-status", "G9:met"), "Error: clients/C001.toml: no goal 'G9' in this client's plan"),
    (("--add-goal", "G2:Again"), "Error: clients/C001.toml: goal 'G2' already exists"),
    (("--add-goal", "G5"), "Error: --add-goal needs ID:TEXT (for example G3:Get a library card)"),
    (("--add-goal", "G 5:Text"),
     "Error: goal id may use only letters, digits, '.', '_' and '-' (no spaces, '/' or '..')"),
    (("--add-goal", "G5:Join a group", "--goal-status", "G1:unknown"),
     "Error: --goal-status needs ID:STATUS with STATUS one of active, met, dropped"),
])
def test_bad_goal_edits_leave_the_file_as_it_was(run, ws_path, args, why):
    before = client_file(ws_path, "C001").read_bytes()
    r = run("client", "edit", "C001", *args)
    assert r.exit_code == 3 and error_line(r) == why
    assert client_file(ws_path, "C001").read_bytes() == before


def test_edit_an_unknown_client(run, ws_path):
    before = files(ws_path)
    r = run("client", "edit", "C999", "--name", "Alex Sample")
    assert r.exit_code == 3 and "unknown client id 'C999'" in error_line(r)
    assert files(ws_path) == before


def test_edit_without_a_flag_needs_a_terminal(run, ws_path):
    before = client_file(ws_path, "C001").read_bytes()
    r = run("client", "edit", "C001", input="")
    assert r.exit_code == 2
    assert error_line(r) == "Error: give a flag to change (see --help); $EDITOR needs a terminal"
    assert client_file(ws_path, "C001").read_bytes() == before


# ---------------------------------------------------------------------------- edit in $EDITOR

EDITOR_SCRIPT = """import pathlib, sys
path = pathlib.Path(sys.argv[-1])
path.write_text(path.read_text().replace({old!r}, {new!r}))
"""


def edit_in_a_terminal(ws_path, tmp_path, old: str, new: str, editor: bool = True):
    """Run 'peerkit client edit C001' in a new process whose stdin is a terminal (a pty), with an
    $EDITOR that replaces ``old`` by ``new`` in the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT.format(old=old, new=new))
    env = {k: v for k, v in os.environ.items() if k not in ("EDITOR", "VISUAL")}
    if editor:
        env["EDITOR"] = f"{sys.executable} {script}"
    primary, secondary = os.openpty()
    try:
        return subprocess.run([sys.executable, "-m", "peerkit", "-w", str(ws_path), "client", "edit", "C001"],
                              stdin=secondary, capture_output=True, text=True, env=env, timeout=120)
    finally:
        os.close(primary)
        os.close(secondary)


def test_interactive_edit_saves_a_valid_change(ws_path, tmp_path):
    r = edit_in_a_terminal(ws_path, tmp_path, 'record_number = "MR-1001"', 'record_number = "MR-2002"')
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "Saved."
    text = client_file(ws_path, "C001").read_text()
    assert 'record_number = "MR-2002"' in text and text.startswith("# A person receiving peer support")


def test_interactive_edit_that_changes_nothing(ws_path, tmp_path):
    before = client_file(ws_path, "C001").read_bytes()
    r = edit_in_a_terminal(ws_path, tmp_path, "no such text", "anything")
    assert r.returncode == 0 and r.stderr.strip() == "No change."
    assert client_file(ws_path, "C001").read_bytes() == before


def test_an_invalid_interactive_edit_keeps_the_file(ws_path, tmp_path):
    before = client_file(ws_path, "C001").read_bytes()
    r = edit_in_a_terminal(ws_path, tmp_path, 'status = "active"', 'status = "gone"')
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    assert "clients/C001.toml" in r.stderr and "field 'status'" in r.stderr
    assert "was kept as it was" in r.stderr
    assert client_file(ws_path, "C001").read_bytes() == before


def test_an_interactive_edit_may_not_change_the_id(ws_path, tmp_path):
    before = client_file(ws_path, "C001").read_bytes()
    r = edit_in_a_terminal(ws_path, tmp_path, 'id = "C001"', 'id = "C002"')
    assert r.returncode == 3 and "field 'id'" in r.stderr
    assert client_file(ws_path, "C001").read_bytes() == before


def test_interactive_edit_without_an_editor_is_a_usage_error(ws_path, tmp_path):
    before = client_file(ws_path, "C001").read_bytes()
    r = edit_in_a_terminal(ws_path, tmp_path, "x", "y", editor=False)
    assert r.returncode == 2
    assert "set $EDITOR (for example EDITOR=nano) to edit records interactively" in r.stderr
    assert client_file(ws_path, "C001").read_bytes() == before


# ------------------------------------------------------------------------------------- discharge

def test_discharge_marks_the_client_and_later_notes_fail_client_active(run, ws_path):
    r = run("client", "discharge", "C002", "--date", "2026-11-10")
    assert r.exit_code == 0 and r.stderr.strip() == "Discharged client C002 on 2026-11-10."
    data = read_client(ws_path, "C002")
    assert data["status"] == "discharged" and str(data["discharged"]) == "2026-11-10"
    check = run("note", "check", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    flagged = {f["note"] for f in json.loads(check.stdout)
               if f["rule"] == "client-active" and f["note"].endswith(("C002-1", "C002-2", "C002-3"))}
    assert flagged == {"N-2026-11-17-C002-1", "N-2026-11-19-C002-2", "N-2026-11-19-C002-3"}


def test_discharge_defaults_to_today(run, ws_path):
    r = run("client", "discharge", "C004")
    assert r.exit_code == 0 and r.stderr.strip() == "Discharged client C004 on 2026-11-25."
    assert str(read_client(ws_path, "C004")["discharged"]) == "2026-11-25"


def test_discharge_before_admission_is_refused(run, ws_path):
    before = client_file(ws_path, "C004").read_bytes()
    r = run("client", "discharge", "C004", "--date", "2026-11-01")
    assert r.exit_code == 3
    assert error_line(r) == "Error: clients/C004.toml: the discharge date is before 'admitted'"
    assert client_file(ws_path, "C004").read_bytes() == before


def test_discharge_an_unknown_client(run, ws_path):
    before = files(ws_path)
    r = run("client", "discharge", "C999")
    assert r.exit_code == 3 and "unknown client id 'C999'" in error_line(r)
    assert files(ws_path) == before


def test_edit_interactively_in_process(ws_path, tmp_path, monkeypatch):
    """The plain function behind the command (no CLI): same outcome; the workspace forgets the
    clients it had read (it kept the old record before)."""
    from peerkit.workspace import Workspace
    from peerkit_clients import model

    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT.format(old='name = "Sam Example"', new='name = "Sam Q. Example"'))
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    ws = Workspace(ws_path)
    assert model.edit_interactively(ws, "C001") is True
    assert read_client(ws_path, "C001")["name"] == "Sam Q. Example"
    assert ws.client("C001").name == "Sam Q. Example"
    assert model.edit_interactively(ws, "C001") is False  # the text is no longer there: no change


# ------------------------------------------------------------------ doc list, auth list (text)

def test_doc_list_of_every_client_as_a_table(run):
    r = run("client", "doc", "list")
    assert r.exit_code == 0
    rows = [row.split("  ")[0:2] for row in r.stdout.splitlines()[2:]]
    assert len(rows) == 13 and {row[0] for row in rows} == {"C001", "C002", "C003", "C004"}
    consent = next(row for row in r.stdout.splitlines() if row.startswith("C001    D4"))
    assert "consent" in consent and consent.endswith("Example Peer Services supervisor; Example LME/MCO")


def test_auth_list_one_client_and_every_client(run):
    one = run("client", "auth", "list", "C001")
    assert one.exit_code == 0
    assert [row.split()[:6] for row in one.stdout.splitlines()[2:]] == [
        ["C001", "1", "H0038", "240", "2026-09-01", "2027-02-28"],
        ["C001", "2", "H0038", "HQ", "96", "2026-09-01"]]
    every = run("client", "auth", "list")
    assert [row.split()[0] for row in every.stdout.splitlines()[2:]] == ["C001", "C001", "C002", "C003", "C003"]


@pytest.mark.parametrize("group", ["doc", "auth"])
def test_lists_of_an_unknown_client(run, group):
    r = run("client", group, "list", "C999")
    assert r.exit_code == 3 and "unknown client id 'C999'" in error_line(r)
