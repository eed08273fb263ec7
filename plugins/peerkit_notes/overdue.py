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
    problems: list = []
    try:
        drafts = [(nid, dt.datetime.fromisoformat(due)) for nid, due in _drafts(ws, today, s, problems)]
    except (TypeError, ValueError):  # a kept answer peerkit did not write: computed, never believed
        problems = []
        drafts = _draft_deadlines(ws, today, s, problems)
    out: list = []
    for note_id, due in drafts:
        if ref > due:
            out.append(Alert("notes", note_id, "error", due.date(),
                             f"draft not signed {s.deadline_hours:g} h after the service: sign it "
                             f"now (peerkit note sign {note_id}); it will be a LATE ENTRY"))
        else:
            out.append(Alert("notes", note_id, "warning", due.date(),
                             f"draft: sign it by {due.strftime('%Y-%m-%d %H:%M')} "
                             f"(peerkit note sign {note_id})"))
    return out + problems


def _drafts(ws, today: dt.date, s, problems: list) -> list:
    """``[[note id, deadline (ISO)]]`` of the window's drafts, kept in
    notes/.draft-alerts-cache.json while no record read changed (peerkit.derived, issue 19);
    the clock is applied to them afresh on every run."""
    from peerkit.derived import remembered

    def run():
        found = [[nid, due.isoformat()] for nid, due in _draft_deadlines(ws, today, s, problems)]
        return found, not problems

    kept = remembered(ws, "draft-alerts", {"today": today.isoformat()}, run, packages=("peerkit_notes",))
    if not isinstance(kept, list) or not all(isinstance(d, list) and len(d) == 2 for d in kept):
        raise TypeError("not a kept answer")
    return kept


def _draft_deadlines(ws, today: dt.date, s, problems: list) -> list[tuple[str, dt.datetime]]:
    notes, unreadable = _window_notes(ws, today)
    problems.extend(unreadable)
    return [(n.id, deadline(n, s.deadline_hours)) for n in notes if n.status == "draft"]
