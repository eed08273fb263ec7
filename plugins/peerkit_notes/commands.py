"""``peerkit note``: add, list, show, edit, sign, void, check and render service notes.

Thin over :mod:`peerkit_notes.model`, :mod:`peerkit_notes.checks` and
:mod:`peerkit_notes.render`.  Prompts appear only when stdin is a terminal; scripts get a
usage error instead.
"""
from __future__ import annotations

import os
import sys

import click

from peerkit.context import pass_workspace
from peerkit.options import CLIENT_ID, DATE, ID, NOTE_ID, TIME, json_option, period_options
from peerkit.output import echo_table, emit_json, message
from peerkit.records import NOTE_STATUSES
from peerkit_notes import model


def _interactive() -> bool:
    """Prompts only on a terminal: a script never waits for an answer."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


@click.group()
def note():
    """Service notes: write, sign, check and render them (units are computed, never typed)."""


# ---------------------------------------------------------------------------- helpers


def _report_added(ws, notes, as_json: bool) -> None:
    from peerkit_notes.checks import run_checks

    units = model.units_for(ws, notes, model.day_pool(ws, notes))
    if as_json:
        emit_json([{"id": n.id, "file": ws.rel(n.path), "client": n.client, "date": n.date,
                    "minutes": n.minutes, "units": units[n.id]} for n in notes])
    for n in notes:
        message(f"Added {n.id} ({n.minutes} min, {units[n.id]} unit{'s' if units[n.id] != 1 else ''}) "
                f"-> {ws.rel(n.path)}")
    findings = run_checks(ws, notes)
    _warn_identifiers(findings)
    if findings:
        rules = sorted({f.rule for f in findings})
        message(f"{len(findings)} finding(s) to fix before signing ({', '.join(rules)}): "
                "run 'peerkit note check' to see them.")


def _warn_identifiers(findings) -> None:
    """The warning at entry: identifiers typed into the narrative (field named, never the value)."""
    for f in findings:
        if f.rule == "identifier-in-narrative":
            message(f"Warning: {f.note}: {f.message}")


def _long_text(label: str) -> str:
    """Long text: $EDITOR when one is set, else a one-line prompt."""
    if os.environ.get("VISUAL") or os.environ.get("EDITOR"):
        marker = f"# {label}: write it below this line; lines starting with # are ignored.\n"
        text = click.edit(marker, extension=".txt") or ""
        return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()
    return click.prompt(label, default="", show_default=False).strip()


def _prompt_note(ws, data: dict) -> dict:
    clients = {cid: c for cid, c in ws.clients().items() if c.status == "active"}
    if not data.get("client"):
        if clients:
            click.echo("Active clients: " + ", ".join(sorted(clients)), err=True)
        data["client"] = click.prompt("Client id", type=ID)
    if data.get("date") is None:
        data["date"] = click.prompt("Date of service", type=DATE, default="today")
    if data.get("start") is None:
        data["start"] = click.prompt("Start time (HH:MM)", type=TIME)
    if data.get("end") is None:
        data["end"] = click.prompt("End time (HH:MM)", type=TIME)
    if not data.get("place"):
        data["place"] = click.prompt("Place of service",
                                     type=click.Choice(model.settings(ws).allowed_places),
                                     default="community")
    if not data.get("location"):
        data["location"] = click.prompt("Location (where exactly)", default="", show_default=False)
    if not data.get("goals"):
        c = clients.get(data["client"])
        if c is not None:
            for g in c.goals:
                if g.status == "active":
                    click.echo(f"  {g.id}: {g.text}", err=True)
        text = click.prompt("Goal ids (comma-separated)", default="", show_default=False)
        data["goals"] = [g.strip() for g in text.split(",") if g.strip()]
    for key in model.NARRATIVE:
        if not data.get(key):
            data[key] = _long_text(key.capitalize())
    return data


def _pairs(values, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        key, sep, text = v.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"{flag} needs CLIENT=VALUE (got no '=')")
        key = key.strip()
        if flag == "--goal-for":
            out[key] = (out.get(key, "") + "," + text).strip(",")
        else:
            out[key] = text
    return out


# ---------------------------------------------------------------------------- add


@note.command(name="add")
@click.option("--client", help="Client id.", shell_complete=CLIENT_ID.shell_complete)
@click.option("--date", "day", type=DATE, help="Date of service (YYYY-MM-DD, today, yesterday).")
@click.option("--start", type=TIME, help="Start time, HH:MM (24-hour).")
@click.option("--end", type=TIME, help="End time, HH:MM (24-hour).")
@click.option("--code", default=None, help="Service code (default H0038).")
@click.option("--modifier", default=None, help="Modifier ('' individual, HQ group).")
@click.option("--group-size", type=int, default=None, help="People in the group (modifier HQ).")
@click.option("--place", help="Place of service: home, community, office, emergency-department, "
                              "telehealth, telephone ([notes] allowed_places).")
@click.option("--location", help="Where exactly (e.g. 'Public library, Main St').")
@click.option("--goal", "goals", multiple=True, metavar="GOAL_ID", help="Plan goal addressed (repeatable).")
@click.option("--purpose", help="Purpose of the contact.")
@click.option("--intervention", help="What you did.")
@click.option("--response", help="How the person responded.")
@click.option("--plan", help="Plan / next steps.")
@click.option("--from", "source", metavar="FILE", help="Read note(s) from a TOML/JSON file, or - for stdin.")
@json_option
@pass_workspace
def note_add(ws, client, day, start, end, code, modifier, group_size, place, location, goals,
             purpose, intervention, response, plan, source, as_json):
    """Add a service note (a draft) from flags, a file, or prompts on a terminal.

    \b
    peerkit note add --client C001 --date today --start 10:00 --end 11:05 \\
        --place community --location "Public library" --goal G1 \\
        --purpose ... --intervention ... --response ... --plan ...
    peerkit note add --from notes.toml     (one note, or a list under [[notes]])
    peerkit note add --from - < notes.json (an object or an array)

    The id (N-DATE-CLIENT-n) and the units are computed.  Without a terminal every required
    flag (--client --date --start --end) must be given.
    """
    values = dict(client=client, date=day, start=start, end=end, code=code, modifier=modifier,
                  group_size=group_size, place=place, location=location, goals=list(goals),
                  purpose=purpose, intervention=intervention, response=response, plan=plan)
    if source:
        if any(v not in (None, [], ()) for v in values.values()):
            raise click.UsageError("give either --from FILE or the note's flags, not both")
        added = model.add_from_source(ws, source)
    else:
        missing = [k for k in ("client", "date", "start", "end") if values[k] is None]
        if missing and not _interactive():
            raise click.UsageError("missing " + ", ".join(f"--{m}" for m in missing)
                                   + " (no terminal to ask on; or use --from FILE)")
        if missing:
            values = _prompt_note(ws, values)
        data = {k: v for k, v in values.items() if v not in (None, "") and not (k == "goals" and not v)}
        added = model.add_notes(ws, [data], "command line")
    _report_added(ws, added, as_json)


@note.command(name="add-group")
@click.option("--date", "day", type=DATE, help="Date of the session.")
@click.option("--start", type=TIME, help="Start time, HH:MM.")
@click.option("--end", type=TIME, help="End time, HH:MM.")
@click.option("--code", default="H0038", show_default=True, help="Service code (modifier is HQ).")
@click.option("--place", help="Place of service.")
@click.option("--location", help="Where the group met.")
@click.option("--purpose", help="Purpose of the session (shared by every attendee's note).")
@click.option("--intervention", help="What you did as facilitator (shared).")
@click.option("--plan", help="Plan / next steps (shared; --plan-for overrides per person).")
@click.option("--group-id", default=None, help="Session id (default GRP-DATE-HHMM).")
@click.option("--attendee", "attendees", multiple=True, metavar="CLIENT", help="A person who attended (repeatable).")
@click.option("--response-for", "responses", multiple=True, metavar="CLIENT=TEXT",
              help="That person's response (repeatable).")
@click.option("--goal-for", "goal_for", multiple=True, metavar="CLIENT=G1[,G2]",
              help="That person's plan goal(s) (repeatable).")
@click.option("--plan-for", "plan_for", multiple=True, metavar="CLIENT=TEXT",
              help="That person's own plan / next steps (optional).")
@click.option("--from", "source", metavar="FILE", help="Read the session from a TOML/JSON file, or -.")
@json_option
@pass_workspace
def note_add_group(ws, day, start, end, code, place, location, purpose, intervention, plan, group_id,
                   attendees, responses, goal_for, plan_for, source, as_json):
    """Record one group session: one note per attendee (H0038 HQ, group size = attendance).

    \b
    peerkit note add-group --date 2026-11-19 --start 17:00 --end 18:20 \\
        --place community --location "Community center" \\
        --purpose "Weekly mutual-support group" --intervention "Facilitated ..." \\
        --plan "Invite to next week's group" \\
        --attendee C001 --attendee C002 \\
        --response-for C001="Shared a routine that works" --goal-for C001=G2 \\
        --response-for C002="Listened and ..." --goal-for C002=G2
    peerkit note add-group --from session.toml   (session keys + [[attendees]] client,
                                                  response, goals, plan)

    A session of more than [notes] max_group_size (12) people is refused.
    """
    if source:
        if day or start or end or attendees or responses or goal_for or purpose or intervention:
            raise click.UsageError("give either --from FILE or the session's flags, not both")
        added = model.add_group_from_source(ws, source)
        _report_added(ws, added, as_json)
        return
    resp, goals_by, plans_by = (_pairs(responses, "--response-for"), _pairs(goal_for, "--goal-for"),
                                _pairs(plan_for, "--plan-for"))
    attendees = list(attendees)
    missing = [k for k, v in (("date", day), ("start", start), ("end", end)) if v is None]
    if not attendees:
        missing.append("attendee")
    if missing:
        if not _interactive():
            raise click.UsageError("missing " + ", ".join(f"--{m}" for m in missing)
                                   + " (no terminal to ask on; or use --from FILE)")
        day = day or click.prompt("Date of the session", type=DATE, default="today")
        start = start or click.prompt("Start time (HH:MM)", type=TIME)
        end = end or click.prompt("End time (HH:MM)", type=TIME)
        if not attendees:
            text = click.prompt("Attendees (client ids, comma-separated)")
            attendees = [a.strip() for a in text.split(",") if a.strip()]
        for a in attendees:
            if a not in resp:
                resp[a] = _long_text(f"Response of {a}")
            if a not in goals_by:
                goals_by[a] = click.prompt(f"Goal ids of {a} (comma-separated)", default="",
                                           show_default=False)
    for flag, mapping in (("--response-for", resp), ("--goal-for", goals_by), ("--plan-for", plans_by)):
        stray = sorted(set(mapping) - set(attendees))
        if stray:
            raise click.UsageError(f"{flag} names {stray[0]!r}, who is not an --attendee")
    session = {"date": day, "start": start, "end": end, "code": code, "place": place,
               "location": location, "purpose": purpose, "intervention": intervention,
               "plan": plan, "group_id": group_id}
    session = {k: v for k, v in session.items() if v not in (None, "")}
    people = [{"client": a, "response": resp.get(a, ""),
               "goals": [g.strip() for g in goals_by.get(a, "").split(",") if g.strip()],
               **({"plan": plans_by[a]} if plans_by.get(a) else {})} for a in attendees]
    records = model.group_records(ws, session, people, "command line")
    added = model.add_notes(ws, records, "command line")
    _report_added(ws, added, as_json)


# ---------------------------------------------------------------------------- list / show


@note.command(name="list")
@period_options
@click.option("--client", default=None, type=CLIENT_ID, help="Only this client.")
@click.option("--status", type=click.Choice(NOTE_STATUSES), default=None, help="Only this status.")
@click.option("--code", default=None, help="Only this service code (e.g. H0038).")
@click.option("--grep", "grep", default=None, metavar="TEXT",
              help="Only notes whose id, client id, location or narrative contains TEXT (any case).")
@json_option
@pass_workspace
def note_list(ws, period, client, status, code, grep, as_json):
    """List notes with their real minutes and billed units (default: every date).

    \b
    peerkit note list --week last
    peerkit note list --from 2026-11-01 --to 2026-11-30 --status draft --json
    peerkit note list --grep housing
    """
    every = list(ws.notes(period.start, period.end))
    shown = [n for n in every if (client is None or n.client == client)
             and (status is None or n.status == status) and (code is None or n.code == code)
             and (grep is None or model.note_matches(n, grep))]
    shown.sort(key=lambda n: (n.date, n.start, n.id))
    units = model.units_for(ws, shown, every)
    if as_json:
        emit_json([model.note_json(n, units[n.id], ws) for n in shown])
        return
    rows = []
    for n in shown:
        mod = f" {n.modifier}" if n.modifier else ""
        flags = " ".join(x for x in ("LATE" if n.late_entry else "",
                                     f"group:{n.group_size}" if n.is_group else "") if x)
        rows.append((n.id, n.date, f"{n.start.strftime('%H:%M')}-{n.end.strftime('%H:%M')}", n.client,
                     n.minutes, units[n.id], f"{n.code}{mod}", n.status, flags))
    echo_table(rows, ["id", "date", "time", "client", "minutes", "units", "code", "status", "flags"])
    message(f"{len(shown)} note(s), {sum(n.minutes for n in shown)} minutes, "
            f"{sum(units.values())} units ({ws.unit_rule.rounding}, per {ws.unit_rule.units_per}).")


@note.command(name="show")
@click.argument("note_id", type=NOTE_ID)
@json_option
@pass_workspace
def note_show(ws, note_id, as_json):
    """Show one note: times, real minutes and billed units, goals, narrative, signature."""
    n = ws.note(note_id)
    units = model.units_for(ws, [n], model.day_pool(ws, [n]))[n.id]
    if as_json:
        emit_json(model.note_json(n, units, ws))
        return
    click.echo(model.note_text(ws, n, units))


# ---------------------------------------------------------------------------- edit


@note.command(name="edit")
@click.argument("note_id", type=NOTE_ID)
@click.option("--start", type=TIME)
@click.option("--end", type=TIME)
@click.option("--code")
@click.option("--modifier")
@click.option("--group-size", type=int)
@click.option("--place")
@click.option("--location")
@click.option("--goal", "goals", multiple=True, metavar="GOAL_ID", help="Replace the goals (repeatable).")
@click.option("--purpose")
@click.option("--intervention")
@click.option("--response")
@click.option("--plan")
@click.option("--reason", default="", help="Why the note is changed: required for a signed, submitted, "
                                          "approved or denied note (kept in the addendum).")
@pass_workspace
def note_edit(ws, note_id, start, end, code, modifier, group_size, place, location, goals,
              purpose, intervention, response, plan, reason):
    """Change a note with flags, or in $EDITOR when no flag is given (terminal only).

    A draft is changed in place.  A signed, submitted, approved or denied note is never
    silently rewritten: --reason is required and the change is recorded as an addendum
    (when, who, which fields, the old and the new values, the new seal).  An approved note
    whose billable facts or narrative change goes back to review (submitted) and is not
    billed until approved again.  Client and date cannot change: void and add a new note.
    """
    changes = {k: v for k, v in (("start", start), ("end", end), ("code", code),
                                 ("modifier", modifier), ("group_size", group_size),
                                 ("place", place), ("location", location), ("purpose", purpose),
                                 ("intervention", intervention), ("response", response),
                                 ("plan", plan)) if v is not None}
    if goals:
        changes["goals"] = list(goals)
    if not changes:
        if not _interactive():
            raise click.UsageError("give a flag to change (see --help); $EDITOR needs a terminal")
        current = ws.note(note_id)
        if current.status == "void":
            from peerkit.errors import DataError

            raise DataError(ws.rel(current.path), "is void and cannot be edited; add a new note instead")
        text = click.edit(model.edit_form(current), extension=".toml", require_save=True)
        if text is None:
            message("No change.")
            return
        changes = model.changes_from_form(current, text)
        if not changes:
            message("No change.")
            return
        if current.status in model.SIGNED_STATUSES and not reason:
            reason = click.prompt("Reason for the change (kept in the addendum)")
    after, changed, addendum = model.edit_note(ws, note_id, changes, reason=reason)
    if changed and set(changed) & set(model.NARRATIVE):
        from peerkit_notes.checks import run_checks

        _warn_identifiers(f for f in run_checks(ws, [after]) if f.rule == "identifier-in-narrative")
    if not changed:
        message("No change.")
    elif addendum:
        message(f"Updated {note_id} ({', '.join(changed)}); the change is recorded as addendum "
                f"{len(after.addenda)}.")
        if any(a.get("status") for a in after.addenda[-1:]):
            message(f"{note_id} was approved and is now back in review (submitted): it is not "
                    "billed until your supervisor approves it again.")
        elif after.status in ("approved", "submitted"):
            message(f"{note_id} is {after.status}: tell your supervisor it changed.")
    else:
        message(f"Updated {note_id} ({', '.join(changed)}).")


# ---------------------------------------------------------------------------- sign / void


@note.command(name="sign")
@click.argument("note_ids", nargs=-1, type=NOTE_ID)
@period_options
@json_option
@pass_workspace
def note_sign(ws, note_ids, period, as_json):
    """Sign drafts: stamps signed_at, author and credentials from [provider].

    \b
    peerkit note sign N-2026-11-23-C001-1
    peerkit note sign --week this        every draft of this week

    A note failing an error-level check is refused with its findings (the others are
    signed; exit 1).  A note signed more than billing.note_deadline_hours (24) after the
    service end is marked late_entry = true (LATE ENTRY).  Refused (exit 3) while a plugin
    failed to load: its rules would not have been checked.
    """
    from peerkit.context import current_plugins

    current_plugins().require_all_loaded("sign notes")
    ids = list(note_ids)
    if period.given:
        ids += [n.id for n in ws.notes(period.start, period.end)
                if n.status == "draft" and n.id not in ids]
    elif not ids:
        raise click.UsageError("give note ids, or --week/--from/--to/--all to sign those drafts")
    if not ids:
        message(f"No drafts to sign ({period.describe()}).")
        if as_json:
            emit_json({"signed": [], "refused": {}, "skipped": []})
        return
    from peerkit_notes.signing import sign_notes

    result = sign_notes(ws, ids)
    if as_json:
        emit_json({"signed": [{"id": n.id, "signed_at": n.signed_at, "late_entry": n.late_entry}
                              for n in result.signed],
                   "refused": {k: [f.as_json() for f in v] for k, v in result.refused.items()},
                   "skipped": [{"id": i, "reason": r} for i, r in result.skipped]})
    for n in result.signed:
        message(f"Signed {n.id}" + (" (LATE ENTRY)" if n.late_entry else "") + ".")
    for nid, why in result.skipped:
        message(f"Skipped {nid}: {why}.")
    for nid, findings in result.refused.items():
        message(f"Refused {nid}: {len(findings)} error(s):")
        for f in findings:
            message(f"  {f.rule}: {f.message}")
    if result.refused:
        click.get_current_context().exit(1)


@note.command(name="submit")
@click.argument("note_ids", nargs=-1, type=NOTE_ID)
@period_options
@pass_workspace
def note_submit(ws, note_ids, period):
    """Mark signed notes as submitted to the supervisor (after sending the review export).

    \b
    peerkit note submit --week last      every signed note of last week

    A denied note corrected with an addendum ('peerkit note edit') can be submitted again.
    """
    ids = list(note_ids)
    if period.given:
        ids += [n.id for n in ws.notes(period.start, period.end)
                if n.status == "signed" and n.id not in ids]
    elif not ids:
        raise click.UsageError("give note ids, or --week/--from/--to/--all to submit those signed notes")
    if not ids:
        message(f"No signed notes to submit ({period.describe()}).")
        return
    done, skipped = model.submit_notes(ws, ids)
    for nid in done:
        message(f"Submitted {nid}.")
    for nid, why in skipped:
        message(f"Skipped {nid}: {why}.")


@note.command(name="delete")
@click.argument("note_id", type=NOTE_ID)
@pass_workspace
def note_delete(ws, note_id):
    """Delete a draft that was never signed (audited); anything else is refused: void it.

    \b
    peerkit note delete N-2026-11-24-C004-1
    """
    path = model.delete_draft(ws, note_id)
    message(f"Deleted draft {note_id} ({ws.rel(path)}).")


@note.command(name="void")
@click.argument("note_id", type=NOTE_ID)
@click.option("--reason", required=True, help="Why the note is void (e.g. 'entered in error').")
@click.option("--force", is_flag=True, help="Void an approved note (check the invoice first).")
@pass_workspace
def note_void(ws, note_id, reason, force):
    """Void a note: it stays in the record, marked VOID, and is never billed."""
    n = model.void_note(ws, note_id, reason, force=force)
    message(f"Voided {n.id}.")


# ---------------------------------------------------------------------------- check / render


@note.command(name="check")
@period_options
@click.option("--client", default=None, type=CLIENT_ID, help="Only this client's notes.")
@json_option
@pass_workspace
def note_check(ws, period, client, as_json):
    """Check notes against every rule (APSM elements and billing policy); exit 1 on an error.

    Default: every date.

    JSON: [{"note", "file", "rule", "severity", "message"}].  Void notes are skipped; on a
    draft a missing element is a warning (signing turns it into an error).
    """
    from peerkit_notes.checkcache import checked_findings
    from peerkit_notes.checks import run_checks

    date_from, date_to = period.start, period.end

    def run():
        notes = [n for n in ws.notes(date_from, date_to) if client is None or n.client == client]
        found = run_checks(ws, notes, complete=None if client else (date_from, date_to))
        return (found, sum(1 for n in notes if n.status != "void"),
                sorted(n.id for n in notes if n.status == "draft"))

    findings, checked = checked_findings(ws, date_from, date_to, client, run)  # cached (issue 19)
    errors = sum(1 for f in findings if f.severity == "error")
    if as_json:
        emit_json([f.as_json() for f in findings])
    else:
        for f in findings:
            click.echo(f"{f.severity.upper():<8} {f.note}  {f.rule}: {f.message}")
        message(f"{checked} note(s) checked: {errors} error(s), {len(findings) - errors} warning(s).")
    if errors:
        click.get_current_context().exit(1)


@note.command(name="render")
@click.argument("note_id", type=NOTE_ID, required=False)
@period_options
@click.option("--format", "fmt", type=click.Choice(["md", "html", "txt", "pdf"]), default=None,
              help="md, html, txt, or pdf (the html note as a letter-size PDF; needs peerkit[pdf]; "
                   "written to <note-id>.pdf without --out).  Default: from --out's suffix, else md.")
@click.option("--template", default=None, metavar="NAME",
              help="Another template: 'short' (notes/short.<format>.j2) or a full name.")
@click.option("--out", "-o", "out", metavar="PATH", default=None,
              help="Write to this file ('-' for stdout); with a period, the folder to write to.")
@click.option("--consent", "consent_id", metavar="ID", help="The client's consent this disclosure relies on "
              "(required when [agency] part2 = true).")
@click.option("--recipient", metavar="NAME", help="Who receives it (must be listed on the consent).")
@pass_workspace
def note_render(ws, note_id, period, fmt, template, out, consent_id, recipient):
    """Render a complete APSM-style service note (md, html, txt or pdf).

    \b
    peerkit note render N-2026-11-23-C001-1 --format html --out note.html
    peerkit note render --week last --format html --out notes/   one file per note

    With --week, --from/--to or --all every note of the period except void ones is written
    to the --out folder as <note-id>.<format>; the paths go to stdout.  Templates:
    templates/notes/note.<format>.j2 -- copy one into the workspace's templates/ folder
    ('peerkit templates copy notes/note.html.j2') to change it.  The agency's
    confidentiality notice is put at the top (see docs/security.md).
    """
    from peerkit import notices
    from peerkit.output import format_for_out, out_target, write_output

    fmt = format_for_out(out, fmt, RENDER_FORMATS, default="md",
                         aliases={"htm": "html", "markdown": "md", "text": "txt"})
    if period.given:
        if note_id:
            raise click.UsageError("give a NOTE_ID or a period (--week, --from/--to, --all), not both")
        _render_to_folder(ws, period, fmt, template, out, consent_id, recipient)
        return
    if not note_id:
        raise click.UsageError("give a NOTE_ID, or a period (--week, --from/--to, --all) and --out DIR")
    target = None
    if out not in (None, "-"):  # an --out that cannot be written stops here (exit 3), before any work
        target = out_target(out, f"{note_id}.{fmt}")
        out = str(target.path)
    note = ws.note(note_id)
    consent = notices.check_consent(ws, note.client, consent_id, recipient)
    text = _rendered(ws, note, fmt, template)
    path = write_output(out, text, f"{note_id}.pdf" if fmt == "pdf" and out != "-" else None,
                        audit=lambda p: ws.audit("note render", records=[note_id], output=p or "stdout",
                                                 action=notices.audit_action(fmt, consent)))
    if target is not None:
        target.announce()
    if path is not None:
        message(f"Wrote {path}")


RENDER_FORMATS = ("md", "html", "txt", "pdf")


def _rendered(ws, note, fmt: str, template):
    """The note as text with the agency's notices, or as PDF bytes (its HTML rendering) for ``pdf``."""
    from peerkit import notices
    from peerkit_notes.render import render_note

    text_fmt = "html" if fmt == "pdf" else fmt
    text = notices.add_to_text(render_note(ws, note, fmt=text_fmt, template=template), text_fmt,
                               notices.notices_for(ws))
    if fmt != "pdf":
        return text
    from peerkit.pdf import html_to_pdf

    return html_to_pdf(text)


