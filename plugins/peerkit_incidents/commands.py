"""``peerkit incident``: add, list and mark incident reports; deadlines from [incidents]."""
from __future__ import annotations

import datetime as dt

import click

from peerkit.context import pass_workspace
from peerkit.options import CLIENT_ID, ID, INCIDENT_ID, json_option
from peerkit.output import emit, message, table
from peerkit_incidents import model


class DateTimeType(click.ParamType):
    """Local wall-clock date and time: 2026-11-24T09:00, '2026-11-24 09:00' or now."""

    name = "datetime"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.datetime):
            return value
        from peerkit import dates

        text = str(value).strip()
        if text.lower() == "now":
            return dates.now()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date and time: use YYYY-MM-DDTHH:MM (local time) or now",
                      param, ctx)
        if parsed.tzinfo is not None:
            self.fail("give local wall-clock time without a time zone (2026-11-24T09:00)", param, ctx)
        if len(text) == 10:
            self.fail("give a time as well as the date (2026-11-24T09:00)", param, ctx)
        return parsed.replace(microsecond=0)


DATETIME = DateTimeType()


@click.group()
def incident():
    """Incident reports and their deadlines (supervisor, IRIS, verbal notice).

    \b
    peerkit incident add --level II --occurred-at 2026-11-24T14:30 --learned-at 2026-11-24T15:00 \\
        --client C002 --what "..." --actions "..."
    peerkit incident list --due
    peerkit incident mark INC-2026-11-24-1 reported-supervisor
    """


@incident.command(name="add")
@click.option("--id", "incident_id", type=ID, help="Incident id (default INC-<date occurred>-N).")
@click.option("--level", type=click.Choice(model.LEVELS, case_sensitive=False), help="Level I, II or III.")
@click.option("--occurred-at", type=DATETIME, help="When it happened (local time).")
@click.option("--learned-at", type=DATETIME, help="When you learned of it (local time; deadlines count from here).")
@click.option("--client", type=CLIENT_ID, help="Client id.")
@click.option("--what", help="What happened (brief, factual).")
@click.option("--actions", default="", help="Actions taken.")
@click.option("--from", "source", metavar="FILE", help="Read incident(s) from a TOML/JSON file, or - for stdin.")
@pass_workspace
def incident_add(ws, incident_id, level, occurred_at, learned_at, client, what, actions, source):
    """Add an incident report (flags, or --from FILE / --from - for stdin)."""
    if source:
        if any(v for v in (incident_id, level, occurred_at, learned_at, client, what, actions)):
            raise click.UsageError("give either --from or the flags, not both")
        from peerkit.inputs import read_records

        records, where = read_records(source, list_key="incidents")
    else:
        missing = [name for name, v in (("--level", level), ("--occurred-at", occurred_at),
                                        ("--learned-at", learned_at), ("--client", client),
                                        ("--what", what)) if not v]
        if missing:
            raise click.UsageError(f"missing {', '.join(missing)} (or use --from FILE)")
        records = [{"id": incident_id, "level": level.upper(), "occurred_at": occurred_at,
                    "learned_at": learned_at, "client": client, "what": what, "actions": actions}]
        where = "command line"
    added = model.add_incidents(ws, records, where)
    message(f"Added {len(added)} incident(s): {', '.join(added)}")
    r = model.rules(ws)
    from peerkit import dates
    from peerkit.identifiers import narrative_warnings

    ref = dates.now()
    for iid in added:
        inc = model.load(ws, iid)
        for line in narrative_warnings(iid, model.narrative(inc)):
            message(line)
        for dl in inc.deadlines(r):
            message(f"  {iid}: {dl.label} due by {dl.due:%Y-%m-%d %H:%M}"
                    + (" (OVERDUE)" if dl.state(ref, r.warn_hours) == "overdue" else ""))


@incident.command(name="list")
@click.option("--due", is_flag=True, help="Only incidents with a deadline not yet met.")
@json_option
@pass_workspace
def incident_list(ws, due, as_json):
    """List incidents with their next deadline."""
    from peerkit import dates

    r = model.rules(ws)
    ref = dates.now()
    items = list(model.iter_incidents(ws))
    if due:
        items = [i for i in items if any(dl.done_at is None for dl in i.deadlines(r))]
    emit(as_json, [i.as_json(r, ref) for i in items], lambda: table(
        [model.list_row(i, r, ref) for i in items],
        ["id", "level", "occurred", "learned", "client", "next deadline", "state"]))


@incident.command(name="mark")
@click.argument("incident_id", type=INCIDENT_ID)
@click.argument("action", type=click.Choice(list(model.MARKS)))
@click.option("--at", type=DATETIME, default=None, help="When it was done (default now, local time).")
@pass_workspace
def incident_mark(ws, incident_id, action, at):
    """Record a report to the supervisor, the IRIS entry, the verbal notice, or an update sent."""
    inc = model.mark(ws, incident_id, action, at)
    r = model.rules(ws)
    done = [dl for dl in inc.deadlines(r) if dl.mark == action]
    late = done and done[0].done_at and done[0].done_at > done[0].due
    message(f"Recorded {model.MARKS[action][1]} for {incident_id}" + (" (after the deadline)." if late else "."))


@incident.command(name="show")
@click.argument("incident_id", type=INCIDENT_ID)
@json_option
@pass_workspace
def incident_show(ws, incident_id, as_json):
    """Show one incident with its deadlines."""
    from peerkit import dates

    r = model.rules(ws)
    inc = model.load(ws, incident_id)
    ref = dates.now()
    emit(as_json, inc.as_json(r, ref), lambda: model.incident_text(inc, r, ref))
