"""A workspace as a git repository: prepare it, commit, fetch, merge, validate, push.

The plain functions here are what ``peerkit sync`` and ``peerkit agency`` run.  Every step
keeps one promise: after a failed sync the repository is as it was before the sync started
(the local commit of the user's own changes stays; nothing of theirs is lost).
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from peerkit.errors import DataError, PeerkitError
from peerkit_sync.gitrun import DRIVER_NAME, GitFailed, driver_command, git, make_private

IGNORE_HEADER = "# peerkit: device-local files (caches, locks, temp files) stay out of git"
IGNORED = [
    ".peerkit.lock", ".peerkit.lock.owner", ".audit.lock", "*.lock",
    ".notes-cache.json", ".clients-cache.json", "*-cache.json", ".index.sqlite",
    ".index.sqlite-*", "*.sqlite-wal", "*.sqlite-shm", ".*.tmp", "*.tmp", ".peerkit-tmp-*",
    "invoices/index.json", "__pycache__/", "*.pyc", "exports/", "*.xlsx", "*.pdf", "*.html",
]
ATTRIBUTES_HEADER = "# peerkit: records merge field by field (peerkit's merge driver; `peerkit sync` configures it)"
ATTRIBUTES = ["*.toml merge=peerkit", "audit/*.log -merge"]
MAX_PUSH_TRIES = 3


@dataclass
class Outcome:
    committed: bool = False
    merged: bool = False
    pushed: bool = False
    messages: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- preparing

AUDIT_README = """Audit logs of this shared workspace: one per person and machine (user@host.log),
each a hash chain of its own, so git never merges two people's lines.  Written by peerkit;
checked by 'peerkit audit verify'.  Never edit them.
"""


def configure(root: Path) -> None:
    """The merge driver in ``.git/config`` (clones do not carry it), pinned attributes, and the
    ``audit/`` folder that makes every person and machine keep an audit log of their own."""
    audit = root / "audit"
    if not audit.is_symlink():
        audit.mkdir(mode=0o700, exist_ok=True)
        readme = audit / "README"
        if not readme.exists():
            readme.write_text(AUDIT_README, encoding="utf-8")
    git(["config", f"merge.{DRIVER_NAME}.driver", driver_command()], root)
    git(["config", f"merge.{DRIVER_NAME}.name", "peerkit record merge"], root)
    info = root / ".git" / "info"
    info.mkdir(parents=True, exist_ok=True)
    _ensure_lines(info / "attributes", ATTRIBUTES_HEADER, ATTRIBUTES)


def driver_configured(root: Path) -> bool:
    result = git(["config", "--local", "--get", f"merge.{DRIVER_NAME}.driver"], root, check=False)
    return result.code == 0 and bool(result.stdout.strip())


def _ensure_lines(path: Path, header: str, lines: list[str]) -> bool:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    have = set(text.splitlines())
    missing = [line for line in lines if line not in have]
    if not missing:
        return False
    block = ([header] if header not in have else []) + missing
    sep = "" if not text or text.endswith("\n") else "\n"
    path.write_text(text + sep + "\n".join(block) + "\n", encoding="utf-8")
    return True


def provider_author(config: dict) -> tuple[str, str]:
    """The commit author of a peer's workspace: ``[provider] name`` (and ``email`` if set)."""
    provider = config.get("provider") or {}
    name = str(provider.get("name") or "peerkit user").strip()
    email = str(provider.get("email") or "").strip() or invalid_email(name, "peer")
    return name, email


def invalid_email(name: str, fallback: str) -> str:
    """A commit e-mail for someone who gave none: ``jordan.rivera@peerkit.invalid``."""
    return f"{re.sub(r'[^a-z0-9]+', '.', name.lower()).strip('.') or fallback}@peerkit.invalid"


def current_branch(root: Path) -> str:
    result = git(["symbolic-ref", "--quiet", "--short", "HEAD"], root, check=False)
    if result.code != 0:
        raise PeerkitError("this workspace's git repository is on a detached HEAD: run "
                           "'git switch main' (or your branch) in it, then 'peerkit sync'")
    return result.stdout.strip()


