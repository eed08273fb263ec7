"""peerkit secret: secrets in the OS keyring (service 'peerkit')."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from peerkit.options import json_option
from peerkit.output import emit_json, message

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace


def _workspace(ctx: click.Context) -> Workspace | None:
    """The workspace whose audit log records secret changes (None outside a workspace)."""
    from peerkit.context import workspace_for
    from peerkit.errors import PeerkitError

    try:
        ws: Workspace = workspace_for(ctx)
    except PeerkitError:
        return None
    return ws


def _check_audit_possible(ctx: click.Context) -> None:
    """Refuse before touching the keyring when the audit entry could not be written."""
    ws = _workspace(ctx)
    if ws is not None:
        from peerkit.trust import check_writable

        check_writable(ws.root)


def _audit(ctx: click.Context, action: str, name: str) -> None:
    ws = _workspace(ctx)
    if ws is not None:
        ws.audit("secret", action=action, records=[name])


@click.group()
def secret() -> None:
    """Store, read and delete secrets (tax ID, bank details) in the OS keyring."""


@secret.command(name="set")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the value from standard input.")
@click.pass_context
def secret_set(ctx: click.Context, name: str, from_stdin: bool) -> None:
    """Store secret NAME (prompted without echo, or read from stdin with --stdin)."""
    from peerkit.secrets import check_name, set_secret

    check_name(name)
    _check_audit_possible(ctx)
    if from_stdin or not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = click.prompt(f"Value for {name}", hide_input=True, confirmation_prompt=True)
    set_secret(name, value)
    _audit(ctx, "set", name)
    message(f"Stored secret {name!r} in the keyring.")


@secret.command(name="get")
@click.argument("name")
def secret_get(name: str) -> None:
    """Print secret NAME to stdout (exit 4 when it is not set)."""
    from peerkit.secrets import require_secret

    click.echo(require_secret(name))


@secret.command(name="delete")
@click.argument("name")
@click.pass_context
def secret_delete(ctx: click.Context, name: str) -> None:
    """Delete secret NAME from the keyring."""
    from peerkit.secrets import delete_secret

    _check_audit_possible(ctx)
    existed = delete_secret(name)
    _audit(ctx, "delete", name)
    message(f"Deleted secret {name!r}." if existed else f"Secret {name!r} was not set.")


@secret.command(name="list")
@json_option
def secret_list(as_json: bool) -> None:
    """List the names of stored secrets (never their values)."""
    from peerkit.secrets import list_secrets

    names = list_secrets()
    if as_json:
        emit_json(names)
    else:
        for n in names:
            click.echo(n)
