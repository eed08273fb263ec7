# mypy: disable-error-code="empty-body"
"""The hooks the resources plugin publishes: other plugins add import and export formats.

Added by peerkit's loader through the ``peerkit.hookspecs`` entry point ``resources`` (see
:mod:`peerkit.plugins`); documented in docs/resources.md ("Hooks").  The failure policies are
those of :mod:`peerkit.hookspecs`.  (Specifications have no body: mypy's empty-body check is off
in this file.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from peerkit.hookspecs import STOP, Contract, hookspec

if TYPE_CHECKING:  # pragma: no cover
    from peerkit_resources.formats import Exporter, Importer

CONTRACTS = {
    "resource_importers": Contract(STOP, dict),
    "resource_exporters": Contract(STOP, dict),
}


@hookspec
def resource_importers() -> dict[str, Importer]:
    """Named importers for ``peerkit resources import``.

    :return: a dict ``{name: importer}``, each a :class:`peerkit_resources.formats.Importer`
        (``read(path)``, ``detect(path)``, ``description``); see docs/resources.md.

    Failure policy: ``stop``.
    """


@hookspec
def resource_exporters() -> dict[str, Exporter]:
    """Named exporters for ``peerkit resources export --format NAME``.

    :return: a dict ``{name: exporter}``, each a :class:`peerkit_resources.formats.Exporter`
        (``export(rows, out)``, ``default_name``, ``description``); see docs/resources.md.

    Failure policy: ``stop``.
    """
