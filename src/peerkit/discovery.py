"""Finding the workspace folder, like git finds a repository (kept light: used at start-up)."""
from __future__ import annotations

import os
from pathlib import Path

CONFIG_NAME = "peerkit.toml"
LOCK_NAME = ".peerkit.lock"  # the workspace lock every writer takes (Workspace.lock)


def find_root(start: Path | None = None, explicit: str | Path | None = None) -> Path | None:
    """``--workspace DIR``, else ``$PEERKIT_WORKSPACE``, else the nearest parent with peerkit.toml."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("PEERKIT_WORKSPACE")
    if env:
        return Path(env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None
