"""Shell completion of record ids and format names (click's ``shell_complete``).

Every TAB runs peerkit again, so completers stay light: ids come from file names
(``os.scandir``, no TOML parsing except the one small credentials.toml), are filtered by the
typed prefix, capped at ``LIMIT``, and nothing is locked, written or printed. The workspace is
the one the command line names (``-w DIR``), else $PEERKIT_WORKSPACE, else discovery.

``peerkit completion bash|zsh|fish`` prints the script to install (see its --help).
"""
from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import click

LIMIT = 200


def _workspace(ctx: click.Context) -> Path | None:
    from peerkit.discovery import find_root

    params = ctx.find_root().params or {}
    try:
        return find_root(explicit=params.get("workspace"))
    except OSError:
        return None


def _stems(folder: Path, incomplete: str, skip: tuple[str, ...] = ("index",),
           newest_first: bool = False) -> list[str]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    names = sorted((e.name[:-5] for e in entries
                    if e.name.endswith(".toml") and not e.name.startswith(".") and e.is_file()),
                   reverse=newest_first)
    return [n for n in names if n.startswith(incomplete) and n not in skip][:LIMIT]


def note_ids(ctx: click.Context, incomplete: str) -> list[str]:
    """Note ids, newest first; ``N-2026-11`` reads only that month's folder."""
    root = _workspace(ctx)
    if root is None:
        return []
    notes = root / "notes"
    parts = incomplete.split("-")
    if len(parts) >= 3 and parts[1].isdigit() and len(parts[2]) == 2 and parts[2].isdigit():
        months = [notes / parts[1] / parts[2]]
    else:
        months = []
        with contextlib.suppress(OSError):
            for year in sorted(os.scandir(notes), key=lambda e: e.name, reverse=True):
                if year.is_dir() and year.name.isdigit():
                    months += [Path(m.path) for m in sorted(os.scandir(year.path), key=lambda e: e.name,
                                                            reverse=True) if m.is_dir()]
    found: list[str] = []
    for month in months:
        found += _stems(month, incomplete, newest_first=True)  # the LIMIT newest, not the oldest
        if len(found) >= LIMIT:
            break
    return found[:LIMIT]


def client_ids(ctx: click.Context, incomplete: str) -> list[str]:
    root = _workspace(ctx)
    return _stems(root / "clients", incomplete) if root else []


def invoice_numbers(ctx: click.Context, incomplete: str) -> list[str]:
    root = _workspace(ctx)
    return _stems(root / "invoices", incomplete) if root else []


def resource_ids(ctx: click.Context, incomplete: str) -> list[str]:
    root = _workspace(ctx)
    return _stems(root / "resources", incomplete) if root else []


def incident_ids(ctx: click.Context, incomplete: str) -> list[str]:
    root = _workspace(ctx)
    return _stems(root / "incidents", incomplete) if root else []


def credential_ids(ctx: click.Context, incomplete: str) -> list[str]:
    import tomllib

    root = _workspace(ctx)
    if root is None:
        return []
    try:
        data = tomllib.loads((root / "credentials.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    ids = [c.get("id") for c in data.get("credential", []) if isinstance(c, dict)]
    return sorted(i for i in ids if isinstance(i, str) and i.startswith(incomplete))[:LIMIT]


KINDS: dict[str, Callable[[click.Context, str], list[str]]] = {
    "note": note_ids, "client": client_ids, "invoice": invoice_numbers,
    "resource": resource_ids, "incident": incident_ids, "credential": credential_ids}


def complete_ids(kind: str, ctx: click.Context, incomplete: str) -> list[str]:
    """Ids of one kind of record starting with ``incomplete`` (never raises)."""
    try:
        return KINDS[kind](ctx, incomplete)
    except Exception:  # noqa: BLE001 - completion must never print a traceback mid-prompt
        return []


def format_names(hook: str, what: str, builtins: tuple[str, ...] = (),
                 ) -> Callable[[click.Context, click.Parameter, str], list[str]]:
    """A ``shell_complete`` callback listing the names of a formats hook (plus ``builtins``)."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        names = set(builtins)
        try:
            with contextlib.redirect_stderr(io.StringIO()):   # plugin warnings would land mid-prompt
                from peerkit.context import plugins_for

                names |= set(plugins_for(ctx).collect_named(hook, what))
        except Exception:  # noqa: BLE001
            pass
        return sorted(n for n in names if n.startswith(incomplete))

    return complete


def script(shell: str, cli: click.Command, prog_name: str = "peerkit") -> str:
    """The completion script click generates for ``shell`` (bash, zsh or fish)."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    if cls is None:
        raise ValueError(shell)
    complete_var = f"_{prog_name.replace('-', '_').upper()}_COMPLETE"
    return cls(cli, {}, prog_name, complete_var).source()
