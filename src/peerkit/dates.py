"""Dates as the command line accepts them: YYYY-MM-DD, today, yesterday; weeks YYYY-Www, this, last."""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:  # pragma: no cover
    from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _fixed_today() -> dt.date | None:
    raw = os.environ.get("PEERKIT_TODAY")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _bad_clock("PEERKIT_TODAY", "a date as YYYY-MM-DD") from None


def _fixed_now() -> dt.datetime | None:
    raw = os.environ.get("PEERKIT_NOW")
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        raise _bad_clock("PEERKIT_NOW", "a date and time as YYYY-MM-DDTHH:MM:SS") from None


def _bad_clock(name: str, shape: str) -> Exception:
    from peerkit.errors import UsageError

    return UsageError(f"{name} must be {shape} (or unset it to use the machine's clock)")


def today() -> dt.date:
    """Today's date, the one clock of every command: ``PEERKIT_TODAY=YYYY-MM-DD`` fixes it
    (scripts replaying a day, tests); without it ``PEERKIT_NOW``'s day (earlier or later than
    the real day alike), else the machine's date.  A value that does not parse is a usage error
    (exit 2) naming the variable."""
    fixed = _fixed_today()
    if fixed:
        return fixed
    fixed_now = _fixed_now()
    if fixed_now:
        return fixed_now.date()
    return dt.date.today()


def now() -> dt.datetime:
    """Local wall-clock time without tz (records store local times, as the person wrote them).

    ``PEERKIT_NOW=YYYY-MM-DDTHH:MM:SS`` fixes it; without it, ``PEERKIT_TODAY`` fixes the day
    (the machine's time of day on that day), so ``now().date() == today()`` always."""
    fixed = _fixed_now()
    if fixed:
        return fixed
    current = dt.datetime.now().replace(microsecond=0)
    day = _fixed_today()
    if day:
        return dt.datetime.combine(day, current.time())
    return current


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD``, ``today`` or ``yesterday``; ValueError with a helpful message otherwise."""
    t = text.strip().lower()
    if t == "today":
        return today()
    if t == "yesterday":
        return today() - dt.timedelta(days=1)
    if t == "tomorrow":
        return today() + dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD, today or yesterday") from None


def parse_time(text: str) -> dt.time:
    t = text.strip()
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", t)
    if not m:
        raise ValueError(f"{text!r} is not a time: use HH:MM (24-hour)")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    try:
        return dt.time(h, mi, s)
    except ValueError:
        raise ValueError(f"{text!r} is not a time: use HH:MM (24-hour)") from None


def week_start_index(name: str) -> int:
    name = (name or "monday").lower()
    if name not in WEEKDAYS:
        raise ValueError(f"week_start must be one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(name)


def week_containing(day: dt.date, week_start: str = "monday") -> tuple[dt.date, dt.date]:
    """The (first, last) day of the week holding ``day``, weeks starting on ``week_start``."""
    offset = (day.weekday() - week_start_index(week_start)) % 7
    first = day - dt.timedelta(days=offset)
    return first, first + dt.timedelta(days=6)


def parse_week(text: str, week_start: str = "monday") -> tuple[dt.date, dt.date]:
    """``2026-W47`` (the week holding that ISO week's Monday), ``this`` or ``last``."""
    t = text.strip().lower()
    if t in ("this", "current"):
        return week_containing(today(), week_start)
    if t in ("last", "previous"):
        return week_containing(today() - dt.timedelta(days=7), week_start)
    m = re.fullmatch(r"(\d{4})-?w(\d{1,2})", t)
    if not m:
        raise ValueError(f"{text!r} is not a week: use YYYY-Www (2026-W47), this or last")
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a week of that year") from None
    return week_containing(monday, week_start)


def fiscal_year(day: dt.date, start: tuple[int, int] = (7, 1)) -> tuple[dt.date, dt.date]:
    """The fiscal year holding ``day`` as (first, last) day; NC's state fiscal year starts July 1."""
    m, d = start
    first = dt.date(day.year, m, d)
    if day < first:
        first = dt.date(day.year - 1, m, d)
    nxt = dt.date(first.year + 1, m, d)
    return first, nxt - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier); the month's last day when that month is
    shorter: 31 August + 6 months is 28 February."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@overload
