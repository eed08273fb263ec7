"""The unmanaged-units rule: how many units a client may receive in a fiscal year without an
authorization.  One setting, read by ``note check`` and ``caseload`` through
:func:`unmanaged_rule`::

    [billing]
    unmanaged_units = 24          # a number, or "unlimited" for payers without the limit
    fiscal_year_start = "07-01"   # MM-DD; NC's state fiscal year starts July 1

The keys it replaces (``[notes] unmanaged_units``, ``[caseload] unmanaged_units`` and
``[caseload] fiscal_year_start``) are still read, with a warning naming the new ones; two old
keys that disagree are an error (exit 3), never a silent choice.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerkit.dates import fiscal_year
from peerkit.validate import Fields

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace
Warn = Callable[[str], None]

DEFAULT_LIMIT = 24
DEFAULT_START = (7, 1)
UNLIMITED = "unlimited"


@dataclass(frozen=True)
class UnmanagedRule:
    """``limit``: units per client per fiscal year without an authorization (``None``:
    unlimited; 0: none allowed); ``fiscal_year_start``: (month, day)."""

    limit: int | None = DEFAULT_LIMIT
    fiscal_year_start: tuple[int, int] = DEFAULT_START

    def fiscal_year(self, day: dt.date) -> tuple[dt.date, dt.date]:
        return fiscal_year(day, self.fiscal_year_start)

    @property
    def limit_text(self) -> str:
        return UNLIMITED if self.limit is None else str(self.limit)


def _limit(f: Fields, key: str) -> int | None:
    value = f.data[key]
    if value == UNLIMITED:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        f.fail(key, f'expected a number of units (0 or more) or "{UNLIMITED}"')
    return value


def _start(f: Fields, key: str) -> tuple[int, int]:
    value = f.data[key]
    try:
        month, day = (int(x) for x in str(value).split("-"))
        dt.date(2001, month, day)
    except ValueError:
        f.fail(key, 'expected MM-DD, like "07-01"')
    if not isinstance(value, str):
        f.fail(key, 'expected MM-DD in quotes, like "07-01"')
    return month, day


def unmanaged_rule(ws: Workspace, warn: Warn | None = None) -> UnmanagedRule:
    """The workspace's rule, read once per Workspace.  ``warn(text)`` receives the warnings
    about old keys (default: stderr)."""
    return ws.memo("peerkit.unmanaged", lambda: _read_rule(ws, warn))


def _read_rule(ws: Workspace, warn: Warn | None) -> UnmanagedRule:
    if warn is None:
        from peerkit.output import message

        warn = lambda text: message(f"Warning: {text}")  # noqa: E731
    path = ws.path("peerkit.toml")
    billing = Fields(ws.section("billing"), path, "billing.")
    tables = {name: Fields(ws.section(name), path, f"{name}.") for name in ("notes", "caseload")}
    limit = _setting(billing, tables, "unmanaged_units", ("notes", "caseload"), _limit,
                     DEFAULT_LIMIT, warn)
    start = _setting(billing, tables, "fiscal_year_start", ("caseload",), _start, DEFAULT_START, warn)
    return UnmanagedRule(limit, start)


def _setting(billing: Fields, tables: dict[str, Fields], key: str, old_tables: tuple[str, ...],
             read: Callable[[Fields, str], Any], default: Any, warn: Warn) -> Any:
    """The value of ``[billing] key``, else of the old tables' key (with a warning), else the
    default (a limit or a (month, day) start: see the callers)."""
    old = {name: read(tables[name], key) for name in old_tables if key in tables[name].data}
    new_name = f"[billing] {key}"
    if key in billing.data:
        value = read(billing, key)
        for name in old:
            warn(f"peerkit.toml: [{name}] {key} is ignored because {new_name} is set; remove it")
        return value
    if not old:
        return default
    if len(set(old.values())) > 1:
        listed = " and ".join(f"[{name}] {key}" for name in old)
        billing.fail(key, f"{listed} disagree: set {new_name} once and remove them")
    name, value = next(iter(old.items()))
    shown = {None: f'"{UNLIMITED}"'}.get(value, value) if key == "unmanaged_units" \
        else '"{:02d}-{:02d}"'.format(*value)
    warn(f"peerkit.toml: {' and '.join(f'[{n}] {key}' for n in old)} is an old setting: "
         f"write {new_name} = {shown} instead")
    return value
