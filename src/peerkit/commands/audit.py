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
    """Check that no line of audit.log was edited, removed or inserted, and that the records
    it names still exist (an issued invoice's snapshot, for instance); exit 1 if not."""
    from peerkit.audit import entries, verify
    from peerkit.context import current_plugins

    problems = verify(ws)
    plugins = current_plugins()
    impls = plugins.pm.hook.audit_checks.get_hookimpls()
    results = plugins.call_each("audit_checks", workspace=ws, entries=entries(ws))
    if len(results) < len(impls):  # a plugin's check failed to run: never "intact"
        problems.append("a plugin's audit check failed to run (see the warning above)")
    for _plugin, found in results:
        problems.extend(found)
    for p in problems:
        click.echo(p)
    if problems:
        click.get_current_context().exit(1)
    click.echo("audit.log is intact.")
