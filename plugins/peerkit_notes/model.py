"""Service notes: adding, editing, signing and voiding them (no CLI here).

Every writer takes the workspace lock; new notes are written with ``storage.write_toml``
and existing ones are changed with ``storage.edit_toml`` (tomlkit), so comments survive
and a failed validation leaves the file exactly as it was.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerkit import dates, session, storage
from peerkit.errors import DataError, UsageError
from peerkit.records import BILLABLE_FIELDS, PLACES, Note, check_id, id_problem, note_from_dict, note_path, note_seal
from peerkit.validate import Fields, clean_text

HEADER = ("A service note.  Units are computed from start/end by the workspace's unit rule.\n"
          "Sign with 'peerkit note sign'; edits of a signed note are kept as addenda.")

# Places that are never a place of service for peer support, whatever [notes] allowed_places
# says: the peer's own residence (a boundary and safety rule of peer work).
FORBIDDEN_PLACES = ("peer-residence", "peer-home", "provider-residence", "provider-home",
                    "staff-residence")

NARRATIVE = ("purpose", "intervention", "response", "plan")
# Fields `note edit` may change.  Client and date are part of the note id (and of its folder):
# to move a note to another person or day, void it and add a new one.
EDITABLE = ("start", "end", "code", "modifier", "group_size", "place", "location", "goals",
            *NARRATIVE)
# Keys a new note may not carry: they are computed (units) or written by sign/void/review.
NOT_ON_ADD = ("units", "author", "credentials", "signed_at", "late_entry", "review", "addenda",
              "void_reason", "seal")
SIGNED_STATUSES = ("signed", "submitted", "approved", "denied")
# Changing one of these on an approved note sends it back to review (not billed until approved).
RE_REVIEW_FIELDS = frozenset((*BILLABLE_FIELDS, *NARRATIVE))
GROUP_MODIFIER = "HQ"
DEFAULT_CODE = "H0038"


# ---------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class NoteSettings:
    """The workspace's ``[notes]`` table (and ``billing.note_deadline_hours``)."""

    allowed_places: tuple[str, ...] = PLACES
    max_group_size: int = 12
    alert_days: int = 60
    deadline_hours: float = 24.0
    # Words at least in each of purpose, intervention and response (0 = no minimum): five words
    # is about the shortest sentence that says what was done and how the person responded
    # ("Practised a job interview together."), as APSM 45-2 notes must; "p", "i", "r" is not.
    min_words: int = 5


def settings(ws) -> NoteSettings:
    """The ``[notes]`` settings, read once per Workspace."""
    return ws.memo("peerkit_notes", lambda: _read_settings(ws))


def _read_settings(ws) -> NoteSettings:
    path = ws.path("peerkit.toml")
    f = Fields(ws.section("notes"), path, "notes.")
    places = tuple(f.text_list("allowed_places")) if "allowed_places" in f.data else PLACES
    result = NoteSettings(
        allowed_places=places,
        max_group_size=f.opt("max_group_size", int, 12),
        alert_days=f.opt("alert_days", int, 60),
        min_words=f.opt("min_words", int, 5),
        deadline_hours=float(Fields(ws.section("billing"), path, "billing.")
                             .opt("note_deadline_hours", (int, float), 24)),
    )
    if result.max_group_size < 1:
        f.fail("max_group_size", "must be at least 1")
    if result.min_words < 0:
        f.fail("min_words", "must not be negative (0 turns the minimum off)")
    if result.alert_days < 1:
        f.fail("alert_days", "must be at least 1 day")
    return result


def known_places(ws) -> tuple[str, ...]:
    s = settings(ws)
    return tuple(dict.fromkeys((*PLACES, *s.allowed_places, *FORBIDDEN_PLACES)))


# ---------------------------------------------------------------------------- time helpers


def service_end(note: Note) -> dt.datetime:
    return dt.datetime.combine(note.date, note.end)


def deadline(note: Note, hours: float) -> dt.datetime:
    return service_end(note) + dt.timedelta(hours=hours)


def is_late(note: Note, signed_at: dt.datetime, hours: float) -> bool:
    return signed_at > deadline(note, hours)


