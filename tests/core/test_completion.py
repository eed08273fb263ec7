"""Shell completion: ids and format names through click's completion protocol."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from peerkit.cli import cli


def complete(ws_path, words: str, shell: str = "bash") -> list[str]:
    """What TAB offers after ``peerkit -w WS <words>`` (the last word is being typed)."""
    line = f"peerkit -w {ws_path} {words}"
    parts = line.split(" ")
    env = {"_PEERKIT_COMPLETE": f"{shell}_complete", "COMP_WORDS": line,
           "COMP_CWORD": str(len(parts) - 1)}
    result = CliRunner().invoke(cli, [], prog_name="peerkit", env=env)
    assert result.exit_code == 0, result.output
    return [ln.split(",", 1)[1] for ln in result.stdout.splitlines() if "," in ln]


def test_note_ids_newest_first_and_by_prefix(ws_path):
    ids = complete(ws_path, "note show N-2026-11-2")
    assert ids == ["N-2026-11-24-C004-1", "N-2026-11-23-C001-1", "N-2026-11-21-C003-2",
                   "N-2026-11-20-C004-1", "N-2026-11-20-C001-2"]
    assert complete(ws_path, "note sign N-2026-11-05-C00") == [
        "N-2026-11-05-C003-2", "N-2026-11-05-C002-2", "N-2026-11-05-C001-2"]
    assert len(complete(ws_path, "note render ")) == 25
    assert complete(ws_path, "note show X") == []


def test_client_ids_on_arguments_and_options(ws_path):
    assert complete(ws_path, "client show C00") == ["C001", "C002", "C003", "C004"]
    assert complete(ws_path, "note add --client C00") == ["C001", "C002", "C003", "C004"]
    assert complete(ws_path, "note list --client C003") == ["C003"]
    assert complete(ws_path, "wrap show C00") == ["C001", "C002", "C003", "C004"]


def test_resource_incident_credential_and_invoice_ids(ws_path, run):
    assert complete(ws_path, "resources show haw-river-c") == ["haw-river-crisis-line"]
    assert complete(ws_path, "incident show INC-2026-11-1") == ["INC-2026-11-10-1", "INC-2026-11-18-1"]
    creds = complete(ws_path, "certs ce add --credential ")
    assert "nc-cpss" in creds and "drivers-licence" in creds
    # invoice numbers: from invoices/*.toml (for plugins' commands; the index is not a number)
    import click

    from peerkit.completion import complete_ids

    run("invoice", "--week", "2026-W47", "--format", "json", env={"PEERKIT_TODAY": "2026-11-25"})
    ctx = click.Context(cli)
    ctx.params = {"workspace": str(ws_path)}
    assert complete_ids("invoice", ctx, "INV") == ["INV-2026-0001"]


def test_format_names_include_plugin_formats(ws_path, register_plugin):
    from peerkit import hookimpl

    assert complete(ws_path, "invoice --format ") == ["html", "json", "md", "pdf", "xlsx"]

    class Csv:
        @hookimpl
        def invoice_formats(self):
            return {"csv": lambda invoice, workspace: ""}

    register_plugin(Csv(), "csvformat")
    assert complete(ws_path, "invoice --format c") == ["csv"]
    assert "xlsx" in complete(ws_path, "note export --format ")
    assert complete(ws_path, "note render N-2026-11-16-C001-1 --format h") == ["html"]


def test_fish_and_zsh_protocols(ws_path):
    line = f"peerkit -w {ws_path} client show C00"
    zsh = CliRunner().invoke(cli, [], prog_name="peerkit", env={
        "_PEERKIT_COMPLETE": "zsh_complete", "COMP_WORDS": line, "COMP_CWORD": "5"})
    assert zsh.stdout.split("\n")[:6] == ["plain", "C001", "_", "plain", "C002", "_"]
    result = CliRunner().invoke(cli, [], prog_name="peerkit", env={
        "_PEERKIT_COMPLETE": "fish_complete", "COMP_WORDS": line, "COMP_CWORD": "C00"})
    assert result.stdout.splitlines() == ["plain,C001", "plain,C002", "plain,C003", "plain,C004"]


def test_no_workspace_completes_nothing_and_prints_no_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"_PEERKIT_COMPLETE": "bash_complete", "COMP_WORDS": "peerkit note show N",
           "COMP_CWORD": "3"}
    result = CliRunner().invoke(cli, [], prog_name="peerkit", env=env)
    assert result.exit_code == 0 and result.stdout.strip() == "" and result.stderr == ""


@pytest.mark.parametrize("shell,marker", [("bash", "complete -o nosort -F _peerkit_completion peerkit"),
                                          ("zsh", "compdef _peerkit_completion peerkit"),
                                          ("fish", "complete --no-files --command peerkit")])
def test_completion_command_prints_the_script(run, shell, marker):
    result = run("completion", shell, workspace=False)
    assert result.exit_code == 0, result.output
    assert marker in result.stdout and "_PEERKIT_COMPLETE" in result.stdout
    assert run("completion", "powershell", workspace=False).exit_code == 2
