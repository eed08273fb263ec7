"""Rendering a service note through the templates (``templates/notes/note.<fmt>.j2``).

The context every note template receives (all keys always present, StrictUndefined):

* ``note``: id, date, weekday, start, end (HH:MM), minutes, duration, units, code, modifier,
  code_label, is_group, group_size, group_id, place, place_label, location, purpose,
  intervention, response, plan, status, signed, author, credentials, signed_at, late_entry,
  void, void_reason
* ``client``: id, name, record_number, medicaid_id
* ``goals``: [{id, text, status, in_plan}]
* ``addenda``: [{number, at, author, credentials, reason, changes: [{field, old, new}]}]
* ``review``: {decision, reviewer, reason, at} (empty strings when not reviewed)
* ``provider``: {name, credentials}; ``agency``: {name}; ``generated``: today (ISO)
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from peerkit.errors import UsageError
from peerkit.records import Note
from peerkit_notes import model

FORMATS = ("md", "html", "txt")
PLACE_LABELS = {
    "home": "The person's home",
    "community": "Community",
    "office": "Office",
    "emergency-department": "Emergency department",
    "telehealth": "Telehealth (two-way audio and video)",
    "telephone": "Telephone",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


def context(ws, note: Note, units: int) -> dict:
    from peerkit import dates

    client = ws.clients().get(note.client)
    goals = []
    for gid in note.goals:
        g = client.goal(gid) if client else None
        goals.append({"id": gid, "text": g.text if g else "(not in the plan)",
                      "status": g.status if g else "", "in_plan": g is not None})
    addenda: list[dict[str, Any]] = []
    for i, a in enumerate(note.addenda, 1):
        old, new = a.get("old", {}) or {}, a.get("new", {}) or {}
        fields = a.get("fields") or sorted(set(old) | set(new))
        addenda.append({"number": i, "at": _text(a.get("at")), "author": _text(a.get("author")),
                        "credentials": _text(a.get("credentials")), "reason": _text(a.get("reason")),
                        "changes": [{"field": f, "old": _text(old.get(f)), "new": _text(new.get(f))}
                                    for f in fields]})
        moved = a.get("status")
        if isinstance(moved, dict):  # an approved note sent back to review by this change
            addenda[-1]["changes"].append({"field": "status", "old": _text(moved.get("old")),
                                           "new": _text(moved.get("new"))})
    review = {k: _text(note.review.get(k)) for k in ("decision", "reviewer", "reason", "at")}
    mod = f" {note.modifier}" if note.modifier else ""
    return {
        "note": {
            "id": note.id, "date": note.date.isoformat(), "weekday": note.date.strftime("%A"),
            "start": _text(note.start), "end": _text(note.end), "minutes": note.minutes,
            "duration": model.duration_text(note.minutes), "units": units,
            "code": note.code, "modifier": note.modifier, "code_label": f"{note.code}{mod}",
            "is_group": note.is_group, "group_size": note.group_size, "group_id": note.group_id,
            "place": note.place, "place_label": PLACE_LABELS.get(note.place, note.place),
            "location": note.location, "purpose": note.purpose,
            "intervention": note.intervention, "response": note.response, "plan": note.plan,
            "status": note.status, "signed": note.signed_at is not None,
            "author": note.author, "credentials": note.credentials,
            "signed_at": _text(note.signed_at), "late_entry": bool(note.late_entry),
            "void": note.status == "void", "void_reason": note.void_reason,
        },
        "client": {"id": note.client, "name": client.name if client else "",
                   "record_number": client.record_number if client else "",
                   "medicaid_id": client.medicaid_id if client else ""},
        "goals": goals,
        "addenda": addenda,
        "review": review,
        "provider": {"name": str(ws.provider.get("name", "")),
                     "credentials": str(ws.provider.get("credentials", ""))},
        "agency": {"name": str(ws.section("agency").get("name", ""))},
        "generated": dates.today().isoformat(),
    }


def template_name(template: str | None, fmt: str) -> str:
    """``--template NAME``: a full name (``notes/short.md.j2``) or a short one (``short``)."""
    if not template:
        return f"notes/note.{fmt}.j2"
    if template.endswith(".j2"):
        return template
    if "/" in template or "\\" in template or ".." in template:
        raise UsageError("--template takes a name like 'short' or 'notes/short.md.j2'")
    return f"notes/{template}.{fmt}.j2"


def render_note(ws, note: Note, *, fmt: str = "md", template: str | None = None) -> str:
    from peerkit.templating import render

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    units = model.units_for(ws, [note], model.day_pool(ws, [note]))[note.id]
    return render(ws, template_name(template, fmt), context(ws, note, units), fmt=fmt)
