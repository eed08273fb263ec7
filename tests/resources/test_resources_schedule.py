"""Opening hours: compact text, weekly/monthly rules, crossing midnight, closed days."""
import datetime as dt

import pytest

from peerkit_resources import schedule as sched

T = dt.time


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_parse_hours_compact_forms():
    rows = sched.parse_hours("MO-FR 09:00-17:00; SA,SU 10:00-14:00; 1SA 09:00-12:00; 24/7")
    assert rows[0] == {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": T(9), "closes_at": T(17)}
    assert rows[1]["byday"] == "SA,SU"
    assert rows[2] == {"freq": "MONTHLY", "byday": "1SA", "opens_at": T(9), "closes_at": T(12)}
    assert rows[3]["opens_at"] == T(0) and rows[3]["closes_at"] == T(23, 59)
    assert sched.format_rows(rows) == "MO-FR 09:00-17:00; SA,SU 10:00-14:00; 1SA 09:00-12:00; 24/7"


@pytest.mark.parametrize("bad", ["MO 9-5", "XX 09:00-10:00", "MO 25:00-26:00", "0SA 09:00-10:00"])
def test_parse_hours_rejects_bad_text(bad):
    with pytest.raises(ValueError):
        sched.parse_hours(bad)


@pytest.mark.parametrize("text,expected", [("9am", T(9)), ("4:00 PM", T(16)), ("12 p.m.", T(12)),
                                           ("09:00:00Z", T(9)), ("10:00-05:00", T(10)), ("24:00", T(23, 59))])
def test_parse_clock_accepts_real_world_forms(text, expected):
    assert sched.parse_clock(text) == expected


def test_weekly_row_open_and_closed_day():
    row = {"freq": "WEEKLY", "byday": "TU,TH", "opens_at": T(10), "closes_at": T(13)}
    assert sched.is_open(row, at("2026-11-24T10:00"))        # Tuesday, opening minute
    assert not sched.is_open(row, at("2026-11-24T13:00"))    # closing minute is closed
    assert not sched.is_open(row, at("2026-11-25T11:00"))    # Wednesday: closed all day


def test_schedule_crossing_midnight():
    # Monday only, 20:00 -> 02:00 next day
    row = {"freq": "WEEKLY", "byday": "MO", "opens_at": T(20), "closes_at": T(2)}
    assert sched.is_open(row, at("2026-11-23T21:30"))       # Monday evening
    assert sched.is_open(row, at("2026-11-24T01:59"))       # Tuesday early morning, from Monday
    assert not sched.is_open(row, at("2026-11-24T02:00"))   # closed at 02:00
    assert not sched.is_open(row, at("2026-11-23T01:00"))   # Monday 01:00 belongs to Sunday: closed
    assert not sched.is_open(row, at("2026-11-24T21:00"))   # Tuesday evening: not a service day


def test_all_day_and_24_7():
    row = sched.parse_hours("24/7")[0]
    assert sched.is_open(row, at("2026-11-29T23:59:30"))
    assert sched.is_open(row, at("2026-11-30T00:00"))
    same = {"freq": "WEEKLY", "byday": "SA", "opens_at": T(0), "closes_at": T(0)}
    assert sched.is_open(same, at("2026-11-28T15:00")) and not sched.is_open(same, at("2026-11-27T15:00"))


def test_monthly_ordinals_and_monthdays():
    first_sat = {"freq": "MONTHLY", "byday": "1SA", "opens_at": T(9), "closes_at": T(12)}
    assert sched.is_open(first_sat, at("2026-11-07T10:00"))
    assert not sched.is_open(first_sat, at("2026-11-14T10:00"))
    last_fri = {"freq": "MONTHLY", "byday": "-1FR", "opens_at": T(9), "closes_at": T(12)}
    assert sched.is_open(last_fri, at("2026-11-27T10:00"))
    assert not sched.is_open(last_fri, at("2026-11-20T10:00"))
    days = {"freq": "MONTHLY", "bymonthday": "1,15", "opens_at": T(9), "closes_at": T(12)}
    assert sched.is_open(days, at("2026-11-15T09:30")) and not sched.is_open(days, at("2026-11-16T09:30"))


def test_valid_from_valid_to_and_interval():
    row = {"freq": "WEEKLY", "byday": "MO", "opens_at": T(9), "closes_at": T(12),
           "valid_from": dt.date(2026, 11, 1), "valid_to": dt.date(2026, 11, 30)}
    assert sched.is_open(row, at("2026-11-30T10:00"))
    assert not sched.is_open(row, at("2026-12-07T10:00"))
    biweekly = {"freq": "WEEKLY", "byday": "MO", "interval": 2, "dtstart": dt.date(2026, 11, 2),
                "opens_at": T(9), "closes_at": T(12)}
    assert sched.is_open(biweekly, at("2026-11-16T10:00"))
    assert not sched.is_open(biweekly, at("2026-11-09T10:00"))


def test_parse_when():
    wed = dt.date(2026, 11, 25)
    assert sched.parse_when("mon 18:00", wed) == at("2026-11-30T18:00")
    assert sched.parse_when("wed 08:00", wed) == at("2026-11-25T08:00")
    assert sched.parse_when("18:30", wed) == at("2026-11-25T18:30")
    assert sched.parse_when("2026-12-01 07:00", wed) == at("2026-12-01T07:00")
    with pytest.raises(ValueError):
        sched.parse_when("someday", wed)
