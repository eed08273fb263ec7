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


def fmt_rate(rate: Decimal) -> str:
    """A rate as billed: at least cents, every further decimal it has (``$0.875``, ``$11.61``),
    so ``units x rate`` on the page gives the amount on the page."""
    rate = Decimal(rate)
    places = max(2, -_exponent(rate))
    return f"${rate:,.{places}f}"


def _exponent(rate: Decimal) -> int:
    """The exponent of a finite ``rate`` (NaN and infinity are no rate)."""
    exponent = rate.normalize().as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError("a rate must be a finite number")
    return exponent


def rate_number_format(rate: Decimal) -> str:
    """A spreadsheet number format showing ``rate`` as ``fmt_rate`` does."""
    places = max(2, -_exponent(Decimal(rate)))
    return '"$"#,##0.' + "0" * places


def fmt_usd(amount: Decimal) -> str:
    """``$1,234.50``; money owed back reads ``-$47.88``."""
    value = to_cents(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"
