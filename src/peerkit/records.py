"""The records every feature shares: clients (with authorizations and plan goals) and notes.

Records are validated when read; a bad file raises :class:`peerkit.errors.DataError`
naming the file, line and field (never the value).  Unknown keys are kept in ``extra`` so
agencies' scripts can add fields without peerkit dropping them.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Collection, Container, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from peerkit import notecache, session, storage
from peerkit.dates import month_dirs, month_folders
from peerkit.errors import DataError
from peerkit.validate import Fields, clean_text
from peerkit.validate import id_problem as id_problem  # re-exported: plugins check ids with it

CLIENT_STATUSES = ("active", "discharged")
GOAL_STATUSES = ("active", "met", "dropped")
DOCUMENT_KINDS = ("service-order", "comprehensive-clinical-assessment", "person-centered-plan", "consent",
                  "release-of-information")
# Documents that name who may receive the person's records.
DISCLOSURE_KINDS = ("consent", "release-of-information")
NOTE_STATUSES = ("draft", "signed", "submitted", "approved", "denied", "void")
PLACES = ("home", "community", "office", "emergency-department", "telehealth", "telephone")
NARRATIVE_FIELDS = ("purpose", "intervention", "response", "plan")
# The facts a claim is paid on.  Changing one of them (or the narrative) on an approved note
# sends it back to review.
BILLABLE_FIELDS = ("client", "date", "start", "end", "code", "modifier", "group_size")
# What signing seals: the billable facts, where and why, and the narrative.
SEALED_FIELDS = (*BILLABLE_FIELDS, "place", "location", "goals", *NARRATIVE_FIELDS)
SEAL_PREFIX = "sha256:"
# Dates a note read from disk may carry (new notes are held to before-tomorrow at entry).
READABLE_DATES = (dt.date(2000, 1, 1), dt.date(2999, 12, 31))


def check_id(value: str, what: str = "id") -> str:
    """Refuse ids that are not safe file names (``../x``, ``a/b``, ``CON``, 300 chars...)."""
    problem = id_problem(value)
    if problem:
        raise DataError(f"{what} {problem}")
    return value


# ---------------------------------------------------------------------------- clients


@dataclass
class Authorization:
    """An authorization of units for one service code (``[[authorizations]]`` of a client).

    Attributes:
        code: the service code, e.g. ``H0038``.
        modifier: ``""`` (individual) or ``"HQ"`` (group).
        units: the number of billing units authorized.
        start: first day it covers (a date).
        end: last day it covers (a date).
        hours_per_week: hours a week the plan allows (0: not set).
        number: the payer's authorization number, or ``""``.
        units_used_before: units already used before the workspace started (an opening balance).
    """
    code: str
    modifier: str
    units: int
    start: dt.date
    end: dt.date
    hours_per_week: float = 0.0
    number: str = ""
    units_used_before: int = 0   # opening balance: units used before the workspace started

    def covers(self, day: dt.date, code: str, modifier: str = "") -> bool:
        """True when this authorization is for ``code``+``modifier`` and ``day`` is in it."""
        return self.code == code and self.modifier == modifier and self.start <= day <= self.end


@dataclass
class Goal:
    """A goal of the person-centered plan (``[[goals]]`` of a client).

    Attributes:
        id: the goal id notes refer to (``G1``).
        text: the goal in the person's words (PHI: never in messages).
        status: ``active``, ``met`` or ``dropped``.
        started: the day work on it started, or ``None``.
    """
    id: str
    text: str
    status: str = "active"
    started: dt.date | None = None


@dataclass
class Document:
    """A paper a service needs: service order, CCA, person-centered plan, consent, release."""

    kind: str
    signed: dt.date
    signer: str = ""
    expires: dt.date | None = None
    recipients: list[str] = field(default_factory=list)
    id: str = ""
    review_due: dt.date | None = None

    def in_force(self, day: dt.date) -> bool:
        """Signed on or before ``day`` and not expired on it."""
        return self.signed <= day and (self.expires is None or day <= self.expires)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("id", self.id), ("kind", self.kind), ("signed", self.signed),
                                  ("signer", self.signer), ("expires", self.expires),
                                  ("review_due", self.review_due),
                                  ("recipients", list(self.recipients)))
                if v not in (None, "", [])}


@dataclass
class Client:
    """One person receiving support (``clients/<id>.toml``). Names and numbers are PHI:
    messages name only ``id`` and file paths.

    Attributes:
        id: the client id (the file name), e.g. ``C001``.
        name: the person's name.
        status: ``active`` or ``discharged``.
        record_number: the agency's medical record number, or ``""``.
        medicaid_id: the Medicaid ID, or ``""``.
        admitted: the admission date, or ``None``.
        discharged: the discharge date, or ``None``.
        date_of_birth: a date, or ``None``.
        family_member: ``true`` when the person is a family member of the peer (never served).
        authorizations: the ``Authorization`` list.
        goals: the plan's ``Goal`` list.
        documents: the ``Document`` list (service order, assessment, plan, consents).
        plan: other plan lists by name (strengths, preferences...).
        path: the file it was read from.
        extra: keys of the file peerkit does not know (kept when the file is rewritten).
    """
    id: str
    name: str
    status: str = "active"
    record_number: str = ""
    medicaid_id: str = ""
    admitted: dt.date | None = None
    discharged: dt.date | None = None
    date_of_birth: dt.date | None = None
    family_member: bool = False
    authorizations: list[Authorization] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    plan: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def goal(self, goal_id: str) -> Goal | None:
        """The plan goal with this id, or ``None``."""
        return next((g for g in self.goals if g.id == goal_id), None)

    def active_on(self, day: dt.date) -> bool:
        """Admitted on or before ``day`` and not discharged before it."""
        if self.admitted and day < self.admitted:
            return False
        if self.discharged and day > self.discharged:
            return False
        return self.status == "active" or (self.discharged is not None and day <= self.discharged)

    def authorization_for(self, day: dt.date, code: str, modifier: str = "") -> Authorization | None:
        """The first authorization covering ``day`` for ``code``+``modifier``, or ``None``."""
        return next((a for a in self.authorizations if a.covers(day, code, modifier)), None)

    def latest_document(self, kind: str, day: dt.date) -> Document | None:
        """The most recently signed document of ``kind`` signed on or before ``day``."""
        found = [d for d in self.documents if d.kind == kind and d.signed <= day]
        return max(found, key=lambda d: d.signed) if found else None

    def document(self, doc_id: str) -> Document | None:
        """The document with this id, or ``None``."""
        return next((d for d in self.documents if d.id == doc_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The record as the TOML file holds it (dates as dates)."""
        d: dict[str, Any] = {"id": self.id, "name": self.name}
        for key in ("record_number", "medicaid_id"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        d["status"] = self.status
        for key in ("admitted", "discharged", "date_of_birth"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        if self.family_member:
            d["family_member"] = True
        d.update(self.extra)
        if self.plan:
            d["plan"] = dict(self.plan)
        if self.authorizations:
            d["authorizations"] = [
                {k: v for k, v in (("code", a.code), ("modifier", a.modifier), ("number", a.number),
                                   ("units", a.units), ("start", a.start), ("end", a.end),
                                   ("hours_per_week", a.hours_per_week),
                                   ("units_used_before", a.units_used_before))
                 if (v != "" or k == "modifier") and not (k == "units_used_before" and v == 0)}
                for a in self.authorizations]
        if self.goals:
            d["goals"] = [{k: v for k, v in (("id", g.id), ("text", g.text), ("status", g.status),
                                              ("started", g.started)) if v is not None}
                          for g in self.goals]
        if self.documents:
            d["documents"] = [doc.to_dict() for doc in self.documents]
        return d


_CLIENT_KEYS = {"id", "name", "status", "record_number", "medicaid_id", "admitted", "discharged",
                "date_of_birth", "authorizations", "goals", "plan", "family_member", "documents"}
PLAN_PARTS = ("strengths", "needs", "abilities", "preferences")


def client_from_dict(data: dict[str, Any], path: Path | str, *, expect_id: str | None = None) -> Client:
    """A Client from a client file's values, validated step by step: the person, then each
    authorization, goal and document, then the plan (the first problem raises a DataError
    naming the file and field)."""
    f = Fields(data, path)
    client = _person(f, data, Path(path), expect_id)
    client.authorizations = [_authorization(a) for a in f.table_list("authorizations")]
    client.goals = _goals(f)
    client.documents = _documents(f)
    if "plan" in data:
        client.plan = _plan(f.sub("plan"))
    return client


def _person(f: Fields, data: dict[str, Any], path: Path, expect_id: str | None) -> Client:
    client = Client(
        id=f.record_id("id", expect_id),
        name=f.req("name", str),
        status=f.choice("status", CLIENT_STATUSES, "active"),
        record_number=f.opt("record_number", str, ""),
        medicaid_id=f.opt("medicaid_id", str, ""),
        admitted=f.opt("admitted", dt.date),
        discharged=f.opt("discharged", dt.date),
        date_of_birth=f.opt("date_of_birth", dt.date),
        family_member=f.opt("family_member", bool, False),
        path=path,
        extra={k: v for k, v in data.items() if k not in _CLIENT_KEYS},
    )
    if not client.name.strip():
        f.fail("name", "must not be empty")
    if client.admitted and client.discharged and client.discharged < client.admitted:
        f.fail("discharged", "is before 'admitted'")
    return client


def _authorization(a: Fields) -> Authorization:
    auth = Authorization(
        code=a.req("code", str), modifier=a.opt("modifier", str, ""),
        units=a.req("units", int), start=a.req("start", dt.date), end=a.req("end", dt.date),
        hours_per_week=float(a.opt("hours_per_week", (int, float), 0)),
        number=a.opt("number", str, ""), units_used_before=a.opt("units_used_before", int, 0))
    if auth.units < 0:
        a.fail("units", "must not be negative")
    if auth.units_used_before < 0:
        a.fail("units_used_before", "must not be negative")
    if auth.end < auth.start:
        a.fail("end", "is before 'start'")
    if auth.hours_per_week < 0:
        a.fail("hours_per_week", "must not be negative")
    return auth


def _goals(f: Fields) -> list[Goal]:
    goals: list[Goal] = []
    for g in f.table_list("goals"):
        goal = Goal(id=g.req("id", str), text=g.req("text", str),
                    status=g.choice("status", GOAL_STATUSES, "active"), started=g.opt("started", dt.date))
        if any(other.id == goal.id for other in goals):
            g.fail("id", "is used by another goal of this client")
        goals.append(goal)
    return goals


def _documents(f: Fields) -> list[Document]:
    documents: list[Document] = []
    for df in f.table_list("documents"):
        doc = Document(kind=df.choice("kind", DOCUMENT_KINDS), signed=df.req("signed", dt.date),
                       signer=df.opt("signer", str, ""), expires=df.opt("expires", dt.date),
                       recipients=df.text_list("recipients"), id=df.opt("id", str, ""),
                       review_due=df.opt("review_due", dt.date))
        if doc.expires and doc.expires < doc.signed:
            df.fail("expires", "is before 'signed'")
        if doc.recipients and doc.kind not in DISCLOSURE_KINDS:
            df.fail("recipients", "belongs only on a consent or a release-of-information")
        if doc.id:
            if problem := id_problem(doc.id):
                df.fail("id", problem)
            if any(other.id == doc.id for other in documents):
                df.fail("id", "is used by another document of this client")
        documents.append(doc)
    return documents


def _plan(p: Fields) -> dict[str, list[str]]:
    plan: dict[str, list[str]] = {}
    for part in PLAN_PARTS:
        value = p.opt(part, (list, str), [])
        plan[part] = [clean_text(value)] if isinstance(value, str) else p.text_list(part)
    return plan


class WorkspaceView(Protocol):
    """What the record readers (and the audit log) need of a workspace; a
    ``peerkit.workspace.Workspace`` is one.  A protocol, so that this lower layer does not
    import the workspace module (which reads records through this one)."""

    root: Path
    note_memo: NoteMemo

    @property
    def timezone(self) -> str: ...

    def path(self, *parts: str) -> Path: ...

    def rel(self, path: Path) -> str: ...

    def clients(self) -> dict[str, Client]: ...

    def known_clients(self) -> KnownClients: ...

    def notes(self, start: dt.date | None = None, end: dt.date | None = None, *,
              client: str | None = None, skip_ids: Collection[str] | None = None) -> Iterator[Note]: ...


def client_path(ws: WorkspaceView, client_id: str) -> Path:
    return ws.path("clients", f"{check_id(client_id, 'client id')}.toml")


def load_clients(ws: WorkspaceView) -> dict[str, Client]:
    folder = ws.path("clients")
    out: dict[str, Client] = {}
    try:
        entries = sorted((e for e in os.scandir(folder)
                          if e.name.endswith(".toml") and not e.name.startswith(".")),
                         key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return out
    if not entries:
        return out
    started = time.time_ns()
    cache = notecache.MonthCache(folder, notecache.CLIENTS_CACHE_NAME)
    fresh: dict[str, tuple[Any, ...]] = {}  # parsed here because the cache could not serve them
    for entry in entries:
        p = Path(entry.path)
        data = None
        try:  # noqa: SIM105 - per-file loop: cheaper than contextlib.suppress
            data = cache.get(entry.name, entry.stat())
        except OSError:
            pass
        if data is None:
            sig = _signature_or_none(entry)
            data = storage.read_toml(p)
            c = client_from_dict(data, p, expect_id=p.stem)
            if sig is not None:
                fresh[entry.name] = (sig, data)
        else:
            c = client_from_dict(data, p, expect_id=p.stem)
        out[c.id] = c
    if fresh:
        notecache.refresh_after_read(ws.root, folder, name=notecache.CLIENTS_CACHE_NAME, fresh=fresh,
                                     started_ns=started)
    return out


def _signature_or_none(entry: os.DirEntry[str]) -> list[int] | None:
    try:
        return notecache.signature(entry.stat())
    except OSError:
        return None


# ---------------------------------------------------------------------------- notes


@dataclass
class Note:
    """One service note (notes/YYYY/MM/<id>.toml). Narrative fields are PHI: never put
    them in messages.

    Attributes:
        id: ``N-YYYY-MM-DD-CLIENT-n`` (date of service, client id, a counter).
        client: the client id.
        date: the date of service.
        start: start time (a ``datetime.time``).
        end: end time; ``minutes`` is end - start.
        code: the service code, e.g. ``H0038``.
        modifier: ``""`` (individual) or ``"HQ"`` (group).
        group_size: people in the group (modifier HQ), else 0.
        group_id: the id shared by the notes of one group session, or ``""``.
        place: place of service (home, community, office, emergency-department, telehealth,
            telephone, or the workspace's ``[notes] allowed_places``).
        location: where exactly.
        goals: ids of the plan goals addressed.
        purpose: purpose of the contact (narrative).
        intervention: what the peer did (narrative).
        response: how the person responded (narrative).
        plan: next steps (narrative).
        status: ``draft``, ``signed``, ``submitted``, ``approved``, ``denied`` or ``void``.
        author: who signed it.
        credentials: the author's credentials when signing (e.g. ``NC CPSS``).
        written_at: when it was written (a datetime), or ``None``.
        signed_at: when it was signed, or ``None`` (a draft).
        late_entry: signed after the deadline (``[billing] note_deadline_hours``).
        void_reason: why it was voided, or ``""``.
        review: the supervisor's decision (``decision``, ``reviewer``, ``reason``, ``at``), or ``{}``.
        addenda: addenda added after signing (``text``, ``at``, ``author``).
        path: the file it was read from.
        extra: keys of the file peerkit does not know (kept when the file is rewritten).
        zone: the workspace's IANA time zone (``[provider] timezone``) in which ``minutes``
            are elapsed time; set when the note is read.
    """

    id: str
    client: str
    date: dt.date
    start: dt.time
    end: dt.time
    code: str
    modifier: str = ""
    group_size: int = 0
    group_id: str = ""
    place: str = ""
    location: str = ""
    goals: list[str] = field(default_factory=list)
    purpose: str = ""
    intervention: str = ""
    response: str = ""
    plan: str = ""
    status: str = "draft"
    author: str = ""
    credentials: str = ""
    written_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    late_entry: bool = False
    void_reason: str = ""
    review: dict[str, Any] = field(default_factory=dict)
    addenda: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The workspace's IANA time zone ([provider] timezone), set when the note is read from a
    # workspace; never stored in the note (its times are local wall-clock times).
    zone: str = field(default="", compare=False, repr=False)

    @property
    def minutes(self) -> int:
        """Real minutes of service: elapsed time from start to end in the note's time zone
        (a service across a daylight-saving change counts the minutes that really passed)."""
        from peerkit.dates import elapsed_minutes

        return elapsed_minutes(self.date, self.start, self.end, self.zone)

    @property
    def is_group(self) -> bool:
        """A group service (modifier HQ)."""
        return self.modifier == "HQ"

    def to_dict(self) -> dict[str, Any]:
        """The record as the TOML file holds it (dates and times as such)."""
        d: dict[str, Any] = {
            "id": self.id, "client": self.client, "date": self.date, "start": self.start,
            "end": self.end, "code": self.code, "modifier": self.modifier,
            "group_size": self.group_size,
        }
        if self.group_id:
            d["group_id"] = self.group_id
        d.update({"place": self.place, "location": self.location, "goals": list(self.goals),
                  "purpose": self.purpose, "intervention": self.intervention,
                  "response": self.response, "plan": self.plan, "status": self.status})
        for key in ("author", "credentials", "written_at", "signed_at"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        d["late_entry"] = self.late_entry
        if self.void_reason:
            d["void_reason"] = self.void_reason
        d.update(self.extra)
        if self.review:
            d["review"] = dict(self.review)
        if self.addenda:
            d["addenda"] = [dict(a) for a in self.addenda]
        return d


_NOTE_KEYS = {"id", "client", "date", "start", "end", "code", "modifier", "group_size", "group_id",
              "place", "location", "goals", "purpose", "intervention", "response", "plan", "status",
              "author", "credentials", "written_at", "signed_at", "late_entry", "void_reason",
              "review", "addenda"}


def note_from_dict(data: dict[str, Any], path: Path | str, *, expect_id: str | None = None,
                   clients: Container[str] | None = None) -> Note:
    """Build and validate a Note.  ``clients`` (when given) must hold the note's client."""
    f = Fields(data, path)
    nid = f.record_id("id", expect_id)
    t_types = (dt.time,)
    note = Note(
        id=nid, client=f.req("client", str), date=f.req("date", dt.date),
        start=f.req("start", t_types), end=f.req("end", t_types), code=f.req("code", str),
        modifier=f.opt("modifier", str, ""), group_size=f.opt("group_size", int, 0),
        group_id=f.opt("group_id", str, ""),
        place=f.opt("place", str, ""), location=f.opt("location", str, ""),
        goals=f.text_list("goals"),
        purpose=f.opt("purpose", str, ""), intervention=f.opt("intervention", str, ""),
        response=f.opt("response", str, ""), plan=f.opt("plan", str, ""),
        status=f.choice("status", NOTE_STATUSES, "draft"),
        author=f.opt("author", str, ""), credentials=f.opt("credentials", str, ""),
        written_at=f.opt("written_at", dt.datetime), signed_at=f.opt("signed_at", dt.datetime),
        late_entry=f.opt("late_entry", bool, False), void_reason=f.opt("void_reason", str, ""),
        review=f.opt("review", dict, {}), addenda=f.opt("addenda", list, []),
        path=Path(path), extra={k: v for k, v in data.items() if k not in _NOTE_KEYS},
    )
    if problem := id_problem(note.client):
        f.fail("client", problem)
    if not (READABLE_DATES[0] <= note.date <= READABLE_DATES[1]):
        f.fail("date", f"is not a plausible service date (between {READABLE_DATES[0].year} and "
                       f"{READABLE_DATES[1].year}): correct it in the file")
    if note.minutes <= 0:
        f.fail("end", "must be after 'start' (a service that crosses midnight is two notes)")
    if note.group_size < 0:
        f.fail("group_size", "must not be negative")
    if clients is not None and note.client not in clients:
        f.fail("client", "names an unknown client: add it with 'peerkit client add' "
                         "or correct the id")
    return note


_NOTE_FIELDS = _NOTE_KEYS - {"goals", "review", "addenda"}


def note_seal(note: Note) -> str:
    """``sha256:<hex>`` of the note's billable facts and narrative (SEALED_FIELDS).

    Written by ``note sign`` (key ``seal``) and renewed by every addendum; ``note check``
    and ``audit verify`` report a signed note whose content no longer matches it."""
    import hashlib
    import json

    def canon(value: Any) -> Any:
        if isinstance(value, (dt.date, dt.time, dt.datetime)):
            return value.isoformat()
        if isinstance(value, (list, tuple)):
            return [canon(v) for v in value]
        return value

    data = {k: canon(getattr(note, k)) for k in SEALED_FIELDS}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return SEAL_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal_problem(note: Note) -> str | None:
    """Why a signed note's stored ``seal`` does not match its content, or None.

    Notes signed before peerkit sealed notes carry no seal and are not judged."""
    if note.status in ("draft",):
        return None
    stored = note.extra.get("seal")
    if stored is None:
        if any(isinstance(a, dict) and "seal" in a for a in note.addenda):
            return ("field 'seal' is missing although the note's addenda were sealed (was the "
                    "file edited by hand?): restore the note's seal and signed values")
        return None
    if not isinstance(stored, str) or not stored.startswith(SEAL_PREFIX):
        return "field 'seal' is not a 'sha256:...' seal written by 'peerkit note sign'"
    if stored != note_seal(note):
        return ("the note's content no longer matches the seal written when it was signed, and "
                "no addendum explains the change (was the file edited by hand?): restore the "
                "signed values and record the change with 'peerkit note edit ID --reason ...'")
    return None


def note_from_valid_dict(d: dict[str, Any], path: Path) -> Note:
    """A Note from ``Note.to_dict()`` output that was validated when it was made (the cache)."""
    note = Note(**{k: d[k] for k in _NOTE_FIELDS if k in d}, path=path,
                goals=list(d.get("goals", [])), review=dict(d.get("review", {})),
                addenda=[dict(a) for a in d.get("addenda", [])],
                extra={k: v for k, v in d.items() if k not in _NOTE_KEYS})
    return note


class KnownClients:
    """``client_id in known``: a client file exists in ``folder`` (checked by file, without
    parsing every client); once ``loaded()`` returns the clients read, they answer instead."""

    def __init__(self, folder: Path, loaded: Callable[[], Mapping[str, Client] | None]):
        self.folder = folder
        self.loaded = loaded
        self.seen: dict[str, bool] = {}

    def __contains__(self, client_id: object) -> bool:
        if not isinstance(client_id, str) or id_problem(client_id):
            return False
        loaded = self.loaded()
        if loaded is not None:
            return client_id in loaded
        if client_id not in self.seen:
            self.seen[client_id] = (self.folder / f"{client_id}.toml").is_file()
        return self.seen[client_id]


def note_folder(ws: WorkspaceView, day: dt.date) -> Path:
    return ws.path("notes", f"{day.year:04d}", f"{day.month:02d}")


def note_path(ws: WorkspaceView, note: Note) -> Path:
    return note_folder(ws, note.date) / f"{note.id}.toml"


_DATE_IN_ID = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def date_in_name(name: str) -> dt.date | None:
    """The first YYYY-MM-DD date in a record id or file name (``N-2026-11-23-C001-1``), if any."""
    m = _DATE_IN_ID.search(name)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _month_dirs(ws: WorkspaceView, start: dt.date | None, end: dt.date | None) -> list[Path]:
    root = ws.path("notes")
    if not root.is_dir():
        return []
    months = month_folders(start, end)
    if months is not None:
        return [root / f"{y:04d}" / f"{m:02d}" for y, m in months]
    low = (start.year, start.month) if start is not None else (0, 0)
    high = (end.year, end.month) if end is not None else (10_000, 0)
    return [month for month in month_dirs(root)
            if low <= (int(month.parent.name), int(month.name)) <= high]


_NoteEntry = tuple[Path, os.DirEntry[str], notecache.MonthCache]


def _note_entries(ws: WorkspaceView, start: dt.date | None, end: dt.date | None,
                  memo: NoteMemo | None = None, *, decode: bool = True) -> Iterator[_NoteEntry | list[Note]]:
    """(folder, dir entry, month cache) for each note file that may hold a note in [start, end];
    for a month already in ``memo``, its list of notes instead.  ``decode=False``: the caches
    decode only the entries asked for (see ``notecache.MonthCache``)."""
    for folder in _month_dirs(ws, start, end):
        memoised = memo.month(folder) if memo is not None else None
        if memoised is not None:
            yield memoised
            continue
        try:
            entries = sorted((e for e in os.scandir(folder)
                              if e.name.endswith(".toml") and not e.name.startswith(".")),
                             key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        cache = None
        for entry in entries:
            day = date_in_name(entry.name)
            if day is not None and ((start and day < start) or (end and day > end)):
                continue  # cheap skip by the date in the id; re-checked after parsing
            if cache is None:
                cache = notecache.MonthCache(folder, decode=decode)
            yield folder, entry, cache


def iter_notes(ws: WorkspaceView, start: dt.date | None = None, end: dt.date | None = None,
               *, client: str | None = None, skip_ids: Collection[str] | None = None) -> Iterator[Note]:
    """Notes dated in [start, end], read only from the month folders of that range.

    ``skip_ids`` (a set of note ids, optional): files named after one of them are not read at
    all (e.g. notes already invoiced).  Parsed values come from the month's cache when it is
    provably current (see ``peerkit.notecache``), else from the TOML file.
    """
    for note in _month_notes(ws, start, end, skip_ids, client):
        if (start and note.date < start) or (end and note.date > end):
            continue
        if client and note.client != client:
            continue
        yield note


def readable_notes(ws: WorkspaceView, start: dt.date | None = None, end: dt.date | None = None,
                   *, client: str | None = None,
                   skip_ids: Collection[str] | None = None) -> tuple[list[Note], list[DataError]]:
    """``(notes, problems)``: like :func:`iter_notes`, but a note file that cannot be read is
    returned as its DataError instead of stopping the read, so one broken file never hides the
    others (``status`` alerts: see docs/plugins.md).  The fast path is :func:`iter_notes`; only
    when it fails is the range read again file by file."""
    try:
        return list(ws.notes(start, end, client=client, skip_ids=skip_ids)), []
    except DataError:
        pass
    known = ws.known_clients()
    notes: list[Note] = []
    problems: list[DataError] = []
    for folder in _month_dirs(ws, start, end):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            if path.name.startswith(".") or (skip_ids and path.stem in skip_ids):
                continue
            day = date_in_name(path.name)
            if day is not None and ((start and day < start) or (end and day > end)):
                continue  # as iter_notes: a file named outside the range is not read
            try:
                note = note_from_dict(storage.read_toml(path), path, expect_id=path.stem,
                                      clients=known)
            except DataError as exc:
                problems.append(exc)
                continue
            if (start and note.date < start) or (end and note.date > end):
                continue
            if client and note.client != client:
                continue
            notes.append(_zoned(note, ws))
    return notes, problems


MEMO_MAX_NOTES = 4000  # about a year of one busy peer's notes; bounds memory in long exports


class NoteMemo:
    """The notes of whole month folders one WorkspaceView has read (several plugins of one
    ``peerkit status`` read the same months), up to MEMO_MAX_NOTES notes, dropped as soon as
    this process writes any file (the session's ``generation`` moves)."""

    def __init__(self) -> None:
        self.generation = -1
        self.months: dict[Path, list[Note]] = {}
        self.count = 0

    def clear(self) -> None:
        self.months.clear()
        self.count = 0

    def still_current(self, generation: int) -> NoteMemo:
        """This memo, emptied first when files were written since it was filled."""
        if generation != self.generation:
            self.clear()
            self.generation = generation
        return self

    def month(self, folder: Path) -> list[Note] | None:
        return self.months.get(folder)

    def remember(self, folder: Path, notes: list[Note]) -> None:
        if self.count + len(notes) > MEMO_MAX_NOTES:
            self.clear()
        self.months[folder] = notes
        self.count += len(notes)


def _month_notes(ws: WorkspaceView, start: dt.date | None, end: dt.date | None,
                 skip_ids: Collection[str] | None, client: str | None = None) -> Iterator[Note]:
    """The notes of the month folders of [start, end]; whole months are memoised for the
    rest of this process (several plugins of one 'peerkit status' read the same months),
    up to MEMO_MAX_NOTES notes, the memo being dropped as soon as this process writes any file.

    ``client``: the notes of the other clients that a current cache entry shows are skipped
    without building them (files the cache does not serve are parsed and checked as always);
    the caller filters the rest."""
    memo = ws.note_memo.still_current(session.current().generation)
    known = ws.known_clients()
    current_folder = None
    collected: list[Note] = []
    whole = False
    fresh: dict[str, tuple[Any, ...]] = {}   # notes of this folder its cache could not serve
    started = 0
    for item in _note_entries(ws, start, end, memo=memo, decode=client is None):
        if isinstance(item, list):  # a memoised month: its notes
            for note in item:
                if not (skip_ids and note.id in skip_ids):
                    yield note
            continue
        folder, entry, cache = item
        if folder != current_folder:
            if whole and current_folder is not None:
                memo.remember(current_folder, collected)
            _refresh_stale(ws, current_folder, fresh, started)
            current_folder, collected, fresh, started = folder, [], {}, time.time_ns()
            whole = not skip_ids and client is None and _covers_month(folder, start, end)
        if skip_ids and entry.name[:-5] in skip_ids:  # the file name less ".toml"
            continue
        data = None
        try:
            st = entry.stat()
            if client is not None and cache.other_client(entry.name, st, client):
                continue
            data = cache.get(entry.name, st)
        except OSError:
            pass
        path = folder / entry.name
        if data is not None and data.get("client") in known:
            note = note_from_valid_dict(data, path)
        else:
            sig = _signature_or_none(entry) if data is None else None
            note = note_from_dict(storage.read_toml(path), path, expect_id=path.stem, clients=known)
            if sig is not None:
                fresh[entry.name] = (sig, note.to_dict())
        note.zone = ws.timezone
        collected.append(note)
        yield note
    if whole and current_folder is not None:
        memo.remember(current_folder, collected)
    _refresh_stale(ws, current_folder, fresh, started)


def _refresh_stale(ws: WorkspaceView, folder: Path | None, fresh: dict[str, Any], started: int) -> None:
    """A month whose cache served not every note read: write it again (see notecache)."""
    if folder is None or not fresh:
        return
    notecache.refresh_after_read(ws.root, folder, fresh=fresh, started_ns=started)


def _covers_month(folder: Path, start: dt.date | None, end: dt.date | None) -> bool:
    """Whether [start, end] holds the whole month of ``notes/YYYY/MM`` (so all of it is read)."""
    try:
        y, m = int(folder.parent.name), int(folder.name)
    except ValueError:
        return False
    try:
        first = dt.date(y, m, 1)
        last = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
    except (ValueError, OverflowError):  # notes/9999/12, notes/0000/01: not a month to memoise
        return False
    return (start is None or start <= first) and (end is None or end >= last)


def load_note_by_id(ws: WorkspaceView, note_id: str) -> Note:
    check_id(note_id, "note id")
    day = date_in_name(note_id)
    candidates = []
    if day is not None:
        candidates.append(note_folder(ws, day) / f"{note_id}.toml")
    for path in candidates:
        if path.is_file():
            return _zoned(note_from_dict(storage.read_toml(path), path, expect_id=note_id,
                                         clients=ws.clients()), ws)
    for path in ws.path("notes").glob(f"*/*/{note_id}.toml"):
        return _zoned(note_from_dict(storage.read_toml(path), path, expect_id=note_id,
                                     clients=ws.clients()), ws)
    raise DataError(f"unknown note id {note_id!r} (see 'peerkit note list')")


def _zoned(note: Note, ws: WorkspaceView) -> Note:
    note.zone = ws.timezone
    return note


# ---------------------------------------------------------------------------- cache values


def note_cache_value(path: Path) -> dict[str, Any]:
    """What a note cache holds for the note file ``path`` (validated here once, all but the
    client id, which readers check): see ``peerkit.notecache``."""
    return note_from_dict(storage.read_toml(path), path, expect_id=path.stem).to_dict()


def client_cache_value(path: Path) -> dict[str, Any]:
    """What the clients cache holds for the client file ``path``: its values, once they are
    known to be a valid client (readers validate again, cheaply)."""
    data = storage.read_toml(path)
    client_from_dict(data, path, expect_id=path.stem)  # only valid clients are cached
    return data


def refresh_note_cache(folder: Path) -> None:
    """Rebuild the cache of one month of notes (call while holding the workspace lock)."""
    notecache.refresh(folder, build=note_cache_value)


def refresh_client_cache(folder: Path) -> None:
    """Rebuild the cache of the clients folder (call while holding the workspace lock)."""
    notecache.refresh(folder, name=notecache.CLIENTS_CACHE_NAME, build=client_cache_value)


def refresh_all_note_caches(notes_root: Path) -> int:
    """Rebuild the cache of every month of notes; return how many."""
    return notecache.refresh_all(notes_root, build=note_cache_value)
