# mypy: disable-error-code="empty-body"
"""The hook the WRAP plugin publishes: other plugins add export formats (pdf, docx...).

Added by peerkit's loader through the ``peerkit.hookspecs`` entry point ``wrap`` (see
:mod:`peerkit.plugins`); documented in docs/wrap.md ("Hooks").  The failure policies are those
of :mod:`peerkit.hookspecs`.  (Specifications have no body: mypy's empty-body check is off in
this file.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from peerkit.hookspecs import STOP, Contract, hookspec

CONTRACTS = {
    "wrap_formats": Contract(STOP, dict, "callable"),
}


@hookspec
def wrap_formats() -> dict[str, Callable[..., Any]]:
    """Named formats for ``peerkit wrap export --format NAME`` (for instance pdf or docx).

    :return: a dict ``{name: callable}``; the callable is
        ``render(plan, workspace) -> bytes | str | openpyxl.Workbook``, ``plan`` a
        :class:`peerkit_wrap.model.Plan`.

    Failure policy: ``stop``.
    """
