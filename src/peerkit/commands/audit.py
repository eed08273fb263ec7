"""peerkit audit: check the workspace's hash-chained audit log."""
from __future__ import annotations

import click

from peerkit.context import pass_workspace


@click.group()
def audit():
    """The audit log of exports, review imports, invoices and secret changes."""


@audit.command(name="verify")
@pass_workspace
def audit_verify(ws):
    """Check that no line of audit.log was edited, removed or inserted (exit 1 if so)."""
    from peerkit.audit import verify

    problems = verify(ws)
    for p in problems:
        click.echo(p)
    if problems:
        click.get_current_context().exit(1)
    click.echo("audit.log is intact.")
