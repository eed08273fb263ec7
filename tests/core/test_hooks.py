"""Contract tests: every hook is exercised through the CLI with a test plugin."""
import datetime as dt
import json
from pathlib import Path

import click

from peerkit import hookimpl
from peerkit.alerts import Alert


def test_hook_register_commands(run, register_plugin):
    class P:
        @staticmethod
        @hookimpl
        def register_commands(cli):
            @cli.command(name="hello-test")
            @click.argument("who")
            def hello(who):
                """Say hello."""
                click.echo(f"hello {who}")

    register_plugin(P(), "hello_plugin")
    assert "hello-test" in run("--help").output
    result = run("hello-test", "world")
    assert result.exit_code == 0 and result.output == "hello world\n"
    plugins = {p["name"]: p for p in json.loads(run("plugins", "--json").stdout)}
    assert plugins["hello_plugin"]["hooks"] == ["register_commands"]


def test_hook_template_dirs(run, register_plugin, tmp_path):
    folder = tmp_path / "tpl" / "agency"
    folder.mkdir(parents=True)
    (folder / "letter.md.j2").write_text("Dear {{ name }}")

    class P:
        @staticmethod
        @hookimpl
        def template_dirs():
            return [tmp_path / "tpl"]

    register_plugin(P(), "tpl_plugin")
    listed = {t["name"]: t for t in json.loads(run("templates", "list", "--json").stdout)}
    assert listed["agency/letter.md.j2"]["source"] == "plugin tpl_plugin"
    assert run("templates", "copy", "agency/letter.md.j2").exit_code == 0


def test_hook_alerts(run, register_plugin):
    class P:
        @staticmethod
        @hookimpl
        def alerts(workspace, today):
            return [Alert("test", "X-2", "warning", today + dt.timedelta(days=3), "due soon"),
                    Alert("test", "X-1", "error", today - dt.timedelta(days=1), "overdue")]

    register_plugin(P(), "alerting")
    result = run("status", "--as-of", "2026-11-25", "--json")
    assert result.exit_code == 1
    mine = [a for a in json.loads(result.stdout) if a["source"] == "test"]
    assert mine == [
        {"source": "test", "subject": "X-1", "severity": "error", "due": "2026-11-24", "message": "overdue"},
        {"source": "test", "subject": "X-2", "severity": "warning", "due": "2026-11-28", "message": "due soon"},
    ]


def test_hook_audit_checks(run, register_plugin):
    seen = []

    class P:
        @staticmethod
        @hookimpl
        def audit_checks(workspace, entries):
            seen.append((workspace.root, list(entries)))
            return ["records/X.toml: named by the audit log but missing"]

    register_plugin(P(), "audit_plugin")
    assert run("secret", "set", "tax-id", "--stdin", input="12-3456789\n").exit_code == 0
    result = run("audit", "verify")
    assert result.exit_code == 1 and "records/X.toml: named by the audit log but missing" in result.output
    assert "intact" not in result.output
    assert seen and isinstance(seen[0][0], Path) and seen[0][1][0][1]["command"] == "secret"


def test_hook_audit_checks_failing_is_never_intact(run, register_plugin):
    class P:
        @staticmethod
        @hookimpl
        def audit_checks(workspace, entries):
            raise RuntimeError("boom")

    register_plugin(P(), "broken_audit")
    result = run("audit", "verify")
    # a plugin failing in a hook is exit 3 (the dispatcher's 'collect' policy), never "intact"
    assert result.exit_code == 3 and "failed to run" in result.output
    assert "broken_audit" in result.output and "intact" not in result.output


def test_hook_doctor_checks(run, register_plugin):
    seen = []

    class P:
        @staticmethod
        @hookimpl
        def doctor_checks(workspace):
            seen.append(workspace.root)
            return ["mileage.toml: missing"]

    register_plugin(P(), "doc_plugin")
    result = run("doctor")
    assert result.exit_code == 1 and "doc_plugin: mileage.toml: missing" in result.output
    assert seen and isinstance(seen[0], Path)


def _decide_an_undecided_row(src, dst, decision="approved"):
    import openpyxl

    wb = openpyxl.load_workbook(src)
    sheet = wb["Notes"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(r, header.index("Status") + 1).value in ("signed", "submitted"))
    sheet.cell(row, header.index("Decision") + 1).value = decision
    note_id = sheet.cell(row, header.index("Note") + 1).value
    wb.save(dst)
    return note_id


def test_hook_review_recorded(run, register_plugin, ws_path, tmp_path):
    seen = []

    class P:
        @staticmethod
        @hookimpl
        def review_recorded(workspace, reviewer, notes):
            seen.append((workspace.root, reviewer, list(notes)))

    register_plugin(P(), "review_plugin")
    out = tmp_path / "r.xlsx"
    assert run("note", "export", "--from", "2026-11-16", "--to", "2026-11-22", "--out", out).exit_code == 0
    note_id = _decide_an_undecided_row(out, tmp_path / "d.xlsx")
    dry = run("note", "import-review", tmp_path / "d.xlsx", "--reviewer", "Pat Supervisor", "--dry-run")
    assert dry.exit_code == 0 and seen == []                          # nothing recorded: not called
    result = run("note", "import-review", tmp_path / "d.xlsx", "--reviewer", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    assert seen == [(ws_path, "Pat Supervisor", [note_id])]


def test_hook_review_recorded_failing_is_reported_and_decisions_stay(run, register_plugin, ws_path, tmp_path):
    class P:
        @staticmethod
        @hookimpl
        def review_recorded(workspace, reviewer, notes):
            raise RuntimeError("Secret Sentinel")

    register_plugin(P(), "broken_review")
    out = tmp_path / "r.xlsx"
    assert run("note", "export", "--from", "2026-11-16", "--to", "2026-11-22", "--out", out).exit_code == 0
    note_id = _decide_an_undecided_row(out, tmp_path / "d.xlsx")
    result = run("note", "import-review", tmp_path / "d.xlsx", "--reviewer", "Pat Supervisor")
    assert result.exit_code == 3 and "broken_review" in result.output and "Sentinel" not in result.output
    assert "approved" in run("note", "show", note_id, "--json").stdout


def test_hook_review_sheets(run, register_plugin, ws_path, tmp_path):
    import openpyxl

    seen = []

    class P:
        @staticmethod
        @hookimpl
        def review_sheets(workspace, start, end):
            seen.append((start, end))
            return [{"title": "Mileage check", "headers": ["Date", "Miles", "Text"],
                     "rows": [[dt.date(2026, 11, 16), 12, "=HYPERLINK(1)"]]}]

    register_plugin(P(), "sheet_plugin")
    out = tmp_path / "r.xlsx"
    result = run("note", "export", "--from", "2026-11-16", "--to", "2026-11-22", "--out", out)
    assert result.exit_code == 0, result.output
    assert seen == [(dt.date(2026, 11, 16), dt.date(2026, 11, 22))]
    sh = openpyxl.load_workbook(out)["Mileage check"]
    assert [c.value for c in sh[1]] == ["Workspace", "Date", "Miles", "Text"]
    row = [c for c in sh[2]]
    assert row[0].value == "ws" and row[1].value == dt.datetime(2026, 11, 16) and row[2].value == 12
    assert row[3].data_type == "s" and row[3].quotePrefix            # never evaluated
