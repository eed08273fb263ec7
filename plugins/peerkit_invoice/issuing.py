"""Computing the invoice of a period (``prepare``) and issuing it (``commit``).

Apart from model.py (the invoice's data, snapshots, index and counter) because the invoice
carries the billing adjustments of earlier invoices (adjustments.py), which read that data.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peerkit import audit, storage
from peerkit.errors import PeerkitError, UsageError
from peerkit.money import to_cents
from peerkit_invoice.adjustments import pending
from peerkit_invoice.model import (
    SNAPSHOT_HEADER,
    Index,
    IndexEntry,
    Invoice,
    InvoiceLine,
    Settings,
    _decimal,
    billed_lines,
    invoice_dir,
    load_snapshot,
    numbers_taken,
    pay_date,
    service_description,
    snapshot_path,
    write_counter,
)


def _service_lines(ws, settings: Settings, notes: list, late: bool,
                   billed: dict | None = None) -> list[InvoiceLine]:
    """One line per unit group.  ``billed`` ({(date, client, code, modifier): (minutes, units)})
    holds day bundles already billed on issued invoices: a late note of such a day adds only
    the units the whole day earns beyond those already billed."""
    from peerkit.units import group_units

    rule = ws.unit_rule
    lines = []
    for g in group_units(notes, rule):
        first = g.notes[0]
        where = ws.rel(ws.path("peerkit.toml"))
        rate = settings.rate_for(first.code, first.modifier, first.date, where)
        units = g.units
        description = service_description(first.modifier)
        prior = (billed or {}).get((first.date, first.client, first.code, first.modifier))
        if prior:
            units = max(rule.units(prior[0] + g.minutes) - prior[1], 0)
            description += (f". Adds to the day's bundle already billed ({prior[0]} min, "
                            f"{prior[1]} units)")
        lines.append(InvoiceLine(
            date=first.date, kind="service", client=first.client, code=first.code,
            modifier=first.modifier, minutes=g.minutes, units=units, rate=rate,
            amount=to_cents(Decimal(units) * rate), notes=tuple(n.id for n in g.notes), late=late,
            description=description))
    return lines


def _billed_bundles(ws, index: Index, late: list) -> dict:
    """For per-day bundling: minutes and units already billed for the days of late notes
    (read from the few snapshots that cover those days)."""
    if ws.unit_rule.units_per != "day" or not late:
        return {}
    keys = {(n.date, n.client, n.code, n.modifier) for n in late}
    earliest = min(k[0] for k in keys)
    out: dict = {}
    for e in index.active():
        if e.end < earliest:  # cannot hold a line of those days (regular or late)
            continue
        for line in load_snapshot(ws, e.number).lines:
            key = (line.date, line.client, line.code, line.modifier)
            if line.kind == "service" and key in keys:
                m, u = out.get(key, (0, 0))
                out[key] = (m + line.minutes, u + line.units)
    return out


def build(ws, settings: Settings, index: Index, start: dt.date, end: dt.date) -> Invoice:
    """Compute (not issue) the invoice of [start, end] with late lines; number left empty.

    Billed: approved notes dated in the period that no issued invoice has billed, plus --
    as late lines -- approved, never-invoiced notes dated in the ``late_lookback_days``
    before the period on days an issued invoice already covered (approvals that arrived
    after that period was invoiced), plus an adjustment line for each line of an earlier
    issued invoice whose notes changed, were denied or voided since (see adjustments.py).
    """
    invoiced = index.invoiced_notes()
    lookback_start = start - dt.timedelta(days=settings.late_lookback_days)
    covered = [e for e in index.active() if e.end >= lookback_start and e.start < start]
    scan_from = start
    if covered and settings.late_lookback_days > 0:
        scan_from = max(lookback_start, min(e.start for e in covered))
    current, late = [], []
    for note in ws.notes(scan_from, end, skip_ids=invoiced):
        if note.status != "approved" or note.id in invoiced:
            continue
        if note.date >= start:
            current.append(note)
        elif note.date >= lookback_start and index.covered(note.date):
            late.append(note)
    inv = Invoice(number="", start=start, end=end, pay_date=pay_date(settings, end))
    inv.provider = {k: v for k, v in (("name", ws.provider.get("name", "")),
                                      ("credentials", ws.provider.get("credentials", "")))
                    if isinstance(v, str)}
    agency = ws.section("agency")
    inv.agency = {k: agency[k] for k in ("name", "address") if isinstance(agency.get(k), str)}
    inv.lines = _service_lines(ws, settings, current, late=False) + \
        _service_lines(ws, settings, late, late=True, billed=_billed_bundles(ws, index, late))
    from peerkit.dates import today

    inv.lines += pending(ws, settings, index, today())
    inv.sort_lines()
    return inv


def adjust(ws, inv: Invoice) -> None:
    """Run every plugin's ``invoice_adjust``.  A plugin that fails stops the invoice (an
    invoice silently missing a plugin's lines would be wrong)."""
    from peerkit.context import current_plugins

    # failure policy "stop" (peerkit_invoice.hookspecs): a plugin that fails stops the invoice
    current_plugins().call("invoice_adjust", invoice=inv, workspace=ws)
    for line in inv.lines:
        line.amount = to_cents(_decimal(line.amount, "amount"))
    inv.sort_lines()


