"""peerkit sync and peerkit agency with the real git: bare remotes on disk, clones acting as
peers and a supervisor, and one run over git's own network protocol on 127.0.0.1."""
import json
import os
import shutil
import socket
import stat
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, Runner

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

NOTE_DIR = Path("notes/2026/11")


def git(*args, cwd):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout


def bare(tmp_path, name):
    path = tmp_path / "server" / f"{name}.git"
    path.parent.mkdir(exist_ok=True)
    git("init", "-q", "--bare", "-b", "main", str(path), cwd=tmp_path)
    return path


def workspace(tmp_path, name, provider):
    from peerkit.commands.init import folders

    target = tmp_path / name
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in folders():
        (target / folder).mkdir(exist_ok=True)
    cfg = target / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace('name = "Jordan Rivera"', f'name = "{provider}"', 1))
    return target


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def set_field(path: Path, key: str, value: str):
    lines = path.read_text().splitlines()
    lines = [f'{key} = "{value}"' if ln.startswith(f"{key} =") else ln for ln in lines]
    path.write_text("\n".join(lines) + "\n")


def note_status(ws: Path, note_id: str) -> dict:
    return tomllib.loads((ws / NOTE_DIR / f"{note_id}.toml").read_text())


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_GIT_TIMEOUT", "60")


@pytest.fixture
def shared(tmp_path):
    """One peer's workspace shared to a bare remote, and a second clone of it (a second machine)."""
    remote = bare(tmp_path, "jordan")
    ws = workspace(tmp_path, "laptop", "Jordan Rivera")
    ok(Runner(ws)("sync", "--init", str(remote)))
    other = tmp_path / "desktop"
    git("clone", "-q", str(remote), str(other), cwd=tmp_path)
    return remote, ws, other


def test_a_sync_with_nothing_new_says_so(shared):
    remote, ws, other = shared
    result = ok(Runner(ws)("sync", "--json"))
    assert json.loads(result.stdout) == {"committed": False, "merged": False, "pushed": False}
    assert "nothing to do" in ok(Runner(ws)("sync")).stderr


def test_init_prepares_commits_pushes_and_keeps_files_private(shared):
    remote, ws, other = shared
    assert "*.toml merge=peerkit" in (ws / ".gitattributes").read_text()
    ignored = (ws / ".gitignore").read_text()
    assert ".notes-cache.json" in ignored and ".peerkit.lock" in ignored
    assert git("log", "--oneline", cwd=remote).strip()            # the first commit reached the remote
    assert (other / "clients" / "C001.toml").exists()
    for path in [ws / "clients" / "C001.toml", ws / ".git" / "config", *(ws / ".git" / "objects").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))
    assert "peerkit_sync.merge" in git("config", "merge.peerkit.driver", cwd=ws)


def test_sync_merges_field_by_field_what_a_text_merge_cannot(shared):
    """Adjacent lines changed on two machines: git's text merge conflicts, peerkit's does not."""
    remote, ws, other = shared
    note = NOTE_DIR / "N-2026-11-24-C004-1.toml"           # a draft
    ok(Runner(other)("sync"))                               # configures the driver in this clone
    set_field(other / note, "response", "Said the plan felt doable.")
    ok(Runner(other)("sync"))
    set_field(ws / note, "plan", "Meet again on Friday at the library.")
    result = ok(Runner(ws)("sync"))
    merged = tomllib.loads((ws / note).read_text())
    assert merged["response"] == "Said the plan felt doable."
    assert merged["plan"] == "Meet again on Friday at the library."
    assert "<<<<<<<" not in (ws / note).read_text()
    ok(Runner(other)("sync"))
    assert tomllib.loads((other / note).read_text()) == merged
    assert "merged" in result.output or "pushed" in result.output


def test_a_plain_text_merge_of_the_same_change_would_conflict(shared, tmp_path):
    """The layout above really needs the driver: without it git writes conflict markers."""
    remote, ws, other = shared
    note = NOTE_DIR / "N-2026-11-24-C004-1.toml"
    set_field(other / note, "response", "Said the plan felt doable.")
    git("commit", "-qam", "x", cwd=other)
    git("push", "-q", "origin", "main", cwd=other)
    plain = tmp_path / "plain"
    git("clone", "-q", str(remote), str(plain), cwd=tmp_path)
    git("reset", "-q", "--hard", "HEAD~1", cwd=plain)
    set_field(plain / note, "plan", "Meet again on Friday at the library.")
    git("commit", "-qam", "y", cwd=plain)
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@x", "pull", "-q", "--no-rebase",
                           "origin", "main"], cwd=plain, capture_output=True, text=True)
    assert proc.returncode != 0 and "<<<<<<<" in (plain / note).read_text()


