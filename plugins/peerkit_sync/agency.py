"""The supervisor's side: an agency folder of peers' clones (``agency.toml``).

```toml
# agency.toml
[reviewer]                 # optional: the author of review commits (default: $PEERKIT_REVIEWER / git's)
name = "Pat Supervisor"
email = "pat@example.org"

[[peer]]
name = "jordan"            # also the clone's folder name: <agency folder>/jordan/
remote = "ssh://git.example.org/peers/jordan.git"
branch = "main"            # optional
```
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peerkit_sync.repo as repo
from peerkit import storage
from peerkit.errors import PeerkitError, UsageError
from peerkit.validate import Fields
from peerkit_sync.gitrun import GitFailed, git, make_private

AGENCY_FILE = "agency.toml"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class Peer:
    name: str
    remote: str
    branch: str = "main"


@dataclass
class Agency:
    root: Path
    peers: list[Peer]
    reviewer: tuple[str, str]

    def folder(self, peer: Peer) -> Path:
        return self.root / peer.name


@dataclass
class PeerResult:
    peer: str
    ok: bool
    message: str


def find(explicit: str | None = None, start: Path | None = None) -> Path:
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not (root / AGENCY_FILE).is_file():
            raise UsageError(f"{root}: no {AGENCY_FILE} here (see docs/agency.md)")
        return root
    env = os.environ.get("PEERKIT_AGENCY")
    if env:
        return find(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / AGENCY_FILE).is_file():
            return folder
    raise UsageError(f"no {AGENCY_FILE} in this folder or a parent: pass --agency DIR, or create one "
                     "(see docs/agency.md)")


def load(root: Path) -> Agency:
    """The agency folder's ``agency.toml``: its peers and the reviewer (exit 3 naming the
    file, line and field when a value is wrong)."""
    path = root / AGENCY_FILE
    f = Fields(storage.read_toml(path), path)
    peers: list[Peer] = []
    for p in f.table_list("peer"):
        peer = _peer(p)
        if any(other.name == peer.name for other in peers):
            p.fail("name", "is the name of another [[peer]] too (each peer has its own folder)")
        peers.append(peer)
    reviewer = f.sub("reviewer")
    name = (reviewer.opt("name", str, "").strip() or os.environ.get("PEERKIT_REVIEWER")
            or "peerkit reviewer")
    email = reviewer.opt("email", str, "").strip() or repo.invalid_email(name, "reviewer")
    return Agency(root, peers, (name, email))


def _peer(p: Fields) -> Peer:
    name = p.req("name", str)
    if not _NAME_RE.match(name):
        p.fail("name", "must be a folder name (letters, digits, '.', '_' or '-')")
    remote = p.req("remote", str).strip()
    if not remote or remote.startswith("-"):
        p.fail("remote", "must be a git URL or path")
    branch = p.opt("branch", str, "main")
    if not branch or branch.startswith("-"):
        p.fail("branch", "must be a branch name")
    return Peer(name, remote, branch)


def _each(agency: Agency, work: Callable[[Peer], str], progress=None, jobs: int = 4) -> list[PeerResult]:
    """Run ``work`` for every peer in parallel; one peer's failure never stops the others."""
    def one(peer: Peer) -> PeerResult:
        try:
            return PeerResult(peer.name, True, work(peer))
        except PeerkitError as exc:
            return PeerResult(peer.name, False, exc.message)
        except Exception as exc:  # noqa: BLE001 - one line per peer, never a traceback
            return PeerResult(peer.name, False, f"internal error ({type(exc).__name__})")

    results: dict[str, PeerResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(agency.peers) or 1))) as pool:
        for result in pool.map(one, agency.peers):
            results[result.peer] = result
            if progress is not None:
                progress(result)
    return [results[p.name] for p in agency.peers]


def pull(agency: Agency, progress=None) -> list[PeerResult]:
    """Clone every peer that is not here yet; fetch and merge the others (never pushes).  The
    caches of each clone cloned or updated are built while the other peers are fetched
    (:class:`CacheWarmer`)."""
    with CacheWarmer(min(os.cpu_count() or 1, len(agency.peers))) as warmer:
        def work(peer: Peer) -> str:
            done = _pull_one(agency, peer)
            if not done.endswith("up to date"):
                warmer.add(agency.folder(peer))
            return done

        results = _each(agency, work, progress)
        built = warmer.results()
    for peer, result in zip(agency.peers, results, strict=True):
        if built.get(agency.folder(peer)) is False:
            result.message += " (caches not built: the first command there will be slower)"
    return results


def _pull_one(agency: Agency, peer: Peer) -> str:
    folder = agency.folder(peer)
    if not (folder / ".git").exists():
        if folder.exists() and any(folder.iterdir()):
            raise PeerkitError(f"{peer.name}/ exists and is not a clone: move it away and pull again")
        git(["clone", "-q", "--branch", peer.branch, "--", peer.remote, str(folder)], agency.root,
            what="clone")
        repo.configure(folder)
        make_private(folder)
        return "cloned"
    repo.refuse_mid_operation(folder)
    repo.configure(folder)
    committed = repo.commit_all(folder, agency.reviewer, "peerkit review: decisions recorded by the reviewer\n")
    if not repo.fetch(folder):
        raise PeerkitError(f"{peer.name}/ has no remote 'origin'")
    try:
        merged = repo.merge(folder, peer.branch, agency.reviewer, repo.validate_records)
    finally:
        make_private(folder)
    return ("committed local decisions; " if committed else "") + ("updated" if merged else "up to date")


