"""Shared click options and parameter types, so every command spells them the same way."""
from __future__ import annotations

import datetime as dt

import click

from peerkit import dates


class DateType(click.ParamType):
    """YYYY-MM-DD, today, yesterday."""

    name = "date"

    def convert(self, value, param, ctx):
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

    def convert(self, value, param, ctx):
        day = super().convert(value, param, ctx)
        if day > dates.today():
            self.fail(f"{day.isoformat()} is in the future: give the day it was done "
                      "(YYYY-MM-DD, today or yesterday)", param, ctx)
        return day


class TimeType(click.ParamType):
    name = "time"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.time):
            return value
        try:
            return dates.parse_time(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class IdType(click.ParamType):
    """A record id that is a safe file name."""

    name = "id"

    def convert(self, value, param, ctx):
        from peerkit.records import id_problem

        problem = id_problem(value)
        if problem:
            self.fail(f"{problem}", param, ctx)
        return value


DATE = DateType()
PAST_DATE = PastDateType()
TIME = TimeType()
ID = IdType()


def json_option(f):
    """``--json``: print machine-readable JSON to stdout (parameter ``as_json``)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def out_option(f):
    """``--out PATH`` (``-`` for stdout where it makes sense)."""
    return click.option("--out", "-o", "out", metavar="PATH", default=None,
                        help="Write to this file ('-' for stdout).")(f)


def range_options(f):
    """``--from D --to D``."""
    f = click.option("--to", "date_to", type=DATE, default=None, help="Last day (YYYY-MM-DD, today).")(f)
    f = click.option("--from", "date_from", type=DATE, default=None, help="First day (YYYY-MM-DD, today).")(f)
    return f


def as_of_option(f):
    return click.option("--as-of", "as_of", type=DATE, default=None,
                        help="Pretend today is this day (YYYY-MM-DD).")(f)