def month_folders(start: dt.date, end: dt.date) -> list[tuple[int, int]]: ...
@overload
def month_folders(start: dt.date | None, end: dt.date | None) -> list[tuple[int, int]] | None: ...
def month_folders(start: dt.date | None, end: dt.date | None) -> list[tuple[int, int]] | None:
    """(year, month) pairs from start to end inclusive; None when the range is open."""
    if start is None or end is None:
        return None
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def month_dirs(root: Path) -> list[Path]:
    """Every ``root/YYYY/MM`` folder (both names digits), in order; none when ``root`` is not a
    folder."""
    if not root.is_dir():
        return []
    return [month for year in sorted(root.iterdir()) if year.is_dir() and year.name.isdigit()
            for month in sorted(year.iterdir()) if month.is_dir() and month.name.isdigit()]


def month_folder_files(root: Path, start: dt.date | None, end: dt.date | None) -> list[Path]:
    """The ``*.toml`` files of ``root/YYYY/MM/`` folders from ``start``'s month to ``end``'s
    (every month folder when the range is open), folder by folder, by name; hidden files
    (a ``.name.toml`` left by an editor) are skipped.  Records in them are filtered by date
    by the caller: a month folder holds the whole month."""
    months = month_folders(start, end)
    folders = ([root / f"{y:04d}" / f"{m:02d}" for y, m in months] if months is not None
               else month_dirs(root))
    return [p for folder in folders if folder.is_dir()
            for p in sorted(folder.glob("*.toml")) if not p.name.startswith(".")]


# ---------------------------------------------------------------------------- time zones

DEFAULT_TIMEZONE = "America/New_York"
EARLIEST_SERVICE_DATE = dt.date(2000, 1, 1)


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` of an IANA name; ValueError when the name is not a known zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(name, str) or not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"{name!r} is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{name!r} is not an IANA time zone name (like America/New_York)") from None


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def system_timezone() -> str:
    """This machine's IANA zone ($TZ, /etc/localtime, /etc/timezone), else America/New_York."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as fh:
            candidates.append(fh.read().strip())
    except OSError:
        pass
    for name in candidates:
        if name and is_zone(name):
            return name
    return DEFAULT_TIMEZONE


@functools.lru_cache(maxsize=4096)   # a note's minutes are asked for several times per command
def elapsed_minutes(day: dt.date, start: dt.time, end: dt.time, zone_name: str = "") -> int:
    """Real minutes from ``start`` to ``end`` (local wall-clock times of ``day``) in the zone.

    Across a daylight-saving change the wall clock jumps: 01:30-03:30 on the day clocks go
    forward lasted 60 minutes, not 120.  Without a zone the wall-clock difference is used."""
    naive = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if not zone_name:
        return naive
    tz = zone(zone_name)
    utc = dt.UTC
    s = dt.datetime.combine(day, start, tzinfo=tz).astimezone(utc)
    e = dt.datetime.combine(day, end, tzinfo=tz).astimezone(utc)
    return int((e - s).total_seconds() // 60)


def service_date_problem(day: dt.date) -> str | None:
    """Why ``day`` cannot be a service date (after tomorrow, or before 2000), or None."""
    latest = today() + dt.timedelta(days=1)
    if day > latest:
        return (f"{day.isoformat()} is after tomorrow ({latest.isoformat()}): a note records a "
                "service already given; correct the date")
    if day < EARLIEST_SERVICE_DATE:
        return f"{day.isoformat()} is before 2000: correct the date"
    return None
