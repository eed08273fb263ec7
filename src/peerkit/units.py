"""Billing units from minutes: 15-minute units, configurable rounding, per note or per day.

Units are always computed from the real minutes by the workspace's rule, never typed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from peerkit.validate import Fields

ROUNDINGS = ("half-up", "down", "up")
UNITS_PER = ("note", "day")
# Notes in these states are never billed: they bill 0 units and never join a day's bundle.
# (A denied note is billed again only once corrected and resubmitted, when its status changes.)
NOT_BILLED = ("void", "denied")


class BillableNote(Protocol):
    """What the unit maths reads of a note (:class:`peerkit.records.Note` has it all); a
    ``status`` is read when the note has one."""

    @property
    def id(self) -> str: ...
    @property
    def client(self) -> str: ...
    @property
    def date(self) -> dt.date: ...
    @property
    def start(self) -> dt.time: ...
    @property
    def code(self) -> str: ...
    @property
    def modifier(self) -> str: ...
    @property
    def minutes(self) -> int: ...


N = TypeVar("N", bound=BillableNote)


def is_billable(note: object) -> bool:
    """Whether a note's minutes can be billed (every view computes units through this)."""
    return getattr(note, "status", "") not in NOT_BILLED


@dataclass(frozen=True)
class UnitRule:
    """How minutes become units.

    ``half-up``: a remainder of at least half a unit (8 of 15 minutes) adds a unit;
    ``down``: only whole units count; ``up``: any remainder adds a unit.
    ``units_per = "day"`` bundles the minutes of one client, code and modifier on one day
    before rounding (one claim line per day, as some LME-MCOs require).
    """

    unit_minutes: int = 15
    rounding: str = "half-up"
    units_per: str = "note"

    @classmethod
    def from_config(cls, billing: dict[str, Any], path: Path | str = "peerkit.toml") -> UnitRule:
        f = Fields(billing, path, "billing.")
        minutes: int = f.opt("unit_minutes", int, 15)
        if minutes <= 0:
            f.fail("unit_minutes", "must be a positive number of minutes")
        return cls(unit_minutes=minutes,
                   rounding=f.choice("rounding", ROUNDINGS, "half-up"),
                   units_per=f.choice("units_per", UNITS_PER, "note"))

    def units(self, minutes: int) -> int:
        """Units for a number of minutes under this rule (0 for 0 minutes)."""
        if minutes <= 0:
            return 0
        whole, rest = divmod(minutes, self.unit_minutes)
        if rest == 0:
            return whole
        if self.rounding == "up":
            return whole + 1
        if self.rounding == "down":
            return whole
        # half-up: remainder >= half a unit adds one (8 minutes of 15)
        return whole + (1 if rest * 2 >= self.unit_minutes else 0)


@dataclass(frozen=True)
class UnitGroup(Generic[N]):
    """Notes billed together as one line: one note, or one client+code+day bundle.

    ``key``: (date, client, code, modifier), and the note id when billed per note."""

    key: tuple[dt.date | str, ...]
    notes: tuple[N, ...]
    minutes: int
    units: int


def group_units(notes: Iterable[N], rule: UnitRule) -> list[UnitGroup[N]]:
    """Apply the rule to notes (objects with client, date, code, modifier, minutes, id).

    Per note: one group per note.  Per day: one group per (client, date, code, modifier),
    the minutes added before rounding.  Groups come back sorted by date, client, code.
    Notes that are never billed (void, denied: see ``is_billable``) are left out.
    """
    notes = [n for n in notes if is_billable(n)]
    if rule.units_per == "note":
        groups = [UnitGroup((n.date, n.client, n.code, n.modifier, n.id), (n,), n.minutes,
                            rule.units(n.minutes)) for n in notes]
    else:
        bundles: dict[tuple[dt.date | str, ...], list[N]] = {}
        for n in notes:
            bundles.setdefault((n.date, n.client, n.code, n.modifier), []).append(n)
        groups = []
        for key, members in bundles.items():
            members.sort(key=lambda n: (n.start, n.id))
            minutes = sum(n.minutes for n in members)
            groups.append(UnitGroup(key, tuple(members), minutes, rule.units(minutes)))
    groups.sort(key=lambda g: tuple(str(k) for k in g.key))
    return groups


# The order in which a day's notes enter its bundle: billed first, then in the order they
# will be billed (a note approved later is billed later, as a late line adding to the day).
BILLING_ORDER = {"approved": 0, "submitted": 1, "signed": 2, "draft": 3}


def billing_order(note: BillableNote) -> tuple[int, dt.time, str]:
    return (BILLING_ORDER.get(getattr(note, "status", ""), len(BILLING_ORDER)), note.start, note.id)


def units_by_note(notes: Sequence[N], rule: UnitRule) -> dict[str, int]:
    """Units attributed to each note id: the one unit computation of every view (note
    list/show, caseload, invoice, review workbook).

    Void and denied notes get 0 and never count in a day's bundle.  Per day, each note gets
    what it adds to its bundle, the notes taken in billing order (approved, submitted, signed,
    draft; then by start): ``units(minutes so far) - units(minutes before it)``.  So the units
    of the approved notes alone are what the invoice bills for the day, the units of the
    approved, submitted and signed notes what the caseload counts, and a note approved later
    adds exactly what its late invoice line bills.
    """
    out: dict[str, int] = {n.id: 0 for n in notes}
    for g in group_units(notes, rule):
        minutes = billed = 0
        for n in sorted(g.notes, key=billing_order):
            minutes += n.minutes
            out[n.id] = rule.units(minutes) - billed
            billed += out[n.id]
    return out
