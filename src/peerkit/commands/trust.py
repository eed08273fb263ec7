"""peerkit trust: let a workspace's own plugins (plugins/*.py) run, list and revoke that trust."""
from __future__ import annotations

from pathlib import Path

import click

from peerkit.options import json_option
from peerkit.output import echo_table, emit_json, message


def _workspace_root(ctx: click.Context, directory: Path | None) -> Path:
    from peerkit import storage
    from peerkit.discovery import CONFIG_NAME
    from peerkit.errors import DataError

    if directory is None:
        from peerkit.context import workspace_for

        root: Path = workspace_for(ctx).root
        return root
    if not (directory / CONFIG_NAME).is_file():
        raise DataError(storage.display_path(directory / CONFIG_NAME),
                        "not found: this folder is not a peerkit workspace")
    return directory


@click.command(name="trust")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--list", "list_", is_flag=True, help="List the trusted workspaces.")
@click.option("--revoke", is_flag=True, help="Stop trusting DIRECTORY (default: this workspace).")
@json_option
@click.pass_context
def trust_cmd(ctx: click.Context, directory: Path | None, list_: bool, revoke: bool, as_json: bool) -> None:
    """Let a workspace's own plugins run: record its path, owner and plugin file hashes.

    \b
    peerkit trust                    trust this workspace's plugins/*.py as they are now
    peerkit trust ~/peers/jordan     trust another folder (read its plugins first!)
    peerkit trust --list             every trusted workspace
    peerkit trust --revoke [DIR]     forget one

    A plugin is Python that runs with your rights and can read every record and secret.
    Files added or changed after 'peerkit trust' are not loaded until you trust them again.
    The list lives in your own config folder ($PEERKIT_CONFIG_DIR, $XDG_CONFIG_HOME/peerkit
    or ~/.config/peerkit), never in the workspace.
    """
    from peerkit import trust
    from peerkit.errors import UsageError

    if list_:
        if directory is not None or revoke:
            raise UsageError("--list takes no DIRECTORY and no --revoke")
        entries = sorted(trust.load().values(), key=lambda e: e["path"])
        if as_json:
            emit_json([{"path": e["path"], "owner": e.get("owner"), "trusted_at": e.get("trusted_at"),
                        "plugins": sorted(e.get("plugins", {}))} for e in entries])
            return
        if not entries:
            message("No workspace is trusted.")
            return
        echo_table([(e["path"], e.get("owner", ""), e.get("trusted_at", ""),
                     ", ".join(sorted(e.get("plugins", {}))) or "-") for e in entries],
                   ["workspace", "owner", "trusted at", "plugin files"])
        return
    if revoke:
        target = directory if directory is not None else _workspace_root(ctx, None)
        if trust.revoke(target):
            message(f"No longer trusted: {trust.real(target)}")
        else:
            message(f"{trust.real(target)} was not trusted; nothing changed")
        return
    root = _workspace_root(ctx, directory)
    entry = trust.trust(root)
    files = sorted(entry["plugins"])
    message(f"Trusted {entry['path']}" + (f" (owner uid {entry['owner']})" if "owner" in entry else "")
            + (f": {len(files)} plugin file(s): {', '.join(files)}" if files else ": no plugin files yet"))
