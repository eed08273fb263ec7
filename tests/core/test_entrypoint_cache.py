"""The ``peerkit`` program remembers the plugins' entry points (issue 19): the same answer as
``importlib.metadata``, read again as soon as a distribution is installed, changed or removed."""
from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import time

import pytest

from peerkit import entrypoints, userconfig

GROUPS = ("peerkit", "peerkit.hookspecs")


def _dist(site, name, version, module, group="peerkit"):
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong text\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{name} = {module}\n")
    (site / f"{module}.py").write_text("from peerkit import hookimpl\n")
    return info


def _age(*paths, seconds=60):
    """Make files look written a while ago (outside the racy window)."""
    then = time.time() - seconds
    for path in paths:
        for p in [path, *(path.rglob("*") if path.is_dir() else [])]:
            os.utime(p, (then, then))


def _names(found):
    return sorted((f.group, f.name, f.value, f.dist_name, f.version) for f in found)


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    _dist(folder, "agency-mileage", "0.4", "agency_mileage_ep")
    _age(folder)
    # sys.path without the test run's own folders (the rootdir changes as coverage writes there)
    stable = [p for p in sys.path if p.startswith((sys.base_prefix, sys.prefix)) or "site-packages" in p]
    monkeypatch.setattr(sys, "path", [str(folder), *stable])
    monkeypatch.setenv("PEERKIT_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def _no_metadata(monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("importlib.metadata was read")
    monkeypatch.setattr(importlib.metadata, "entry_points", refuse)


def test_the_remembered_answer_is_importlib_metadatas_and_is_then_read_from_the_cache(site, monkeypatch):
    fresh = entrypoints.read(GROUPS)
    assert ("peerkit", "agency-mileage", "agency_mileage_ep", "agency-mileage", "0.4") in _names(fresh)
    assert any(f.dist_name == "peerkit" and f.name == "notes" for f in fresh)
    first = entrypoints.remembered(GROUPS)
    assert _names(first) == _names(fresh)
    assert entrypoints.cache_file().exists()
    _no_metadata(monkeypatch)
    again = entrypoints.remembered(GROUPS)
    assert again == first
    assert next(f for f in again if f.name == "agency-mileage").load().__name__ == "agency_mileage_ep"


def test_a_distribution_installed_later_is_seen(site, monkeypatch):
    entrypoints.remembered(GROUPS)
    _dist(site, "agency-travel", "1.0", "agency_travel_ep")   # the folder's mtime moves
    found = entrypoints.remembered(GROUPS)
    assert "agency-travel" in {f.name for f in found}


def test_a_distribution_removed_later_is_gone(site, monkeypatch):
    assert "agency-mileage" in {f.name for f in entrypoints.remembered(GROUPS)}
    import shutil

    shutil.rmtree(site / "agency-mileage-0.4.dist-info")
    assert "agency-mileage" not in {f.name for f in entrypoints.remembered(GROUPS)}


def test_an_entry_points_file_edited_in_place_is_read_again(site):
    entrypoints.remembered(GROUPS)
    eps = site / "agency-mileage-0.4.dist-info" / "entry_points.txt"
    eps.write_text("[peerkit]\nagency-mileage = agency_mileage_other\n")
    assert next(f for f in entrypoints.remembered(GROUPS) if f.name == "agency-mileage").value == \
        "agency_mileage_other"


def test_another_sys_path_is_another_answer(site, tmp_path, monkeypatch):
    entrypoints.remembered(GROUPS)
    other = tmp_path / "other"
    other.mkdir()
    _dist(other, "agency-forms", "2.0", "agency_forms_ep", group="peerkit.hookspecs")
    _age(other)
    monkeypatch.setattr(sys, "path", [str(other), *sys.path])
    found = entrypoints.remembered(GROUPS)
    assert ("peerkit.hookspecs", "agency-forms") in {(f.group, f.name) for f in found}


def test_an_answer_read_just_after_a_change_is_not_kept(site, tmp_path, monkeypatch):
    newer = tmp_path / "newer"
    newer.mkdir()
    _dist(newer, "agency-new", "0.1", "agency_new_ep")   # written now: inside the racy window
    monkeypatch.setattr(sys, "path", [str(newer), *sys.path])
    assert "agency-new" in {f.name for f in entrypoints.remembered(GROUPS)}
    assert not entrypoints.cache_file().exists()


def test_a_damaged_or_foreign_cache_is_read_again_and_replaced(site):
    path = entrypoints.cache_file()
    path.parent.mkdir(parents=True)
    for text in ("{not json", json.dumps({"format": 1, "groups": list(GROUPS), "state": 3}),
                 json.dumps({"format": 99}), json.dumps([1, 2])):
        path.write_text(text)
        assert "agency-mileage" in {f.name for f in entrypoints.remembered(GROUPS)}
        assert json.loads(path.read_text())["format"] == entrypoints.FORMAT


def test_a_cache_folder_that_cannot_be_written_is_no_cache(site, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PEERKIT_CACHE_DIR", str(blocker / "peerkit"))
    assert "agency-mileage" in {f.name for f in entrypoints.remembered(GROUPS)}
    assert not (blocker / "peerkit").exists()


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PEERKIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert userconfig.cache_dir() == tmp_path / "xdg" / "peerkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert userconfig.cache_dir() == tmp_path / "home" / ".cache" / "peerkit"


def test_plugins_built_in_process_never_use_the_cache(site, monkeypatch):
    """Tests and embedding programs see importlib.metadata as it is now (a monkeypatch)."""
    from peerkit.plugins import Plugins

    Plugins()
    assert not entrypoints.cache_file().exists()


def test_the_program_sees_a_plugin_installed_between_two_runs(tmp_path):
    site, cwd = tmp_path / "site", tmp_path / "cwd"   # cwd: sys.path[0] of ``python -m``
    site.mkdir()
    cwd.mkdir()
    _age(site, cwd)
    env = {**os.environ, "PYTHONPATH": str(site), "PEERKIT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PEERKIT_LOAD_PLUGINS", None)

    def plugin_names():
        out = subprocess.run([sys.executable, "-m", "peerkit", "--workspace", str(tmp_path), "plugins",
                              "--json"], env=env, capture_output=True, text=True, cwd=cwd)
        return {p["name"]: p for p in json.loads(out.stdout)}

    assert "agency-mileage" not in plugin_names()
    assert list((tmp_path / "cache").glob("entry-points-*.json"))   # the first run kept its answer
    _dist(site, "agency-mileage", "0.4", "agency_mileage_ep")
    found = plugin_names()
    assert found["agency-mileage"]["source"] == "installed"
    assert found["agency-mileage"]["version"] == "0.4"
    assert found["notes"]["source"] == "built-in"
