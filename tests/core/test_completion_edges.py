"""Shell completion never fails mid-prompt: missing folders and files, a vanished current
folder, a plugin whose formats hook fails, an unknown kind -- each completes what it can."""
from __future__ import annotations

import click
import pytest

from peerkit import completion, hookimpl
from peerkit.cli import cli
from tests.core.test_completion import complete


def context(workspace=None) -> click.Context:
    ctx = click.Context(cli)
    ctx.params = {"workspace": str(workspace) if workspace else None}
    return ctx


def test_outside_any_workspace_every_kind_completes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for kind in completion.KINDS:
        assert completion.complete_ids(kind, context(), "") == [], kind


def test_a_current_folder_that_was_removed_completes_nothing(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert completion.complete_ids("client", context(), "C") == []


def test_missing_folders_and_files_complete_nothing(ws_path):
    assert complete(ws_path, "note show N-2027-01-") == []  # no such month folder
    (ws_path / "credentials.toml").unlink()
    assert complete(ws_path, "certs ce add --credential ") == []
    (ws_path / "credentials.toml").write_text("this is [not toml")
    assert completion.complete_ids("credential", context(ws_path), "") == []


def test_files_beside_the_year_folders_are_skipped(ws_path):
    (ws_path / "notes" / "README.txt").write_text("notes live in YYYY/MM folders")
    (ws_path / "notes" / "2026" / "notes.txt").write_text("x")
    ids = complete(ws_path, "note show N-2026-11-2")
    assert ids[0] == "N-2026-11-24-C004-1" and len(ids) == 5


def test_at_most_limit_ids_are_offered_the_newest(ws_path, monkeypatch):
    monkeypatch.setattr(completion, "LIMIT", 3)
    newest = ["N-2026-11-24-C004-1", "N-2026-11-23-C001-1", "N-2026-11-21-C003-2"]
    assert complete(ws_path, "note show N-") == newest
    assert complete(ws_path, "note show N-2026-11-") == newest  # one month's folder alone
    assert complete(ws_path, "client show C") == ["C001", "C002", "C003"]


def test_an_unknown_kind_completes_nothing():
    assert completion.complete_ids("spaceship", context(), "") == []


def test_a_failing_formats_plugin_leaves_the_builtin_names(ws_path, register_plugin):
    from click.testing import CliRunner

    class Broken:
        @hookimpl
        def note_exporters(self):
            raise RuntimeError("Sam Example")

    register_plugin(Broken(), "brokenformats")
    line = f"peerkit -w {ws_path} note export --format "
    result = CliRunner().invoke(cli, [], prog_name="peerkit", env={
        "_PEERKIT_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": "6"})
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["plain,xlsx"]
    assert "Sam Example" not in result.output and "Traceback" not in result.output


def test_a_script_for_an_unknown_shell_is_refused():
    assert "_PEERKIT_COMPLETE" in completion.script("bash", cli)
    with pytest.raises(ValueError, match="tcsh"):
        completion.script("tcsh", cli)
