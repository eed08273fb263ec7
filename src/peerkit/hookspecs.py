# mypy: disable-error-code="empty-body"
"""The core hook specifications: the public contract between peerkit and every plugin.

Only the hooks every feature needs live here: commands, templates, note checks, alerts,
doctor and audit checks, and the defaults ``peerkit init`` writes.  A feature plugin that
others extend publishes its own hooks in its own ``hookspecs`` module, with a ``CONTRACTS``
dict like the one below, named in the ``peerkit.hookspecs`` entry-point group (the invoice
plugin's ``invoice_formats`` and ``invoice_adjust``: ``peerkit_invoice.hookspecs``); see
:mod:`peerkit.plugins`.  The core never names a plugin's types.

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

(Specifications have no body: mypy's empty-body check is off in this file.)
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click

    from peerkit.alerts import Alert
    from peerkit.checks import NoteCheck
    from peerkit.errors import DataError
    from peerkit.workspace import Workspace

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
    "doctor_checks": Contract(COLLECT, list, "text"),
    "audit_checks": Contract(COLLECT, list, "text"),
    "init_settings": Contract(STOP, dict, "text"),
    "init_folders": Contract(STOP, list, "text"),
}


@hookspec
def register_commands(cli: click.Group) -> None:
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
def template_dirs() -> list[Path | str]:
    """Folders of Jinja2 templates this plugin ships.

    :return: a list of ``pathlib.Path`` (or str) folders.

    Templates are looked up in the workspace's ``templates/`` first, then in the folders
    plugins return here (sorted by plugin name), then in peerkit's defaults.

    Failure policy: ``stop`` -- rendering with another template than the plugin's would be
    wrong, so the command stops.
    """


@hookspec
def note_checks() -> list[NoteCheck]:
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
def alerts(workspace: Workspace, today: dt.date) -> list[Alert | DataError]:
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
def audit_checks(workspace: Workspace, entries: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """Extra consistency checks for ``peerkit audit verify`` (records the log says exist).

    :param workspace: the :class:`peerkit.workspace.Workspace`.
    :param entries: the audit log's entries as ``[(line_number, dict)]`` (unreadable lines
        left out; ``verify`` reports them).
    :return: a list of problem strings (file paths, record ids and field names only).

    Failure policy: ``collect`` -- a check that fails to run is reported and ``audit verify``
    exits non-zero: the log is never called intact unchecked.
    """








@hookspec
def doctor_checks(workspace: Workspace | None) -> list[str]:
    """Extra health checks for ``peerkit doctor``.

    :param workspace: the :class:`peerkit.workspace.Workspace`, or ``None`` outside one.
    :return: a list of warning strings (file paths and field names only).

    Failure policy: ``collect`` -- the failure is reported and ``doctor`` exits 3.
    """


@hookspec
def init_settings() -> dict[str, str]:
    """This plugin's settings in the ``peerkit.toml`` that ``peerkit init`` writes.

    :return: a dict ``{table: text}``: ``table`` is the TOML table the text defines
        (``"caseload"``, ``"billing.rates"``), ``text`` that table in TOML with its header and
        comments, the defaults a new user edits (a ``[caseload]`` header and its keys).

    ``init`` writes peerkit's own tables (``[provider]``, ``[agency]``, ``[billing]``) first,
    then the plugins' tables in the order of the table names, each after a blank line.  Text
    that is not TOML, or defines another table than its name, is an error naming the plugin,
    and so is one table from two plugins.  Not called by ``init --example`` (the example has
    its own settings).

    Failure policy: ``stop`` -- no workspace is made without a plugin's settings.
    """


@hookspec
def init_folders() -> list[str]:
    """The folders this plugin keeps its records in, made by ``peerkit init`` (0700).

    :return: a list of folder names inside the workspace (``["notes"]``); one level, no
        ``..``.  A folder two plugins name is made once.

    Also made by ``init --example`` and by the ``peerkit_workspace`` test fixture (git keeps
    no empty folders).

    Failure policy: ``stop`` -- no workspace is made without a plugin's folders.
    """