def test_unresolvable_conflict_leaves_the_repository_as_it_was(shared):
    remote, ws, other = shared
    note = NOTE_DIR / "N-2026-11-24-C004-1.toml"
    ok(Runner(other)("sync"))
    set_field(other / note, "plan", "Version from the desktop.")
    ok(Runner(other)("sync"))
    set_field(ws / note, "plan", "Version from the laptop.")
    before_status = git("status", "--porcelain", cwd=ws)
    result = Runner(ws)("sync")
    assert result.exit_code == 3, result.output
    assert str(note) in result.output and "Version from" not in result.output
    assert not (ws / ".git" / "MERGE_HEAD").exists()
    assert tomllib.loads((ws / note).read_text())["plan"] == "Version from the laptop."
    assert "<<<<<<<" not in (ws / note).read_text()
    # the laptop's change is committed locally, nothing lost, nothing pushed
    assert git("status", "--porcelain", cwd=ws) == "" and before_status
    assert "Version from the laptop." in git("show", "HEAD:" + str(note), cwd=ws)
    assert "Version from the desktop." in git("show", "main:" + str(note), cwd=remote)


def test_decision_on_a_note_changed_meanwhile_is_not_applied(shared):
    """The supervisor approves a note while its peer changes it: it goes back to review."""
    remote, ws, other = shared
    note = NOTE_DIR / "N-2026-11-20-C001-2.toml"           # submitted
    ok(Runner(other)("sync"))
    text = (other / note).read_text()
    (other / note).write_text(text.replace('status = "submitted"', 'status = "approved"')
                              + '\n[review]\ndecision = "approved"\nreviewer = "Pat Supervisor"\n')
    ok(Runner(other)("sync"))
    set_field(ws / note, "end", "11:45:00")
    ok(Runner(ws)("sync"))
    merged = note_status(ws, "N-2026-11-20-C001-2")
    assert merged["status"] == "submitted" and "review" not in merged


def test_push_rejected_because_the_remote_moved_is_retried(shared, tmp_path):
    remote, ws, other = shared
    ok(Runner(other)("sync"))
    set_field(other / NOTE_DIR / "N-2026-11-24-C004-1.toml", "response", "From the desktop.")
    git("add", "-A", cwd=other)
    git("commit", "-qm", "desktop", cwd=other)
    # the remote moves between the laptop's fetch and its push: a pre-push hook pushes the
    # desktop's commit first, once
    hook = ws / ".git" / "hooks" / "pre-push"
    marker = tmp_path / "moved"
    hook.write_text(f"#!/bin/sh\nif [ ! -e '{marker}' ]; then touch '{marker}'; "
                    f"git -C '{other}' push -q origin main; fi\nexit 0\n")
    hook.chmod(0o700)
    set_field(ws / NOTE_DIR / "N-2026-11-24-C004-1.toml", "plan", "From the laptop.")
    ok(Runner(ws)("sync"))
    assert marker.exists()
    final = tomllib.loads(git("show", "main:" + str(NOTE_DIR / "N-2026-11-24-C004-1.toml"), cwd=remote))
    assert final["response"] == "From the desktop." and final["plan"] == "From the laptop."


def test_unreachable_remote_is_one_line_and_keeps_the_local_commit(tmp_path):
    ws = workspace(tmp_path, "ws", "Jordan Rivera")
    ok(Runner(ws)("sync", "--init"))
    git("remote", "add", "origin", str(tmp_path / "nowhere.git"), cwd=ws)
    set_field(ws / NOTE_DIR / "N-2026-11-24-C004-1.toml", "plan", "Offline change.")
    result = Runner(ws)("sync")
    assert result.exit_code == 3
    assert "could not reach the remote" in result.output and "Traceback" not in result.output
    assert "Offline change." in git("show", "HEAD:" + str(NOTE_DIR / "N-2026-11-24-C004-1.toml"), cwd=ws)


def test_missing_git_is_exit_4(tmp_path, monkeypatch):
    ws = workspace(tmp_path, "ws", "Jordan Rivera")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = Runner(ws)("sync", "--init")
    assert result.exit_code == 4 and "install git" in result.output


def test_refuses_to_start_mid_merge(shared):
    remote, ws, other = shared
    (ws / ".git" / "MERGE_HEAD").write_text("0" * 40 + "\n")
    result = Runner(ws)("sync")
    assert result.exit_code == 3 and "middle of a merge" in result.output


def test_doctor_reports_clone_without_driver_and_loose_modes(shared):
    remote, ws, other = shared
    os.chmod(other / "clients" / "C001.toml", 0o644)
    result = Runner(other)("doctor")
    assert result.exit_code == 1
    assert "merge driver is not configured" in result.output
    assert "others can read" in result.output
    ok(Runner(other)("sync"))                                   # configures and tightens
    again = Runner(other)("doctor")
    assert "merge driver" not in again.output and "others can read" not in again.output
    assert stat.S_IMODE((other / "clients" / "C001.toml").stat().st_mode) == 0o600


