"""Incident records (``incidents/<id>.toml``) and their reporting deadlines (no CLI here).

Times are local wall-clock datetimes without a time zone (``2026-11-24T09:00:00``), as the
peer reads them on a clock; deadlines are plain hour offsets from ``learned_at`` (so a
deadline across a daylight-saving change is off by that hour -- documented in
docs/incidents.md).  "Now" is :func:`peerkit.dates.now` (``PEERKIT_NOW`` fixes it).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from peerkit import dates, storage
from peerkit.errors import DataError
from peerkit.records import check_id, date_in_name, id_problem
from peerkit.validate import Fields

LEVELS = ("I", "II", "III")
FOLDER = "incidents"
HEADER = ("An incident report (see docs/incidents.md).  Keep identifying detail to what the\n"
          "report needs; times are local wall-clock times.")
# mark name -> (field, what it is)
MARKS = {
    "reported-supervisor": ("reported_supervisor_at", "report to the supervisor"),
    "verbal-notice": ("verbal_notice_at", "verbal notice to the LME/MCO"),
    "entered-iris": ("entered_iris_at", "entry in IRIS"),
    "updated": ("updates", "update sent"),
}
_KEYS = {"id", "level", "occurred_at", "learned_at", "client", "what", "actions",
         "reported_supervisor_at", "verbal_notice_at", "entered_iris_at", "updates"}


@dataclass
class Rules:
    supervisor_hours: int = 24
    iris_hours: int = 72
    iris_levels: tuple[str, ...] = ("II", "III")
    verbal_hours: int = 24
    verbal_levels: tuple[str, ...] = ("III",)
    warn_hours: int = 24
    lookback_days: int = 365


def rules(ws) -> Rules:
    """The ``[incidents]`` table of peerkit.toml, validated."""
    f = Fields(ws.section("incidents"), ws.path("peerkit.toml"), prefix="incidents.")
    r = Rules(
        supervisor_hours=f.opt("supervisor_hours", int, 24),
        iris_hours=f.opt("iris_hours", int, 72),
        iris_levels=tuple(f.text_list("iris_levels") or ("II", "III")) if "iris_levels" in f.data else ("II", "III"),
        verbal_hours=f.opt("verbal_hours", int, 24),
        verbal_levels=tuple(f.text_list("verbal_levels")) if "verbal_levels" in f.data else ("III",),
        warn_hours=f.opt("warn_hours", int, 24),
        lookback_days=f.opt("lookback_days", int, 365),
    )
    for key in ("supervisor_hours", "iris_hours", "verbal_hours", "warn_hours", "lookback_days"):
        if getattr(r, key) < 0:
            f.fail(key, "must not be negative")
    for key in ("iris_levels", "verbal_levels"):
        if any(level not in LEVELS for level in getattr(r, key)):
            f.fail(key, "may list only the levels \"I\", \"II\" and \"III\"")
    return r


@dataclass
class Deadline:
    name: str            # supervisor | verbal-notice | iris
    label: str
    mark: str            # the 'incident mark' action that records it
    hours: int
    due: dt.datetime
    done_at: dt.datetime | None

    def state(self, ref: dt.datetime, warn_hours: int) -> str:
        if self.done_at is not None:
            return "done" if self.done_at <= self.due else "done-late"
        if ref > self.due:
            return "overdue"
        if self.due - ref <= dt.timedelta(hours=warn_hours):
            return "due-soon"
        return "open"

    def as_json(self, ref: dt.datetime, warn_hours: int) -> dict:
        return {"name": self.name, "label": self.label, "hours": self.hours, "due": self.due,
                "done_at": self.done_at, "state": self.state(ref, warn_hours), "mark": self.mark}


@dataclass
class Incident:
    id: str
    level: str
    occurred_at: dt.datetime
    learned_at: dt.datetime
    client: str
    what: str
    actions: str = ""
    reported_supervisor_at: dt.datetime | None = None
    verbal_notice_at: dt.datetime | None = None
    entered_iris_at: dt.datetime | None = None
    updates: list[dt.datetime] = field(default_factory=list)
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def deadlines(self, r: Rules) -> list[Deadline]:
        out = [Deadline("supervisor", MARKS["reported-supervisor"][1], "reported-supervisor",
                        r.supervisor_hours, self.learned_at + dt.timedelta(hours=r.supervisor_hours),
                        self.reported_supervisor_at)]
        if self.level in r.verbal_levels:
            out.append(Deadline("verbal-notice", MARKS["verbal-notice"][1], "verbal-notice", r.verbal_hours,
                                self.learned_at + dt.timedelta(hours=r.verbal_hours), self.verbal_notice_at))
        if self.level in r.iris_levels:
            out.append(Deadline("iris", MARKS["entered-iris"][1], "entered-iris", r.iris_hours,
                                self.learned_at + dt.timedelta(hours=r.iris_hours), self.entered_iris_at))
        return out

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "level": self.level, "occurred_at": self.occurred_at,
                             "learned_at": self.learned_at, "client": self.client, "what": self.what,
                             "actions": self.actions}
        for key in ("reported_supervisor_at", "verbal_notice_at", "entered_iris_at"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        if self.updates:
            d["updates"] = list(self.updates)
        d.update(self.extra)
        return d

    def as_json(self, r: Rules, ref: dt.datetime) -> dict:
        d = self.to_dict()
        d["updates"] = list(self.updates)
        d["deadlines"] = [dl.as_json(ref, r.warn_hours) for dl in self.deadlines(r)]
        d["open"] = any(dl.done_at is None for dl in self.deadlines(r))
        return d


@overload
def _datetime(f: Fields, key: str, required: Literal[True]) -> dt.datetime: ...
@overload
def _datetime(f: Fields, key: str, required: bool = ...) -> dt.datetime | None: ...
def _datetime(f: Fields, key: str, required: bool = False) -> dt.datetime | None:
    value = f.req(key, dt.datetime) if required else f.opt(key, dt.datetime)
    if value is not None and value.tzinfo is not None:
        f.fail(key, "write local wall-clock time without a time zone (2026-11-24T09:00:00)")
    return value


def incident_from_dict(data: dict, path: Path | str, *, expect_id: str | None = None) -> Incident:
    """Build and validate an incident; DataError names file, line and field (never a value)."""
    f = Fields(data, path)
    iid = f.record_id("id", expect_id)
    level = f.req("level", str).strip().upper()
    if level not in LEVELS:
        f.fail("level", "must be \"I\", \"II\" or \"III\"")
    inc = Incident(
        id=iid, level=level,
        occurred_at=_datetime(f, "occurred_at", required=True),
        learned_at=_datetime(f, "learned_at", required=True),
        client=f.req("client", str),
        what=f.req("what", str),
        actions=f.opt("actions", str, ""),
        reported_supervisor_at=_datetime(f, "reported_supervisor_at"),
        verbal_notice_at=_datetime(f, "verbal_notice_at"),
        entered_iris_at=_datetime(f, "entered_iris_at"),
        path=Path(path),
        extra={k: v for k, v in data.items() if k not in _KEYS},
    )
    if problem := id_problem(inc.client):
        f.fail("client", problem)
    if not inc.what.strip():
        f.fail("what", "must not be empty: say briefly what happened")
    if inc.learned_at < inc.occurred_at:
        f.fail("learned_at", "is before 'occurred_at'")
    for key in ("reported_supervisor_at", "verbal_notice_at", "entered_iris_at"):
        value = getattr(inc, key)
        if value is not None and value < inc.learned_at:
            f.fail(key, "is before 'learned_at'")
    updates = f.opt("updates", list, [])
    for i, value in enumerate(updates):
        if not isinstance(value, dt.datetime) or value.tzinfo is not None:
            f.fail("updates", f"item {i + 1} must be a local date and time (2026-11-25T10:00:00)")
    inc.updates = list(updates)
    return inc


# ------------------------------------------------------------------------ files


def list_row(inc: Incident, r: Rules, ref: dt.datetime) -> tuple:
    """One row of ``incident list``: id, level, times, client, the next deadline and its state."""
    pending = [dl for dl in inc.deadlines(r) if dl.done_at is None]
    if pending:
        nxt = min(pending, key=lambda d: d.due)
        state = nxt.state(ref, r.warn_hours)
        nxt_text = f"{nxt.label} by {nxt.due:%Y-%m-%d %H:%M}"
    else:
        late = any(dl.state(ref, r.warn_hours) == "done-late" for dl in inc.deadlines(r))
        state, nxt_text = ("done (late)" if late else "done"), ""
    return (inc.id, inc.level, f"{inc.occurred_at:%Y-%m-%d %H:%M}", f"{inc.learned_at:%Y-%m-%d %H:%M}",
            inc.client, nxt_text, state)


def incident_text(inc: Incident, r: Rules, ref: dt.datetime) -> str:
    """``incident show``: the incident, each deadline with its state, the updates sent."""
    lines = [f"{inc.id}  level {inc.level}  client {inc.client}",
             f"  occurred {inc.occurred_at:%Y-%m-%d %H:%M}, learned of {inc.learned_at:%Y-%m-%d %H:%M}",
             f"  what: {inc.what}"]
    if inc.actions:
        lines.append(f"  actions: {inc.actions}")
    for dl in inc.deadlines(r):
        done = f"done {dl.done_at:%Y-%m-%d %H:%M}" if dl.done_at else "not yet"
        lines.append(f"  {dl.label}: due {dl.due:%Y-%m-%d %H:%M}, {done} [{dl.state(ref, r.warn_hours)}]")
    lines.extend(f"  update sent {u:%Y-%m-%d %H:%M}" for u in inc.updates)
    return "\n".join(lines)


def narrative(inc: Incident) -> dict[str, Any]:
    """The fields written in words (checked for identifiers at entry): what happened, the
    actions taken, and any extra field of the record."""
    return {"what": inc.what, "actions": inc.actions, **inc.extra}


def incident_path(ws, incident_id: str) -> Path:
    return ws.path(FOLDER, f"{check_id(incident_id, 'incident id')}.toml")


def iter_incidents(ws, since: dt.date | None = None) -> Iterator[Incident]:
    """Every incident, oldest id first.  ``since`` skips files whose name dates them earlier."""
    folder = ws.path(FOLDER)
    if not folder.is_dir():
        return
    for p in sorted(folder.glob("*.toml")):
        if p.name.startswith("."):
            continue
        day = date_in_name(p.stem)
        if since is not None and day is not None and day < since:
            continue
        yield incident_from_dict(storage.read_toml(p), p, expect_id=p.stem)


def load(ws, incident_id: str) -> Incident:
    path = incident_path(ws, incident_id)
    if not path.is_file():
        raise DataError(f"unknown incident id {incident_id!r} (see 'peerkit incident list')")
    return incident_from_dict(storage.read_toml(path), path, expect_id=incident_id)


def next_id(ws, occurred: dt.datetime, taken: set[str]) -> str:
    base = f"INC-{occurred:%Y-%m-%d}"
    n = 1
    while f"{base}-{n}" in taken or incident_path(ws, f"{base}-{n}").exists():
        n += 1
    return f"{base}-{n}"


def add_incidents(ws, records: list[dict], where: str) -> list[str]:
    """Validate every record (and its client) first; write none unless all are valid and new."""
    now = dates.now()
    prepared: list[Incident] = []
    taken: set[str] = set()
    with ws.lock():
        for i, data in enumerate(records):
            label = where if len(records) == 1 else f"{where} (record {i + 1})"
            data = {k: v for k, v in data.items() if v not in (None, "")}
            if isinstance(data.get("level"), str):
                data["level"] = data["level"].strip().upper()
            occurred = data.get("occurred_at")
            if not data.get("id") and isinstance(occurred, dt.datetime):
                data["id"] = next_id(ws, occurred, taken)
            inc = incident_from_dict(data, label)
            f = Fields(data, label)
            if inc.occurred_at > now:
                f.fail("occurred_at", "is in the future")
            if inc.learned_at > now:
                f.fail("learned_at", "is in the future")
            if inc.client not in ws.clients():
                f.fail("client", "names an unknown client: add it with 'peerkit client add' or correct the id")
            if inc.id in taken or incident_path(ws, inc.id).exists():
                f.fail("id", f"incident {inc.id} already exists")
            taken.add(inc.id)
            prepared.append(inc)
        storage.ensure_dir(ws.path(FOLDER))
        for inc in prepared:
            storage.write_toml(incident_path(ws, inc.id), inc.to_dict(), header=HEADER)
    return [inc.id for inc in prepared]


def mark(ws, incident_id: str, action: str, at: dt.datetime | None) -> Incident:
    """Record that a deadline was met (or an update sent); the file keeps its comments."""
    if action not in MARKS:
        raise DataError(f"unknown mark {action!r}: use one of {', '.join(MARKS)}")
    key, label = MARKS[action]
    at = at or dates.now()
    r = rules(ws)
    path = incident_path(ws, incident_id)
    with ws.lock():
        inc = load(ws, incident_id)
        where = ws.rel(path)
        if at < inc.learned_at:
            raise DataError(where, "--at is before 'learned_at'; nothing was changed")
        if action == "entered-iris" and inc.level not in r.iris_levels:
            raise DataError(where, f"level {inc.level} incidents are kept internal and not entered in IRIS "
                                   "(change 'level' first if it was reclassified)")
        if action == "verbal-notice" and inc.level not in r.verbal_levels:
            raise DataError(where, f"no verbal notice is required for level {inc.level} incidents")
        with storage.edit_toml(path) as doc:
            if key == "updates":
                import tomlkit

                arr = doc.get("updates")
                if arr is None:
                    arr = tomlkit.array()
                    doc["updates"] = arr
                arr.append(at)
            else:
                if doc.get(key) is not None:
                    raise DataError(where, f"field '{key}': is already recorded; edit the file to correct it")
                doc[key] = at
            result = incident_from_dict(doc.unwrap(), path, expect_id=incident_id)
    return result


# ------------------------------------------------------------------------ alerts


def reference_time(today: dt.date) -> dt.datetime:
    """Now, when ``today`` is today; else the end of ``today`` (``status --as-of``)."""
    now = dates.now()
    if now.date() == today:
        return now
    return dt.datetime.combine(today, dt.time(23, 59, 59))


def _span(delta: dt.timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h"


def deadline_alerts(inc: Incident, r: Rules, ref: dt.datetime):
    from peerkit.alerts import Alert

    out = []
    for dl in inc.deadlines(r):
        state = dl.state(ref, r.warn_hours)
        when = f"{dl.due:%Y-%m-%d %H:%M}"
        todo = f"when done: peerkit incident mark {inc.id} {dl.mark}"
        if state == "overdue":
            out.append(Alert("incidents", inc.id, "error", dl.due.date(),
                             f"level {inc.level}: {dl.label} overdue by {_span(ref - dl.due)} (was due "
                             f"{when}, {dl.hours} h after learning of it); {todo}"))
        elif state == "due-soon":
            out.append(Alert("incidents", inc.id, "warning", dl.due.date(),
                             f"level {inc.level}: {dl.label} due by {when} (in {_span(dl.due - ref)}); {todo}"))
        elif state == "open":
            out.append(Alert("incidents", inc.id, "info", dl.due.date(),
                             f"level {inc.level}: {dl.label} due by {when} (in {_span(dl.due - ref)}); {todo}"))
    return out


def alerts(ws, today: dt.date):
    r = rules(ws)
    ref = reference_time(today)
    since = today - dt.timedelta(days=r.lookback_days)
    out = []
    for inc in iter_incidents(ws, since=since):
        if inc.learned_at > ref:
            continue  # not known yet on the day asked about
        out.extend(deadline_alerts(inc, r, ref))
    return out
