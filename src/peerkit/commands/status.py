"""peerkit status: everything that needs attention, from every plugin's alerts."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from peerkit.context import plugins_for, workspace_for
from peerkit.options import as_of_option, json_option
from peerkit.output import emit_json

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.alerts import Alert
    from peerkit.plugins import Plugins
    from peerkit.workspace import Workspace


def collect(plugins: Plugins, ws: Workspace, today: dt.date) -> tuple[list[Alert], list[str]]:
    """``(alerts, problems)``: every alert the plugins gave, sorted, and one line for each
    thing that could not be read (a plugin's DataError names file, line and field; a plugin
    that failed to load).  The ``alerts`` hook's failure policy is ``collect``: one plugin
    failing never hides the others' alerts."""
    from peerkit.alerts import sort_alerts
    from peerkit.errors import DataError

    problems: list[str] = []
    try:
        problems.extend(e.message for e in ws.config_for_report())
    except DataError as exc:  # peerkit.toml itself unreadable: the plugins will say so too
        problems.append(exc.message)
    found = [alert for _, alert in plugins.collect_list("alerts", workspace=ws, today=today)]
    for failure in plugins.take_failures():
        if failure.message not in problems:
            problems.append(failure.message)
    for info in plugins.failed_to_load():  # its alerts are missing: not "all clear" either
        problems.append(f"plugin {info.name!r} failed to load ({info.error}), so its alerts are "
                        f"missing: fix it, or run with --disable-plugin {info.name}")
    return sort_alerts(found), problems


HEADINGS = {"error": "OVERDUE / BROKEN", "warning": "DUE SOON", "info": "FOR INFORMATION"}
SUMMARY = {"error": "overdue", "warning": "due soon", "info": "for information"}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def status_text(alerts: list[Alert], day: dt.date, problems: Sequence[str] = ()) -> str:
    """Grouped by severity (errors first), sorted by due date inside a group, one line each;
    then what could not be read.  "Nothing needs attention" only when everything was read."""
    if not alerts and not problems:
        return f"Nothing needs attention as of {day.isoformat()}."
    if not alerts:
        return (f"NOT CHECKED ({len(problems)})\n"
                + "\n".join(f"  {_one_line(p)}" for p in problems)
                + f"\n\nNo alert could be collected from what was read, but {len(problems)} "
                  f"problem(s) kept peerkit from reading everything (as of {day.isoformat()}); "
                  "fix them and run 'peerkit status' again.")
    source_w = max(len(a.source) for a in alerts)
    subject_w = min(max(len(a.subject) for a in alerts), 28)
    counts = {sev: sum(1 for a in alerts if a.severity == sev) for sev in HEADINGS}
    lines: list[str] = []
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
    if problems:
        lines.append("")
        lines.append(f"NOT CHECKED ({len(problems)})")
        lines.extend(f"  {_one_line(p)}" for p in problems)
    lines.append("")
    summary = [f"{counts[s]} {SUMMARY[s]}" for s in HEADINGS if counts[s]]
    if problems:
        summary.append(f"{len(problems)} data problem(s) (NOT CHECKED: more may need attention)")
    lines.append(", ".join(summary) + f" (as of {day.isoformat()}).")
    return "\n".join(lines)


@click.command()
@as_of_option
@json_option
@click.pass_context
def status(ctx: click.Context, as_of: dt.date | None, as_json: bool) -> None:
    """Everything that needs attention, sorted by due date and grouped by severity.

    Exit 1 when anything is overdue (an error-level alert); exit 3 when some data could not be
    read (each problem is shown, after every alert that could be collected).  Run it every
    Monday, or from cron.
    """
    from peerkit.dates import today
    from peerkit.errors import EXIT_DATA, EXIT_FINDINGS

    ws = workspace_for(ctx)
    day = as_of or today()
    alerts, problems = collect(plugins_for(ctx), ws, day)
    if as_json:
        emit_json([a.as_json() for a in alerts])
        for problem in problems:
            click.echo(f"Error: {problem}", err=True)
    else:
        click.echo(status_text(alerts, day, problems))
    if problems:
        ctx.exit(EXIT_DATA)
    if any(a.severity == "error" for a in alerts):
        ctx.exit(EXIT_FINDINGS)