# ---------------------------------------------------------------------------- the agency


def _agency(tmp_path, peers: dict[str, str]) -> Path:
    folder = tmp_path / "agency"
    folder.mkdir()
    lines = ['[reviewer]\nname = "Pat Supervisor"\nemail = "pat@example.org"\n']
    for name, remote in peers.items():
        lines.append(f'[[peer]]\nname = "{name}"\nremote = "{remote}"\n')
    (folder / "agency.toml").write_text("\n".join(lines))
    return folder


def test_agency_pull_reports_each_peer_and_goes_on_after_a_failure(tmp_path):
    remote = bare(tmp_path, "ana")
    ok(Runner(workspace(tmp_path, "ana", "Ana Example"))("sync", "--init", str(remote)))
    folder = _agency(tmp_path, {"ana": str(remote), "ghost": str(tmp_path / "missing.git")})
    result = Runner(None)("agency", "--agency", folder, "pull", "--json", workspace=False)
    assert result.exit_code == 3
    rows = {r["peer"]: r for r in json.loads(result.stdout)}
    assert rows["ana"]["ok"] and rows["ana"]["message"] == "cloned"
    assert not rows["ghost"]["ok"] and "ghost: FAILED" in result.stderr
    assert (folder / "ana" / "clients" / "C001.toml").exists()
    assert stat.S_IMODE((folder / "ana" / "clients" / "C001.toml").stat().st_mode) == 0o600


class SupervisorRunner(Runner):
    """The supervisor's commands, as from another person's machine (their own audit log)."""

    def __init__(self):
        super().__init__(None)

    def __call__(self, *args, env=None, **kw):
        return super().__call__(*args, env={"PEERKIT_AUDIT_ACTOR": "pat@supervisor-laptop", **(env or {})}, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def git_daemon(tmp_path):
    base = tmp_path / "server"
    base.mkdir(exist_ok=True)
    port = _free_port()
    proc = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
                             f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}", str(base)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"git://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_the_full_week_over_the_network(tmp_path, git_daemon):
    """Peers sign and sync; the supervisor pulls, exports, decides, imports and pushes; the
    peers sync and invoice exactly the approved notes -- over git:// on 127.0.0.1."""
    import openpyxl

    peers = {}
    for name, provider in (("ana", "Ana Example"), ("ben", "Ben Sample")):
        bare(tmp_path, name)
        ws = workspace(tmp_path, name, provider)
        ok(Runner(ws)("sync", "--init", f"{git_daemon}/{name}.git"))
        peers[name] = ws
    # peers sign their notes of the week and sync
    for ws in peers.values():
        ok(Runner(ws)("note", "submit", "N-2026-11-21-C003-2"))
        ok(Runner(ws)("sync"))
    folder = _agency(tmp_path, {n: f"{git_daemon}/{n}.git" for n in peers})
    sup = SupervisorRunner()
    ok(sup("agency", "--agency", folder, "pull", workspace=False))
    out = tmp_path / "review.xlsx"
    ok(sup("note", "export", "--from", "2026-11-16", "--to", "2026-11-22", "--out", out,
           folder / "ana", folder / "ben", workspace=False))
    wb = openpyxl.load_workbook(out)
    sheet = wb["Notes"]
    header = [c.value for c in sheet[1]]
    col = {name: i + 1 for i, name in enumerate(header)}
    decided = {}
    for r in range(2, sheet.max_row + 1):
        note_id = sheet.cell(r, col["Note"]).value
        where = str(sheet.cell(r, col["Workspace"]).value or "")
        if note_id in ("N-2026-11-20-C001-2", "N-2026-11-21-C003-2"):
            deny = note_id == "N-2026-11-21-C003-2" and "ben" in where
            sheet.cell(r, col["Decision"]).value = "denied" if deny else "approved"
            if deny:
                sheet.cell(r, col["Reason"]).value = "The response does not say how the person responded."
            decided[(where, note_id)] = deny
    wb.save(out)
    assert decided
    # meanwhile ana keeps working (an audited render) and syncs
    ok(Runner(peers["ana"])("note", "render", "N-2026-11-16-C001-1", "--out", tmp_path / "n.md"))
    ok(Runner(peers["ana"])("sync"))
    ok(sup("note", "import-review", out, workspace=False, env={"PEERKIT_REVIEWER": "Pat Supervisor"}))
    # import-review itself committed each peer's decisions, the reviewer as author
    for name in peers:
        assert git("status", "--porcelain", cwd=folder / name) == ""
        assert git("log", "-1", "--format=%an <%ae>", cwd=folder / name).strip() == \
            "Pat Supervisor <pat@example.org>"
    ok(sup("agency", "--agency", folder, "push", workspace=False))
    status = json.loads(ok(sup("agency", "--agency", folder, "status", "--json", workspace=False)).stdout)
    assert all(row["unpushed_commits"] == 0 and not row["uncommitted"] for row in status)
    log = git("log", "-1", "--format=%an", cwd=folder / "ben")
    assert log.strip() == "Pat Supervisor"
    for name, ws in peers.items():
        ok(Runner(ws)("sync"))
        assert note_status(ws, "N-2026-11-20-C001-2")["status"] == "approved"
        expected = "approved" if name == "ana" else "denied"
        assert note_status(ws, "N-2026-11-21-C003-2")["status"] == expected
        invoice = json.loads(ok(Runner(ws)("invoice", "--week", "2026-W47", "--format", "json",
                                           "--preview")).stdout)
        billed = {line["note"] for line in invoice["lines"] if line.get("note")}
        assert "N-2026-11-20-C001-2" in billed
        assert ("N-2026-11-21-C003-2" in billed) == (name == "ana")
        assert Runner(ws)("audit", "verify").exit_code == 0, Runner(ws)("audit", "verify").output
        # the peer's and the supervisor's entries, each in a chain of their own
        logs = sorted(p.name for p in (ws / "audit").glob("*.log"))
        assert "pat@supervisor-laptop.log" in logs, logs
        assert len(logs) == (2 if name == "ana" else 1), logs    # ana's own render is in a log of hers


