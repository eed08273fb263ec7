"""Issue 13: a full disk (ENOSPC/EDQUOT) on any write is exit 3 with one line; nothing is lost."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "resources" / "fixtures"
NOTE_FLAGS = ["--client", "C001", "--date", "2026-11-25", "--start", "09:00", "--end", "09:40",
              "--place", "community", "--location", "Public library", "--goal", "G1",
              "--purpose", "Housing search", "--intervention", "Compared listings",
              "--response", "Sam chose one", "--plan", "Apply Friday"]

COMMANDS = {
    "note add": lambda tmp: ("note", "add", *NOTE_FLAGS),
    "client edit": lambda tmp: ("client", "edit", "C001", "--name", "Sam Example"),
    "invoice": lambda tmp: ("invoice", "--week", "2026-W47", "--out", tmp / "inv.xlsx"),
    "resources import": lambda tmp: ("resources", "import",
                                     FIXTURES / "openreferral-hsds-3.0" / "examples" / "csv"),
    "secret set": lambda tmp: ("secret", "set", "x"),
    "note render": lambda tmp: ("note", "render", "N-2026-11-16-C001-1", "--out", tmp / "n.md"),
    "wrap export": lambda tmp: ("wrap", "export", "C001", "--out", tmp / "w.html"),
}


def state(root: Path) -> dict[str, bytes]:
    """Every stored record (caches, locks and the audit log are not records)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix == ".toml"}


def audit_lines(root: Path) -> list[str]:
    log = root / "audit.log"
    return log.read_text().splitlines() if log.exists() else []


def full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


CASES = [(name, fault) for name in sorted(COMMANDS) for fault in ("write", "replace", "EDQUOT")
         if not (name == "secret set" and fault == "replace")]  # it replaces no file


@pytest.mark.parametrize("name,fault", CASES)
def test_disk_full_is_exit_3_and_loses_nothing(run, ws_path, tmp_path, monkeypatch, name, fault):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    # templates render in-process here: the patched os.write would otherwise break the pipe of
    # the memory-limited render child (a pipe never fills a disk)
    monkeypatch.setenv("PEERKIT_TEMPLATE_MEMORY_MB", "0")
    out = tmp_path / "out"
    out.mkdir()
    before = state(ws_path)
    if fault == "EDQUOT":
        def quota(*args, **kwargs):
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
        monkeypatch.setattr(os, "write", quota)
    else:
        monkeypatch.setattr(os, fault, full)
    result = run(*COMMANDS[name](out), input="v\n")
    monkeypatch.undo()
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and "disk full writing" in lines[0] and "free space and run again" in lines[0]
    assert state(ws_path) == before
    import json

    entries = [json.loads(line) for line in audit_lines(ws_path)]  # never half a line
    if fault != "replace":  # the entry comes before the rename: it may exist, the file not
        assert entries == []
    assert list(out.iterdir()) == []
    assert not [p for p in ws_path.rglob("*") if ".peerkit-tmp-" in p.name]


def test_disk_full_creating_a_workspace_is_exit_3(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from peerkit.cli import cli

    monkeypatch.setattr(os, "write", full)
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "new")])
    assert result.exit_code == 3, result.output
    assert "disk full writing" in result.output
