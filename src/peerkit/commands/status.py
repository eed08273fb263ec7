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


HEADINGS = {"error": "OVERDUE / BROKEN", "warning": "DUE SOON", "info": "FOR INFORMATION"}
SUMMARY = {"error": "overdue", "warning": "due soon", "info": "for information"}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def status_text(alerts: list, day) -> str:
    """Grouped by severity (errors first), sorted by due date inside a group, one line each."""
    if not alerts:
        return f"Nothing needs attention as of {day.isoformat()}."
    source_w = max(len(a.source) for a in alerts)
    subject_w = min(max(len(a.subject) for a in alerts), 28)
    counts = {sev: sum(1 for a in alerts if a.severity == sev) for sev in HEADINGS}
    lines = []
    current = None
    for a in alerts:
        if a.severity != current:
            current = a.severity
            if lines:
                lines.append("")
            lines.append(f"{HEADINGS[current]} ({counts[current]})")
        due = a.due.isoformat() if a.due else "-"
        lines.append(f"  {due:<10}  {a.source:<{source_w}}  {_one_line(a.subject):<{subject_w}}  "
                     f"{_one_line(a.message)}")
    lines.append("")
    lines.append(", ".join(f"{counts[s]} {SUMMARY[s]}" for s in HEADINGS if counts[s])
                 + f" (as of {day.isoformat()}).")
    return "\n".join(lines)


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
        click.echo(status_text(alerts, day))
    if any(a.severity == "error" for a in alerts):
        ctx.exit(1)
