"""The weekly time summary: a plain function over notes and activities (no I/O)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# Notes whose minutes count as billable time: signed by the peer and not denied or void.
BILLABLE_STATUSES = ("signed", "submitted", "approved")


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def summarize(notes: Iterable, activities: Iterable, start: dt.date, end: dt.date) -> dict:
    """Billable vs non-billable time for ``start``..``end``.

    Billable: minutes of notes signed, submitted or approved (``approved_minutes`` of them
    approved by the supervisor).  Non-billable: minutes of activities that are not void,
    also by kind.  ``productivity_percent`` = billable / (billable + non-billable) * 100,
    one decimal, ``None`` when no time was recorded.
    """
    billable = approved = 0
    for n in notes:
        if start <= n.date <= end and n.status in BILLABLE_STATUSES:
            billable += n.minutes
            if n.status == "approved":
                approved += n.minutes
    by_kind: dict[str, int] = {}
    counts: dict[str, int] = {}
    for a in activities:
        if start <= a.date <= end and a.status != "void":
            by_kind[a.kind] = by_kind.get(a.kind, 0) + a.minutes
            counts[a.kind] = counts.get(a.kind, 0) + 1
    non_billable = sum(by_kind.values())
    total = billable + non_billable
    productivity = None
    if total:
        productivity = (Decimal(billable) * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "billable_minutes": billable,
        "billable_hours": str(hours(billable)),
        "approved_minutes": approved,
        "awaiting_review_minutes": billable - approved,
        "non_billable_minutes": non_billable,
        "non_billable_hours": str(hours(non_billable)),
        "total_minutes": total,
        "total_hours": str(hours(total)),
        "by_kind": [{"kind": k, "count": counts[k], "minutes": m, "hours": str(hours(m))}
                    for k, m in sorted(by_kind.items())],
        "productivity_percent": str(productivity) if productivity is not None else None,
    }


def summary_text(s: dict) -> str:
    lines = [f"Week {s['period']['start']} to {s['period']['end']}",
             f"  Billable (signed/approved notes): {s['billable_hours']} h"
             f"  ({s['approved_minutes']} min approved, {s['awaiting_review_minutes']} min awaiting review)",
             f"  Non-billable (activities):        {s['non_billable_hours']} h"]
    for k in s["by_kind"]:
        lines.append(f"    {k['kind']:<26} {k['hours']:>6} h  ({k['count']})")
    pct = s["productivity_percent"]
    lines.append(f"  Productivity: {pct} %" if pct is not None else "  Productivity: no time recorded")
    return "\n".join(lines)
