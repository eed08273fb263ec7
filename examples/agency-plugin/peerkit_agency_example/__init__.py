"""Example agency plugin: a house rule for notes, a command, and a flat monthly fee on invoices.

Install it with ``pip install examples/agency-plugin`` and it appears in ``peerkit plugins``.
"""
from __future__ import annotations

import click

from peerkit import hookimpl
from peerkit.checks import NoteCheck

__version__ = "0.1.0"

MIN_RESPONSE_WORDS = 10   # stricter than peerkit's own [notes] min_words (5)


def _response_has_substance(note, ctx):
    """House rule: the person's response is described in at least ten words."""
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
                      "The response is described in at least ten words.")]


@click.command(name="agency-hello")
def agency_hello():
    """Say hello from the example agency plugin (shows that plugin commands work)."""
    click.echo("Hello from Example Peer Services' in-house plugin.")


@hookimpl
def register_commands(cli):
    cli.add_command(agency_hello)


# ---------------------------------------------------------------------------- monthly fee


def first_of_month_in(start, end):
    """The first day of a month that falls in ``start``..``end``, or None."""
    import datetime as dt

    day = dt.date(start.year, start.month, 1)
    if day < start:
        day = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return day if day <= end else None


@hookimpl
def invoice_adjust(invoice, workspace):
    """A flat monthly fee: one ``fee`` line on the invoice whose period holds the first day
    of a month, at ``[agency_example] monthly_fee = "25.00"`` (not set: no line).

    (Mileage is built in: ``peerkit trip`` and ``[billing] mileage_rate``.)
    """
    from peerkit.validate import Fields

    settings = Fields(workspace.section("agency_example"), workspace.path("peerkit.toml"),
                      "agency_example.")
    fee = settings.money("monthly_fee", required=False)
    day = first_of_month_in(invoice.start, invoice.end)
    if fee is None or day is None:
        return
    invoice.add_line(description=f"Monthly program fee ({day:%B %Y})", amount=fee, kind="fee", date=day)
