"""peerkit templates: list the templates and copy one into the workspace to edit it."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from peerkit import storage
from peerkit.context import workspace_for
from peerkit.errors import DataError
from peerkit.options import json_option
from peerkit.output import echo_table, emit_json, message

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace


def _maybe_workspace(ctx: click.Context) -> Workspace | None:
    from peerkit.errors import PeerkitError

    try:
        ws: Workspace = workspace_for(ctx)
    except PeerkitError:
        return None
    return ws


@click.group()
def templates() -> None:
    """List templates, or copy a default one into the workspace to change it."""


@templates.command(name="list")
@json_option
@click.pass_context
def templates_list(ctx: click.Context, as_json: bool) -> None:
    """List every template and where it comes from (workspace, plugin, default)."""
    from peerkit.templating import list_templates

    items = list_templates(_maybe_workspace(ctx))
    if as_json:
        emit_json(items)
    else:
        echo_table([(i["name"], i["source"]) for i in items], ["name", "source"])


@templates.command(name="copy")
@click.argument("name")
@click.option("--force", is_flag=True, help="Replace the workspace's copy if there is one.")
@click.pass_context
def templates_copy(ctx: click.Context, name: str, force: bool) -> None:
    """Copy template NAME into the workspace's templates/ folder, where it takes precedence."""
    from peerkit.templating import list_templates

    ws = workspace_for(ctx)
    found = {i["name"]: i for i in list_templates(None)}
    if name not in found:
        raise DataError(f"no template named {name!r} (see 'peerkit templates list')")
    target = ws.path("templates", *name.split("/"))
    if target.exists() and not force:
        raise DataError(ws.rel(target), "already exists; edit it, or use --force to start again")
    with ws.lock():
        storage.ensure_dir(target.parent)
        storage.atomic_write_bytes(target, Path(found[name]["path"]).read_bytes())
    message(f"Copied {name} to {ws.rel(target)}; edit it there.")


@templates.command(name="check")
@click.pass_context
def templates_check(ctx: click.Context) -> None:
    """Warn about risky constructs in the workspace's templates, with file and line.

    |safe, autoescape false, scripts, javascript: links, <meta http-equiv=refresh>, <base>,
    remote addresses in src/href/action/formaction/poster/data/srcset/CSS url() and @import
    (hosts in [templates] allowed_hosts excepted), srcdoc, and an HTML comment holding <head>.
    Exit 1 when anything is found.
    """
    from peerkit.templating import lint_workspace

    problems = lint_workspace(workspace_for(ctx))
    for p in problems:
        click.echo(f"warning: {p}")
    if problems:
        ctx.exit(1)
    click.echo("No risky constructs found in the workspace's templates.")
