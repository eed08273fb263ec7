"""The lock's sweep of temporary files lists only the folders that may have changed since the
last sweep (its record is kept in the lock file), and still removes every temporary file left
behind."""
from __future__ import annotations

import json
import os

import pytest

from peerkit import files
from peerkit.files import TMP_MARK
from peerkit.locking import FileLock

LOCK = ".peerkit.lock"


def sweep(root, *, record=True) -> int:
    """A sweep as Workspace.lock runs it: holding the lock, the record kept in its file."""
    with FileLock(root / LOCK, timeout=1) as lock:
        return files.sweep_temp_files(root, record=lock if record else None)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "ws"
    for month in ("notes/2026/10", "notes/2026/11", "clients"):
        (root / month).mkdir(parents=True)
        (root / month / "a.toml").write_text("x = 1\n")
    return root


@pytest.fixture
def listed(monkeypatch):
    """The folders os.scandir lists, relative to the workspace."""
    seen: list[str] = []
    real = os.scandir

    def scandir(path="."):
        seen.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return seen


def _rel(root, paths):
    """The workspace's folders among ``paths`` (the user's pending-exports folder aside)."""
    return sorted(os.path.relpath(p, root) for p in paths
                  if not os.path.relpath(p, root).startswith(".."))


def test_unchanged_folders_are_not_listed_again(tree, listed, monkeypatch):
    monkeypatch.setattr(files, "RACY_NS", 0)  # the folders were made just now
    assert sweep(tree) == 0
    assert _rel(tree, listed) == [".", "clients", "notes", "notes/2026", "notes/2026/10", "notes/2026/11"]
    listed.clear()
    (tree / "notes/2026/11" / "b.toml").write_text("x = 2\n")  # a note written in November
    assert sweep(tree) == 0
    assert _rel(tree, listed) == ["notes/2026/11"]


def test_every_temporary_file_left_behind_is_still_removed(tree, monkeypatch):
    monkeypatch.setattr(files, "RACY_NS", 0)
    sweep(tree)
    left = [tree / "notes/2026/10" / f".a.toml{TMP_MARK}x1", tree / f".peerkit.toml{TMP_MARK}x2",
            tree / "notes/2026/12" / f".b.toml{TMP_MARK}x3",  # in a folder made since
            tree / "notes/2026/11/sub" / f".c.toml{TMP_MARK}x4"]
    for p in left:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("half")
    assert sweep(tree) == 4
    assert not [p for p in left if p.exists()]
    assert (tree / "notes/2026/10/a.toml").exists()
    assert sweep(tree) == 0


def test_recently_changed_folders_are_listed_again(tree, listed):
    sweep(tree)  # every folder is younger than the 2 s margin
    listed.clear()
    sweep(tree)
    assert len(_rel(tree, listed)) == 6


def test_a_live_export_keeps_its_folder_listed_until_it_is_gone(tree, monkeypatch):
    monkeypatch.setattr(files, "RACY_NS", 0)
    export = tree / "notes/2026/10" / f".review.xlsx{TMP_MARK}x9"
    export.write_text("being written")
    monkeypatch.setattr(files, "_live_pending", lambda: {os.path.abspath(export)})
    assert sweep(tree) == 0 and export.exists()
    monkeypatch.setattr(files, "_live_pending", set)  # the export's process died
    assert sweep(tree) == 1 and not export.exists()


def test_a_damaged_record_means_every_folder_is_listed(tree, listed, monkeypatch, tmp_path):
    monkeypatch.setattr(files, "RACY_NS", 0)
    outside = tmp_path / "outside"
    outside.mkdir()
    bait = outside / f".x{TMP_MARK}1"
    bait.write_text("not the workspace's")
    root_ctime = os.stat(tree).st_ctime_ns
    for record in (b"{not json", b"[]", json.dumps({"version": 1, "started_ns": 10**20, "folders": {
            "": [root_ctime, ["../outside"]]}}).encode()):
        (tree / LOCK).write_bytes(record)
        (tree / "clients" / f".y{TMP_MARK}2").write_text("half")
        listed.clear()
        assert sweep(tree) == 1
        assert "clients" in _rel(tree, listed)
        assert bait.exists()


def test_links_are_never_followed(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "RACY_NS", 0)
    outside = tmp_path / "outside"
    outside.mkdir()
    bait = outside / f".x{TMP_MARK}1"
    bait.write_text("not the workspace's")
    (tree / "notes" / "linked").symlink_to(outside, target_is_directory=True)
    sweep(tree)
    sweep(tree)
    assert bait.exists()


def test_the_record_names_folders_only(tree, monkeypatch):
    monkeypatch.setattr(files, "RACY_NS", 0)
    sweep(tree)
    record = json.loads((tree / LOCK).read_text())
    assert sorted(record["folders"]) == ["", "clients", "notes", "notes/2026", "notes/2026/10",
                                         "notes/2026/11"]
    assert sorted(os.listdir(tree)) == [LOCK, "clients", "notes"]  # no file of its own


def test_without_a_record_every_folder_is_listed(tree, listed, monkeypatch):
    monkeypatch.setattr(files, "RACY_NS", 0)
    sweep(tree)
    listed.clear()
    (tree / "clients" / f".y{TMP_MARK}2").write_text("half")
    assert sweep(tree, record=False) == 1
    assert len(_rel(tree, listed)) == 6


def test_the_workspace_lock_keeps_the_record(ws_path, monkeypatch, listed):
    from peerkit.workspace import Workspace

    monkeypatch.setattr(files, "RACY_NS", 0)
    with Workspace(ws_path).lock():
        pass
    listed.clear()
    with Workspace(ws_path).lock():
        pass
    assert _rel(ws_path, listed) == ["."]  # the owner file came and went: only the top is listed
    left = ws_path / "notes" / "2026" / "11" / f".N-2026-11-24-C001-1.toml{TMP_MARK}x"
    left.write_text("half")
    with Workspace(ws_path).lock():
        pass
    assert not left.exists()
