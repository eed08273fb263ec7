"""Atomic, verified writes that keep comments; faults leave the target untouched."""
import errno
import os
import stat
import tomllib

import pytest

from peerkit import storage
from peerkit.errors import PeerkitError


def test_write_toml_is_private_and_reads_back(tmp_path):
    p = tmp_path / "sub" / "rec.toml"
    storage.write_toml(p, {"id": "X1", "text": "line one\nline two", "none": None}, header="hello")
    assert tomllib.loads(p.read_text()) == {"id": "X1", "text": "line one\nline two"}
    assert p.read_text().startswith("# hello\n")
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700
    assert not [f for f in os.listdir(p.parent) if storage.TMP_MARK in f]


def test_edit_toml_keeps_comments_and_layout(tmp_path):
    p = tmp_path / "r.toml"
    original = '# top comment\nid = "X"   # inline\nstatus = "draft"\n\n[review]\n# inside\nat = 2026-01-01\n'
    p.write_text(original)
    with storage.edit_toml(p) as doc:
        doc["status"] = "signed"
    assert p.read_text() == original.replace('"draft"', '"signed"')


@pytest.mark.parametrize("target", ["os.fsync", "os.replace", "os.write"])
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EIO, errno.EACCES])
def test_faults_leave_the_target_untouched(tmp_path, monkeypatch, target, err):
    p = tmp_path / "r.toml"
    p.write_text('id = "old"\n')
    module, name = target.split(".")

    def boom(*a, **k):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, name, boom)
    with pytest.raises(PeerkitError) as exc:
        storage.write_toml(p, {"id": "new"})
    monkeypatch.undo()
    assert p.read_text() == 'id = "old"\n'
    assert "the file was left as it was" in exc.value.message
    assert [f.name for f in tmp_path.iterdir()] == ["r.toml"]


def test_replace_is_retried_when_briefly_locked(tmp_path, monkeypatch):
    p = tmp_path / "r.toml"
    calls = []
    real = os.replace

    def flaky(src, dst):
        calls.append(1)
        if len(calls) < 3:
            raise PermissionError(errno.EACCES, "locked by a virus scanner")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    storage.write_toml(p, {"id": "new"})
    assert len(calls) == 3 and tomllib.loads(p.read_text()) == {"id": "new"}


def test_a_lossy_serialiser_is_caught_before_replacing(tmp_path, monkeypatch):
    import tomlkit

    p = tmp_path / "r.toml"
    p.write_text('id = "old"\nstatus = "draft"\n')
    monkeypatch.setattr(tomlkit, "dumps", lambda doc: 'id = "old"\n')  # drops a key
    with pytest.raises(PeerkitError, match="did not read back"), storage.edit_toml(p) as doc:
        doc["status"] = "signed"
    assert p.read_text() == 'id = "old"\nstatus = "draft"\n'


def test_stray_temp_files_are_swept_when_the_lock_is_taken(ws):
    stray = ws.path("notes", "2026", "11", f".N-x.toml{storage.TMP_MARK}abc")
    stray.write_text("half")
    with ws.lock():
        pass
    assert not stray.exists()


def test_reading_never_changes_a_file(ws):
    before = {p: p.read_bytes() for p in ws.root.rglob("*.toml")}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    list(ws.notes())
    ws.clients()
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes
