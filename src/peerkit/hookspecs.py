"""The hook specifications: the public contract between peerkit and every plugin.

Built-in features and agency plugins implement the same hooks.  An implementation may
accept fewer arguments than the specification names (pluggy's opt-in arguments), so new
arguments can be added without breaking plugins.  Results never depend on registration
order: peerkit sorts what it collects by name.

Every hook is called through one dispatcher, :meth:`peerkit.plugins.Plugins.call`, which
calls each plugin's implementation on its own and applies the hook's *failure policy*
(``CONTRACTS`` below; each docstring says which):

``stop``
    The first plugin that fails stops the command (a missing check, format or invoice line
    would make the result wrong).
``collect``
    The failure is reported, the other plugins' results are kept, and the command ends
    with a non-zero exit code (3) after showing what it could.
``disable``
    The plugin is treated as one that failed to load: skipped, named in ``peerkit
    plugins``, and commands that sign, invoice or import refuse to run until it is fixed
    or disabled.

A plugin "fails" when it raises or returns a result of the wrong type.  A
:class:`peerkit.errors.PeerkitError` (``DataError``...) is shown as the one-line message it
carries, with its exit code; any other exception is shown as the plugin's name and the
exception's type only (its text may hold protected information).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pluggy

F = TypeVar("F", bound=Callable[..., Any])

hookspec = pluggy.HookspecMarker("peerkit")
hookimpl = pluggy.HookimplMarker("peerkit")

STOP, COLLECT, DISABLE = "stop", "collect", "disable"


@dataclass(frozen=True)
class Contract:
    """What a hook returns and what happens when a plugin fails in it.

    ``returns``: ``list``, ``dict``, ``None`` (nothing) or ``object`` (not checked); ``item``: the name of a check in
    :mod:`peerkit.plugins` (``"alert"``, ``"note_check"``, ``"text"``, ``"path"``,
    ``"callable"``) that every list item or dict value must pass, or ``None``.
    """

    policy: str
    returns: type[Any] | None  # type[Any]: isinstance() against it keeps the result Any
    item: str | None = None


CONTRACTS: dict[str, Contract] = {
    "register_commands": Contract(DISABLE, None),
    "template_dirs": Contract(STOP, list, "path"),
    "note_checks": Contract(STOP, list, "note_check"),
    "alerts": Contract(COLLECT, list, "alert"),
    "note_exporters": Contract(STOP, dict, "callable"),
    "invoice_formats": Contract(STOP, dict, "callable"),
    "invoice_adjust": Contract(STOP, None),
    "resource_importers": Contract(STOP, dict),
    "resource_exporters": Contract(STOP, dict),
    "wrap_formats": Contract(STOP, dict, "callable"),
    "doctor_checks": Contract(COLLECT, list, "text"),
    "review_sheets": Contract(STOP, list),
    "audit_checks": Contract(COLLECT, list, "text"),
    "review_recorded": Contract(COLLECT, None),
}


@hookspec
def register_commands(cli):
    """Add click commands or groups to the ``peerkit`` command line.

    :param cli: a ``click.Group``; call ``cli.add_command(cmd)`` or use ``@cli.command()``.
    :return: nothing.

    Called once, when the command line is first listed or a command is looked up.  Two
    plugins adding the same command name is an error that names both plugins.  Keep the
    module light: import heavy libraries (openpyxl, jinja2, keyring) inside the command.

    Failure policy: ``disable`` -- a plugin that raises here is treated as one that failed to
    load (commands that sign, invoice or import then refuse to run).
    """


@hookspec
def template_dirs():
    """Folders of Jinja2 templates this plugin ships.

    :return: a list of ``pathlib.Path`` (or str) folders.

    Templates are looked up in the workspace's ``templates/`` first, then in the folders
    plugins return here (sorted by plugin name), then in peerkit's defaults.

    Failure policy: ``stop`` -- rendering with another template than the plugin's would be
    wrong, so the command stops.
    """


@hookspec
def note_checks():
    """Rules every service note must pass (``peerkit note check``, ``note sign``).

    :return: a list of :class:`peerkit.checks.NoteCheck`.

    Each check has a unique ``name``, a ``severity`` (``"error"`` or ``"warning"``) and a
    function ``check(note, ctx)`` returning ``None`` when the note passes, or a message
    (or a list of messages) that says how to fix it.  ``ctx`` is a
    :class:`peerkit.checks.CheckContext`.  Two plugins using one check name is an error.

    Failure policy: ``stop`` -- notes are never checked or signed without a plugin's rules.
    A check function that raises while checking a note is reported as a finding of the
    check's own severity (an ``error`` check that fails blocks ``note sign``).
    """


@hookspec
def alerts(workspace, today):
    """Things needing attention, collected by ``peerkit status``.

    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :param today: a ``datetime.date`` (``--as-of``).
    :return: a list of :class:`peerkit.alerts.Alert`.

    Failure policy: ``collect`` -- ``status`` shows every alert the other plugins gave,
    then the failure, and exits 3 (never "Nothing needs attention").  Raise a
    ``DataError`` for data you cannot read; to report one unreadable file and still give
    the alerts of the others, put its ``DataError`` in the returned list.
    """


@hookspec
def audit_checks(workspace, entries):
    """Extra consistency checks for ``peerkit audit verify`` (records the log says exist).

    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :param entries: the audit log's entries as ``[(line_number, dict)]`` (unreadable lines
        left out; ``verify`` reports them).
    :return: a list of problem strings (file paths, record ids and field names only).

    Failure policy: ``collect`` -- a check that fails to run is reported and ``audit verify``
    exits non-zero: the log is never called intact unchecked.
    """


@hookspec
def note_exporters():
    """Named formats for ``peerkit note export --format NAME``.

    :return: a dict ``{name: callable}``; the callable is
        ``export(rows, out_path, *, options) -> None`` where ``rows`` is an iterable of
        :class:`peerkit.records.Note` paired with their workspace (see docs/plugins.md).

    Failure policy: ``stop``.
    """


@hookspec
def invoice_formats():
    """Named formats for ``peerkit invoice --format NAME``.

    :return: a dict ``{name: callable}``; the callable is
        ``render(invoice, workspace) -> bytes | str``.

    Failure policy: ``stop`` -- no invoice is rendered in a format guessed without it.
    """


@hookspec
def invoice_adjust(invoice, workspace):
    """Add lines (mileage, flat fees) or apply agency rules to an invoice before rendering.

    :param invoice: the invoice being built (a mutable object with ``lines`` and
        ``add_line(...)``; see docs/plugins.md).
    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :return: nothing; change ``invoice`` in place.

    Failure policy: ``stop`` -- no invoice is issued without a plugin's lines.
    """


@hookspec
def resource_importers():
    """Named importers for ``peerkit resources import``.

    :return: a dict ``{name: importer}``; see docs/plugins.md for the importer protocol.

    Failure policy: ``stop``.
    """


@hookspec
def resource_exporters():
    """Named exporters for ``peerkit resources export --format NAME``.

    :return: a dict ``{name: exporter}``; see docs/plugins.md for the exporter protocol.

    Failure policy: ``stop``.
    """


@hookspec
def wrap_formats():
    """Named formats for ``peerkit wrap export --format NAME`` (for instance pdf or docx).

    :return: a dict ``{name: callable}``; the callable is
        ``render(plan, workspace) -> bytes | str``.

    Failure policy: ``stop``.
    """


@hookspec
def doctor_checks(workspace):
    """Extra health checks for ``peerkit doctor``.

    :param workspace: the :class:`peerkit.workspace.Workspace`, or ``None`` outside one.
    :return: a list of warning strings (file paths and field names only).

    Failure policy: ``collect`` -- the failure is reported and ``doctor`` exits 3.
    """


@hookspec
def review_sheets(workspace, start, end):
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
def review_recorded(workspace, reviewer, notes):
    """Called by ``peerkit note import-review`` after it recorded decisions in a workspace.

    :param workspace: the :class:`peerkit.workspace.Workspace` whose notes were decided.
    :param reviewer: the reviewer's name (as written into the notes' ``[review]``).
    :param notes: the ids of the notes whose decision was recorded.
    :return: nothing.  The sync plugin commits the decisions, with the reviewer as author,
        in a clone of an agency folder (docs/agency.md).

    Failure policy: ``collect`` -- the decisions are already recorded and stay; a plugin that
    fails here is reported and the command exits 3.
    """