def _warm_one(folder: str, ready_ns: int = 0) -> bool:
    """Build one clone's note and client caches under its workspace lock (what ``peerkit
    reindex`` does).  A clone carries no caches (git ignores them), so without this the first
    export after a pull parses every note.  False if it could not (the caches are only speed).

    A cache trusts only files older than its start by ``notecache.RACY_NS`` (2 s: a coarse file
    system's clock), so it waits until ``ready_ns`` (that long after git wrote the files):
    built sooner, the caches would not be believed."""
    from peerkit.records import refresh_all_note_caches, refresh_client_cache
    from peerkit.workspace import Workspace

    time.sleep(max(0, ready_ns - time.time_ns()) / 1e9)
    try:
        ws = Workspace(Path(folder))
        with ws.lock():
            refresh_all_note_caches(ws.path("notes"))
            refresh_client_cache(ws.path("clients"))
    except Exception:  # noqa: BLE001 - a cache that cannot be built is rebuilt by the next read
        return False
    return True


class CacheWarmer:
    """Builds clones' caches while the pull goes on: parsing notes is CPU work and a pull mostly
    waits for git, so one process per core takes each clone as soon as git is done with it
    (``processes`` <= 1: in the calling thread).  The processes are started by a fork server or
    spawned, never forked from this process while the pull's threads run git."""

    def __init__(self, processes: int):
        self.processes = processes
        self.pool: Any = None
        self.pending: dict[Path, Any] = {}
        self.done: dict[Path, bool] = {}

    def __enter__(self) -> CacheWarmer:
        if self.processes > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context(method))
        return self

    def add(self, folder: Path) -> None:
        from peerkit.notecache import RACY_NS

        ready = time.time_ns() + RACY_NS
        if self.pool is None:
            self.done[folder] = _warm_one(str(folder), ready)
        else:
            self.pending[folder] = self.pool.submit(_warm_one, str(folder), ready)

    def results(self) -> dict[Path, bool]:
        """``{folder: built}`` of every clone added, once all are done."""
        for folder, future in self.pending.items():
            try:
                self.done[folder] = bool(future.result())
            except Exception:  # noqa: BLE001 - a worker that died: those caches are not built
                self.done[folder] = False
        self.pending.clear()
        return self.done

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def push(agency: Agency, progress=None) -> list[PeerResult]:
    """Commit each clone's review decisions (the reviewer as author), merge and push."""
    def work(peer: Peer) -> str:
        folder = agency.folder(peer)
        if not (folder / ".git").exists():
            raise PeerkitError(f"{peer.name}/ is not cloned yet: run 'peerkit agency pull'")
        if repo.current_branch(folder) != peer.branch:
            raise PeerkitError(f"{peer.name}/ is not on branch {peer.branch!r}")
        out = repo.sync(folder, agency.reviewer)
        if out.pushed:
            return "pushed" + (" (merged the peer's newer work first)" if out.merged else "")
        return "nothing to push"

    return _each(agency, work, progress)


@dataclass
class PeerStatus:
    peer: str
    cloned: bool
    last_sync: str | None = None
    waiting_review: int = 0
    unpushed_commits: int = 0
    uncommitted: bool = False
    problem: str | None = None

    def as_json(self) -> dict:
        return dict(self.__dict__)


_STATUS_RE = re.compile(r'^status\s*=\s*"(signed|submitted)"\s*$', re.M)


def waiting_for_review(folder: Path) -> int:
    """Notes signed or submitted and not yet decided (a line scan: no note is parsed)."""
    count = 0
    notes = folder / "notes"
    if not notes.is_dir():
        return 0
    for path in notes.rglob("*.toml"):
        try:
            if _STATUS_RE.search(path.read_text(encoding="utf-8", errors="replace")):
                count += 1
        except OSError:
            continue
    return count


def status(agency: Agency) -> list[PeerStatus]:
    out = []
    for peer in agency.peers:
        folder = agency.folder(peer)
        st = PeerStatus(peer.name, (folder / ".git").exists())
        if st.cloned:
            try:
                st.last_sync = repo.last_sync(folder, peer.branch)
                st.unpushed_commits = repo.unpushed(folder, peer.branch)
                st.uncommitted = repo.dirty(folder)
                st.waiting_review = waiting_for_review(folder)
            except (GitFailed, PeerkitError) as exc:
                st.problem = exc.message
        out.append(st)
    return out


def commit_decisions(root: Path, reviewer: str, notes: list[str]) -> bool:
    """Commit a clone's recorded review decisions when it is a peer's clone in an agency folder
    (``<agency>/<name>/`` with ``agency.toml`` beside it); the reviewer is the author (the agency's
    ``[reviewer] email`` when the names match).  False when ``root`` is no such clone."""
    if not (root / ".git").exists() or not (root.parent / AGENCY_FILE).is_file():
        return False
    try:
        configured = load(root.parent).reviewer
    except PeerkitError:
        configured = ("", "")
    author = configured if configured[0] == reviewer else (reviewer, repo.invalid_email(reviewer, "reviewer"))
    message = (f"peerkit review: {len(notes)} decision(s) recorded by {reviewer}\n\n"
               + "".join(f"- {n}\n" for n in sorted(notes)))
    return repo.commit_all(root, author, message)
