"""Note checks about the person served, registered through the ``note_checks`` hook:
the service order and plan in force, eligibility (age, family member), goal progress."""
from __future__ import annotations

import peerkit_clients.settings as settings_mod
from peerkit.checks import NoteCheck


def _settings(ctx) -> settings_mod.Settings:
    s = ctx.cache.get("clients.settings")
    if s is None:
        s = ctx.cache["clients.settings"] = settings_mod.load(ctx.workspace)
    return s


def age_on(born, day) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def service_order(note, ctx):
    """A service order signed on or before the service date (when documents are tracked)."""
    client = ctx.client(note.client)
    if client is None:
        return None
    if not client.documents and not _settings(ctx).require_service_order:
        return None
    if client.latest_document("service-order", note.date) is None:
        later = [d.signed for d in client.documents if d.kind == "service-order"]
        if later:
            return (f"the service order of client {note.client} is signed {min(later).isoformat()}, "
                    f"after the service date {note.date.isoformat()}: a service before the order "
                    "is not billable")
        return (f"client {note.client} has no service order signed on or before "
                f"{note.date.isoformat()}: add it with 'peerkit client doc add {note.client} "
                "--kind service-order --signed DATE --signer NAME'")
    return None


def documents_current(note, ctx):
    """The latest service order and person-centered plan have not expired on the service date."""
    client = ctx.client(note.client)
    if client is None:
        return None
    out = []
    for kind in ("service-order", "person-centered-plan"):
        doc = client.latest_document(kind, note.date)
        if doc is not None and doc.expires is not None and doc.expires < note.date:
            out.append(f"the {kind} of client {note.client} expired on {doc.expires.isoformat()}, "
                       f"before the service date {note.date.isoformat()}: record the renewed {kind}")
    return out


def eligibility_age(note, ctx):
    client = ctx.client(note.client)
    if client is None or client.date_of_birth is None:
        return None
    minimum = _settings(ctx).min_age
    age = age_on(client.date_of_birth, note.date)
    if age < minimum:
        return (f"client {note.client} is {age} on the service date; peer support is for people "
                f"aged {minimum} or over ([clients] min_age)")
    return None


def family_member(note, ctx):
    client = ctx.client(note.client)
    if client is not None and client.family_member:
        return (f"client {note.client} is marked family_member = true: a peer may not bill services "
                "to a member of their own family")
    return None


def goal_progress(note, ctx):
    """``[progress]`` on a note rates goals of the note on the scale of [clients] progress_scale."""
    progress = note.extra.get("progress")
    if progress is None:
        return None
    if not isinstance(progress, dict):
        return "'progress' must be a table ([progress] G1 = 3)"
    scale = _settings(ctx).progress_scale
    out = []
    for gid, value in progress.items():
        if gid not in note.goals:
            out.append(f"[progress] rates goal {gid!r}, which the note does not list in 'goals'")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= len(scale):
            out.append(f"[progress] {gid}: give a whole number from 1 to {len(scale)} "
                       "([clients] progress_scale)")
    return out


CHECKS = [
    NoteCheck("service-order", "error", service_order,
              "A service order is signed on or before the service date (for clients with documents "
              "recorded, or every client with [clients] require_service_order = true)."),
    NoteCheck("documents-current", "error", documents_current,
              "The service order and person-centered plan in force have not expired."),
    NoteCheck("eligibility-age", "error", eligibility_age,
              "The person is at least [clients] min_age (18) on the service date."),
    NoteCheck("family-member", "error", family_member,
              "The person served is not a member of the peer's family."),
    NoteCheck("goal-progress", "error", goal_progress,
              "Progress ratings name goals of the note and are on the [clients] progress_scale."),
]
