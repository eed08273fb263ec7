"""Activity records (``activities/YYYY/MM/<id>.toml``): adding, editing, voiding (no CLI here).

An activity is time a peer spends that is not a billable service note: a team meeting,
an on-call shift, a no-show.  Minutes come from ``start``/``end`` (or are given as
``minutes`` when no clock times were kept).  None of it is billed.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerkit import storage
from peerkit.dates import elapsed_minutes, month_folder_files
from peerkit.errors import DataError
from peerkit.records import check_id, date_in_name
from peerkit.validate import Fields, clean_text

FOLDER = "activities"
KINDS = ("team-meeting", "treatment-team", "supervision", "on-call", "case-management-contact",
         "outreach", "community-education", "group-facilitation", "training", "no-show",
         "attempted-contact", "admin", "travel")
# Kinds that record a service that did not happen: never billable, and peerkit says so.
NEVER_BILLABLE = {"no-show": "a no-show is never billable: no service was delivered",
                  "attempted-contact": "an attempted contact is never billable: no service was delivered"}
STATUSES = ("active", "void")
HEADER = ("Time that is not a billable service note (see docs/activities.md).  Never billed.\n"
          "Keep identifying detail out of 'note': use the client id, not a name.")
_KEYS = {"id", "kind", "date", "start", "end", "minutes", "client", "note", "status", "void_reason"}


@dataclass
class Activity:
    id: str
    kind: str
    date: dt.date
    minutes: int
    start: dt.time | None = None
    end: dt.time | None = None
    client: str = ""
    note: str = ""
    status: str = "active"
    void_reason: str = ""
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def billable(self) -> bool:
        return False

    @property
    def billing_note(self) -> str:
        return NEVER_BILLABLE.get(self.kind, "")

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "kind": self.kind, "date": self.date}
        if self.start is not None:
            d["start"], d["end"] = self.start, self.end
        d["minutes"] = self.minutes
        if self.client:
            d["client"] = self.client
        if self.note:
            d["note"] = self.note
        d["status"] = self.status
        if self.void_reason:
            d["void_reason"] = self.void_reason
        d.update(self.extra)
        return d

    def as_json(self) -> dict:
        d = self.to_dict()
        d["billable"] = False
        if self.billing_note:
            d["billing_note"] = self.billing_note
        return d


def kinds(ws) -> tuple[str, ...]:
    """The built-in kinds plus the agency's own (``[activities] kinds``)."""
    f = Fields(ws.section("activities"), ws.path("peerkit.toml"), prefix="activities.")
    extra = f.text_list("kinds")
    for k in extra:
        if not k.strip() or k != k.strip().lower() or " " in k:
            f.fail("kinds", "each kind is a lower-case word or words joined by '-' (like \"home-visit\")")
    return KINDS + tuple(k for k in extra if k not in KINDS)


def activity_from_dict(data: dict, path: Path | str, known_kinds, *,
                       expect_id: str | None = None, zone: str = "") -> Activity:
    """An activity read from ``data``; its minutes from 'start' to 'end' are real minutes in
    the time zone ``zone`` (an activity across a daylight-saving change is an hour shorter or
    longer than the wall clock says), or 'minutes' when no times are given."""
    f = Fields(data, path)
    aid = f.record_id("id", expect_id)
    start, end = f.opt("start", dt.time), f.opt("end", dt.time)
    if (start is None) != (end is None):
        f.fail("end" if end is None else "start", "give both 'start' and 'end', or neither")
    a = Activity(id=aid, kind=f.choice("kind", known_kinds), date=f.req("date", dt.date),
                 minutes=0, start=start, end=end, client=f.opt("client", str, ""),
                 note=f.opt("note", str, ""), status=f.choice("status", STATUSES, "active"),
                 void_reason=f.opt("void_reason", str, ""), path=Path(path),
                 extra={k: v for k, v in data.items() if k not in _KEYS})
    if a.client:
        try:
            check_id(a.client, "client id")
        except DataError:
            f.fail("client", "is not a valid client id")
    if start is not None:
        a.minutes = elapsed_minutes(a.date, start, end, zone)
        if a.minutes <= 0:
            f.fail("end", "must be after 'start' (time that crosses midnight is two activities)")
        if "minutes" in data and f.req("minutes", int) != a.minutes:
            f.fail("minutes", "does not match 'start' to 'end'; remove it or correct the times")
    else:
        a.minutes = f.req("minutes", int)
        if a.minutes <= 0 or a.minutes > 24 * 60:
            f.fail("minutes", "must be between 1 and 1440")
    return a