# ----------------------------------------------------------------------------- issuing


@dataclass
class Outcome:
    invoice: Invoice
    action: str            # "issued" | "reissued" | "existing" | "preview" | "empty"
    voided: str = ""


def prepare(ws, settings: Settings, start: dt.date, end: dt.date, *, reissue: bool,
            preview: bool) -> Outcome:
    """Decide what this request means and compute the invoice (writes nothing)."""
    from peerkit.dates import today

    index = Index.load(ws, lines_since=today() - dt.timedelta(days=settings.adjustment_lookback_days))
    existing = index.for_period(start, end)
    overlaps = index.overlapping(start, end)
    if overlaps:
        o = overlaps[0]
        raise UsageError(f"the period {start}..{end} overlaps invoice {o.number} "
                         f"({o.start}..{o.end}); ask for exactly that period to see it again "
                         "(or --reissue it), or choose a period that does not overlap")
    if existing and not reissue:
        inv = load_snapshot(ws, existing.number)
        return Outcome(inv, "existing")
    voided = ""
    if existing and reissue:
        # Free the old invoice's notes for the replacement (computed as if it were void).
        index.entries[existing.number].status = "void"
        voided = existing.number
    inv = build(ws, settings, index, start, end)
    adjust(ws, inv)
    for client_id in sorted({line.client for line in inv.lines if line.client}):
        ws.client(client_id)  # a billed person's record must read: a broken one stops the invoice (exit 3)
    if not inv.lines:
        return Outcome(inv, "empty", voided)
    inv.issued = today()
    if preview:
        inv.number = "PREVIEW"
        inv.status = "preview"
        return Outcome(inv, "preview", voided)
    inv.number = index.next_number(settings.prefix, inv.issued.year, numbers_taken(ws))
    inv.status = "issued"
    if voided:
        inv.replaces = voided
    return Outcome(inv, "reissued" if voided else "issued", voided)


def commit(ws, outcome: Outcome) -> None:
    """Write the snapshot(s) and the index (call while holding ``ws.lock()``).

    Order: void the replaced snapshot first, then write the new one, then the index.  A
    crash in between leaves either notes free to bill (never billed twice) and an index
    that no longer matches the snapshots' sizes/times, which the next run rebuilds.
    """
    inv = outcome.invoice
    index = Index.load(ws)  # re-read under the lock
    if inv.number in index.entries or snapshot_path(ws, inv.number).exists() \
            or inv.number in numbers_taken(ws):
        raise PeerkitError(f"invoice number {inv.number} is already used; run the command again")
    clash = set(inv.notes) & index.invoiced_notes() - (
        set(index.entries[outcome.voided].notes) if outcome.voided else set())
    if clash:
        raise PeerkitError("another peerkit billed some of these notes meanwhile; run the command again")
    storage.ensure_dir(invoice_dir(ws))
    write_counter(ws, inv.number)  # first: a crash after it skips a number, never reuses one
    if outcome.voided:
        old = snapshot_path(ws, outcome.voided)
        with storage.edit_toml(old) as doc:
            doc["status"] = "void"
            doc["replaced_by"] = inv.number
            doc["voided"] = inv.issued
        index.entries[outcome.voided].status = "void"
    snapshot = inv.to_snapshot()
    # the audit chain's head now: 'peerkit audit verify' reports a log cut below it
    snapshot[audit.SNAPSHOT_KEY] = audit.head(ws)
    storage.write_toml(snapshot_path(ws, inv.number), snapshot, header=SNAPSHOT_HEADER)
    index.entries[inv.number] = IndexEntry(inv.number, "issued", inv.start, inv.end, inv.issued,
                                           tuple(inv.notes), lines=billed_lines(inv.lines))
    index.save(ws)
