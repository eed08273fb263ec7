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
