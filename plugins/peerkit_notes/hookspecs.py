# mypy: disable-error-code="empty-body"
"""The hooks the notes plugin publishes: note export formats and the supervisor's review.

Added by peerkit's loader through the ``peerkit.hookspecs`` entry point ``notes`` (see
:mod:`peerkit.plugins`); documented in docs/notes.md ("Hooks").  The failure policies are those
of :mod:`peerkit.hookspecs`.  (Specifications have no body: mypy's empty-body check is off in
this file.)
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from peerkit.hookspecs import COLLECT, STOP, Contract, hookspec

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace

CONTRACTS = {
    "note_exporters": Contract(STOP, dict, "callable"),
    "review_sheets": Contract(STOP, list),
    "review_recorded": Contract(COLLECT, None),
}


@hookspec
def note_exporters() -> dict[str, Callable[..., Any]]:
    """Named formats for ``peerkit note export --format NAME``.

    :return: a dict ``{name: callable}``; the callable is
        ``export(rows, out_path, *, options) -> None`` where ``rows`` is an iterable of
        :class:`peerkit.records.Note` paired with their workspace (see docs/review.md).

    Failure policy: ``stop``.
    """


@hookspec
def review_sheets(workspace: Workspace, start: dt.date | None, end: dt.date | None) -> list[dict[str, Any]]:
    """Extra sheets for the supervisor's review workbook (``peerkit note export``).

    :param workspace: the :class:`peerkit.workspace.Workspace` being exported.
    :param start: first day (a ``datetime.date``) or None.
    :param end: last day (a ``datetime.date``) or None.
    :return: a list of ``{"title": str, "headers": [str, ...], "rows": [[value, ...], ...]}``;
        values are text, numbers, dates or times.  The rows of every exported workspace are
        gathered on one sheet per title, after a "Workspace" column.  Not called for
        de-identified exports (the rows may name clients).

    Failure policy: ``stop`` -- a workbook is never sent for review without a plugin's sheet.
    """


@hookspec
def review_recorded(workspace: Workspace, reviewer: str, notes: list[str]) -> None:
    """Called by ``peerkit note import-review`` after it recorded decisions in a workspace.

    :param workspace: the :class:`peerkit.workspace.Workspace` whose notes were decided.
    :param reviewer: the reviewer's name (as written into the notes' ``[review]``).
    :param notes: the ids of the notes whose decision was recorded.
    :return: nothing.  The sync plugin commits the decisions, with the reviewer as author,
        in a clone of an agency folder (docs/agency.md).

    Failure policy: ``collect`` -- the decisions are already recorded and stay; a plugin that
    fails here is reported and the command exits 3.
    """
