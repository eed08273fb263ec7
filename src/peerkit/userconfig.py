"""The user's own peerkit folder, outside every workspace (0700, files 0600).

``$PEERKIT_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/peerkit``, else ``~/.config/peerkit``.
It holds what someone who can edit a workspace must not also be able to fix: the trusted
workspaces and their plugin hashes (``trust.toml``), the head of each workspace's audit
chain (``audit-heads.toml``) and the list of export temp files in flight
(``pending-exports/``).  Nothing in it is PHI: paths, sequence numbers and hashes.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV = "PEERKIT_CONFIG_DIR"
CACHE_ENV = "PEERKIT_CACHE_DIR"


def config_dir() -> Path:
    """The folder (not created here); no home folder known is one clear line (exit 3)."""
    found = _user_dir(ENV, "XDG_CONFIG_HOME", ".config")
    if found is None:
        from peerkit.errors import DataError

        raise DataError(f"no config folder: set HOME or {ENV}")
    return found


def cache_dir() -> Path | None:
    """The user's cache folder for peerkit: ``$PEERKIT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/peerkit``, else ``~/.cache/peerkit`` (None: no home folder known).  It
    holds what peerkit can always work out again and nothing of a workspace: the installed
    plugins' entry points and compiled templates.  Deleting it is always safe."""
    return _user_dir(CACHE_ENV, "XDG_CACHE_HOME", ".cache")


def _user_dir(env: str, xdg_env: str, under_home: str) -> Path | None:
    """``$env``, else ``$xdg_env/peerkit``, else ``~/<under_home>/peerkit``; None when no home
    folder is known."""
    explicit = os.environ.get(env)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get(xdg_env)
    try:
        base = Path(xdg).expanduser() if xdg else Path.home() / under_home
    except RuntimeError:  # no home folder known
        return None
    return base / "peerkit"


def ensure_config_dir() -> Path:
    """The folder, created private to the user when missing (raises OSError when it cannot)."""
    path = config_dir()
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
    return path
