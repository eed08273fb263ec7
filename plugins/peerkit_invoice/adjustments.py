"""Billing adjustments: notes already on an issued invoice that changed afterwards.

A note billed on an issued invoice may later be edited (and go back to review), denied or
voided.  The money already claimed for it is then wrong.  peerkit never rewrites an issued
invoice; instead the next invoice issued carries an *adjustment line* per changed line of
an earlier invoice: the difference in units and amount between what that line should bill
now and what was billed for it so far (the original line plus adjustments already issued),
negative where money is owed back, naming the original invoice and the note(s).

What a line "should bill now": nothing when none of its notes is approved any more;
otherwise the units of the approved notes' real minutes under the unit rule, at the rate
of their code and modifier on their date (the billed units and amount as they were when
the notes' minutes and code are unchanged).

Only issued invoices whose period ended within ``[invoice] adjustment_lookback_days``
(366) of today are looked at.  Lines of void invoices (replaced by --reissue) count for
nothing: their notes are billed again by the replacement.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peerkit.money import to_cents
from peerkit_invoice.billed_notes import current_notes
from peerkit_invoice.model import Index, InvoiceLine, Settings, billed_lines, load_snapshot


@dataclass
class _Billed:
    """What the issued (non-void) invoices billed so far for one set of notes."""

    invoice: str                  # the invoice that billed them (or that an adjustment names)
    template: InvoiceLine         # date, client, code, modifier, rate of the line
    service: InvoiceLine | None   # the service line of an issued invoice, if any still is
    units: int = 0
    minutes: int = 0
    amount: Decimal = Decimal("0.00")


def pending(ws, settings: Settings, index: Index, today: dt.date) -> list[InvoiceLine]:
    """The adjustment lines the next issued invoice must carry (empty when none), kept in
    notes/.adjustments-cache.json while no record they were computed from changed
    (``peerkit.derived``: peerkit.toml, invoices/, the billed notes; the index as passed)."""
    from peerkit.derived import remembered

    fresh: list[InvoiceLine] = []

    def run():
        fresh.extend(_pending(ws, settings, index, today))
        return [_line_json(line) for line in fresh], True

    key = {"today": today.isoformat(),
           "index": sorted([e.number, e.status] for e in index.entries.values())}
    kept = remembered(ws, "adjustments", key, run, packages=("peerkit_invoice",), folders=("invoices",))
    if fresh or not kept:
        return fresh
    try:
        return [_line_from_json(item) for item in kept]
    except (KeyError, TypeError, ValueError, ArithmeticError):  # not peerkit's: never believed
        return _pending(ws, settings, index, today)


def _line_json(line: InvoiceLine) -> list:
    return [line.date.isoformat() if line.date else None, line.client, line.code, line.modifier,
            line.minutes, line.units, str(line.rate), str(line.amount), list(line.notes),
            line.original_invoice, line.description]


def _line_from_json(item: list) -> InvoiceLine:
    day, client, code, modifier, minutes, units, rate, amount, notes, original, description = item
    if not all(isinstance(v, str) for v in (client, code, modifier, original, description)) \
            or not isinstance(minutes, int) or not isinstance(units, int) \
            or not all(isinstance(n, str) for n in notes):
        raise TypeError("not a kept adjustment")
    return InvoiceLine(
        date=dt.date.fromisoformat(day) if day else None, kind="adjustment", client=client,
        code=code, modifier=modifier, minutes=minutes, units=units, quantity=Decimal(units),
        rate=Decimal(rate), amount=Decimal(amount), notes=tuple(notes), original_invoice=original,
        description=description)


def _pending(ws, settings: Settings, index: Index, today: dt.date) -> list[InvoiceLine]:
    """The adjustment lines, computed.

    Lines are matched by their notes: the service line of an issued invoice plus every
    adjustment line naming the same notes (also one whose original invoice was voided by
    --reissue since: the replacement bills afresh, so such a credit is corrected too)."""
    since = today - dt.timedelta(days=settings.adjustment_lookback_days)
    active = sorted((e for e in index.active() if e.end >= since), key=lambda e: e.number)
    if not active:
        return []
    # the billed lines kept in the index (a snapshot is parsed only if its lines were unreadable)
    issued = [(e.number, lines if (lines := e.billed()) is not None
               else billed_lines(load_snapshot(ws, e.number).lines)) for e in active]
    billed: dict[tuple[str, ...], _Billed] = {}
    for number, lines in issued:
        for line in lines:
            if line.kind == "service" and line.notes:
                billed[line.notes] = _Billed(number, line, line, line.units, line.minutes,
                                             to_cents(line.amount))
    for _number, lines in issued:
        for line in (ln for ln in lines if ln.original_invoice):
            b = billed.setdefault(line.notes, _Billed(line.original_invoice, line, None))
            b.units += line.units
            b.minutes += line.minutes
            b.amount += to_cents(line.amount)
    days = [b.template.date for b in billed.values() if b.template.date]
    if not days:
        return []
    wanted = {n for ids in billed for n in ids}
    notes = current_notes(ws, wanted, min(days), max(days))  # cached by the files' signatures
    out = []
    for ids, b in sorted(billed.items(), key=lambda kv: (kv[1].template.date or dt.date.min, kv[0])):
        adjustment = _adjustment(ws, settings, b, [notes.get(i) for i in ids], ids)
        if adjustment is not None:
            out.append(adjustment)
    return out


def _adjustment(ws, settings: Settings, b: _Billed, current: list, ids) -> InvoiceLine | None:
    original = b.template
    approved = [n for n in current if n is not None and n.status == "approved"]
    code, modifier, rate = original.code, original.modifier, original.rate
    if not approved:
        units, minutes, amount = 0, 0, Decimal("0.00")
    else:
        first = min(approved, key=lambda n: (n.date, n.start, n.id))
        minutes = sum(n.minutes for n in approved)
        code, modifier = first.code, first.modifier
        s = b.service
        if (s is not None and minutes == s.minutes and len(approved) == len(ids)
                and (code, modifier) == (s.code, s.modifier)):
            units, amount = s.units, to_cents(s.amount)
        else:
            units = ws.unit_rule.units(minutes)
            rate = settings.rate_for(code, modifier, first.date, ws.rel(ws.path("peerkit.toml")))
            amount = to_cents(Decimal(units) * rate)
    if units == b.units and amount == b.amount:
        return None
    delta_units, delta_amount = units - b.units, amount - b.amount
    return InvoiceLine(
        date=original.date, kind="adjustment", client=original.client, code=code,
        modifier=modifier, minutes=minutes - b.minutes, units=delta_units,
        quantity=Decimal(delta_units), rate=rate, amount=delta_amount, notes=tuple(ids),
        original_invoice=b.invoice,
        description=f"Adjustment of {b.invoice}: {_why(current, ids)} "
                    f"(billed {b.units} units, now {units})")


def _why(current: list, ids) -> str:
    parts = []
    for nid, note in zip(ids, current, strict=True):
        if note is None:
            parts.append(f"{nid} no longer found")
        elif note.status == "submitted":
            parts.append(f"{nid} changed and back in review")
        elif note.status != "approved":
            parts.append(f"{nid} {note.status}")
        else:
            parts.append(f"{nid} changed")
    return "; ".join(parts)
