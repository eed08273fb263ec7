"""Caseload limits and authorization use, as of a day (no CLI here).

Reads clients and the notes of the current authorization windows and of the current state
fiscal year only (never all history).  Units follow the workspace's unit rule.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from peerkit.alerts import Alert
from peerkit.dates import fiscal_year
from peerkit.validate import Fields

USED_STATUSES = ("approved", "submitted", "signed")


@dataclass
class Settings:
    max_people: int = 10
    max_weekly_hours: float = 40
    under_use_ratio: float = 0.5
    under_grace_days: int = 14
    ending_days: int = 14
    unmanaged_units: int | None = 24  # None: unlimited ([billing] unmanaged_units, peerkit.unmanaged)
    fiscal_year_start: tuple[int, int] = (7, 1)


def load_settings(ws) -> Settings:
    """The ``[caseload]`` limits and the unmanaged-units rule; DataError (naming peerkit.toml
    and the field) when ``[caseload]`` is not a table or a value is wrong."""
    from peerkit.unmanaged import unmanaged_rule

    s = caseload_settings(ws)
    rule = unmanaged_rule(ws)  # [billing] unmanaged_units and fiscal_year_start, shared with notes
    s.unmanaged_units, s.fiscal_year_start = rule.limit, rule.fiscal_year_start
    return s


def caseload_settings(ws) -> Settings:
    """The ``[caseload]`` table of peerkit.toml, validated (this plugin owns it: peerkit's
    core does not check it)."""
    f = Fields(ws.section("caseload"), ws.path("peerkit.toml"), "caseload.")
    s = Settings(
        max_people=f.opt("max_people", int, 10),
        max_weekly_hours=float(f.opt("max_weekly_hours", (int, float), 40)),
        under_use_ratio=float(f.opt("under_use_ratio", (int, float), 0.5)),
        under_grace_days=f.opt("under_grace_days", int, 14),
        ending_days=f.opt("ending_days", int, 14),
    )
    for key in ("max_people", "max_weekly_hours", "under_use_ratio", "under_grace_days",
                "ending_days"):
        if getattr(s, key) < 0:
            f.fail(key, "must not be negative")
    return s


@dataclass
class AuthUse:
    client: str
    code: str
    modifier: str
    number: str
    start: dt.date
    end: dt.date
    authorized: int
    used: int
    hours_per_week: float
    elapsed_days: int
    total_days: int
    run_out: dt.date | None
    flags: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.authorized - self.used

    @property
    def percent_used(self) -> float | None:
        return round(self.used * 100 / self.authorized, 1) if self.authorized else None

    @property
    def percent_elapsed(self) -> float:
        return round(self.elapsed_days * 100 / self.total_days, 1)

    def as_json(self) -> dict:
        return {"client": self.client, "code": self.code, "modifier": self.modifier,
                "number": self.number or None, "start": self.start, "end": self.end,
                "hours_per_week": self.hours_per_week, "authorized": self.authorized,
                "used": self.used, "remaining": self.remaining, "percent_used": self.percent_used,
                "percent_elapsed": self.percent_elapsed, "projected_run_out": self.run_out,
                "flags": list(self.flags)}


@dataclass
class Unmanaged:
    client: str
    fiscal_year_start: dt.date
    fiscal_year_end: dt.date
    used: int
    limit: int | None  # None: unlimited
    notes: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else self.limit - self.used

    def as_json(self) -> dict:
        return {"client": self.client, "fiscal_year": {"start": self.fiscal_year_start,
                                                        "end": self.fiscal_year_end},
                "used": self.used, "limit": self.limit, "remaining": self.remaining,
                "notes": self.notes}


@dataclass
class Report:
    as_of: dt.date
    settings: Settings
    active: list[str]
    weekly_hours: float
    auths: list[AuthUse]
    unmanaged: list[Unmanaged]
    alerts: list[Alert]

    @property
    def broken(self) -> bool:
        """A limit is broken (exit 1): any error-level alert."""
        return any(a.severity == "error" for a in self.alerts)

    def as_json(self) -> dict:
        s = self.settings
        return {
            "as_of": self.as_of,
            "alerts": [a.as_json() for a in self.alerts],
            "caseload": {"active_people": len(self.active), "max_people": s.max_people,
                         "weekly_hours": self.weekly_hours, "max_weekly_hours": s.max_weekly_hours,
                         "clients": list(self.active)},
            "authorizations": [a.as_json() for a in self.auths],
            "unmanaged": [u.as_json() for u in self.unmanaged],
            "limits_broken": self.broken,
        }


def _units(notes: list, rule) -> int:
    """The notes' units by the one computation every view uses (``units_by_note``)."""
    from peerkit.units import units_by_note

    return sum(units_by_note(notes, rule).values())


