"""peerkit reindex: rebuild the caches that make reading notes fast."""
from __future__ import annotations

import click

from peerkit.context import pass_workspace
from peerkit.output import message


@click.command()
@pass_workspace
def reindex(ws):
    """Rebuild the note caches (always safe; peerkit keeps them current itself).

    The client cache is rebuilt too.

    Useful after notes were written by another program or copied in from elsewhere: until
    then peerkit reads those files directly, which is correct but slower.
    """
    from peerkit.notecache import refresh_all, refresh_clients

    with ws.lock():
        n = refresh_all(ws.path("notes"))
        refresh_clients(ws.path("clients"))
    message(f"Rebuilt the note cache of {n} month folder(s) and the client cache.")