def init(root: Path, author: tuple[str, str], remote: str | None = None) -> Outcome:
    """``peerkit sync --init [REMOTE]``: a repository, its ignore and attribute files, the
    first commit and, with a remote, the first push."""
    out = Outcome()
    if not (root / ".git").exists():
        git(["init", "-q", "-b", "main"], root, what="init")
        out.messages.append("created a git repository")
    configure(root)
    _ensure_lines(root / ".gitignore", IGNORE_HEADER, IGNORED)
    _ensure_lines(root / ".gitattributes", ATTRIBUTES_HEADER, ATTRIBUTES)
    out.committed = commit_all(root, author, "peerkit: start sharing this workspace")
    if remote:
        has = git(["remote", "get-url", "origin"], root, check=False)
        git(["remote", "set-url" if has.code == 0 else "add", "origin", remote], root, what="remote")
        branch = current_branch(root)
        _push(root, branch, out, set_upstream=True)
    make_private(root)
    return out


# ---------------------------------------------------------------------------- one sync

def refuse_mid_operation(root: Path) -> None:
    git_dir = root / ".git"
    for marker, what in (("MERGE_HEAD", "a merge"), ("rebase-merge", "a rebase"),
                         ("rebase-apply", "a rebase or am"), ("CHERRY_PICK_HEAD", "a cherry-pick")):
        if (git_dir / marker).exists():
            raise PeerkitError(f"the workspace's git repository is in the middle of {what}: finish or "
                               "abort it ('git merge --abort' / 'git rebase --abort'), then run 'peerkit sync'")


def commit_all(root: Path, author: tuple[str, str], message: str | None = None) -> bool:
    """Stage everything not ignored and commit it; False when there was nothing to commit."""
    git(["add", "-A"], root, what="add")
    staged = git(["diff", "--cached", "--name-only"], root).stdout.split()
    if not staged:
        return False
    text = message or commit_message(root, staged)
    _git_as(author, ["commit", "-q", "-F", "-"], root, stdin=text, what="commit")
    return True


def _git_as(author: tuple[str, str], args: list[str], root: Path, **kw):
    return git(args, root, author=author, **kw)


def commit_message(root: Path, staged: list[str]) -> str:
    """``peerkit sync: 3 notes, 1 client`` and one line per audit entry added since the last sync."""
    kinds: dict[str, int] = {}
    for path in staged:
        top = path.split("/", 1)[0] if "/" in path else path
        kinds[top] = kinds.get(top, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    lines = [f"peerkit sync: {summary}"]
    diff = git(["diff", "--cached", "-U0", "--", "audit.log", "audit"], root, check=False).stdout
    entries = []
    for raw in diff.splitlines():
        if raw.startswith("+{"):
            try:
                entry = json.loads(raw[1:])
            except ValueError:
                continue
            what = " ".join(str(entry.get(k) or "") for k in ("command", "action")).strip()
            count = len(entry.get("records") or [])
            entries.append(f"- {what}" + (f" ({count} record(s))" if count else ""))
    if entries:
        lines += ["", "Audit entries:", *entries]
    return "\n".join(lines) + "\n"


def fetch(root: Path) -> bool:
    """Fetch origin; False when the workspace has no remote."""
    if git(["remote", "get-url", "origin"], root, check=False).code != 0:
        return False
    try:
        git(["fetch", "-q", "origin"], root, what="fetch")
    except GitFailed as exc:
        raise GitFailed(f"could not reach the remote ({exc.message.split(': ', 1)[-1]}); your changes are "
                        "committed locally — run 'peerkit sync' again when the remote can be reached",
                        stderr=exc.stderr) from None
    return True


def remote_has(root: Path, branch: str) -> bool:
    return git(["rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{branch}"], root,
               check=False).code == 0


def head(root: Path) -> str:
    return git(["rev-parse", "HEAD"], root).stdout.strip()


def merge(root: Path, branch: str, author: tuple[str, str], validate) -> bool:
    """Merge origin/BRANCH; on a conflict or invalid result, put HEAD back and raise.  The
    caller makes the files private again afterwards (whatever happened)."""
    if not remote_has(root, branch):
        return False
    before = head(root)
    result = _git_as(author, ["merge", "--no-edit", "-q", f"origin/{branch}"], root, check=False)
    if result.code != 0:
        unmerged = git(["diff", "--name-only", "--diff-filter=U"], root, check=False).stdout.split()
        git(["merge", "--abort"], root, check=False)
        git(["reset", "-q", "--hard", before], root, check=False)
        if unmerged:
            raise PeerkitError(
                f"sync stopped: {', '.join(unmerged[:5])}{' ...' if len(unmerged) > 5 else ''} changed here and "
                "on the remote in ways peerkit cannot merge; nothing was changed. Open the record, "
                "compare it with 'git diff HEAD origin/" + branch + " -- PATH', agree with your "
                "supervisor which version stands, edit it with peerkit, then run 'peerkit sync' again")
        stderr = result.stderr.strip()
        raise GitFailed(f"git merge failed: {stderr.splitlines()[-1] if stderr else result.code}")
    after = head(root)
    if after == before:
        return False
    changed = git(["diff", "--name-only", before, after], root).stdout.split()
    try:
        validate(root, changed)
    except PeerkitError:
        git(["reset", "-q", "--hard", before], root, check=False)
        raise
    return True


def validate_records(root: Path, changed: list[str]) -> None:
    """Every record the merge changed must still read: TOML, no conflict markers."""
    for rel in changed:
        path = root / rel
        if not rel.endswith(".toml") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"^(<{7}|>{7}|={7})( |$)", text, re.M):
            raise DataError(rel, "holds git conflict markers after the merge; the sync was undone")
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DataError(rel, f"is not valid TOML after the merge ({exc}); the sync was undone") from None


