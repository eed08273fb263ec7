"""Issue 13: an audit log that cannot be cut silently, and no export without its entry."""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peerkit import audit, storage
from peerkit.userconfig import config_dir


def entries(ws_path: Path) -> list[dict]:
    return [json.loads(line) for line in (ws_path / "audit.log").read_text().splitlines()]


def make_entries(run, n: int) -> None:
    for i in range(n):
        assert run("secret", "set", f"s{i}", input="v\n").exit_code == 0


def verify(run):
    result = run("audit", "verify")
    return result.exit_code, result.output


@pytest.fixture
def five(run, ws_path):
    make_entries(run, 5)
    assert verify(run)[0] == 0
    return (ws_path / "audit.log").read_text().splitlines(keepends=True)


def test_deleting_the_last_line_is_reported(run, ws_path, five):
    (ws_path / "audit.log").write_text("".join(five[:-1]))
    code, out = verify(run)
    assert code == 1
    assert "has no entry 5 (it ends at entry 4)" in out and "audit-heads.toml" in out


def test_cutting_to_two_lines_and_emptying_are_reported(run, ws_path, five):
    (ws_path / "audit.log").write_text("".join(five[:2]))
    code, out = verify(run)
    assert code == 1 and "has no entry 5 (it ends at entry 2)" in out
    (ws_path / "audit.log").write_text("")
    code, out = verify(run)
    assert code == 1 and "has no entry 5 (it ends at entry 0)" in out


def test_deleting_the_log_is_reported(run, ws_path, five):
    (ws_path / "audit.log").unlink()
    code, out = verify(run)
    assert code == 1 and "audit.log is missing" in out and "entry 5" in out


def test_a_rechained_log_is_reported(run, ws_path, five):
    # rewrite the log as a new, internally consistent chain of five entries
    prev = audit.GENESIS
    lines = []
    for _i, raw in enumerate(five, 1):
        entry = json.loads(raw)
        entry.update(prev=prev, records=["forged"])
        line = json.dumps(entry, sort_keys=True, ensure_ascii=True)
        prev = audit._digest(line)
        lines.append(line + "\n")
    (ws_path / "audit.log").write_text("".join(lines))
    code, out = verify(run)
    assert code == 1 and "entry 5 is not the one" in out and "re-chained" in out


def test_a_cut_log_keeps_the_evidence_when_more_entries_follow(run, ws_path, five):
    (ws_path / "audit.log").write_text("".join(five[:1]))
    result = run("secret", "set", "later", input="v\n")
    assert result.exit_code == 0 and "no longer holds entry 5" in result.output
    make_entries(run, 5)  # the new chain grows past 5: the recorded head is still not there
    code, out = verify(run)
    assert code == 1 and "entry 5 is not the one" in out


def test_the_head_file_is_private_and_keyed_by_real_path(run, ws_path, five):
    heads = config_dir() / "audit-heads.toml"
    assert heads.stat().st_mode & 0o777 == 0o600
    assert config_dir().stat().st_mode & 0o777 == 0o700
    import tomllib

    data = tomllib.loads(heads.read_text())
    assert data[os.path.realpath(ws_path)]["seq"] == 5


