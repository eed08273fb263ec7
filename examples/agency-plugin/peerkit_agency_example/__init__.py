"""Example agency plugin: a house rule for notes, a command, and mileage on invoices.

Install it with ``pip install examples/agency-plugin`` and it appears in ``peerkit plugins``.
"""
from __future__ import annotations

import click

from peerkit import hookimpl
from peerkit.checks import NoteCheck

__version__ = "0.1.0"

MIN_RESPONSE_WORDS = 5


def _response_has_substance(note, ctx):
    """House rule: the person's response is described in at least five words."""
    if note.status in ("draft", "void"):
        return None
    words = len(note.response.split())
    if words < MIN_RESPONSE_WORDS:
        return (f"the response has {words} word(s); describe how the person responded in at least "
                f"{MIN_RESPONSE_WORDS} words (agency rule)")
    return None


@hookimpl
def note_checks():
    return [NoteCheck("agency-response-detail", "warning", _response_has_substance,
                      "The response is described in at least five words.")]


@click.command(name="agency-hello")
def agency_hello():
    """Say hello from the example agency plugin (shows that plugin commands work)."""
    click.echo("Hello from Example Peer Services' in-house plugin.")


@hookimpl
def register_commands(cli):
    cli.add_command(agency_hello)


# ---------------------------------------------------------------------------- mileage

MILEAGE_FILE = "mileage.toml"


@hookimpl
def invoice_adjust(invoice, workspace):
    """Mileage: one invoice line per trip in ``mileage.toml`` dated in the invoice period.

    ``mileage.toml`` holds ``[[trip]]`` tables (``date``, ``miles``, ``purpose`` -- no names
    or other PHI -- and an optional ``client`` id); the per-mile rate is
    ``[agency_example] mileage_rate = "0.70"`` in peerkit.toml.  No log, no lines.
    """
    import datetime as dt
    from decimal import Decimal, InvalidOperation

    from peerkit import storage
    from peerkit.validate import Fields

    path = workspace.path(MILEAGE_FILE)
    if not path.is_file():
        return
    settings = Fields(workspace.section("agency_example"), workspace.path("peerkit.toml"),
                      "agency_example.")
    rate = settings.money("mileage_rate")
    log = Fields(storage.read_toml(path), path)
    for trip in log.table_list("trip"):
        day = trip.req("date", dt.date)
        if not (invoice.start <= day <= invoice.end):
            continue
        raw = trip.req("miles", (int, float, str))
        try:
            miles = Decimal(str(raw))
        except InvalidOperation:
            trip.fail("miles", "expected a number of miles like 12.5")
        if not miles.is_finite() or miles <= 0:
            trip.fail("miles", "must be a positive number of miles")
        purpose = trip.req("purpose", str).strip()
        client = trip.opt("client", str, "")
        invoice.add_line(description=f"Mileage: {purpose}" if purpose else "Mileage",
                         quantity=miles, rate=rate, kind="mileage", date=day, client=client)