@pytest.mark.parametrize("text,expected", [
    # before: a non-table reviewer was a traceback (AttributeError, exit 70)
    ('reviewer = "Pat Supervisor"\n', "agency.toml:1: field 'reviewer': expected a table, found text"),
    ('[reviewer]\nname = 7\n', "agency.toml:2: field 'reviewer.name': expected text in quotes"),
    ('[[peer]]\nname = "ana"\nremote = "/srv/ana.git"\n\n[[peer]]\nname = "bo"\nremote = "-x"\n',
     "agency.toml:7: field 'peer[2].remote': must be a git URL or path"),
    ('[[peer]]\nname = "ana"\nremote = "/a.git"\n\n[[peer]]\nname = "ana"\nremote = "/b.git"\n',
     "agency.toml:6: field 'peer[2].name': is the name of another [[peer]] too"),
    ('peer = "ana"\n', "agency.toml:1: field 'peer': expected a list"),
])
def test_a_bad_agency_toml_is_exit_3_naming_file_line_and_field(tmp_path, text, expected):
    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "agency.toml").write_text(text)
    result = Runner(None)("agency", "--agency", folder, "status", "--json", workspace=False)
    assert result.exit_code == 3, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_agency_pull_builds_the_clones_caches(tmp_path):
    """A clone carries no caches (git ignores them); the pull builds them, so the first export
    does not parse every note.  The caches built equal what ``peerkit reindex`` builds."""
    remotes = {}
    for name in ("ana", "ben"):
        remotes[name] = bare(tmp_path, name)
        ok(Runner(workspace(tmp_path, name, f"{name.title()} Example"))("sync", "--init", str(remotes[name])))
    folder = _agency(tmp_path, {name: str(remote) for name, remote in remotes.items()})
    ok(Runner(None)("agency", "--agency", folder, "pull", workspace=False))
    from peerkit.notecache import CLIENTS_CACHE_NAME, MonthCache

    for name in remotes:
        for month, cache_name in ((folder / name / NOTE_DIR, ".notes-cache.json"),
                                  (folder / name / "clients", CLIENTS_CACHE_NAME)):
            cache = MonthCache(month, cache_name)
            files = sorted(month.glob("*.toml"))
            assert files
            # every file is in the cache and the cache is believed (not "racy": built too soon)
            assert all(cache.current(f.name, f.stat()) is not None for f in files), f"{name}: {month}"
        assert git("status", "--porcelain", cwd=folder / name) == ""


def test_agency_pull_says_when_a_clone_s_caches_could_not_be_built(tmp_path, monkeypatch):
    from peerkit_sync import agency

    remote = bare(tmp_path, "ana")
    ok(Runner(workspace(tmp_path, "ana", "Ana Example"))("sync", "--init", str(remote)))
    folder = _agency(tmp_path, {"ana": str(remote)})
    monkeypatch.setattr(agency, "_warm_one", lambda folder, ready_ns=0: False)
    result = ok(Runner(None)("agency", "--agency", folder, "pull", "--json", workspace=False))
    assert json.loads(result.stdout)[0]["message"] == (
        "cloned (caches not built: the first command there will be slower)")
    assert not (folder / "ana" / NOTE_DIR / ".notes-cache.json").exists()
