"""``peerkit caseload``: caseload limits and authorization use."""
from __future__ import annotations

import click

from peerkit.context import pass_workspace
from peerkit.options import as_of_option, json_option


@click.command()
@as_of_option
@json_option
@pass_workspace
def caseload(ws, as_of, as_json):
    """Caseload size and weekly hours against the limits, and each authorization's use.

    Per authorization: units authorized, used (approved + submitted + signed notes),
    remaining, percent used, percent of the period gone, the projected run-out date at the
    current pace, and flags (over, under, ending).  People served without an authorization
    are tracked against the unmanaged units of the fiscal year.  Exit 1 when a limit is broken.
    """
    from peerkit.dates import today
    from peerkit.output import echo_table, emit_json
    from peerkit_caseload.model import compute, table_rows

    report = compute(ws, as_of or today())
    if as_json:
        emit_json(report.as_json())
    else:
        s = report.settings
        click.echo(f"Caseload as of {report.as_of}: {len(report.active)} active people "
                   f"(limit {s.max_people}), {report.weekly_hours:g} authorized hours a week "
                   f"(limit {s.max_weekly_hours:g})")
        click.echo("")
        if report.auths:
            echo_table(table_rows(report), ["client", "service", "period", "auth", "used", "left",
                                            "used%", "elapsed%", "runs out", "flags"])
        else:
            click.echo("No current authorizations.")
        if report.unmanaged:
            click.echo("")
            echo_table([[u.client, f"{u.fiscal_year_start}..{u.fiscal_year_end}", u.used,
                         "unlimited" if u.limit is None else u.limit,
                         "-" if u.remaining is None else u.remaining] for u in report.unmanaged],
                       ["client", "fiscal year", "unmanaged used", "limit", "left"])
        if report.alerts:
            click.echo("")
            for a in report.alerts:
                due = a.due.isoformat() if a.due else "          "
                click.echo(f"{a.severity.upper():<8} {due}  {a.subject:<16} {a.message}")
    if report.broken:
        click.get_current_context().exit(1)
