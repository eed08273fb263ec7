"""``peerkit doctor`` checks of a workspace that is a git repository."""
from __future__ import annotations

import shutil
from pathlib import Path

import peerkit_sync.repo as repo
from peerkit_sync.gitrun import loose_files


def warnings(root: Path) -> list[str]:
    if shutil.which("git") is None:
        return ["this workspace is a git repository but git is not installed: install git"]
    out = []
    if not repo.driver_configured(root):
        out.append(".git/config: peerkit's merge driver is not configured, so a plain 'git pull' "
                   "would write conflict markers into records: run 'peerkit sync' once (it configures it)")
    attributes = root / ".gitattributes"
    if not attributes.exists() or "*.toml merge=peerkit" not in attributes.read_text(encoding="utf-8"):
        out.append(".gitattributes: records are not routed to peerkit's merge driver: run 'peerkit sync --init'")
    loose = loose_files(root)
    if loose:
        shown = ", ".join(loose[:3]) + (f" and {len(loose) - 3} more" if len(loose) > 3 else "")
        out.append(f"{len(loose)} file(s) or folder(s) others can read ({shown}), e.g. after a git "
                   "pull: run 'peerkit sync' (it makes them private again)")
    return out
