"""The one hook dispatcher (Plugins.call) and its failure policies; status fails closed."""
from __future__ import annotations

import json

import pytest

from peerkit import hookimpl
from peerkit.alerts import Alert
from peerkit.errors import DataError
from peerkit.hookspecs import COLLECT, CONTRACTS, DISABLE, STOP


class Works:
    @staticmethod
    @hookimpl
    def alerts(workspace, today):
        return [Alert("works", "X1", "warning", today, "something to do")]


def _status(run, *args, env=None):
    result = run("status", "--json", *args, env=env)
    return result, json.loads(result.stdout or "[]")


def test_every_hook_has_a_policy_stated_in_its_docstring():
    """The core's hooks and each plugin's published hooks (their module's own CONTRACTS)."""
    from tests.core.test_plugins import _spec_modules, _spec_names

    for owner, module in _spec_modules().items():
        contracts = CONTRACTS if owner == "core" else module.CONTRACTS
        assert set(_spec_names(module)) == set(contracts), owner
        for name, contract in contracts.items():
            assert contract.policy in (STOP, COLLECT, DISABLE)
            doc = getattr(module, name).__doc__
            assert f"Failure policy: ``{contract.policy}``" in doc, name


def test_a_plugins_published_hook_keeps_its_policy():
    """invoice_adjust (the invoice plugin's) is ``stop``, review_recorded (the notes plugin's)
    ``collect``: the dispatcher reads both from the plugins' CONTRACTS."""
    from peerkit.plugins import Plugins

    contracts = Plugins().contracts
    assert contracts["invoice_adjust"].policy == STOP and contracts["review_recorded"].policy == COLLECT
    assert "invoice_adjust" not in CONTRACTS