def test_an_invoice_snapshot_keeps_the_head_too(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    make_entries(run, 2)
    result = run("invoice", "--week", "2026-W47", "--out", ws_path.parent / "inv.json")
    assert result.exit_code == 0, result.output
    snapshots = sorted((ws_path / "invoices").glob("INV-*.toml"))
    assert len(snapshots) == 1
    import tomllib

    anchor = tomllib.loads(snapshots[0].read_text())["audit_head"]
    assert anchor["seq"] == 2
    # an attacker who can also remove the user's head file is still caught by the snapshot
    (config_dir() / "audit-heads.toml").unlink()
    lines = (ws_path / "audit.log").read_text().splitlines(keepends=True)
    (ws_path / "audit.log").write_text(lines[0])
    code, out = verify(run)
    assert code == 1 and f"invoices/{snapshots[0].name} records it" in out


# ------------------------------------------------------------------ writing the entry


def test_a_short_write_is_exit_3_and_leaves_no_half_line(run, ws_path, monkeypatch):
    make_entries(run, 1)
    real_write = os.write

    def short(fd, data):
        return real_write(fd, bytes(data)[: len(data) // 2])

    monkeypatch.setattr(audit.os, "write", short)
    result = run("secret", "set", "x", input="v\n")
    monkeypatch.undo()
    assert result.exit_code == 3 and "disk full writing audit.log: free space and run again" in result.output
    assert (ws_path / "audit.log").read_text().endswith("}\n")
    make_entries(run, 1)
    assert [e["seq"] for e in entries(ws_path)] == [1, 2]  # never reset, nothing glued
    assert verify(run)[0] == 0


def test_half_a_line_from_a_crash_is_cut_before_the_next_entry(run, ws_path):
    make_entries(run, 2)
    with open(ws_path / "audit.log", "ab") as fh:
        fh.write(b'{"action": "set", "at": "2026-')
    make_entries(run, 1)
    assert [e["seq"] for e in entries(ws_path)] == [1, 2, 3]
    assert verify(run)[0] == 0


def test_enospc_on_the_log_is_exit_3_not_70(run, ws_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(audit.os, "write", full)
    result = run("secret", "set", "x", input="v\n")
    assert result.exit_code == 3, result.output
    assert "disk full writing audit.log" in result.output


# ------------------------------------------------------------------ exports: entry first


def _fail_audit(monkeypatch):
    """Only the audit log's disk is full (the rest of the workspace can be written)."""
    real_open = os.open

    def open_log(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if str(path).endswith("audit.log"):
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return fd

    monkeypatch.setattr(audit.os, "open", open_log)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if storage.TMP_MARK in p.name]


EXPORTS = {
    "note render": lambda out: ("note", "render", "N-2026-11-16-C001-1", "--format", "html", "--out", out),
    "note export": lambda out: ("note", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", out),
    "wrap export": lambda out: ("wrap", "export", "C001", "--format", "html", "--out", out),
    "invoice": lambda out: ("invoice", "--week", "2026-W47", "--out", out),
    "resources export": lambda out: ("resources", "export", "--format", "xlsx", "--out", out),
}
SUFFIX = {"note export": ".xlsx", "invoice": ".xlsx", "resources export": ".xlsx"}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_no_exported_file_without_its_audit_entry(run, ws_path, tmp_path, monkeypatch, name):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    out = tmp_path / "out" / f"export{SUFFIX.get(name, '.html')}"
    out.parent.mkdir()
    _fail_audit(monkeypatch)
    result = run(*EXPORTS[name](out))
    monkeypatch.undo()
    assert result.exit_code == 3, result.output
    assert "disk full writing audit.log" in result.output
    assert not out.exists() and leftovers(out.parent) == []
    # and when the entry can be written, file and entry both exist
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    result = run(*EXPORTS[name](out))
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert entries(ws_path)[-1]["command"] == name


def test_an_interrupted_export_outside_the_workspace_is_swept_next_time(run, ws_path, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    orphan = elsewhere / f".report.html{storage.TMP_MARK}abc123.html"
    orphan.write_text("PHI")
    innocent = elsewhere / "notes.txt"
    innocent.write_text("mine")
    pending = config_dir() / storage.PENDING_DIR
    pending.mkdir(parents=True)
    (pending / f"{dead}-0001").write_text(str(orphan))
    # a temp of a live process is left alone
    live = elsewhere / f".x.html{storage.TMP_MARK}live.html"
    live.write_text("in flight")
    (pending / f"{os.getppid()}-0002").write_text(str(live))
    result = run("note", "render", "N-2026-11-16-C001-1", "--out", tmp_path / "r.md")
    assert result.exit_code == 0, result.output
    assert not orphan.exists() and innocent.exists() and live.exists()
    assert sorted(p.name for p in pending.iterdir()) == [f"{os.getppid()}-0002"]
    # export temp names are recognisable: a leading dot, the target name and the mark
    assert storage.TMP_MARK == ".peerkit-tmp-"


def test_a_workspace_made_again_in_the_same_folder_is_not_a_cut_log(tmp_path, monkeypatch):
    """The README's demo line deletes and re-creates /tmp/peerkit-demo: no false alarm."""
    from peerkit.testing import Runner

    target = tmp_path / "demo"
    run = Runner(None)
    assert run("init", target, "--example", workspace=False).exit_code == 0
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    assert run("invoice", "--week", "2026-W47", "--format", "md", workspace=target).exit_code == 0
    shutil.rmtree(target)
    second = run("init", target, "--example", workspace=False)
    assert second.exit_code == 0, second.output
    again = run("invoice", "--week", "2026-W47", "--format", "md", workspace=target)
    assert again.exit_code == 0 and "no longer holds" not in again.output
    assert run("audit", "verify", workspace=target).exit_code == 0