def _fmt_hours(h: float) -> str:
    return f"{h:g}"


def compute(ws, as_of: dt.date, problems: list | None = None) -> Report:
    """The caseload on ``as_of``.  A note file that cannot be read raises its DataError, unless
    ``problems`` is a list: then the error is appended to it and the other notes still count
    (the ``status`` alerts, which show the error and exit 3)."""
    from peerkit.alerts import sort_alerts

    s = load_settings(ws)
    rule = ws.unit_rule
    clients = ws.clients()
    active = sorted(cid for cid, c in clients.items() if c.active_on(as_of))
    current = [(c, a) for cid, c in sorted(clients.items()) if cid in active
               for a in c.authorizations if a.start <= as_of <= a.end]
    fy_start, fy_end = fiscal_year(as_of, s.fiscal_year_start)
    scan_from = min([fy_start] + [a.start for _, a in current])
    by_client = _used_notes(ws, clients, scan_from, as_of, problems)
    weekly = sum(a.hours_per_week for _, a in current)
    alerts = _caseload_alerts(s, as_of, len(active), weekly)
    auths: list[AuthUse] = []
    for c, a in current:
        notes = [n for n in by_client.get(c.id, []) if a.covers(n.date, n.code, n.modifier)]
        u = _auth_use(c.id, a, _units(notes, rule), as_of)
        alerts += _auth_alerts(u, s, as_of)
        auths.append(u)
    unmanaged: list[Unmanaged] = []
    for cid in sorted(by_client):
        c = clients[cid]
        loose = [n for n in by_client[cid] if fy_start <= n.date <= as_of
                 and c.authorization_for(n.date, n.code, n.modifier) is None]
        if loose:
            um = Unmanaged(cid, fy_start, fy_end, _units(loose, rule), s.unmanaged_units, len(loose))
            unmanaged.append(um)
            alerts += _unmanaged_alerts(um, as_of)
    return Report(as_of, s, active, weekly, auths, unmanaged, sort_alerts(alerts))


def _used_notes(ws, clients: dict, scan_from: dt.date, as_of: dt.date,
                problems: list | None) -> dict[str, list]:
    """The notes that use units (``USED_STATUSES``) of known clients, by client id."""
    if problems is None:
        notes = ws.notes(scan_from, as_of)
    else:
        from peerkit.records import readable_notes

        notes, unreadable = readable_notes(ws, scan_from, as_of)
        problems.extend(unreadable)
    by_client: dict[str, list] = {}
    for note in notes:
        if note.status in USED_STATUSES and note.client in clients:
            by_client.setdefault(note.client, []).append(note)
    return by_client


def _caseload_alerts(s: Settings, as_of: dt.date, people: int, weekly: float) -> list[Alert]:
    """The limits of the whole caseload: active people and authorized hours a week."""
    alerts = []
    if people > s.max_people:
        alerts.append(Alert("caseload", "caseload", "error", as_of,
                            f"{people} active people on the caseload; the limit is "
                            f"{s.max_people} ([caseload] max_people)"))
    if weekly > s.max_weekly_hours:
        alerts.append(Alert("caseload", "caseload", "error", as_of,
                            f"the active caseload is authorized {_fmt_hours(weekly)} hours a week; "
                            f"the limit is {_fmt_hours(s.max_weekly_hours)} ([caseload] max_weekly_hours)"))
    return alerts


