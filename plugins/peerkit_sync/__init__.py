"""Built-in plugin: share workspaces through git (``peerkit sync``, ``peerkit agency``).

See docs/agency.md.  Uses the real ``git`` program; nothing here runs at import time.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    cli.add_command(LazyCommand("sync", "peerkit_sync.commands:sync",
                                "Share this workspace through git: commit, fetch, merge field by field, push."))
    cli.add_command(LazyCommand("agency", "peerkit_sync.commands:agency",
                                "Supervisors: pull, push and see every peer's shared workspace (agency.toml)."))


@hookimpl
def review_recorded(workspace, reviewer, notes):
    """In a peer's clone inside an agency folder: commit the decisions, the reviewer as author."""
    from peerkit_sync.agency import commit_decisions

    commit_decisions(workspace.root, reviewer, notes)


@hookimpl
def doctor_checks(workspace):
    """A shared workspace without peerkit's merge driver, or with files others can read."""
    if workspace is None or not (workspace.root / ".git").exists():
        return []
    from peerkit_sync.health import warnings

    return warnings(workspace.root)
