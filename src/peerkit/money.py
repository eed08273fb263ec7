"""Money: always Decimal, rounded half-up to the cent (as spreadsheets' ROUND does)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal | int | str) -> Decimal:
    """Round to the cent, half-up: 131.025 -> 131.03 (never float)."""
    if isinstance(amount, float):  # pragma: no cover - a programming error
        raise TypeError("money must not be a float")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(amount: Decimal) -> str:
    """Dollars and cents as a string, ``"123.45"`` (the JSON shape)."""
    return str(to_cents(amount))


def fmt_usd(amount: Decimal) -> str:
    """``$1,234.50``; money owed back reads ``-$47.88``."""
    value = to_cents(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"
