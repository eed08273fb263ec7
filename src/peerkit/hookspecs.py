"""The hook specifications: the public contract between peerkit and every plugin.

Built-in features and agency plugins implement the same hooks.  An implementation may
accept fewer arguments than the specification names (pluggy's opt-in arguments), so new
arguments can be added without breaking plugins.  Results never depend on registration
order: peerkit sorts what it collects by name.  peerkit calls each plugin's implementation
on its own, so a plugin that raises is reported by name and the others still run.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import pluggy

F = TypeVar("F", bound=Callable[..., Any])

hookspec = pluggy.HookspecMarker("peerkit")
hookimpl: Callable[..., Any] = pluggy.HookimplMarker("peerkit")


@hookspec
def register_commands(cli):
    """Add click commands or groups to the ``peerkit`` command line.

    :param cli: a ``click.Group``; call ``cli.add_command(cmd)`` or use ``@cli.command()``.
    :return: nothing.

    Called once, when the command line is first listed or a command is looked up.  Two
    plugins adding the same command name is an error that names both plugins.  Keep the
    module light: import heavy libraries (openpyxl, jinja2, keyring) inside the command.
    """


@hookspec
def template_dirs():
    """Folders of Jinja2 templates this plugin ships.

    :return: a list of ``pathlib.Path`` (or str) folders.

    Templates are looked up in the workspace's ``templates/`` first, then in the folders
    plugins return here (sorted by plugin name), then in peerkit's defaults.
    """


@hookspec
def note_checks():
    """Rules every service note must pass (``peerkit note check``, ``note sign``).

    :return: a list of :class:`peerkit.checks.NoteCheck`.

    Each check has a unique ``name``, a ``severity`` (``"error"`` or ``"warning"``) and a
    function ``check(note, ctx)`` returning ``None`` when the note passes, or a message
    (or a list of messages) that says how to fix it.  ``ctx`` is a
    :class:`peerkit.checks.CheckContext`.  Two plugins using one check name is an error.
    """


@hookspec
def alerts(workspace, today):
    """Things needing attention, collected by ``peerkit status``.

    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :param today: a ``datetime.date`` (``--as-of``).
    :return: a list of :class:`peerkit.alerts.Alert`.
    """


@hookspec
def audit_checks(workspace, entries):
    """Extra consistency checks for ``peerkit audit verify`` (records the log says exist).

    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :param entries: the audit log's entries as ``[(line_number, dict)]`` (unreadable lines
        left out; ``verify`` reports them).
    :return: a list of problem strings (file paths, record ids and field names only).
    """


@hookspec
def note_exporters():
    """Named formats for ``peerkit note export --format NAME``.

    :return: a dict ``{name: callable}``; the callable is
        ``export(rows, out_path, *, options) -> None`` where ``rows`` is an iterable of
        :class:`peerkit.records.Note` paired with their workspace (see docs/plugins.md).
    """


@hookspec
def invoice_formats():
    """Named formats for ``peerkit invoice --format NAME``.

    :return: a dict ``{name: callable}``; the callable is
        ``render(invoice, workspace) -> bytes | str``.
    """


@hookspec
def invoice_adjust(invoice, workspace):
    """Add lines (mileage, flat fees) or apply agency rules to an invoice before rendering.

    :param invoice: the invoice being built (a mutable object with ``lines`` and
        ``add_line(...)``; see docs/plugins.md).
    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :return: nothing; change ``invoice`` in place.
    """


@hookspec
def resource_importers():
    """Named importers for ``peerkit resources import``.

    :return: a dict ``{name: importer}``; see docs/plugins.md for the importer protocol.
    """


@hookspec
def resource_exporters():
    """Named exporters for ``peerkit resources export --format NAME``.

    :return: a dict ``{name: exporter}``; see docs/plugins.md for the exporter protocol.
    """


@hookspec
def wrap_formats():
    """Named formats for ``peerkit wrap export --format NAME`` (for instance pdf or docx).

    :return: a dict ``{name: callable}``; the callable is
        ``render(plan, workspace) -> bytes | str``.
    """


@hookspec
def doctor_checks(workspace):
    """Extra health checks for ``peerkit doctor``.

    :param workspace: the :class:`peerkit.workspace.Workspace`, or ``None`` outside one.
    :return: a list of warning strings (file paths and field names only).
    """


@hookspec
def review_sheets(workspace, start, end):
    """Extra sheets for the supervisor's review workbook (``peerkit note export``).

    :param workspace: the :class:`peerkit.workspace.Workspace` being exported.
    :param start: first day (a ``datetime.date``) or None; ``end``: last day or None.
    :return: a list of ``{"title": str, "headers": [str, ...], "rows": [[value, ...], ...]}``;
        values are text, numbers, dates or times.  The rows of every exported workspace are
        gathered on one sheet per title, after a "Workspace" column.  Not called for
        de-identified exports (the rows may name clients).
    """
