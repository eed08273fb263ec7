# mypy: disable-error-code="empty-body"
"""The hooks the invoice plugin publishes: other plugins add invoice formats and lines.

Added by peerkit's loader through the ``peerkit.hookspecs`` entry point ``invoice`` (see
:mod:`peerkit.plugins`); documented in docs/invoice.md ("Hooks").  The failure policies are
those of :mod:`peerkit.hookspecs`.  (Specifications have no body: mypy's empty-body check is off
in this file.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from peerkit.hookspecs import STOP, Contract, hookspec

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace
    from peerkit_invoice.model import Invoice

CONTRACTS = {
    "invoice_formats": Contract(STOP, dict, "callable"),
    "invoice_adjust": Contract(STOP, None),
}


@hookspec
def invoice_formats() -> dict[str, Callable[..., Any]]:
    """Named formats for ``peerkit invoice --format NAME``.

    :return: a dict ``{name: callable}``; the callable is
        ``render(invoice, workspace) -> bytes | str``, ``invoice`` a
        :class:`peerkit_invoice.model.Invoice`.  A render that returns bytes sets
        ``render.binary = True``: it is written to ``<number>.<format>``, never to stdout.

    Failure policy: ``stop`` -- no invoice is rendered in a format guessed without it.
    """


@hookspec
def invoice_adjust(invoice: Invoice, workspace: Workspace) -> None:
    """Add lines (mileage, flat fees) or apply agency rules to an invoice before rendering.

    :param invoice: the :class:`peerkit_invoice.model.Invoice` being built (``lines`` and
        ``add_line(...)``; see docs/api.md).
    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :return: nothing; change ``invoice`` in place.

    Failure policy: ``stop`` -- no invoice is issued without a plugin's lines.
    """
