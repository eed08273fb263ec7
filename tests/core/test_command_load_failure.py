"""A plugin's command module that fails to import: exit 3 with one line naming the plugin, the
command, the file and the line (never the exception's text), and the plugin counts as failed
to load, so signing, invoicing and importing a review refuse."""
from __future__ import annotations

import sys
import types

import click
import pytest

from peerkit import hookimpl
from peerkit.lazy import LazyCommand
from tests.conftest import assert_no_traceback
from tests.core.test_dispatcher import complete_the_draft

RAISES = "import os\n\nVALUE = 1\nraise RuntimeError('Sam Example 123-45-6789')\n"
SYNTAX = "import click\n\n\ndef broken(:\n    pass\n"


@pytest.fixture
def agency_plugin(tmp_path, monkeypatch, register_plugin):
    """``agency_plugin(source)``: an installed plugin 'agency' whose command 'agency-report'
    is a LazyCommand pointing to a module with ``source``."""
    def make(source: str) -> str:
        folder = tmp_path / "site"
        folder.mkdir(exist_ok=True)
        (folder / "agency_cmds.py").write_text(source)
        monkeypatch.syspath_prepend(str(folder))
        monkeypatch.delitem(sys.modules, "agency_cmds", raising=False)
        plugin = types.SimpleNamespace()

        @hookimpl
        def register_commands(cli: click.Group):
            cli.add_command(LazyCommand("agency-report", "agency_cmds:report", "The agency's report."))

        plugin.register_commands = register_commands
        register_plugin(plugin, name="agency")
        return str(folder / "agency_cmds.py")
    return make


@pytest.mark.parametrize("source, line, kind", [(RAISES, 4, "RuntimeError"), (SYNTAX, 4, "SyntaxError")],
                         ids=["raises", "syntax-error"])
def test_a_command_module_that_fails_to_import_is_exit_3_naming_file_and_line(
        run, agency_plugin, source, line, kind):
    path = agency_plugin(source)
    result = run("agency-report")
    assert_no_traceback(result)
    assert result.exit_code == 3
    errors = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1
    assert errors[0].startswith(f"Error: plugin 'agency' command 'agency-report' failed to load: {kind} at ")
    assert f"agency_cmds.py:{line}" in errors[0]
    assert path.endswith("agency_cmds.py")
    assert "Sam Example" not in result.output and "123-45-6789" not in result.output


def test_the_other_commands_still_run_and_plugins_shows_the_error(run, agency_plugin):
    agency_plugin(RAISES)
    helped = run("--help")
    assert helped.exit_code == 0 and "agency-report" in helped.stdout
    listed = run("plugins")
    assert listed.exit_code == 0
    line = [ln for ln in listed.stdout.splitlines() if ln.startswith("agency: failed to load: ")]
    assert len(line) == 1
    assert line[0].startswith("agency: failed to load: command 'agency-report' failed to load: RuntimeError at ")
    assert line[0].endswith("agency_cmds.py:4")
    assert "Sam Example" not in listed.output


def test_signing_is_refused_while_a_plugin_command_cannot_load(run, ws_path, agency_plugin, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T08:00:00")
    path = complete_the_draft(run, ws_path)
    agency_plugin(RAISES)
    before = path.read_bytes()
    result = run("note", "sign", "N-2026-11-24-C004-1")
    assert result.exit_code == 3
    assert "cannot sign notes: plugin 'agency' failed to load" in result.output
    assert "Sam Example" not in result.output
    assert path.read_bytes() == before
    accepted = run("--disable-plugin", "agency", "note", "sign", "N-2026-11-24-C004-1")
    assert accepted.exit_code == 0, accepted.output


def test_invoicing_is_refused_while_a_plugin_command_cannot_load(run, ws_path, agency_plugin):
    agency_plugin(SYNTAX)
    args = ("invoice", "--from", "2026-11-02", "--to", "2026-11-08", "--format", "json")
    result = run(*args, "--out", ws_path / "inv.json")
    assert result.exit_code == 3
    assert "cannot issue an invoice: plugin 'agency' failed to load" in result.output
    assert not (ws_path / "inv.json").exists()


def test_a_command_module_that_loads_is_not_a_failure(run, agency_plugin, ws_path):
    agency_plugin("import click\n\n\n@click.command()\ndef report():\n    click.echo('agency ok')\n")
    assert run("agency-report").stdout == "agency ok\n"
    args = ("invoice", "--from", "2026-11-02", "--to", "2026-11-08", "--format", "json")
    assert run(*args, "--out", ws_path / "inv.json").exit_code == 0