def duration_text(minutes: int) -> str:
    """``45 minutes`` or ``1 h 05 min (65 minutes)``."""
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min ({minutes} minutes)" if h else f"{minutes} minutes"


# ---------------------------------------------------------------------------- units


def units_for(ws, notes: Iterable[Note], pool: Iterable[Note] | None = None) -> dict[str, int]:
    """Billed units of each note under the workspace's unit rule.

    With ``units_per = "day"`` a note's units depend on the other notes of its client, code
    and day: ``pool`` must then hold every note of those days (``notes`` is used otherwise).
    Void and denied notes are never billed (0 units, never in a day's bundle): the rule is
    ``peerkit.units.units_by_note``, shared by every view.
    """
    from peerkit.units import units_by_note

    notes = list(notes)
    rule = ws.unit_rule
    billable = notes
    if rule.units_per == "day":
        days = {n.date for n in notes}
        base = list(pool) if pool is not None else notes
        by_id = {n.id: n for n in base if n.date in days}
        by_id.update({n.id: n for n in notes})
        billable = list(by_id.values())
    units = units_by_note(billable, rule)
    return {n.id: units.get(n.id, 0) for n in notes}


def day_pool(ws, notes: Iterable[Note]) -> list[Note] | None:
    """Every note of the days of ``notes`` (only needed when units are bundled per day)."""
    notes = list(notes)
    if ws.unit_rule.units_per != "day" or not notes:
        return None
    days = sorted({n.date for n in notes})
    return [n for n in ws.notes(days[0], days[-1]) if n.date in set(days)]


# ---------------------------------------------------------------------------- ids


def id_prefix(client: str, day: dt.date) -> str:
    return f"N-{day.isoformat()}-{client}-"


def next_id(ws, client: str, day: dt.date, taken: Collection[str] = frozenset()) -> str:
    """``N-<date>-<client>-<n>``: the next free sequence number for that client and day."""
    prefix = id_prefix(client, day)
    folder = ws.path("notes", f"{day.year:04d}", f"{day.month:02d}")
    highest = 0
    names = [p.stem for p in folder.glob(f"{prefix}*.toml")] if folder.is_dir() else []
    for name in (*names, *taken):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            highest = max(highest, int(name[len(prefix):]))
    new = f"{prefix}{highest + 1}"
    problem = id_problem(new)
    if problem:
        raise DataError(f"client id {client!r} is too long to build a note id ({problem})")
    return new


# ---------------------------------------------------------------------------- adding

_PLACEHOLDER = "N-pending"


def _normalise(data: dict, where: str) -> dict:
    """Typed values from flags, JSON or TOML: text dates/times become dates/times."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or (isinstance(value, (list, tuple)) and key != "goals" and not value):
            continue
        if key == "date" and isinstance(value, str):
            try:
                value = dates.parse_date(value)
            except ValueError:
                raise DataError(where, "field 'date': expected a date like 2026-11-23") from None
        elif key in ("start", "end") and isinstance(value, str):
            try:
                value = dates.parse_time(value)
            except ValueError:
                raise DataError(where, f"field '{key}': expected a time like 10:00") from None
        elif key == "goals" and isinstance(value, str):
            value = [g.strip() for g in value.split(",") if g.strip()]
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def prepare(ws, data: dict, where: str) -> Note:
    """Validate one new note's data; the id is assigned later (under the lock)."""
    data = _normalise(dict(data), where)
    for key in NOT_ON_ADD:
        if key in data:
            if key == "units":
                raise DataError(where, "field 'units': units are computed from start and end by "
                                       "the workspace's unit rule; remove 'units'")
            raise DataError(where, f"field '{key}': is written by 'peerkit note sign', 'note void' "
                                   "or the supervisor's review, not when a note is added; remove it")
    status = data.pop("status", "draft")
    if status != "draft":
        raise DataError(where, "field 'status': new notes are drafts; sign them with "
                               "'peerkit note sign ID'")
    given_id = data.pop("id", None)
    for key in ("client", "date", "start", "end"):
        if key not in data:
            raise DataError(where, f"field '{key}': is required but missing")
    data.setdefault("code", DEFAULT_CODE)
    data.setdefault("modifier", "")
    data.setdefault("group_size", 0)
    data.setdefault("goals", [])
    data["status"] = "draft"
    data["written_at"] = dates.now()
    data["late_entry"] = False
    if isinstance(data.get("client"), str):
        data["client"] = data["client"].strip()
    day = data.get("date")
    if isinstance(day, dt.date):
        problem = dates.service_date_problem(day)
        if problem:
            raise DataError(where, f"field 'date': {problem}")
    note = note_from_dict({**data, "id": given_id or _PLACEHOLDER}, where, clients=ws.clients())
    note.zone = ws.timezone
    if note.place and note.place not in known_places(ws):
        raise DataError(where, "field 'place': must be one of "
                               + ", ".join(repr(p) for p in settings(ws).allowed_places))
    if note.modifier == GROUP_MODIFIER and note.group_size > settings(ws).max_group_size:
        raise DataError(where, f"field 'group_size': a group has at most "
                               f"{settings(ws).max_group_size} people")
    if given_id:
        check_id(given_id, "note id")
        if not given_id.startswith(id_prefix(note.client, note.date)):
            raise DataError(where, "field 'id': must start with "
                                   f"{id_prefix(note.client, note.date)!r} (or leave it out)")
    return note


