"""peerkit: a plugin-based toolkit for certified peer support specialists.

The public API for plugin authors is kept small and cheap to import:
``hookimpl`` to mark hook implementations, and the modules ``peerkit.errors``,
``peerkit.workspace``, ``peerkit.records``, ``peerkit.storage``, ``peerkit.units``,
``peerkit.dates``, ``peerkit.money``, ``peerkit.output``, ``peerkit.excel``,
``peerkit.templating``, ``peerkit.secrets`` and ``peerkit.alerts``.
"""
from peerkit.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]
