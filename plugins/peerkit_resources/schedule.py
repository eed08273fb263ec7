"""Opening hours: HSDS schedule rows (RRULE-like), a compact text form, and "open at" checks.

A schedule row (HSDS 3.0 ``schedule``) holds ``freq`` (WEEKLY or MONTHLY), ``byday``
(``"MO,TU"``; monthly rows may prefix an ordinal: ``"1SA"``, ``"-1FR"``), ``bymonthday``,
``opens_at``/``closes_at``, ``valid_from``/``valid_to``, and optionally ``interval`` with
``dtstart``.  peerkit matches these itself (no RRULE library needed):

* a row with ``closes_at`` earlier than ``opens_at`` crosses midnight: it opens on a matching
  day and closes on the next day (a crisis line 20:00-08:00 is open on Tuesday 02:00 when
  Monday matches);
* ``opens_at == closes_at`` or 00:00-23:59 means open all day (HSDS has no 24-hour flag);
* a WEEKLY row without ``byday`` applies to every day.

The compact form used on the command line and in spreadsheets:
``"MO-FR 09:00-17:00"``, ``"SA,SU 10:00-14:00"``, ``"1SA 09:00-12:00"`` (monthly: first
Saturday), ``"daily 20:00-08:00"``, ``"24/7"``.  Several rows are joined with ``"; "``.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG = {name.lower(): i for i, name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
FREQS = ("WEEKLY", "MONTHLY")
ALL_DAY_END = dt.time(23, 59)
MIDNIGHT = dt.time(0, 0)


def day_index(text: str) -> int:
    """``MO``/``mon``/``Monday``/``1`` (ISO, Monday=1) -> 0..6; ValueError otherwise."""
    t = str(text).strip().lower()
    if t.upper() in DAYS:
        return DAYS.index(t.upper())
    for name, i in _LONG.items():
        if len(t) >= 3 and name.startswith(t):
            return i
    if t.isdigit() and 1 <= int(t) <= 7:
        return int(t) - 1
    raise ValueError(f"{text!r} is not a day of the week (MO..SU)")


def parse_byday(value: str) -> list[tuple[int | None, int]]:
    """``"MO,TU,1SA,-1FR"`` -> [(None, 0), (None, 1), (1, 5), (-1, 4)]."""
    out = []
    for part in re.split(r"[,\s]+", value or ""):
        if not part:
            continue
        m = re.fullmatch(r"([+-]?\d{1,2})?([A-Za-z]{2})", part)
        if not m or m.group(2).upper() not in DAYS:
            raise ValueError(f"byday item {part!r} is not like MO, TU or 1SA")
        ordinal = int(m.group(1)) if m.group(1) else None
        if ordinal is not None and not (1 <= abs(ordinal) <= 5):
            raise ValueError(f"byday item {part!r}: the ordinal must be 1..5 or -1..-5")
        out.append((ordinal, DAYS.index(m.group(2).upper())))
    return out


def parse_monthdays(value: str) -> list[int]:
    out = []
    for part in re.split(r"[,\s]+", value or ""):
        if not part:
            continue
        n = int(part)
        if not (1 <= abs(n) <= 31):
            raise ValueError(f"bymonthday item {part!r} must be 1..31 or -1..-31")
        out.append(n)
    return out


def parse_clock(value: Any) -> dt.time | None:
    """A time from TOML (``dt.time``) or text: ``"09:00"``, ``"9:00:00"``, ``"09:00-05:00"``, ``"10:00Z"``.

    A UTC-offset suffix is dropped: peerkit keeps local opening hours as the agency states them.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    m = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?\s*", str(value), re.I)
    if m:  # 9am, 4:00 PM, 12 p.m.
        h, mi = int(m.group(1)), int(m.group(2) or 0)
        if not (1 <= h <= 12 and mi < 60):
            raise ValueError(f"{value!r} is not a time (HH:MM)")
        h = h % 12 + (12 if m.group(3).lower() == "p" else 0)
        return dt.time(h, mi)
    if str(value).strip().lower() in ("noon", "midday"):
        return dt.time(12, 0)
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*",
                     str(value))
    if not m:
        raise ValueError(f"{value!r} is not a time (HH:MM)")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h == 24 and mi == 0 and s == 0:
        return ALL_DAY_END
    return dt.time(h, mi, s)


