"""The supervisor's agency folder: every mistake in agency.toml is exit 3 naming the field, how
the folder is found, status as text, and what pull and push say for each peer."""
from __future__ import annotations

import json
import shutil

import pytest

from peerkit.errors import DataError
from peerkit_sync import agency
from tests.conftest import Runner
from tests.sync.test_sync_git import _agency, bare, ok, workspace

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_GIT_TIMEOUT", "60")


def sup(*args, **kw):
    return Runner(None)(*args, workspace=False, **kw)


@pytest.mark.parametrize("text, why", [
    ("[[peer]\n", "agency.toml:1: not valid TOML"),
    ('peer = "ana"\n', "agency.toml:1: field 'peer': expected a list [..], found text"),
    ("peer = [1]\n", "agency.toml:1: field 'peer': item 1 must be a table ([[peer]])"),
    ('[[peer]]\nname = "../ana"\nremote = "/srv/ana.git"\n',
     "agency.toml:2: field 'peer[1].name': must be a folder name (letters, digits, '.', '_' or '-')"),
    ('[[peer]]\nname = "ana"\nremote = "/srv/a.git"\n[[peer]]\nname = "ana"\nremote = "/srv/b.git"\n',
     "agency.toml:5: field 'peer[2].name': is the name of another [[peer]] too"),
    ('[[peer]]\nname = "ana"\nremote = "--upload-pack=evil"\n',
     "agency.toml:3: field 'peer[1].remote': must be a git URL or path"),
    ('[[peer]]\nname = "ana"\nremote = "  "\n', "agency.toml:3: field 'peer[1].remote': must be a git URL or path"),
    ('[[peer]]\nname = "ana"\nremote = "/srv/a.git"\nbranch = "-f"\n',
     "agency.toml:4: field 'peer[1].branch': must be a branch name"),
])
def test_a_bad_agency_file_is_exit_3_naming_the_field(tmp_path, text, why):
    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "agency.toml").write_text(text)
    result = sup("agency", "--agency", folder, "status")
    assert result.exit_code == 3
    last = result.stderr.splitlines()[-1]
    assert last.startswith("Error: ") and f"/agency/{why}" in last, last
    assert result.stdout == ""


def test_an_unreadable_agency_file(tmp_path):
    (tmp_path / "agency.toml").mkdir()
    with pytest.raises(DataError, match=r"agency.toml: is a folder, not a file$"):
        agency.load(tmp_path)


def test_the_reviewer_defaults_to_peerkit_reviewer_with_an_invalid_address(tmp_path, monkeypatch):
    (tmp_path / "agency.toml").write_text('[[peer]]\nname = "ana"\nremote = "/srv/ana.git"\n')
    monkeypatch.setenv("PEERKIT_REVIEWER", "Pat Supervisor")
    loaded = agency.load(tmp_path)
    assert loaded.reviewer[0] == "Pat Supervisor" and loaded.reviewer[1].endswith(".invalid")
    assert [(p.name, p.remote, p.branch) for p in loaded.peers] == [("ana", "/srv/ana.git", "main")]


def test_the_folder_is_found_by_option_variable_or_a_parent(tmp_path, monkeypatch):
    folder = _agency(tmp_path, {"ana": "/srv/ana.git"})
    (folder / "notes-for-me").mkdir()
    monkeypatch.chdir(folder / "notes-for-me")
    assert agency.find() == folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PEERKIT_AGENCY", str(folder))
    assert agency.find() == folder
    monkeypatch.delenv("PEERKIT_AGENCY")
    result = sup("agency", "status")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: no agency.toml in this folder or a parent: pass --agency DIR, "
                                              "or create one (see docs/agency.md)")
    wrong = sup("agency", "--agency", tmp_path, "status")
    assert wrong.exit_code == 2
    assert wrong.stderr.splitlines()[-1] == f"Error: {tmp_path.resolve()}: no agency.toml here (see docs/agency.md)"


def test_status_as_text_of_a_peer_not_cloned_yet(tmp_path):
    folder = _agency(tmp_path, {"ana": "/srv/ana.git"})
    result = sup("agency", "--agency", folder, "status")
    assert result.exit_code == 0
    header, row = result.stdout.splitlines()
    assert header.split() == ["peer", "last", "sync", "to", "review", "unpushed"]
    assert row.split() == ["ana", "(not", "cloned:", "peerkit", "agency", "pull)"]


