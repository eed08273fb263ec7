"""``peerkit status`` alerts: drafts not yet signed, within a bounded look-back window."""
from __future__ import annotations

import datetime as dt

from peerkit.alerts import Alert
from peerkit_notes.model import deadline, settings, window


def reference_time(today: dt.date) -> dt.datetime:
    """Now, or the end of ``today`` when status runs ``--as-of`` another day."""
    from peerkit import dates

    now = dates.now()
    if now.date() == today:
        return now
    return dt.datetime.combine(today, dt.time(23, 59))


def _window_notes(ws, today: dt.date) -> tuple[list, list]:
    """``(notes, problems)`` of the alert window: one broken note never hides another's overdue
    draft; each problem is a DataError (``status`` shows it and exits 3)."""
    from peerkit.records import readable_notes

    start, end = window(ws, today)
    return readable_notes(ws, start, end)


def note_alerts(ws, today: dt.date) -> list:
    """Unsigned drafts of the last ``[notes] alert_days`` (60) days.

    error: the signing deadline (``billing.note_deadline_hours`` after the service end) has
    passed; warning: still a draft, due by the deadline.  Only notes/YYYY/MM folders of the
    window are read, so the cost follows the window, not the workspace's history.  A note
    file that cannot be read is returned as its DataError, after the alerts of the others.
    """
    s = settings(ws)
    ref = reference_time(today)
    out: list = []
    notes, problems = _window_notes(ws, today)
    for note in notes:
        if note.status != "draft":
            continue
        due = deadline(note, s.deadline_hours)
        if ref > due:
            out.append(Alert("notes", note.id, "error", due.date(),
                             f"draft not signed {s.deadline_hours:g} h after the service: sign it "
                             f"now (peerkit note sign {note.id}); it will be a LATE ENTRY"))
        else:
            out.append(Alert("notes", note.id, "warning", due.date(),
                             f"draft: sign it by {due.strftime('%Y-%m-%d %H:%M')} "
                             f"(peerkit note sign {note.id})"))
    return out + problems
