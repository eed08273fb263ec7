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

from peerkit_invoice.model import Index, InvoiceLine, Settings, load_snapshot


@dataclass
class _Billed:
    invoice: str
    line: InvoiceLine
    units: int
    minutes: int
    amount: Decimal


def pending(ws, settings: Settings, index: Index, today: dt.date) -> list[InvoiceLine]:
    """The adjustment lines the next issued invoice must carry (empty when none)."""
    since = today - dt.timedelta(days=settings.adjustment_lookback_days)
    active = sorted((e for e in index.active() if e.end >= since), key=lambda e: e.number)
    if not active:
        return []
    snapshots = [load_snapshot(ws, e.number) for e in active]
    billed: dict[tuple[str, tuple[str, ...]], _Billed] = {}
    for inv in snapshots:
        for line in inv.lines:
            if line.kind == "service" and line.notes:
                billed[(inv.number, line.notes)] = _Billed(inv.number, line, line.units,
                                                           line.minutes, to_cents(line.amount))
    if not billed:
        return []
    for inv in snapshots:
        for line in inv.adjustment_lines:
            b = billed.get((line.original_invoice, line.notes))
            if b is not None:
                b.units += line.units
                b.minutes += line.minutes
                b.amount += to_cents(line.amount)
    days = [b.line.date for b in billed.values() if b.line.date]
    wanted = {n for key in billed for n in key[1]}
    notes = {n.id: n for n in ws.notes(min(days), max(days)) if n.id in wanted} if days else {}
    out = []
    for (number, ids), b in sorted(billed.items(), key=lambda kv: (kv[1].line.date or dt.date.min,
                                                                   kv[0])):
        line = _adjustment(ws, settings, b, [notes.get(i) for i in ids], ids)
        if line is not None:
            out.append(line)
    return out


def _adjustment(ws, settings: Settings, b: _Billed, current: list, ids) -> InvoiceLine | None:
    original = b.line
    approved = [n for n in current if n is not None and n.status == "approved"]
    code, modifier, rate = original.code, original.modifier, original.rate
    if not approved:
        units, minutes, amount = 0, 0, Decimal("0.00")
    else:
        first = min(approved, key=lambda n: (n.date, n.start, n.id))
        minutes = sum(n.minutes for n in approved)
        code, modifier = first.code, first.modifier
        if (minutes == original.minutes and len(approved) == len(ids)
                and (code, modifier) == (original.code, original.modifier)):
            units, amount = original.units, to_cents(original.amount)
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
    for nid, note in zip(ids, current):
        if note is None:
            parts.append(f"{nid} no longer found")
        elif note.status == "submitted":
            parts.append(f"{nid} changed and back in review")
        elif note.status != "approved":
            parts.append(f"{nid} {note.status}")
        else:
            parts.append(f"{nid} changed")
    return "; ".join(parts)