def _auth_use(client: str, a, used_units: int, as_of: dt.date) -> AuthUse:
    """One current authorization's use; ``used_units``: its notes' units."""
    used = used_units + a.units_used_before   # opening balance from before peerkit
    total_days = (a.end - a.start).days + 1
    elapsed = (as_of - a.start).days + 1
    run_out = None
    if used > 0:
        # pace = used / elapsed days; the units last ceil(units * elapsed / used) days
        days_needed = -(-a.units * elapsed // used)
        run_out = a.start + dt.timedelta(days=max(days_needed - 1, 0))
    return AuthUse(client, a.code, a.modifier, a.number, a.start, a.end, a.units, used,
                   a.hours_per_week, elapsed, total_days, run_out)


def _auth_alerts(u: AuthUse, s: Settings, as_of: dt.date) -> list[Alert]:
    """Over (or running out before its end), under-used, ending soon; each also a flag of ``u``."""
    alerts = []
    label = f"{u.client} {u.code}{(' ' + u.modifier) if u.modifier else ''}"
    if u.used > u.authorized:
        u.flags.append("over")
        alerts.append(Alert("caseload", label, "error", as_of,
                            f"{u.used} units used of {u.authorized} authorized: over by "
                            f"{u.used - u.authorized}; request more units before the next service"))
    elif u.run_out is not None and u.run_out < u.end:
        u.flags.append("over")
        alerts.append(Alert("caseload", label, "warning", u.run_out,
                            f"{u.used} of {u.authorized} units used, {u.percent_elapsed}% of the period "
                            f"gone: at this pace the units run out on {u.run_out}, before the "
                            f"authorization ends on {u.end}"))
    expected = u.authorized * u.elapsed_days / u.total_days
    if (u.elapsed_days > s.under_grace_days and u.authorized > 0
            and u.used < s.under_use_ratio * expected):
        u.flags.append("under")
        alerts.append(Alert("caseload", label, "info", u.end,
                            f"{u.used} of {u.authorized} units used with {u.percent_elapsed}% of the "
                            f"period gone (pro-rata {expected:.0f}): under-used; check the plan "
                            "or the person's engagement"))
    days_left = (u.end - as_of).days
    if days_left <= s.ending_days:
        u.flags.append("ending")
        alerts.append(Alert("caseload", label, "warning", u.end,
                            f"the authorization ends on {u.end} ({days_left} day(s)); "
                            f"{u.remaining} unit(s) left: request a reauthorization if needed"))
    return alerts


def _unmanaged_alerts(um: Unmanaged, as_of: dt.date) -> list[Alert]:
    """Units served without an authorization this fiscal year against the unmanaged limit."""
    limit, used = um.limit, um.used
    if limit is None:  # "unlimited": nothing to warn about
        return []
    if used > limit:
        return [Alert("caseload", um.client, "error", as_of,
                      f"{used} units served without an authorization this fiscal year; "
                      f"the unmanaged limit is {limit}: get prior approval")]
    if used >= 0.75 * limit:
        return [Alert("caseload", um.client, "warning", as_of,
                      f"{used} of {limit} unmanaged units used this fiscal "
                      "year without an authorization: request prior approval now")]
    return [Alert("caseload", um.client, "info", None,
                  f"served without an authorization: {used} of "
                  f"{limit} unmanaged units used this fiscal year")]


def table_rows(report: Report) -> list[list[Any]]:
    rows = []
    for u in report.auths:
        rows.append([u.client, f"{u.code}{(' ' + u.modifier) if u.modifier else ''}",
                     f"{u.start}..{u.end}", u.authorized, u.used, u.remaining,
                     "" if u.percent_used is None else f"{u.percent_used:g}%",
                     f"{u.percent_elapsed:g}%", u.run_out or "", ",".join(u.flags)])
    return rows