def test_trace_sees_register_commands_and_invoice_adjust(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    result = run("invoice", "--from", "2026-11-02", "--to", "2026-11-08", "--preview", "--format", "json",
                 env={"PEERKIT_TRACE_PLUGINS": "1"})
    assert result.exit_code == 0, result.output
    assert "peerkit trace: register_commands(" in result.stderr
    assert "peerkit trace: invoice_adjust(invoice, workspace)" in result.stderr
    assert "peerkit trace: invoice_formats(" in result.stderr


def test_a_data_error_in_alerts_is_shown_as_its_message_and_exits_3(run, register_plugin):
    class Bad:
        @staticmethod
        @hookimpl
        def alerts(workspace, today):
            raise DataError("mileage.toml", "field 'trip[2].miles': expected a number", line=7)

    register_plugin(Bad(), "bad")
    register_plugin(Works(), "works")
    result, alerts = _status(run)
    assert result.exit_code == 3
    assert "Error: mileage.toml:7: field 'trip[2].miles': expected a number" in result.stderr
    assert any(a["source"] == "works" for a in alerts)  # the others' alerts are still shown


def test_a_crash_in_alerts_shows_plugin_and_type_only_and_exits_3(run, register_plugin):
    class Raises:
        @staticmethod
        @hookimpl
        def alerts(workspace, today):
            raise ValueError("Sam Example's secret narrative")

    register_plugin(Raises(), "raises")
    register_plugin(Works(), "works")
    result, alerts = _status(run)
    assert result.exit_code == 3
    assert "plugin 'raises' failed in hook alerts (ValueError)" in result.stderr
    assert "Sam Example" not in result.output
    assert any(a["source"] == "works" for a in alerts)


def test_text_status_with_a_failure_never_says_nothing_needs_attention(run, register_plugin):
    class Raises:
        @staticmethod
        @hookimpl
        def alerts(workspace, today):
            raise ValueError("x")

    register_plugin(Raises(), "raises")
    result = run("status", env={"PEERKIT_LOAD_PLUGINS": "raises"})
    assert result.exit_code == 3
    assert "Nothing needs attention" not in result.output
    assert "NOT CHECKED (1)" in result.stdout
    assert "plugin 'raises' failed in hook alerts (ValueError)" in result.stdout


@pytest.mark.parametrize("returned, expected", [
    ({"a": 1}, "returned a dict where a list is expected from hook alerts"),
    (["not an alert"], "returned 1 item(s) of type str in its list where peerkit.alerts.Alert is expected"),
])
def test_a_wrong_result_type_is_reported_naming_plugin_and_hook(run, register_plugin, returned, expected):
    class Wrong:
        @staticmethod
        @hookimpl
        def alerts(workspace, today):
            return returned

    register_plugin(Wrong(), "wrong")
    register_plugin(Works(), "works")
    result, alerts = _status(run)
    assert result.exit_code == 3
    assert f"plugin 'wrong' {expected}" in result.stderr
    assert [a["source"] for a in alerts if a["source"] in ("works", "wrong")] == ["works"]


def test_a_wrong_type_from_a_stop_hook_stops_the_command(run, register_plugin):
    class WrongFormats:
        @staticmethod
        @hookimpl
        def invoice_formats():
            return ["pdf"]

    register_plugin(WrongFormats(), "wrong_formats")
    result = run("invoice", "--from", "2026-11-02", "--to", "2026-11-08", "--preview", "--format", "json")
    assert result.exit_code == 3
    assert "plugin 'wrong_formats' returned a list where a dict is expected from hook invoice_formats" \
        in result.output


def test_a_crash_in_invoice_adjust_stops_the_invoice(run, register_plugin):
    class Adjust:
        @staticmethod
        @hookimpl
        def invoice_adjust(invoice, workspace):
            raise KeyError("Sam Example")

    register_plugin(Adjust(), "adjust")
    result = run("invoice", "--from", "2026-11-02", "--to", "2026-11-08", "--preview", "--format", "json")
    assert result.exit_code == 3
    assert "plugin 'adjust' failed in hook invoice_adjust (KeyError)" in result.output
    assert "Sam Example" not in result.output


def test_register_commands_failing_marks_the_plugin_as_failed_to_load(run, register_plugin):
    class NoCommands:
        @staticmethod
        @hookimpl
        def register_commands(cli):
            raise RuntimeError("Sam Example")

    register_plugin(NoCommands(), "no_commands")
    result = run("plugins", "--json")
    assert result.exit_code == 0
    found = {p["name"]: p for p in json.loads(result.stdout)}
    assert found["no_commands"]["error"] == ("plugin 'no_commands' failed in hook register_commands (RuntimeError); "
                                             "run with PEERKIT_DEBUG=1 to see the error")
    assert "Sam Example" not in result.output
    assert found["notes"]["error"] is None


def test_a_doctor_check_that_raises_exits_3(run, register_plugin):
    class Doc:
        @staticmethod
        @hookimpl
        def doctor_checks(workspace):
            raise ValueError("x")

    register_plugin(Doc(), "doc")
    result = run("doctor")
    assert result.exit_code == 3
    assert "error: plugin 'doc' failed in hook doctor_checks (ValueError)" in result.stdout
    assert "All checks passed" not in result.output


# ----------------------------------------------------------------------- status fails closed

def test_a_plain_text_tax_id_exits_3_and_keeps_every_alert(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    _, before = _status(run)
    assert {a["source"] for a in before} >= {"notes", "invoice", "caseload", "certs"}
    config = ws_path / "peerkit.toml"
    text = config.read_text()
    assert 'tax_id = "keyring:tax-id"' in text
    config.write_text(text.replace('tax_id = "keyring:tax-id"', 'tax_id = "123-45-6789"'))
    result, after = _status(run)
    assert result.exit_code == 3
    assert after == before
    assert "peerkit.toml:" in result.stderr and "field 'provider.tax_id'" in result.stderr
    assert "123-45-6789" not in result.output
    text_result = run("status")
    assert text_result.exit_code == 3 and "field 'provider.tax_id'" in text_result.stdout


def test_one_corrupt_note_makes_status_exit_3_naming_the_file(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    note = ws_path / "notes" / "2026" / "11" / "N-2026-11-02-C001-1.toml"
    note.write_text("status = [\n")
    result = run("status")
    assert result.exit_code == 3
    assert "Nothing needs attention" not in result.output
    assert "notes/2026/11/N-2026-11-02-C001-1.toml" in result.stdout
    # the alerts of the plugins that could read their data are still shown
    assert "certs" in result.stdout


# ----------------------------------------------------------------- plugins that failed to load

def _trust(ws_path):
    """What 'peerkit trust' does once workspace plugins need it (issue 13, peerkit.trust):
    these tests are about plugins that fail *after* being trusted."""
    try:
        from peerkit.trust import trust
    except ImportError:  # a peerkit without the trust step runs workspace plugins as they are
        return
    trust(ws_path)


@pytest.fixture
def broken_plugin(ws_path, monkeypatch):
    from tests.conftest import BUILTINS

    (ws_path / "plugins" / "agency_lines.py").write_text(
        "import os\n\nRATE = 1\nraise RuntimeError('Sam Example 123-45-6789')\n")
    _trust(ws_path)
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", ",".join(BUILTINS) + ",agency_lines")
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T08:00:00")
    return "agency_lines"


def test_an_import_failure_shows_plugin_file_and_line_never_the_message(run, broken_plugin):
    result = run("plugins", "--json")
    assert result.exit_code == 0
    assert "Sam Example" not in result.output and "123-45-6789" not in result.output
    found = {p["name"]: p for p in json.loads(result.stdout)}
    assert found["agency_lines"]["error"].startswith("RuntimeError at ")
    assert found["agency_lines"]["error"].endswith("plugins/agency_lines.py:4")
    assert "plugin 'agency_lines' (workspace) failed to load and was skipped: RuntimeError at " \
        in result.stderr


def test_a_syntax_error_shows_file_and_line(run, ws_path, monkeypatch):
    from tests.conftest import BUILTINS

    (ws_path / "plugins" / "typo_syntax.py").write_text("x = 1\ndef f(:\n    pass\n")
    _trust(ws_path)
    monkeypatch.setenv("PEERKIT_LOAD_PLUGINS", ",".join(BUILTINS) + ",typo_syntax")
    result = run("plugins", "--json")
    found = {p["name"]: p for p in json.loads(result.stdout)}
    assert found["typo_syntax"]["error"].startswith("SyntaxError at ")
    assert found["typo_syntax"]["error"].endswith("plugins/typo_syntax.py:2")


def complete_the_draft(run, ws_path):
    """The example's draft N-2026-11-24-C004-1 with every element, so only a plugin can stop
    it being signed."""
    edited = run("note", "edit", "N-2026-11-24-C004-1", "--response", "Chose a meeting to attend.",
                 "--plan", "Meet again next Tuesday.")
    assert edited.exit_code == 0, edited.output
    assert run("--disable-plugin", "agency_lines", "note", "check", "--from", "2026-11-24",
               "--to", "2026-11-24").exit_code == 0
    return ws_path / "notes" / "2026" / "11" / "N-2026-11-24-C004-1.toml"


def test_note_sign_is_refused_while_a_plugin_failed_to_load(run, ws_path, broken_plugin):
    path = complete_the_draft(run, ws_path)
    before = path.read_bytes()
    result = run("note", "sign", "N-2026-11-24-C004-1")
    assert result.exit_code == 3
    assert "cannot sign notes: plugin 'agency_lines' failed to load" in result.output
    assert "--disable-plugin agency_lines" in result.output
    assert path.read_bytes() == before
    accepted = run("--disable-plugin", "agency_lines", "note", "sign", "N-2026-11-24-C004-1")
    assert accepted.exit_code == 0, accepted.output
    assert path.read_bytes() != before


def test_invoice_is_refused_while_a_plugin_failed_to_load_but_preview_runs(run, ws_path, broken_plugin):
    args = ("invoice", "--from", "2026-11-02", "--to", "2026-11-08", "--format", "json")
    result = run(*args, "--out", ws_path / "inv.json")
    assert result.exit_code == 3
    assert "cannot issue an invoice: plugin 'agency_lines' failed to load" in result.output
    assert not (ws_path / "inv.json").exists()
    assert not list((ws_path / "invoices").glob("*.toml"))
    preview = run(*args, "--preview")
    assert preview.exit_code == 0
    assert "failed to load and was skipped" in preview.stderr  # the one warning
    issued = run("--disable-plugin", "agency_lines", *args, "--out", ws_path / "inv.json")
    assert issued.exit_code == 0, issued.output
    assert (ws_path / "inv.json").exists()


def test_import_review_is_refused_while_a_plugin_failed_to_load(run, ws_path, broken_plugin):
    workbook = ws_path / "review.xlsx"
    assert run("note", "export", "--out", workbook).exit_code == 0
    result = run("note", "import-review", workbook, "--reviewer", "Pat Supervisor")
    assert result.exit_code == 3
    assert "cannot import a review: plugin 'agency_lines' failed to load" in result.output
    # a dry run writes nothing: it goes on
    assert run("note", "import-review", workbook, "--reviewer", "Pat Supervisor", "--dry-run").exit_code == 0


def test_a_corrupt_note_does_not_hide_another_notes_overdue_draft(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    _, before = _status(run)
    assert any(a["subject"] == "N-2026-11-24-C004-1" and a["severity"] == "error" for a in before)
    (ws_path / "notes" / "2026" / "11" / "N-2026-11-02-C001-1.toml").write_text("status = [\n")
    result, after = _status(run)
    assert result.exit_code == 3
    assert "notes/2026/11/N-2026-11-02-C001-1.toml" in result.stderr
    assert [a for a in after if a["source"] == "notes"] == [a for a in before if a["source"] == "notes"]


def test_peerkit_plugins_shows_the_whole_load_error(run, broken_plugin):
    result = run("plugins")
    assert result.exit_code == 0
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("agency_lines: failed to load: ")]
    assert len(line) == 1 and line[0].endswith("plugins/agency_lines.py:4")
    assert "Sam Example" not in result.output


def test_status_with_a_plugin_that_failed_to_load_is_not_all_clear(run, broken_plugin):
    result = run("status")
    assert result.exit_code == 3
    assert "Nothing needs attention" not in result.output
    assert "plugin 'agency_lines' failed to load" in result.stdout
    assert "--disable-plugin agency_lines" in result.stdout
    assert run("--disable-plugin", "agency_lines", "status").exit_code == 1  # the example's overdue items