def _render_to_folder(ws, period, fmt, template, out, consent_id=None, recipient=None) -> None:
    """Every non-void note of ``period`` rendered into the folder ``out``."""
    from pathlib import Path

    from peerkit import notices, storage

    if not out or out == "-":
        raise click.UsageError("rendering a period needs --out DIR (a folder)")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise click.UsageError(f"--out {out}: not a folder")
    notes = sorted((n for n in ws.notes(period.start, period.end) if n.status != "void"),
                   key=lambda n: (n.date, n.start, n.id))
    consents = {c: notices.check_consent(ws, c, consent_id, recipient) for c in sorted({n.client for n in notes})}
    texts = [(n, _rendered(ws, n, fmt, template)) for n in notes]  # all or nothing
    storage.ensure_dir(folder)
    # the audit entry first: no rendered note is ever on disk without it
    consent = next((c for c in consents.values() if c is not None), None)
    ws.audit("note render", records=[n.id for n in notes], output=str(folder),
             action=notices.audit_action(fmt, consent))
    for n, text in texts:
        path = folder / f"{n.id}.{fmt}"
        if isinstance(text, bytes):
            storage.atomic_write_bytes(path, text)
        else:
            storage.atomic_write_text(path, text)
        click.echo(str(path))
    message(f"Wrote {len(notes)} note(s) to {folder} ({period.describe()}).")


# The supervisor review commands live in their own module.
from peerkit_notes.review_commands import note_export, note_import_review  # noqa: E402

note.add_command(note_export, "export")
note.add_command(note_import_review, "import-review")
