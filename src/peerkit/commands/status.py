"""peerkit status: everything that needs attention, from every plugin's alerts."""
from __future__ import annotations

import click

from peerkit.context import plugins_for, workspace_for
from peerkit.options import as_of_option, json_option
from peerkit.output import emit_json


def collect(plugins, ws, today) -> list:
    from peerkit.alerts import Alert, sort_alerts

    found = []
    for plugin, alert in plugins.collect_list("alerts", workspace=ws, today=today):
        if isinstance(alert, Alert):
            found.append(alert)
    return sort_alerts(found)


@click.command()
@as_of_option
@json_option
@click.pass_context
def status(ctx, as_of, as_json: bool):
    """Everything that needs attention, sorted by due date and grouped by severity.

    Exit 1 when anything is overdue (an error-level alert).  Run it every Monday, or from cron.
    """
    from peerkit.dates import today

    ws = workspace_for(ctx)
    day = as_of or today()
    alerts = collect(plugins_for(ctx), ws, day)
    if as_json:
        emit_json([a.as_json() for a in alerts])
    else:
        if not alerts:
            click.echo(f"Nothing needs attention as of {day.isoformat()}.")
        current = None
        for a in alerts:
            if a.severity != current:
                current = a.severity
                click.echo({"error": "OVERDUE / BROKEN", "warning": "DUE SOON", "info": "FOR INFORMATION"}[current])
            due = a.due.isoformat() if a.due else "          "
            click.echo(f"  {due}  {a.source:<10} {a.subject:<24} {a.message}")
    if any(a.severity == "error" for a in alerts):
        ctx.exit(1)