def add_notes(ws, records: list[dict], where: str) -> list[Note]:
    """Validate every record first; write none unless all are valid.  Returns the notes."""
    if not records:
        raise DataError(where, "holds no note")
    prepared = []
    for i, data in enumerate(records):
        label = where if len(records) == 1 else f"{where} (note {i + 1})"
        if not isinstance(data, dict):
            raise DataError(label, "must be a table")
        prepared.append(prepare(ws, data, label))
    written: list[Note] = []
    with ws.lock():
        taken: set[str] = set()
        for note in prepared:
            nid = note.id if note.id != _PLACEHOLDER else next_id(ws, note.client, note.date, taken)
            if nid in taken:
                raise DataError(where, f"note id {nid!r} appears twice")
            taken.add(nid)
            note = dataclasses.replace(note, id=nid)
            note.path = note_path(ws, note)
            if note.path.exists():
                raise DataError(ws.rel(note.path), "already exists; use 'peerkit note edit'")
            written.append(note)
        for note in written:
            assert note.path is not None  # set above, with the id
            storage.write_toml(note.path, note.to_dict(), header=HEADER)
    return written


def add_from_source(ws, source: str) -> list[Note]:
    from peerkit.inputs import read_records

    records, where = read_records(source, list_key="notes")
    return add_notes(ws, records, where)


# ---------------------------------------------------------------------------- groups


def group_records(ws, session: dict, attendees: list[dict], where: str) -> list[dict]:
    """One note per attendee of a group session (code H0038, modifier HQ).

    ``session``: date, start, end, place, location, purpose, intervention, plan, code,
    group_id.  ``attendees``: [{client, response, goals, plan?}].
    """
    limit = settings(ws).max_group_size
    if not attendees:
        raise DataError(where, "a group session needs at least one attendee (--attendee CLIENT)")
    ids: list[Any] = [a.get("client") for a in attendees]
    for i, cid in enumerate(ids):
        if not isinstance(cid, str) or not cid.strip():
            raise DataError(where, f"attendee {i + 1}: field 'client' is required")
    dupes = sorted({c for c in ids if ids.count(c) > 1})
    if dupes:
        raise DataError(where, f"attendee {dupes[0]!r} is listed twice")
    if len(attendees) > limit:
        raise DataError(where, f"{len(attendees)} attendees: a peer-support group has at most "
                               f"{limit} people ([notes] max_group_size); split the group")
    session = dict(session)
    if session.get("modifier", GROUP_MODIFIER) != GROUP_MODIFIER:
        raise DataError(where, "field 'modifier': group notes use modifier HQ")
    session["modifier"] = GROUP_MODIFIER
    session.setdefault("code", DEFAULT_CODE)
    for key in ("date", "start", "end"):
        if session.get(key) in (None, ""):
            raise DataError(where, f"field '{key}': is required but missing")
    session = _normalise(session, where)
    if not session.get("group_id"):
        session["group_id"] = f"GRP-{session['date'].isoformat()}-{session['start'].strftime('%H%M')}"
    if id_problem(session["group_id"]):
        raise DataError(where, f"field 'group_id': {id_problem(session['group_id'])}")
    records = []
    for a in attendees:
        unknown = set(a) - {"client", "response", "goals", "plan"}
        if unknown:
            raise DataError(where, f"attendee {a['client']!r}: unknown field {sorted(unknown)[0]!r} "
                                   "(use client, response, goals, plan)")
        rec = {k: v for k, v in session.items() if k not in ("attendees",)}
        rec["client"] = a["client"].strip()
        rec["group_size"] = len(attendees)
        rec["response"] = a.get("response", "") or ""
        rec["goals"] = a.get("goals", []) or []
        if a.get("plan"):
            rec["plan"] = a["plan"]
        records.append(rec)
    return records