def activity_path(ws, activity: Activity) -> Path:
    return ws.path(FOLDER, f"{activity.date:%Y}", f"{activity.date:%m}", f"{activity.id}.toml")


def iter_activities(ws, start: dt.date | None = None, end: dt.date | None = None,
                    known_kinds=None) -> Iterator[Activity]:
    """Activities dated ``start``..``end`` (inclusive; open ends allowed), by date and id."""
    known = known_kinds or kinds(ws)
    found = []
    for p in month_folder_files(ws.path(FOLDER), start, end):
        a = activity_from_dict(storage.read_toml(p), p, known, expect_id=p.stem, zone=ws.timezone)
        if (start and a.date < start) or (end and a.date > end):
            continue
        found.append(a)
    found.sort(key=lambda a: (a.date, a.start or dt.time(0), a.id))
    return iter(found)


def find(ws, activity_id: str) -> Activity:
    check_id(activity_id, "activity id")
    day = date_in_name(activity_id)
    known = kinds(ws)
    if day is not None:
        p = ws.path(FOLDER, f"{day:%Y}", f"{day:%m}", f"{activity_id}.toml")
        if p.is_file():
            return activity_from_dict(storage.read_toml(p), p, known, expect_id=activity_id,
                                      zone=ws.timezone)
    for a in iter_activities(ws, known_kinds=known):
        if a.id == activity_id:
            return a
    raise DataError(f"no activity {activity_id!r} in {FOLDER}/: see 'peerkit activity list'")


def next_id(ws, day: dt.date, taken: set[str]) -> str:
    folder = ws.path(FOLDER, f"{day:%Y}", f"{day:%m}")
    n = 1
    while True:
        aid = f"A-{day.isoformat()}-{n}"
        if aid not in taken and not (folder / f"{aid}.toml").exists():
            return aid
        n += 1


def _check_client(ws, client_id: str) -> None:
    if client_id:
        ws.client(client_id)  # an unknown id is a clear DataError


def add(ws, data: dict, where: str = "command line") -> Activity:
    """Validate and store one activity; returns it (with its new id)."""
    data = {k: v for k, v in data.items() if v not in (None, "")}
    if isinstance(data.get("note"), str):
        data["note"] = clean_text(data["note"])
    known = kinds(ws)
    with ws.lock():
        if "id" not in data:
            if not isinstance(data.get("date"), dt.date):
                raise DataError(where, "field 'date': is required but missing")
            data["id"] = next_id(ws, data["date"], set())
        a = activity_from_dict(data, where, known, zone=ws.timezone)
        _check_client(ws, a.client)
        path = activity_path(ws, a)
        if path.exists():
            raise DataError(ws.rel(path), "already exists; use 'peerkit activity edit'")
        storage.write_toml(path, a.to_dict(), header=HEADER)
    a.path = path
    return a


def edit(ws, activity_id: str, changes: dict) -> Activity:
    """Change fields of an activity; moving its date to another month moves the file."""
    with ws.lock():
        old = find(ws, activity_id)
        if old.status == "void":
            raise DataError(ws.rel(old.path), "is void; add a new activity instead")
        data = old.to_dict()
        if "start" in changes or "end" in changes or "minutes" in changes:
            data.pop("start", None), data.pop("end", None), data.pop("minutes", None)
        for key, value in changes.items():
            if value is None:
                continue
            data[key] = clean_text(value) if isinstance(value, str) else value
        if data.get("client") == "":
            data.pop("client")
        new = activity_from_dict(data, ws.rel(old.path), kinds(ws), expect_id=activity_id,
                                 zone=ws.timezone)
        _check_client(ws, new.client)
        path = activity_path(ws, new)
        storage.write_toml(path, new.to_dict(), header=HEADER)
        if path != old.path:
            assert old.path is not None  # find() reads activities from their files
            os.unlink(old.path)
    new.path = path
    return new


def void(ws, activity_id: str, reason: str) -> Activity:
    if not reason.strip():
        raise DataError("--reason: say why the activity is void (it is kept, marked void)")
    with ws.lock():
        a = find(ws, activity_id)
        assert a.path is not None  # find() reads activities from their files
        with storage.edit_toml(a.path) as doc:
            doc["status"] = "void"
            doc["void_reason"] = clean_text(reason.strip())
    a.status, a.void_reason = "void", reason.strip()
    return a
