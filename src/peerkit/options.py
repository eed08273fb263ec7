"""Shared click options and parameter types, so every command spells them the same way."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from peerkit import dates

if TYPE_CHECKING:  # pragma: no cover
    from click.shell_completion import CompletionItem

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")


class DateType(click.ParamType[dt.date]):
    """YYYY-MM-DD, today, yesterday."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dates.parse_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class PastDateType(DateType):
    """A date that records something already done (a check, a renewal): never in the future
    (judged by ``peerkit.dates.today``, which honours PEERKIT_TODAY and PEERKIT_NOW)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        day = super().convert(value, param, ctx)
        if day > dates.today():
            self.fail(f"{day.isoformat()} is in the future: give the day it was done "
                      "(YYYY-MM-DD, today or yesterday)", param, ctx)
        return day


class TimeType(click.ParamType[dt.time]):
    name = "time"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.time:
        if isinstance(value, dt.time):
            return value
        try:
            return dates.parse_time(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class IdType(click.ParamType[str]):
    """A record id that is a safe file name; ``kind`` (note, client, invoice, resource,
    incident, credential) makes the shell complete the ids of that kind of record."""

    name = "id"

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind

    def shell_complete(self, ctx: click.Context, param: click.Parameter,
                       incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        if self.kind is None:
            return []
        from peerkit.completion import complete_ids

        return [CompletionItem(i) for i in complete_ids(self.kind, ctx, incomplete)]

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from peerkit.validate import id_problem

        problem = id_problem(value)
        if problem:
            self.fail(f"{problem}", param, ctx)
        return str(value)  # id_problem accepted it, so it is non-empty text


DATE = DateType()
PAST_DATE = PastDateType()
TIME = TimeType()
ID = IdType()
NOTE_ID = IdType("note")
CLIENT_ID = IdType("client")
INVOICE_ID = IdType("invoice")
RESOURCE_ID = IdType("resource")
INCIDENT_ID = IdType("incident")
CREDENTIAL_ID = IdType("credential")


def json_option(f: F) -> F:
    """``--json``: print machine-readable JSON to stdout (parameter ``as_json``)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def out_option(f: F) -> F:
    """``--out PATH`` (``-`` for stdout where it makes sense)."""
    return click.option("--out", "-o", "out", metavar="PATH", default=None,
                        help="Write to this file ('-' for stdout).")(f)


def range_options(f: F) -> F:
    """``--from D --to D``."""
    f = click.option("--to", "date_to", type=DATE, default=None, help="Last day (YYYY-MM-DD, today).")(f)
    f = click.option("--from", "date_from", type=DATE, default=None, help="First day (YYYY-MM-DD, today).")(f)
    return f


def as_of_option(f: F) -> F:
    return click.option("--as-of", "as_of", type=DATE, default=None,
                        help="Pretend today is this day (YYYY-MM-DD).")(f)


# ---------------------------------------------------------------------------- periods

WEEK_HELP = "The notes of one week: YYYY-Www (2026-W47), this or last."
FROM_HELP = "The notes from this day on (YYYY-MM-DD, today, yesterday)."
TO_HELP = "The notes up to this day (YYYY-MM-DD, today, yesterday)."
ALL_HELP = "Every note, whatever its date."


class Period:
    """The set of days ``--week``, ``--from/--to`` or ``--all`` asked for.

    ``start``/``end``: the first and last day (``None``: open on that side); ``all``: --all
    was given; ``given``: any of the options was given (a command without them uses its own
    default: every note for list/check, last week for invoice, the ids given for sign).
    """

    def __init__(self, start: dt.date | None = None, end: dt.date | None = None, *,
                 all: bool = False, week: str | None = None):
        self.start, self.end, self.all, self.week = start, end, all, week

    @property
    def given(self) -> bool:
        return self.all or self.start is not None or self.end is not None

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def describe(self) -> str:
        if self.all or (self.start is None and self.end is None):
            return "all dates"
        return f"{self.start or '...'}..{self.end or '...'}"

    def __repr__(self) -> str:
        return f"Period({self.start!r}, {self.end!r}, all={self.all!r})"


def _week_start() -> str:
    """``[billing] week_start`` of the current workspace (monday without one)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return "monday"
    from peerkit.context import workspace_for
    from peerkit.errors import PeerkitError

    try:
        return str(workspace_for(ctx).section("billing").get("week_start", "monday")).lower()
    except PeerkitError:
        return "monday"


def resolve_period(week: str | None, date_from: dt.date | None, date_to: dt.date | None,
                   all_notes: bool = False, week_start: str | None = None) -> Period:
    """One Period from the four options; combining them wrongly is a usage error (exit 2)."""
    if all_notes and (week or date_from or date_to):
        raise click.UsageError("--all means every date: give it without --week, --from or --to")
    if week and (date_from or date_to):
        raise click.UsageError("give either --week or --from/--to, not both")
    if week:
        try:
            start, end = dates.parse_week(week, week_start or _week_start())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--week") from None
        return Period(start, end, week=week)
    if date_from and date_to and date_to < date_from:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    return Period(date_from, date_to, all=all_notes)


def period_options(f: Callable[..., R]) -> Callable[..., R]:
    """``--week W``, ``--from D``, ``--to D``, ``--all``, passed as one ``period`` (a Period).

    Every command acting on a set of notes uses this, so the four options mean the same
    everywhere: one week (weeks start on ``[billing] week_start``); a range of days (either
    end may be left open); every date.
    """
    @functools.wraps(f)
    def new(*args: Any, week: str | None = None, date_from: dt.date | None = None,
            date_to: dt.date | None = None, all_notes: bool = False, **kwargs: Any) -> R:
        kwargs["period"] = resolve_period(week, date_from, date_to, all_notes)
        return f(*args, **kwargs)

    new = click.option("--all", "all_notes", is_flag=True, help=ALL_HELP)(new)
    new = click.option("--to", "date_to", type=DATE, default=None, metavar="DATE", help=TO_HELP)(new)
    new = click.option("--from", "date_from", type=DATE, default=None, metavar="DATE", help=FROM_HELP)(new)
    new = click.option("--week", default=None, metavar="WEEK", help=WEEK_HELP)(new)
    return new
