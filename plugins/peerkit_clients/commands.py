"""``peerkit client``: add, list, show, edit and discharge the people served."""
from __future__ import annotations

import sys

import click

from peerkit.context import pass_workspace
from peerkit.options import CLIENT_ID, DATE, ID, json_option
from peerkit.output import emit, emit_json, message, table
from peerkit_clients import model


@click.group()
def client():
    """The people you serve: identity, authorizations and plan goals."""


@client.command(name="add")
@click.argument("client_id", required=False, type=CLIENT_ID)
@click.option("--name", help="Full name.")
@click.option("--record-number", default="", help="Service record number.")
@click.option("--medicaid-id", default="", help="Medicaid ID.")
@click.option("--admitted", type=DATE, default=None, help="Admission date.")
@click.option("--from", "source", metavar="FILE", help="Read client(s) from a TOML/JSON file, or - for stdin.")
@pass_workspace
def client_add(ws, client_id, name, record_number, medicaid_id, admitted, source):
    """Add a client from flags, or from a TOML/JSON file (--from FILE, --from - for stdin).

    \b
    peerkit client add C005 --name "Alex Sample" --admitted 2026-11-01
    peerkit client add --from clients.json
    """
    if source:
        if client_id or name:
            raise click.UsageError("give either --from or CLIENT_ID/--name, not both")
        added = model.add_from_source(ws, source)
    else:
        if not client_id or not name:
            raise click.UsageError("CLIENT_ID and --name are required (or use --from FILE)")
        data = {"id": client_id, "name": name, "record_number": record_number,
                "medicaid_id": medicaid_id, "status": "active", "admitted": admitted}
        added = model.add_clients(ws, [data], "command line")
    message(f"Added {len(added)} client(s): {', '.join(added)}")


@client.command(name="list")
@click.option("--status", type=click.Choice(["active", "discharged", "all"]), default="active",
              show_default=True)
@json_option
@pass_workspace
def client_list(ws, status, as_json):
    """List clients (active by default)."""
    items = [c for c in ws.clients().values() if status == "all" or c.status == status]
    emit(as_json, [model.client_json(c) for c in items], lambda: table(
        [(c.id, c.name, c.status, c.admitted, len([g for g in c.goals if g.status == "active"]),
          len(c.authorizations)) for c in items],
        ["id", "name", "status", "admitted", "goals", "auths"]))


@client.command(name="show")
@click.argument("client_id", type=CLIENT_ID)
@json_option
@pass_workspace
def client_show(ws, client_id, as_json):
    """Show one client with authorizations, plan and goals."""
    c = ws.client(client_id)
    emit(as_json, model.client_json(c), lambda: model.client_text(c))


@client.command(name="edit")
@click.argument("client_id", type=CLIENT_ID)
@click.option("--name")
@click.option("--record-number")
@click.option("--medicaid-id")
@click.option("--admitted", type=DATE)
@click.option("--add-goal", "add_goals", multiple=True, metavar="ID:TEXT", help="Add a plan goal.")
@click.option("--started", type=DATE, default=None,
              help="Date the added goals started (default today, honouring PEERKIT_TODAY).")
@click.option("--goal-status", "goal_status", multiple=True, metavar="ID:STATUS",
              help="Set a goal's status (active, met, dropped).")
@pass_workspace
def client_edit(ws, client_id, name, record_number, medicaid_id, admitted, add_goals, started, goal_status):
    """Change a client with flags, or open the record in $EDITOR when no flag is given.

    The record keeps its comments and layout; an invalid edit leaves the file as it was.
    """
    changes = {k: v for k, v in (("name", name), ("record_number", record_number),
                                 ("medicaid_id", medicaid_id), ("admitted", admitted)) if v is not None}
    if not changes and not add_goals and not goal_status:
        if not sys.stdin.isatty():
            raise click.UsageError("give a flag to change (see --help); $EDITOR needs a terminal")
        changed = model.edit_interactively(ws, client_id)
        message("Saved." if changed else "No change.")
        return
    if started is not None and not add_goals:
        raise click.UsageError("--started goes with --add-goal")
    model.edit_client(ws, client_id, changes, add_goals, goal_status, started=started)
    message(f"Updated client {client_id}.")


@client.command(name="discharge")
@click.argument("client_id", type=CLIENT_ID)
@click.option("--date", "day", type=DATE, default="today", show_default=True, help="Discharge date.")
@pass_workspace
def client_discharge(ws, client_id, day):
    """Mark a client discharged on a date (notes after it fail 'client active')."""
    model.discharge(ws, client_id, day)
    message(f"Discharged client {client_id} on {day.isoformat()}.")


@client.command(name="progress")
@click.argument("client_id", type=ID)
@json_option
@pass_workspace
def client_progress(ws, client_id, as_json):
    """Each goal's notes and progress ratings over time."""
    from peerkit_clients.progress import goal_progress, progress_text

    goals = goal_progress(ws, client_id)
    if as_json:
        emit_json(goals)
    else:
        click.echo(progress_text(client_id, goals))


from peerkit_clients.paper_commands import auth, doc  # noqa: E402 - subgroups of 'client'

client.add_command(doc)
client.add_command(auth)
