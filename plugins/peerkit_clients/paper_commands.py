"""``peerkit client doc add|list`` and ``peerkit client auth add|list|end``."""
from __future__ import annotations

import click

from peerkit.context import pass_workspace
from peerkit.options import DATE, ID, json_option
from peerkit.output import emit, message, table
from peerkit.records import DOCUMENT_KINDS
from peerkit_clients import papers


@click.group()
def doc():
    """Documents a service needs: service order, assessment, plan, consents.

    \b
    peerkit client doc add C001 --kind service-order --signed 2026-08-28 --signer "Dr. Example, MD"
    peerkit client doc add C001 --kind person-centered-plan --signed 2026-09-01 --signer "..." --expires 2027-08-31
    peerkit client doc add C001 --kind consent --signed 2026-09-01 --signer "Sam Example" \\
        --expires 2027-09-01 --recipient "Example Peer Services supervisor"
    peerkit client doc list [C001] [--json]
    """


@doc.command(name="add")
@click.argument("client_id", type=ID)
@click.option("--kind", type=click.Choice(DOCUMENT_KINDS), required=True)
@click.option("--signed", type=DATE, required=True, help="Date signed.")
@click.option("--signer", required=True, help="Who signed it (name and credential).")
@click.option("--expires", type=DATE, help="Last day it is in force (optional).")
@click.option("--review-due", type=DATE, help="Plan review date (default signed + [clients] plan_review_months).")
@click.option("--recipient", "recipients", multiple=True,
              help="Who may receive the records (consents and releases; repeat for several).")
@click.option("--id", "doc_id", type=ID, help="Document id (default D1, D2...).")
@pass_workspace
def doc_add(ws, client_id, kind, signed, signer, expires, review_due, recipients, doc_id):
    """Record a document signed for a client."""
    new_id = papers.add_document(ws, client_id, {"id": doc_id, "kind": kind, "signed": signed,
                                                 "signer": signer, "expires": expires,
                                                 "review_due": review_due, "recipients": recipients})
    message(f"Added document {new_id} ({kind}) to client {client_id}.")


@doc.command(name="list")
@click.argument("client_id", type=ID, required=False)
@json_option
@pass_workspace
def doc_list(ws, client_id, as_json):
    """List the documents of one client (or of every client)."""
    clients = [ws.client(client_id)] if client_id else list(ws.clients().values())
    rows = [(c.id, d) for c in clients for d in sorted(c.documents, key=lambda d: (d.signed, d.id))]
    emit(as_json, [{"client": cid, **d.to_dict()} for cid, d in rows], lambda: table(
        [(cid, d.id, d.kind, d.signed, d.expires or "", d.signer, "; ".join(d.recipients)) for cid, d in rows],
        ["client", "id", "kind", "signed", "expires", "signer", "recipients"]))


@click.group()
def auth():
    """Authorizations: units of a service approved for a period.

    \b
    peerkit client auth add C001 --code H0038 --units 240 --start 2026-09-01 --end 2027-02-28 \\
        --hours-per-week 5 --number PA-1001 [--units-used-before 40]
    peerkit client auth list [C001] [--json]
    peerkit client auth end C001 PA-1001 --date 2026-12-31
    """


@auth.command(name="add")
@click.argument("client_id", type=ID)
@click.option("--code", required=True, help="Service code (H0038).")
@click.option("--modifier", default="", help='Modifier ("" individual, HQ group).')
@click.option("--units", type=click.IntRange(0), required=True, help="Units authorized.")
@click.option("--start", type=DATE, required=True)
@click.option("--end", type=DATE, required=True)
@click.option("--hours-per-week", type=click.FloatRange(0), default=0.0)
@click.option("--number", default="", help="The authorization number from the payer.")
@click.option("--units-used-before", type=click.IntRange(0), default=0,
              help="Units already used before peerkit (an opening balance).")
@pass_workspace
def auth_add(ws, client_id, code, modifier, units, start, end, hours_per_week, number, units_used_before):
    """Add an authorization to a client."""
    data = {"code": code, "modifier": modifier, "number": number, "units": units, "start": start,
            "end": end, "hours_per_week": hours_per_week}
    if units_used_before:
        data["units_used_before"] = units_used_before
    pos = papers.add_authorization(ws, client_id, data)
    message(f"Added authorization {number or '#' + str(pos)} to client {client_id}.")


@auth.command(name="list")
@click.argument("client_id", type=ID, required=False)
@json_option
@pass_workspace
def auth_list(ws, client_id, as_json):
    """List authorizations (position, number, code, units, period, opening balance)."""
    clients = [ws.client(client_id)] if client_id else list(ws.clients().values())
    rows = [(c.id, i + 1, a) for c in clients for i, a in enumerate(c.authorizations)]
    emit(as_json, [{"client": cid, "position": pos, "number": a.number, "code": a.code,
                    "modifier": a.modifier, "units": a.units, "start": a.start, "end": a.end,
                    "hours_per_week": a.hours_per_week, "units_used_before": a.units_used_before}
                   for cid, pos, a in rows],
         lambda: table([(cid, pos, a.number, a.code + (f" {a.modifier}" if a.modifier else ""), a.units,
                         a.start, a.end, a.units_used_before) for cid, pos, a in rows],
                       ["client", "#", "number", "code", "units", "start", "end", "used before"]))


@auth.command(name="end")
@click.argument("client_id", type=ID)
@click.argument("authorization")
@click.option("--date", "day", type=DATE, default="today", show_default=True, help="New last day.")
@pass_workspace
def auth_end(ws, client_id, authorization, day):
    """End an authorization early (AUTHORIZATION: its number or its # in 'auth list')."""
    papers.end_authorization(ws, client_id, authorization, day)
    message(f"Authorization {authorization} of client {client_id} now ends on {day.isoformat()}.")