def add_group_from_source(ws, source: str) -> list[Note]:
    from peerkit.inputs import read_records

    records, where = read_records(source)
    if len(records) != 1:
        raise DataError(where, "holds more than one group session; give one session per file")
    session = dict(records[0])
    attendees = session.pop("attendees", None)
    if not isinstance(attendees, list) or not all(isinstance(a, dict) for a in attendees):
        raise DataError(where, "field 'attendees': expected a list of tables ([[attendees]])")
    return add_notes(ws, group_records(ws, session, attendees, where), where)


# ---------------------------------------------------------------------------- editing


def _plain_value(value: Any) -> Any:
    if hasattr(value, "unwrap"):
        return value.unwrap()
    return value


def coerce_changes(changes: dict, where: str) -> dict:
    """Validate the keys of an edit and turn text into typed values."""
    bad = [k for k in changes if k not in EDITABLE]
    if bad:
        key = bad[0]
        if key in ("client", "date", "id"):
            raise UsageError(f"'{key}' is part of the note id and cannot be edited: void the note "
                             "('peerkit note void ID --reason ...') and add a new one")
        raise UsageError(f"'{key}' cannot be edited (editable: {', '.join(EDITABLE)})")
    out = _normalise(changes, where)
    for key in (*NARRATIVE, "location", "place", "code", "modifier"):
        if key in out and isinstance(out[key], str):
            out[key] = clean_text(out[key]).strip()
    if "goals" in out:
        out["goals"] = [clean_text(g).strip() for g in out["goals"] if str(g).strip()]
    return out


def edit_note(ws, note_id: str, changes: dict, *, reason: str = "") -> tuple[Note, list[str], bool]:
    """Change a note.  Returns (note after, changed field names, addendum written).

    A draft is changed in place.  A signed, submitted, approved or denied note is changed
    only with a ``reason``: an addendum ``{at, author, credentials, reason, fields, old, new,
    seal}`` is appended so the original entry stays readable (APSM late entry / addendum
    practice) and the note's ``seal`` is renewed.  An *approved* note whose billable facts or
    narrative change goes back to review (``submitted``): it is not billed until approved
    again.  A void note cannot be edited.
    """
    import tomlkit

    where = "command line"
    changes = coerce_changes(changes, where)
    with ws.lock():
        note = ws.note(note_id)
        path = note.path
        if note.status == "void":
            raise DataError(ws.rel(path), "is void and cannot be edited; add a new note instead")
        current = note.to_dict()
        changed = [k for k in EDITABLE if k in changes and changes[k] != current.get(k)]
        if not changed:
            return note, [], False
        addendum = note.status in SIGNED_STATUSES
        if addendum:
            author, credentials = signer(ws)
            if not reason.strip():
                raise UsageError(f"--reason is required to change a {note.status} note: say what "
                                 "changed and why (it is kept in the addendum)")
        back_to_review = note.status == "approved" and bool(set(changed) & RE_REVIEW_FIELDS)
        with storage.edit_toml(path) as doc:
            old = {k: _plain_value(doc.get(k, current.get(k))) for k in changed}
            for key in changed:
                doc[key] = changes[key]
            if addendum:
                now = dates.now()
                entry = {"at": now, "author": author, "credentials": credentials,
                         "reason": clean_text(reason.strip()), "fields": list(changed),
                         "old": {k: v for k, v in old.items() if v is not None},
                         "new": {k: changes[k] for k in changed}}
                if back_to_review:
                    entry["status"] = {"old": "approved", "new": "submitted"}
                    doc["status"] = "submitted"
                    doc["submitted_at"] = now
                sealed = note_from_dict(doc.unwrap(), path, expect_id=note_id, clients=ws.clients())
                entry["seal"] = note_seal(sealed)
                doc["seal"] = entry["seal"]
                addenda = doc.get("addenda")
                if addenda is None:
                    addenda = tomlkit.aot()
                    doc.append("addenda", addenda)
                addenda.append(entry)
            after = note_from_dict(doc.unwrap(), path, expect_id=note_id, clients=ws.clients())
            after.zone = ws.timezone
            if after.place and after.place not in known_places(ws):
                raise DataError(ws.rel(path), "field 'place': must be one of "
                                + ", ".join(repr(p) for p in settings(ws).allowed_places))
    return after, changed, addendum


