import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from peerkit import dates
from peerkit.money import fmt, fmt_rate, rate_number_format, to_cents
from peerkit.units import UnitRule, group_units, units_by_note


@pytest.mark.parametrize("minutes,half_up,down,up", [
    (0, 0, 0, 0), (7, 0, 0, 1), (8, 1, 0, 1), (15, 1, 1, 1), (22, 1, 1, 2), (23, 2, 1, 2),
    (30, 2, 2, 2), (52, 3, 3, 4), (53, 4, 3, 4), (65, 4, 4, 5), (68, 5, 4, 5),
])
def test_unit_rounding(minutes, half_up, down, up):
    assert UnitRule(rounding="half-up").units(minutes) == half_up
    assert UnitRule(rounding="down").units(minutes) == down
    assert UnitRule(rounding="up").units(minutes) == up


def _n(i, client, day, start, minutes, code="H0038", modifier=""):
    return SimpleNamespace(id=f"N{i}", client=client, date=day, start=start, code=code,
                           modifier=modifier, minutes=minutes)


def test_day_bundling_adds_minutes_before_rounding():
    d = dt.date(2026, 11, 16)
    notes = [_n(1, "C1", d, dt.time(9), 7), _n(2, "C1", d, dt.time(13), 7), _n(3, "C2", d, dt.time(9), 7)]
    per_note = UnitRule(units_per="note")
    per_day = UnitRule(units_per="day")
    assert sum(g.units for g in group_units(notes, per_note)) == 0
    groups = group_units(notes, per_day)
    assert [(g.key[1], g.minutes, g.units) for g in groups] == [("C1", 14, 1), ("C2", 7, 0)]
    # each note gets what it adds to its day: 7 min -> 0, 14 min -> 1
    assert units_by_note(notes, per_day) == {"N1": 0, "N2": 1, "N3": 0}


def test_unit_rule_from_config_rejects_bad_values(tmp_path):
    from peerkit.errors import DataError

    with pytest.raises(DataError, match="billing.rounding"):
        UnitRule.from_config({"rounding": "nearest"}, tmp_path / "peerkit.toml")
    with pytest.raises(DataError, match="billing.unit_minutes"):
        UnitRule.from_config({"unit_minutes": 0}, tmp_path / "peerkit.toml")


def test_money_rounds_half_up_like_spreadsheets():
    # Python's float round(1.5*87.35, 2) is 131.02; Excel/LibreOffice ROUND give 131.03
    assert to_cents(Decimal("1.5") * Decimal("87.35")) == Decimal("131.03")
    assert fmt(Decimal("11.97") * 4) == "47.88"
    with pytest.raises(TypeError):
        to_cents(1.5)


def test_weeks_and_dates(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    assert dates.parse_week("2026-W47") == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert dates.parse_week("last") == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert dates.parse_week("this") == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert dates.parse_week("2026-W47", "sunday") == (dt.date(2026, 11, 15), dt.date(2026, 11, 21))
    assert dates.parse_date("yesterday") == dt.date(2026, 11, 24)
    with pytest.raises(ValueError):
        dates.parse_week("2026-W54")
    with pytest.raises(ValueError):
        dates.parse_date("2026-02-30")
    assert dates.month_folders(dt.date(2026, 11, 20), dt.date(2027, 1, 3)) == [(2026, 11), (2026, 12), (2027, 1)]


def test_day_bundle_units_follow_billing_order_and_skip_unbilled_notes():
    """Issue 20: approved notes come first, so the approved units alone are what the invoice
    bills; denied and void notes never count."""
    d = dt.date(2026, 11, 16)

    def note(i, start, minutes, status):
        n = _n(i, "C1", d, start, minutes)
        n.status = status
        return n

    notes = [note(1, dt.time(8), 5, "draft"), note(2, dt.time(9), 5, "signed"),
             note(3, dt.time(10), 5, "approved"), note(4, dt.time(11), 30, "denied"),
             note(5, dt.time(12), 30, "void"), note(6, dt.time(13), 5, "approved")]
    got = units_by_note(notes, UnitRule(units_per="day"))
    # approved 5 (0) + approved 5 = 10 (1); + signed 5 = 15 (1, +0); + draft 5 = 20 (1, +0)
    assert got == {"N3": 0, "N6": 1, "N2": 0, "N1": 0, "N4": 0, "N5": 0}
    rule = UnitRule(units_per="day", rounding="up")
    got = units_by_note(notes, rule)
    assert got == {"N3": 1, "N6": 0, "N2": 0, "N1": 1, "N4": 0, "N5": 0}
    # the approved notes' units are what group_units gives for them alone (the invoice)
    approved = [n for n in notes if n.status == "approved"]
    assert sum(got[n.id] for n in approved) == sum(g.units for g in group_units(approved, rule))


@pytest.mark.parametrize("bad", ["NaN", "Infinity"])
def test_rate_formats_refuse_non_finite_rates(bad):
    assert fmt_rate(Decimal("0.875")) == "$0.875" and rate_number_format(Decimal("11.61")) == '"$"#,##0.00'
    with pytest.raises(ValueError, match="finite"):
        fmt_rate(Decimal(bad))
    with pytest.raises(ValueError, match="finite"):
        rate_number_format(Decimal(bad))


@pytest.mark.parametrize("name, value, shape", [
    ("PEERKIT_TODAY", "abc", "a date as YYYY-MM-DD"),
    ("PEERKIT_TODAY", "2026-02-30", "a date as YYYY-MM-DD"),
    ("PEERKIT_NOW", "2026-13-01T10:00:00", "a date and time as YYYY-MM-DDTHH:MM:SS"),
])
def test_a_bad_clock_variable_is_a_usage_error_naming_it(run, monkeypatch, name, value, shape):
    """The environment is read when used; a value that does not parse is exit 2 naming the
    variable (it was an internal error, exit 70, before)."""
    monkeypatch.delenv("PEERKIT_TODAY", raising=False)
    monkeypatch.delenv("PEERKIT_NOW", raising=False)
    monkeypatch.setenv(name, value)
    result = run("status")
    assert result.exit_code == 2, result.output
    assert f"{name} must be {shape}" in result.stderr
    assert "internal error" not in result.output