def _last_day(d: dt.date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def day_matches(row: dict, day: dt.date) -> bool:
    """Does the rule of this schedule row include ``day`` (ignoring the hours)?"""
    if not _within_dates(row, day):
        return False
    freq = (row.get("freq") or "WEEKLY").upper()
    byday = row.get("byday") or ""
    byday = byday if isinstance(byday, list) else parse_byday(byday)  # the index stores them parsed
    monthdays = row.get("bymonthday") or ""
    monthdays = monthdays if isinstance(monthdays, list) else parse_monthdays(str(monthdays))
    interval = int(row.get("interval") or 1)
    dtstart: Any = row.get("dtstart")
    if dtstart and day < dtstart:
        return False
    if freq == "MONTHLY":
        return _monthly_matches(day, byday, monthdays, interval, dtstart)
    # WEEKLY (and anything else treated as weekly)
    return _weekly_matches(day, byday, interval, dtstart)


def _within_dates(row: dict, day: dt.date) -> bool:
    """``day`` lies within valid_from..valid_to and not after ``until``."""
    vf, vt, until = row.get("valid_from"), row.get("valid_to"), row.get("until")
    return not (vf and day < vf or vt and day > vt or until and day > until)


def _monthly_matches(day: dt.date, byday: list, monthdays: list[int], interval: int, dtstart: Any) -> bool:
    if interval > 1 and dtstart:
        months = (day.year - dtstart.year) * 12 + day.month - dtstart.month
        if months % interval:
            return False
    if not monthdays and not byday:
        return bool(dtstart) and day.day == dtstart.day
    if monthdays:
        last = _last_day(day)
        if any(day.day == (n if n > 0 else last + 1 + n) for n in monthdays):
            return True
    return any(_nth_weekday(day, ordinal, wd) for ordinal, wd in byday)


def _nth_weekday(day: dt.date, ordinal: int | None, wd: int) -> bool:
    """Is ``day`` the weekday ``wd`` (any of the month when ``ordinal`` is None; 1SA is the
    first Saturday, -1FR the last Friday)?"""
    if day.weekday() != wd:
        return False
    return (ordinal is None
            or ordinal > 0 and (day.day - 1) // 7 + 1 == ordinal
            or ordinal < 0 and (_last_day(day) - day.day) // 7 + 1 == -ordinal)


def _weekly_matches(day: dt.date, byday: list, interval: int, dtstart: Any) -> bool:
    if interval > 1 and dtstart:
        week0 = dtstart - dt.timedelta(days=dtstart.weekday())
        if ((day - week0).days // 7) % interval:
            return False
    if not byday:
        return True if not dtstart or interval == 1 else day.weekday() == dtstart.weekday()
    return any(day.weekday() == wd for _, wd in byday)


def all_day(opens: dt.time, closes: dt.time) -> bool:
    return opens == closes or (opens == MIDNIGHT and closes >= ALL_DAY_END)


def is_open(row: dict, when: dt.datetime) -> bool:
    """Is the service open at ``when`` according to this one schedule row?"""
    opens, closes = row.get("opens_at"), row.get("closes_at")
    if opens is None or closes is None:
        return False
    day, t = when.date(), when.time()
    if all_day(opens, closes):
        return day_matches(row, day)
    if closes > opens:
        end_ok = t <= closes if closes >= ALL_DAY_END else t < closes
        return opens <= t and end_ok and day_matches(row, day)
    # crosses midnight: opens on a matching day, closes on the next morning
    if t >= opens and day_matches(row, day):
        return True
    return t < closes and day_matches(row, day - dt.timedelta(days=1))


def open_at(rows: Iterable[dict], when: dt.datetime) -> bool:
    return any(is_open(r, when) for r in rows)


# ------------------------------------------------------------------ compact text


def _days_text(byday: str) -> str:
    items = parse_byday(byday)
    if not items:
        return "daily"
    if all(o is None for o, _ in items):
        idx = sorted({d for _, d in items})
        if len(idx) == 7:
            return "daily"
        # collapse runs: MO,TU,WE -> MO-WE
        runs, start, prev = [], idx[0], idx[0]
        for d in idx[1:] + [None]:
            if d is not None and d == prev + 1:
                prev = d
                continue
            runs.append(DAYS[start] if start == prev else
                        f"{DAYS[start]}-{DAYS[prev]}" if prev - start >= 2 else f"{DAYS[start]},{DAYS[prev]}")
            if d is not None:
                start = prev = d
        return ",".join(runs)
    return ",".join(f"{o or ''}{DAYS[d]}" for o, d in items)


def _hhmm(t: dt.time) -> str:
    return t.strftime("%H:%M")


def format_row(row: dict) -> str:
    """One schedule row as compact text (``MO-FR 09:00-17:00``)."""
    freq = (row.get("freq") or "WEEKLY").upper()
    days = _days_text(row.get("byday") or "")
    if freq == "MONTHLY" and row.get("bymonthday"):
        days = f"day {row['bymonthday']}" + ("" if not row.get("byday") else f",{days}")
    elif freq == "MONTHLY" and days != "daily" and not any(c.isdigit() for c in days):
        days = f"{days} monthly"
    opens, closes = row.get("opens_at"), row.get("closes_at")
    if opens is None or closes is None:
        return days
    if days == "daily" and all_day(opens, closes):
        return "24/7"
    return f"{days} {_hhmm(opens)}-{_hhmm(closes)}"


def format_rows(rows: Iterable[dict]) -> str:
    return "; ".join(format_row(r) for r in rows)


def _expand_days(spec: str) -> str:
    out: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:] and not re.fullmatch(r"-?\d[A-Za-z]{2}", part):
            a, b = part.split("-", 1)
            i, j = day_index(a), day_index(b)
            rng = list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
            out.extend(DAYS[k] for k in rng)
        elif re.fullmatch(r"[+-]?\d[A-Za-z]{2}", part):
            out.append(part.upper())
        else:
            out.append(DAYS[day_index(part)])
    return ",".join(out)


def parse_hours(text: str) -> list[dict]:
    """Compact hours text -> schedule rows; ValueError naming the part that is wrong."""
    rows = []
    for part in re.split(r"[;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        low = part.lower()
        if low in ("24/7", "24h", "24 hours", "always"):
            rows.append({"freq": "WEEKLY", "byday": ",".join(DAYS), "opens_at": MIDNIGHT,
                         "closes_at": ALL_DAY_END})
            continue
        m = re.fullmatch(r"(.+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})(\s+monthly)?", part, re.I)
        if not m:
            raise ValueError(f"hours {part!r}: write like 'MO-FR 09:00-17:00', '1SA 09:00-12:00' or '24/7'")
        days, opens, closes, monthly = m.group(1).strip(), m.group(2), m.group(3), m.group(4)
        row: dict[str, Any] = {}
        if days.lower().startswith("day "):
            row["freq"] = "MONTHLY"
            row["bymonthday"] = ",".join(str(n) for n in parse_monthdays(days[4:]))
        elif days.lower() in ("daily", "every day", "everyday"):
            row["freq"] = "WEEKLY"
            row["byday"] = ",".join(DAYS)
        else:
            try:
                byday = _expand_days(days)
                items = parse_byday(byday)
            except ValueError as exc:
                raise ValueError(f"hours {part!r}: {exc}") from None
            row["freq"] = "MONTHLY" if monthly or any(o is not None for o, _ in items) else "WEEKLY"
            row["byday"] = byday
        try:
            row["opens_at"], row["closes_at"] = parse_clock(opens), parse_clock(closes)
        except ValueError as exc:
            raise ValueError(f"hours {part!r}: {exc}") from None
        rows.append(row)
    return rows


def parse_when(text: str, today: dt.date) -> dt.datetime:
    """``"mon 18:00"`` (the next Monday on or after today), ``"18:00"`` (today),
    ``"2026-11-30 18:00"`` or ``"2026-11-30T18:00"``."""
    t = text.strip()
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)", t)
    if m:
        return dt.datetime.combine(dt.date.fromisoformat(m.group(1)), _clock(m.group(2)))
    m = re.fullmatch(r"(?:([A-Za-z]+)\s+)?(\d{1,2}:\d{2})", t)
    if not m:
        raise ValueError(f"{text!r}: write like 'mon 18:00', '18:00' or '2026-11-30 18:00'")
    day = today
    if m.group(1):
        wd = day_index(m.group(1))
        day = today + dt.timedelta(days=(wd - today.weekday()) % 7)
    return dt.datetime.combine(day, _clock(m.group(2)))


def _clock(text: str) -> dt.time:
    """parse_clock of text the caller's pattern already matched (so never empty)."""
    clock = parse_clock(text)
    if clock is None:
        raise ValueError(f"{text!r}: write a time like 18:00")
    return clock