def test_push_before_pull_fails_for_that_peer(tmp_path):
    folder = _agency(tmp_path, {"ana": "/srv/ana.git"})
    result = sup("agency", "--agency", folder, "push", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout) == [
        {"peer": "ana", "ok": False, "message": "ana/ is not cloned yet: run 'peerkit agency pull'"}]
    assert result.stderr.strip() == "ana: FAILED: ana/ is not cloned yet: run 'peerkit agency pull'"


def test_pull_never_overwrites_a_folder_that_is_not_a_clone(tmp_path):
    folder = _agency(tmp_path, {"ana": "/srv/ana.git"})
    (folder / "ana").mkdir()
    (folder / "ana" / "mine.txt").write_text("the supervisor's own file")
    result = sup("agency", "--agency", folder, "pull")
    assert result.exit_code == 3
    assert "ana: FAILED: ana/ exists and is not a clone: move it away and pull again" in result.stderr
    assert (folder / "ana" / "mine.txt").read_text() == "the supervisor's own file"


def test_notes_waiting_for_review_are_counted_by_status(tmp_path):
    assert agency.waiting_for_review(tmp_path) == 0  # no notes folder
    month = tmp_path / "notes" / "2026" / "11"
    month.mkdir(parents=True)
    for name, status in (("a", "signed"), ("b", "submitted"), ("c", "approved"), ("d", "draft")):
        (month / f"N-{name}.toml").write_text(f'id = "N-{name}"\nstatus = "{status}"\n')
    assert agency.waiting_for_review(tmp_path) == 2


def test_decisions_are_committed_only_in_a_peers_clone(tmp_path):
    assert agency.commit_decisions(tmp_path, "Pat Supervisor", ["N-1"]) is False


@needs_git
def test_a_second_pull_is_up_to_date_and_push_has_nothing_to_push(tmp_path):
    remote = bare(tmp_path, "ana")
    ok(Runner(workspace(tmp_path, "ana-laptop", "Ana Example"))("sync", "--init", str(remote)))
    folder = _agency(tmp_path, {"ana": str(remote)})
    first = sup("agency", "--agency", folder, "pull")
    assert first.exit_code == 0 and first.stderr.strip() == "ana: cloned"
    again = sup("agency", "--agency", folder, "pull", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout) == [{"peer": "ana", "ok": True, "message": "up to date"}]
    pushed = sup("agency", "--agency", folder, "push")
    assert pushed.exit_code == 0 and pushed.stderr.strip() == "ana: nothing to push"
    rows = sup("agency", "--agency", folder, "status").stdout.splitlines()
    status = json.loads(sup("agency", "--agency", folder, "status", "--json").stdout)
    assert status[0]["cloned"] is True and status[0]["problem"] is None
    assert (status[0]["waiting_review"], status[0]["unpushed_commits"]) == (3, 0)  # the example's signed notes
    assert rows[1].split()[0] == "ana" and rows[1].split()[-2:] == ["3", "0"]


@needs_git
def test_push_refuses_a_clone_on_another_branch(tmp_path):
    import subprocess

    remote = bare(tmp_path, "ana")
    ok(Runner(workspace(tmp_path, "ana-laptop", "Ana Example"))("sync", "--init", str(remote)))
    folder = _agency(tmp_path, {"ana": str(remote)})
    assert sup("agency", "--agency", folder, "pull").exit_code == 0
    subprocess.run(["git", "checkout", "-q", "-b", "elsewhere"], cwd=folder / "ana", check=True)
    result = sup("agency", "--agency", folder, "push")
    assert result.exit_code == 3
    assert result.stderr.strip() == "ana: FAILED: ana/ is not on branch 'main'"


def test_sync_usage_errors(run, ws_path):
    remote_without_init = run("sync", "git@git.example.org:peers/ana.git")
    assert remote_without_init.exit_code == 2
    assert remote_without_init.stderr.splitlines()[-1] == "Error: REMOTE is only taken with --init"
    not_shared = run("sync")
    assert not_shared.exit_code == 2
    assert not_shared.stderr.splitlines()[-1] == ("Error: this workspace is not shared yet: run "
                                                  "'peerkit sync --init [REMOTE]'")
    assert not (ws_path / ".git").exists()
