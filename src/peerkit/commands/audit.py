"""peerkit audit: check the workspace's hash-chained audit log."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from peerkit.context import pass_workspace

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace


@click.group()
def audit() -> None:
    """The audit log of exports, review imports, invoices and secret changes."""


@audit.command(name="verify")
@pass_workspace
def audit_verify(ws: Workspace) -> None:
    """Check that no line of audit.log was edited, removed or inserted, and that every signed
    note still matches its seal (exit 1 if not)."""
    from peerkit.audit import verify, verify_seals
    from peerkit.context import current_plugins

    problems = verify(ws, current_plugins())
    seals = verify_seals(ws)
    for p in problems + seals:
        click.echo(p)
    if problems or seals:
        click.get_current_context().exit(1)
    click.echo("audit.log is intact; every sealed note matches its seal.")