EDIT_FORM_HEADER = """\
# Edit the fields below, save and close the editor.  Leave a field as it is to keep it.
# client and date are part of the note id: to change them, void the note and add a new one.
# {signed}
"""


def edit_form(note: Note) -> str:
    data = {k: v for k, v in note.to_dict().items() if k in EDITABLE}
    signed = ("This note is " + note.status + ": your changes are kept as an addendum, "
              "the old values stay in the note's history.") if note.status in SIGNED_STATUSES \
        else "This note is a draft: your changes replace the old values."
    return EDIT_FORM_HEADER.format(signed=signed) + storage.dumps_toml(data)


def changes_from_form(note: Note, text: str) -> dict:
    where = f"edited copy of {note.id}"
    data = storage.parse_toml(text, where)
    unknown = [k for k in data if k not in EDITABLE]
    if unknown:
        raise DataError(where, f"field '{unknown[0]}': cannot be edited here; nothing was changed")
    current = note.to_dict()
    return {k: v for k, v in data.items() if v != current.get(k)}


# ---------------------------------------------------------------------------- signing


def signer(ws) -> tuple[str, str]:
    """(name, credentials) from ``[provider]``; both are required to sign."""
    p = ws.provider
    name = clean_text(str(p.get("name", ""))).strip()
    cred = clean_text(str(p.get("credentials", ""))).strip()
    if not name:
        raise DataError("peerkit.toml", "field 'provider.name': is required to sign notes "
                                        "(your full name, no initials)")
    if not cred:
        raise DataError("peerkit.toml", "field 'provider.credentials': is required to sign notes "
                                        "(for example \"NC CPSS\")")
    return name, cred


# ---------------------------------------------------------------------------- voiding


GREP_FIELDS = ("id", "client", "location", "purpose", "intervention", "response", "plan",
               "void_reason")


def note_matches(note: Note, text: str) -> bool:
    """``text`` (any case) in the note's id, client id, location, narrative or addenda."""
    wanted = text.casefold()
    values = [str(getattr(note, f, "") or "") for f in GREP_FIELDS]
    values += [str(a.get("reason", "")) for a in note.addenda]
    return any(wanted in v.casefold() for v in values)


def delete_draft(ws, note_id: str) -> Path:
    """Remove a draft that was never signed; refuse any other note (void it instead)."""
    with ws.lock():
        note = ws.note(note_id)
        rel = ws.rel(note.path)
        if note.status != "draft" or note.signed_at or note.addenda or note.review \
                or note.extra.get("voided_from"):
            raise DataError(rel, f"is {note.status} (or was signed once): only a draft that was "
                                 f"never signed can be deleted; void it instead with 'peerkit note "
                                 f"void {note_id} --reason ...'")
        note.path.unlink()
        session.current().wrote(note.path)   # the month's cache is refreshed when the lock is released
        ws.forget_notes()
        ws.audit("note delete", records=[note_id], action="draft deleted")
    return note.path


