"""``certs status --ics FILE``: an RFC 5545 calendar of expiries, renewals and supervision.

Every event is all-day with DISPLAY alarms (``[certs] alarm_days``, default 30 and 7 days
before).  UIDs are hashes of what identifies the deadline (the provider's name from
peerkit.toml, the credential's id and number, the kind of deadline) -- never of the folder
the workspace sits in -- so importing the file again updates the events instead of
duplicating them, on any machine.  DTSTAMP is the time of the export (``PEERKIT_NOW``
fixes it), so a newer export wins in calendar programs that compare it.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from peerkit import dates
from peerkit_certs.model import fmt_hours
from peerkit_certs.status import CertsStatus

PRODID = "-//peerkit//certs status//EN"


def uid(owner: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(["peerkit", owner, *parts]).encode("utf-8")).hexdigest()
    return f"{digest[:32]}@peerkit"


def _stamp() -> dt.datetime:
    """Now in UTC (a naive local time is read as the computer's local time)."""
    return dates.now().astimezone(dt.UTC)


def _event(summary: str, day: dt.date, event_uid: str, stamp: dt.datetime, description: str,
           alarm_days: list[int], *, rrule: dict | None = None):
    from icalendar import Alarm, Event

    ev = Event()
    ev.add("uid", event_uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", day)
    ev.add("dtend", day + dt.timedelta(days=1))
    ev.add("summary", summary)
    ev.add("description", description)
    ev.add("transp", "TRANSPARENT")
    ev.add("categories", ["peerkit"])
    if rrule:
        ev.add("rrule", rrule)
    for days in sorted(set(alarm_days), reverse=True):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{summary} ({'today' if days == 0 else f'in {days} days'})")
        alarm.add("trigger", dt.timedelta(days=-days))
        ev.add_component(alarm)
    return ev


def build_calendar(status: CertsStatus, *, owner: str, alarm_days: list[int],
                   supervision_alarm_days: int) -> bytes:
    """The calendar as bytes (CRLF line ends, folded lines, as RFC 5545 requires)."""
    from icalendar import Calendar

    stamp = _stamp()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "peerkit: credentials and supervision")
    progress = {p.credential.id: p for p in status.ce}
    for cred, state, _days in status.credentials:
        if state == "retired":
            continue
        if cred.expires is not None:
            cal.add_component(_event(
                f"{cred.name} expires", cred.expires, uid(owner, "expiry", cred.id, cred.number), stamp,
                f"The {cred.kind} '{cred.id}' is valid through this day. Renew it before then.",
                alarm_days))
        p = progress.get(cred.id)
        if p is not None and p.due is not None:
            need = []
            if p.required is not None:
                need.append(f"{fmt_hours(p.required)} h of continuing education "
                            f"({fmt_hours(p.earned)} h earned as of {status.as_of.isoformat()})")
            for cat, row in p.category_rows().items():
                need.append(f"{row['required']} h {cat} ({row['earned']} h earned)")
            cal.add_component(_event(
                f"{cred.name}: renewal due", p.due, uid(owner, "renewal", cred.id, cred.number), stamp,
                "Renewal deadline. Required: " + "; ".join(need) + ".", alarm_days))
    sup = status.supervision
    if sup.minimum > 0 and sup.current is not None:
        cal.add_component(_event(
            f"Supervision: at least {sup.minimum} minutes this month", sup.current["due"],
            uid(owner, "supervision", "monthly"), stamp,
            f"Log supervision with 'peerkit certs supervision add' (at least {sup.minimum} minutes "
            "each calendar month).", [supervision_alarm_days],
            rrule={"freq": "monthly", "bymonthday": -1}))
    return cal.to_ical()


def write_calendar(path, data: bytes) -> None:
    from peerkit.storage import atomic_write_bytes

    def verify(written: bytes) -> None:
        from icalendar import Calendar

        Calendar.from_ical(written)

    atomic_write_bytes(path, data, verify=verify)
