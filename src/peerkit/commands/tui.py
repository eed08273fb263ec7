"""peerkit tui: the forms of peerkit.tui (optional extra peerkit[tui])."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from peerkit.context import pass_workspace

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace


@click.command()
@pass_workspace
def tui(ws: Workspace) -> None:
    """Forms for people who do not live in a shell: add a note, sign, the week's invoice.

    Needs the optional extra: pip install 'peerkit[tui]'.  Each form runs the matching
    peerkit command on this workspace and shows its messages; Ctrl+Q quits.
    """
    from peerkit.errors import EXIT_SECRET, PeerkitError, UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("peerkit tui needs a terminal (stdin and stdout); in scripts use the "
                         "commands themselves")
    try:
        from peerkit.tui import PeerkitTui
    except ImportError:
        raise PeerkitError("peerkit tui needs the optional extra: pip install 'peerkit[tui]'",
                           exit_code=EXIT_SECRET) from None
    PeerkitTui(ws.root).run()
