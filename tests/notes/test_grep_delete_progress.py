"""note list --grep, note delete (drafts never signed), progress bars only on a terminal."""
from __future__ import annotations

import io
import json

import pytest


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")


def _ids(run, *args):
    result = run("note", "list", *args, "--json")
    assert result.exit_code == 0, result.output
    return [n["id"] for n in json.loads(result.stdout)]


def test_grep_searches_narrative_and_ids_in_any_case(run, ws_path):
    expected = sorted(p.stem for p in (ws_path / "notes").rglob("N-*.toml")
                      if "housing" in p.read_text(encoding="utf-8").lower())
    found = _ids(run, "--grep", "HoUsInG")
    assert sorted(found) == expected and 0 < len(found) < 25
    assert _ids(run, "--grep", "n-2026-11-16-c001") == ["N-2026-11-16-C001-1"]
    assert _ids(run, "--grep", "c004", "--week", "2026-W47") == ["N-2026-11-20-C004-1"]
    assert _ids(run, "--grep", "no such words anywhere") == []


def test_delete_a_draft_that_was_never_signed(run, ws_path):
    path = ws_path / "notes" / "2026" / "11" / "N-2026-11-24-C004-1.toml"
    assert 'status = "draft"' in path.read_text()
    result = run("note", "delete", "N-2026-11-24-C004-1")
    assert result.exit_code == 0, result.output
    assert not path.exists()
    assert "N-2026-11-24-C004-1" not in _ids(run)
    log = [json.loads(line) for line in (ws_path / "audit.log").read_text().splitlines()]
    assert log[-1]["command"] == "note delete" and log[-1]["records"] == ["N-2026-11-24-C004-1"]
    assert run("note", "show", "N-2026-11-24-C004-1").exit_code == 3


@pytest.mark.parametrize("note_id", ["N-2026-11-23-C001-1",      # signed
                                     "N-2026-11-20-C001-2",      # submitted
                                     "N-2026-11-16-C001-1",      # approved
                                     "N-2026-11-11-C003-1"])     # void
def test_delete_refuses_anything_but_a_never_signed_draft(run, ws_path, note_id):
    before = {p: p.read_bytes() for p in (ws_path / "notes").rglob("*.toml")}
    result = run("note", "delete", note_id)
    assert result.exit_code == 3
    assert "only a draft that was never signed can be deleted" in result.stderr
    assert {p: p.read_bytes() for p in (ws_path / "notes").rglob("*.toml")} == before


def test_delete_refuses_a_draft_that_was_signed_once(run, ws_path):
    path = ws_path / "notes" / "2026" / "11" / "N-2026-11-24-C004-1.toml"
    path.write_text(path.read_text() + "signed_at = 2026-11-24T20:00:00\n")
    assert run("note", "delete", "N-2026-11-24-C004-1").exit_code == 3
    assert path.exists()


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_progress_only_when_stderr_is_a_terminal(monkeypatch):
    from peerkit.output import show_progress

    monkeypatch.setenv("TERM", "xterm")
    assert show_progress(stream=_Stream(True)) is True
    assert show_progress(stream=_Stream(False)) is False
    assert show_progress(False, stream=_Stream(True)) is False
    monkeypatch.setenv("TERM", "dumb")
    assert show_progress(stream=_Stream(True)) is False


def test_progress_bar_goes_to_stderr_and_stdout_stays_clean(monkeypatch, capsys):
    import sys

    from peerkit import output

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "stderr", _Stream(True))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    with output.progress(range(3), length=3, label="Working") as bar:
        assert list(bar) == [0, 1, 2]
    assert "Working" in sys.stderr.getvalue()
    assert capsys.readouterr().out == ""


def test_piped_commands_print_no_bar(run, tmp_path):
    result = run("reindex")
    assert result.exit_code == 0 and result.stdout == ""
    assert "Reindexing" not in result.stderr