def void_note(ws, note_id: str, reason: str, *, force: bool = False) -> Note:
    reason = clean_text(reason or "").strip()
    if not reason:
        raise UsageError("--reason is required: say why the note is void (for example "
                         "\"entered in error\")")
    with ws.lock():
        note = ws.note(note_id)
        rel = ws.rel(note.path)
        if note.status == "void":
            raise DataError(rel, "is already void")
        if note.status == "approved" and not force:
            raise DataError(rel, "is approved (it may be on an invoice already): void it with "
                                 "--force; if it was invoiced, the next invoice credits it "
                                 "(an adjustment line)")
        with storage.edit_toml(note.path) as doc:
            doc["voided_from"] = note.status
            doc["status"] = "void"
            doc["void_reason"] = reason
            doc["voided_at"] = dates.now()
            doc["voided_by"] = clean_text(str(ws.provider.get("name", ""))).strip()
            after = note_from_dict(doc.unwrap(), note.path, expect_id=note_id, clients=ws.clients())
    return after


# ---------------------------------------------------------------------------- submitting

SUBMITTABLE = ("signed", "denied")


def submit_notes(ws, note_ids: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Mark signed notes (or denied ones corrected by an addendum) as submitted for review.

    Returns (submitted ids, [(id, why skipped)]).  A denied note keeps its [review] table as
    history; the next review decision replaces it.
    """
    done: list[str] = []
    skipped: list[tuple[str, str]] = []
    with ws.lock():
        for note_id in note_ids:
            note = ws.note(note_id)
            if note.status not in SUBMITTABLE:
                skipped.append((note_id, f"it is {note.status}; only signed or denied notes are submitted"))
                continue
            with storage.edit_toml(note.path) as doc:
                doc["status"] = "submitted"
                doc["submitted_at"] = dates.now()
            done.append(note_id)
    return done, skipped


# ---------------------------------------------------------------------------- showing


def note_json(note: Note, units: int, ws=None) -> dict:
    d = note.to_dict()
    d["minutes"] = note.minutes
    d["units"] = units
    if ws is not None and note.path is not None:
        d["file"] = ws.rel(note.path)
    return d


def note_text(ws, note: Note, units: int) -> str:
    client = ws.clients().get(note.client)
    mod = f" {note.modifier}" if note.modifier else ""
    lines = [f"{note.id}  [{note.status}]" + ("  LATE ENTRY" if note.late_entry else ""),
             f"  Client: {note.client}" + (f"  {client.name}" if client else ""),
             f"  Date: {note.date.isoformat()}  {note.start.strftime('%H:%M')}-{note.end.strftime('%H:%M')}"
             f"  ({note.minutes} min, {units} unit{'s' if units != 1 else ''})",
             f"  Service: {note.code}{mod}" + (f"  group of {note.group_size}" if note.is_group else "")
             + (f"  ({note.group_id})" if note.group_id else ""),
             f"  Place: {note.place or '-'}  {note.location}"]
    for g in note.goals:
        goal = client.goal(g) if client else None
        lines.append(f"  Goal {g}: {goal.text if goal else '(not in the plan)'}")
    for key in NARRATIVE:
        lines.append(f"  {key.capitalize()}: {getattr(note, key) or '-'}")
    if note.signed_at:
        lines.append(f"  Signed: {note.author}, {note.credentials}, {note.signed_at.isoformat(' ')}")
    if note.void_reason:
        lines.append(f"  VOID: {note.void_reason}")
    for i, a in enumerate(note.addenda, 1):
        at: Any = a.get("at")
        at = at.isoformat(" ") if hasattr(at, "isoformat") else str(at or "")
        lines.append(f"  Addendum {i} ({at}, {a.get('author', '')}): "
                     f"changed {', '.join(a.get('fields', []))}" + (f" -- {a['reason']}" if a.get("reason") else ""))
    if note.review:
        lines.append(f"  Review: {note.review.get('decision', '')} by {note.review.get('reviewer', '')}"
                     + (f" ({note.review['reason']})" if note.review.get("reason") else ""))
    return "\n".join(lines)


_NAME_SPLIT = re.compile(r"\s+")


def is_full_name(name: str) -> bool:
    """A first and a last name of two letters or more (a middle initial is fine)."""
    parts = [p for p in _NAME_SPLIT.split(name.strip()) if p]
    if len(parts) < 2:
        return False

    def initial(word: str) -> bool:
        letters = re.sub(r"[^\w]", "", word)
        return len(letters) < 2

    return not initial(parts[0]) and not initial(parts[-1])


def window(ws, today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=settings(ws).alert_days), today


def relative(ws, path: Path | None) -> str:
    return ws.rel(path) if path is not None else ""