def _push(root: Path, branch: str, out: Outcome, *, set_upstream: bool = False) -> None:
    args = ["push", "--porcelain", "-q", *(["-u"] if set_upstream else []), "origin", f"HEAD:{branch}"]
    result = git(args, root, check=False)
    if result.code == 0:
        out.pushed = True
        return
    text = result.stdout + result.stderr
    # the remote moved on: before our fetch (rejected, non-fast-forward) or during our push
    # (the server's compare-and-swap of the branch failed) -- both are worth a fetch and retry;
    # a hook's refusal ("pre-receive hook declined") is not
    if any(sign in text for sign in ("[rejected]", "non-fast-forward", "fetch first",
                                     "failed to update ref", "cannot lock ref")):
        raise _Rejected()
    raise GitFailed(f"git push failed: {_reason(result.stderr)}; your changes are committed locally — "
                    "run 'peerkit sync' again")


def _reason(stderr: str) -> str:
    from peerkit_sync.gitrun import last_line

    return last_line(stderr) or "no reason given"


class _Rejected(Exception):
    """The remote moved on since the fetch (a non-fast-forward push)."""


def sync(root: Path, author: tuple[str, str], *, validate=validate_records, push: bool = True) -> Outcome:
    """Commit, fetch, merge, validate, push -- retrying only when the remote moved meanwhile.
    Whatever happens, the files are made private again at the end (git keeps 644/755)."""
    refuse_mid_operation(root)
    configure(root)
    try:
        return _sync(root, author, validate, push)
    finally:
        make_private(root)


def _sync(root: Path, author: tuple[str, str], validate, push: bool) -> Outcome:
    out = Outcome()
    branch = current_branch(root)
    out.committed = commit_all(root, author)
    for _ in range(MAX_PUSH_TRIES):
        if not fetch(root):
            out.messages.append("no remote: committed locally only (add one with 'peerkit sync --init URL')")
            return out
        out.merged = merge(root, branch, author, validate) or out.merged
        if not push or (remote_has(root, branch) and unpushed(root, branch) == 0):
            return out                      # not asked to push, or the remote has everything
        try:
            _push(root, branch, out, set_upstream=not remote_has(root, branch))
            return out
        except _Rejected:
            continue
    raise GitFailed(f"the remote kept moving: tried {MAX_PUSH_TRIES} times to push; your changes are "
                    "committed locally — run 'peerkit sync' again")


def unpushed(root: Path, branch: str) -> int:
    if not remote_has(root, branch):
        return len(git(["rev-list", "HEAD"], root, check=False).stdout.split())
    result = git(["rev-list", "--count", f"origin/{branch}..HEAD"], root, check=False)
    return int(result.stdout.strip() or 0) if result.code == 0 else 0


def dirty(root: Path) -> bool:
    return bool(git(["status", "--porcelain"], root, check=False).stdout.strip())


def last_sync(root: Path, branch: str) -> str | None:
    ref = f"origin/{branch}" if remote_has(root, branch) else "HEAD"
    result = git(["log", "-1", "--format=%cI", ref], root, check=False)
    return result.stdout.strip() or None
