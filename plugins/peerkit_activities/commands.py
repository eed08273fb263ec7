"""``peerkit activity add|list|edit|void`` and ``peerkit week``."""
from __future__ import annotations

import click

from peerkit.context import pass_workspace
from peerkit.options import DATE, ID, TIME, json_option, range_options
from peerkit.output import emit, emit_json, message, table
from peerkit_activities import model


def _times(start, end, minutes) -> dict:
    if (start is None) != (end is None):
        raise click.UsageError("give both --start and --end (or --minutes alone)")
    if start is not None and minutes is not None:
        raise click.UsageError("give --start/--end or --minutes, not both")
    if start is not None:
        return {"start": start, "end": end}
    return {"minutes": minutes} if minutes is not None else {}


@click.group()
def activity():
    """Work that is not a billable note: meetings, on-call, outreach, no-shows.

    \b
    peerkit activity add --kind team-meeting --date 2026-11-23 --start 09:00 --end 10:00
    peerkit activity add --kind no-show --date 2026-11-24 --minutes 30 --client C002
    peerkit activity list --from 2026-11-23 --to 2026-11-29
    peerkit activity void A-2026-11-23-1 --reason "entered twice"
    """


@activity.command(name="add")
@click.option("--kind", required=True, help="Kind of activity (see docs/activities.md; the agency may add kinds).")
@click.option("--date", "day", type=DATE, required=True, help="Date (YYYY-MM-DD, today).")
@click.option("--start", type=TIME, help="Start time (HH:MM).")
@click.option("--end", type=TIME, help="End time (HH:MM).")
@click.option("--minutes", type=click.IntRange(1, 1440), help="Minutes, when no clock times were kept.")
@click.option("--client", type=ID, default=None, help="Client id (optional).")
@click.option("--note", default="", help="What it was (no names: use client ids).")
@pass_workspace
def activity_add(ws, kind, day, start, end, minutes, client, note):
    """Record an activity (never billed)."""
    times = _times(start, end, minutes)
    if not times:
        raise click.UsageError("give --start and --end, or --minutes")
    a = model.add(ws, {"kind": kind, "date": day, **times, "client": client, "note": note})
    message(f"Added activity {a.id} ({a.kind}, {a.minutes} min) in {ws.rel(a.path)}.")
    if a.billing_note:
        message(f"  Not billable: {a.billing_note}.")


@activity.command(name="list")
@range_options
@click.option("--kind", help="Only this kind.")
@click.option("--client", type=ID, help="Only this client.")
@click.option("--all", "show_void", is_flag=True, help="Include void activities.")
@json_option
@pass_workspace
def activity_list(ws, date_from, date_to, kind, client, show_void, as_json):
    """List activities (void ones only with --all)."""
    items = [a for a in model.iter_activities(ws, date_from, date_to)
             if (show_void or a.status != "void") and (not kind or a.kind == kind)
             and (not client or a.client == client)]
    emit(as_json, [a.as_json() for a in items], lambda: table(
        [(a.id, a.date, a.kind, a.minutes, a.client,
          "void" if a.status == "void" else ("never billable" if a.billing_note else "not billable"))
         for a in items], ["id", "date", "kind", "minutes", "client", "billing"]))


@activity.command(name="edit")
@click.argument("activity_id", type=ID)
@click.option("--kind")
@click.option("--date", "day", type=DATE)
@click.option("--start", type=TIME)
@click.option("--end", type=TIME)
@click.option("--minutes", type=click.IntRange(1, 1440))
@click.option("--client", type=str, help="Client id ('' to remove).")
@click.option("--note")
@pass_workspace
def activity_edit(ws, activity_id, kind, day, start, end, minutes, client, note):
    """Change an activity (a new date in another month moves its file)."""
    changes = {"kind": kind, "date": day, "client": client, "note": note, **_times(start, end, minutes)}
    if all(v is None for v in changes.values()):
        raise click.UsageError("give a field to change (see --help)")
    a = model.edit(ws, activity_id, changes)
    message(f"Updated activity {a.id} ({ws.rel(a.path)}).")


@activity.command(name="void")
@click.argument("activity_id", type=ID)
@click.option("--reason", required=True, help="Why it is void (kept in the file).")
@pass_workspace
def activity_void(ws, activity_id, reason):
    """Mark an activity void (the file is kept; void time is not counted)."""
    a = model.void(ws, activity_id, reason)
    message(f"Voided activity {a.id}.")


@click.command()
@click.option("--week", "week_text", default="this", show_default=True,
              help="Week: YYYY-Www (2026-W48), this or last.")
@json_option
@pass_workspace
def week(ws, week_text, as_json):
    """A week's time: billable vs non-billable hours, by kind, productivity."""
    from peerkit.options import resolve_period
    from peerkit_activities.week import summarize, summary_text

    period = resolve_period(week_text, None, None)   # the same --week as every note command
    start, end = period.start, period.end
    summary = summarize(ws.notes(start, end), model.iter_activities(ws, start, end), start, end)
    if as_json:
        emit_json(summary)
    else:
        click.echo(summary_text(summary))
