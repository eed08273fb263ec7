"""peerkit reindex: rebuild the caches that make reading notes fast."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from peerkit.context import pass_workspace
from peerkit.output import message

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace


@click.command()
@pass_workspace
def reindex(ws: Workspace) -> None:
    """Rebuild the note caches (always safe; peerkit keeps them current itself).

    The client cache is rebuilt too.

    Useful after notes were written by another program or copied in from elsewhere: until
    then peerkit reads those files directly, which is correct but slower.
    """
    from peerkit.dates import month_dirs
    from peerkit.output import progress
    from peerkit.records import refresh_client_cache, refresh_note_cache

    with ws.lock():
        months = month_dirs(ws.path("notes"))
        with progress(months, label="Reindexing months") as bar:
            for folder in bar:
                refresh_note_cache(folder)
        refresh_client_cache(ws.path("clients"))
    message(f"Rebuilt the note cache of {len(months)} month folder(s) and the client cache.")

