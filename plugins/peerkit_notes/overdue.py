"""``peerkit status`` alerts: drafts not yet signed, within a bounded look-back window."""
from __future__ import annotations

import datetime as dt

from peerkit.alerts import Alert
from peerkit_notes import model


def reference_time(today: dt.date) -> dt.datetime:
    """Now, or the end of ``today`` when status runs ``--as-of`` another day."""
    from peerkit import dates

    now = dates.now()
    if now.date() == today:
        return now
    return dt.datetime.combine(today, dt.time(23, 59))


def _window_notes(ws, today: dt.date) -> tuple[list, list]:
    """``(notes, problems)`` of the alert window.  When a note file cannot be read, the window
    is read again file by file, so one broken note never hides another's overdue draft; each
    problem is a DataError (``status`` shows it and exits 3)."""
    from peerkit import storage
    from peerkit.dates import month_folders
    from peerkit.errors import DataError
    from peerkit.records import note_from_dict

    try:
        return list(model.iter_alert_notes(ws, today)), []
    except DataError as exc:
        problems = [exc]
    start, end = model.window(ws, today)
    notes = []
    for y, m in month_folders(start, end):
        folder = ws.path("notes", f"{y:04d}", f"{m:02d}")
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            if path.name.startswith("."):
                continue
            try:
                note = note_from_dict(storage.read_toml(path), path, expect_id=path.stem)
            except DataError as exc:
                problems.append(exc)
                continue
            if start <= note.date <= end:
                notes.append(note)
    return notes, problems


def note_alerts(ws, today: dt.date) -> list:
    """Unsigned drafts of the last ``[notes] alert_days`` (60) days.

    error: the signing deadline (``billing.note_deadline_hours`` after the service end) has
    passed; warning: still a draft, due by the deadline.  Only notes/YYYY/MM folders of the
    window are read, so the cost follows the window, not the workspace's history.  A note
    file that cannot be read is returned as its DataError, after the alerts of the others.
    """
    s = model.settings(ws)
    ref = reference_time(today)
    out: list = []
    notes, problems = _window_notes(ws, today)
    for note in notes:
        if note.status != "draft":
            continue
        due = model.deadline(note, s.deadline_hours)
        if ref > due:
            out.append(Alert("notes", note.id, "error", due.date(),
                             f"draft not signed {s.deadline_hours:g} h after the service: sign it "
                             f"now (peerkit note sign {note.id}); it will be a LATE ENTRY"))
        else:
            out.append(Alert("notes", note.id, "warning", due.date(),
                             f"draft: sign it by {due.strftime('%Y-%m-%d %H:%M')} "
                             f"(peerkit note sign {note.id})"))
    return out + problems
