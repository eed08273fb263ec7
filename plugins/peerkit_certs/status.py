"""What is lapsed, lapsing, short or missing: the figures of ``certs status`` and its alerts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from peerkit.alerts import Alert, sort_alerts
from peerkit_certs.model import Credential, Credentials, Settings, add_months, fmt_hours, hours_value, month_end

SOURCE = "certs"


@dataclass
class CEProgress:
    credential: Credential
    start: dt.date | None
    due: dt.date | None
    required: Decimal | None
    earned: Decimal
    by_category: dict[str, Decimal]
    entries: int

    @property
    def remaining(self) -> Decimal:
        if self.required is None:
            return Decimal(0)
        return max(self.required - self.earned, Decimal(0))

    def category_rows(self) -> dict[str, dict]:
        rows = {}
        for cat, need in sorted(self.credential.category_hours.items()):
            got = self.by_category.get(cat, Decimal(0))
            rows[cat] = {"required": hours_value(need), "earned": hours_value(got),
                         "remaining": hours_value(max(need - got, Decimal(0)))}
        return rows

    def short(self) -> bool:
        if self.remaining > 0:
            return True
        return any(v["remaining"] > 0 for v in self.category_rows().values())

    def as_json(self) -> dict:
        return {
            "credential": self.credential.id,
            "period": {"start": self.start, "end": self.due},
            "required": hours_value(self.required) if self.required is not None else None,
            "earned": hours_value(self.earned),
            "remaining": hours_value(self.remaining),
            "categories": self.category_rows(),
            "earned_by_category": {k: hours_value(v) for k, v in sorted(self.by_category.items())},
            "entries": self.entries,
            "short": self.short(),
        }


def ce_progress(cred: Credential, creds: Credentials, as_of: dt.date) -> CEProgress | None:
    """CE hours earned from the start of the current renewal period up to ``as_of``."""
    if not cred.has_renewal_rule:
        return None
    start = cred.period_start()
    earned = Decimal(0)
    by_cat: dict[str, Decimal] = {}
    n = 0
    for e in creds.ce:
        if e.credential is not None and e.credential != cred.id:
            continue
        if e.date > as_of or (start is not None and e.date < start):
            continue
        earned += e.hours
        by_cat[e.category] = by_cat.get(e.category, Decimal(0)) + e.hours
        n += 1
    return CEProgress(cred, start, cred.renew_by or cred.expires, cred.renewal_hours, earned, by_cat, n)


@dataclass
class SupervisionStatus:
    minimum: int
    since: dt.date | None
    months: list[dict] = field(default_factory=list)
    current: dict | None = None

    @property
    def missing(self) -> list[str]:
        return [m["month"] for m in self.months if not m["met"]]

    def as_json(self) -> dict:
        return {"minimum_minutes": self.minimum, "since": self.since, "months": self.months,
                "missing": self.missing, "current": self.current}


def supervision_status(creds: Credentials, s: Settings, as_of: dt.date) -> SupervisionStatus:
    """Complete calendar months since the start date (at most the lookback) and this month."""
    result = SupervisionStatus(s.supervision_minutes, None)
    if s.supervision_minutes <= 0:
        return result
    since = s.supervision_since
    if since is None and creds.supervision:
        since = min(e.date for e in creds.supervision)
    if since is None:
        issued = [c.issued for c in creds.credentials if c.kind == "certification" and c.issued]
        since = min(issued) if issued else None
    result.since = since
    if since is None:
        return result
    this_month = as_of.replace(day=1)
    first = since if since.day == 1 else add_months(since, 1)
    first = max(first, add_months(this_month, -s.supervision_lookback_months))
    totals: dict[tuple[int, int], dict[str, int]] = {}
    for e in creds.supervision:
        key = (e.date.year, e.date.month)
        slot = totals.setdefault(key, {"individual": 0, "group": 0})
        slot[e.kind] += e.minutes
    month = first
    while month < this_month:
        slot = totals.get((month.year, month.month), {"individual": 0, "group": 0})
        minutes = slot["individual"] + slot["group"]
        result.months.append({"month": f"{month:%Y-%m}", "minutes": minutes,
                              "individual": slot["individual"], "group": slot["group"],
                              "met": minutes >= s.supervision_minutes})
        month = add_months(month, 1)
    if this_month >= since.replace(day=1):
        # only entries up to as_of count for the month in progress
        so_far = sum(e.minutes for e in creds.supervision
                     if e.date.replace(day=1) == this_month and e.date <= as_of)
        result.current = {"month": f"{this_month:%Y-%m}", "minutes": so_far,
                          "remaining": max(s.supervision_minutes - so_far, 0),
                          "due": month_end(as_of)}
    return result


@dataclass
class CertsStatus:
    as_of: dt.date
    within: int
    credentials: list[tuple[Credential, str, int | None]]
    ce: list[CEProgress]
    supervision: SupervisionStatus
    alerts: list[Alert]

    def as_json(self) -> dict:
        creds = []
        for cred, state, days in self.credentials:
            d = cred.as_json()
            d["state"] = state
            d["days_left"] = days
            d["grace_until"] = (cred.expires + dt.timedelta(days=cred.grace_days)
                                if cred.expires and cred.grace_days else None)
            creds.append(d)
        return {"as_of": self.as_of, "within_days": self.within,
                "alerts": [a.as_json() for a in self.alerts],
                "credentials": creds,
                "ce": {p.credential.id: p.as_json() for p in self.ce},
                "supervision": self.supervision.as_json()}

    @property
    def needs_attention(self) -> bool:
        """Anything lapsed or due inside the window (an error or a warning)."""
        return any(a.severity in ("error", "warning") for a in self.alerts)


def credential_state(cred: Credential, as_of: dt.date, within: int) -> tuple[str, int | None]:
    if cred.is_retired(as_of):
        return "retired", None
    if cred.expires is None:
        return "no-expiry", None
    days = (cred.expires - as_of).days
    if days < 0:
        return "lapsed", days
    if days <= within:
        return "lapsing", days
    return "ok", days


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    return f"in {days} day{'s' if days != 1 else ''}"


def compute(creds: Credentials, s: Settings, as_of: dt.date, within: int | None = None) -> CertsStatus:
    within = s.warn_days if within is None else within
    alerts: list[Alert] = []
    rows = []
    progress = []
    for cred in creds.credentials:
        state, days = credential_state(cred, as_of, within)
        rows.append((cred, state, days))
        alerts += _credential_alerts(cred, state, days, as_of)
        if state == "retired":  # no longer held or needed: nothing is due
            continue
        p = ce_progress(cred, creds, as_of)
        if p is None:
            continue
        progress.append(p)
        alerts += _ce_alerts(p, as_of, within)
    sup = supervision_status(creds, s, as_of)
    alerts += _supervision_alerts(sup, s, as_of)
    return CertsStatus(as_of, within, rows, progress, sup, sort_alerts(alerts))


def _credential_alerts(cred: Credential, state: str, days: int | None, as_of: dt.date) -> list[Alert]:
    """An error for a lapsed credential (naming any late-renewal grace), a warning for a lapsing one."""
    if state == "lapsed":
        assert cred.expires is not None  # credential_state: "lapsed" has an expiry date
        msg = f"{cred.kind} expired on {cred.expires.isoformat()}"
        grace_end = cred.expires + dt.timedelta(days=cred.grace_days)
        if cred.grace_days and as_of <= grace_end:
            msg += f"; late renewal still possible until {grace_end.isoformat()}"
        else:
            msg += "; renew it before working under it again"
        return [Alert(SOURCE, cred.id, "error", cred.expires, msg)]
    if state == "lapsing":
        assert cred.expires is not None and days is not None  # credential_state: as for "lapsed"
        return [Alert(SOURCE, cred.id, "warning", cred.expires,
                      f"{cred.kind} expires on {cred.expires.isoformat()} ({_in_days(days)}); renew it")]
    return []


def _ce_severity(p: CEProgress, as_of: dt.date, within: int) -> str:
    """error once the CE period is over, warning when it ends within the window, else info."""
    if p.due is None:
        return "info"
    if p.due < as_of:
        return "error"
    if (p.due - as_of).days <= within:
        return "warning"
    return "info"


def _ce_alerts(p: CEProgress, as_of: dt.date, within: int) -> list[Alert]:
    """CE hours short in total and in each required category."""
    cred = p.credential
    severity = _ce_severity(p, as_of, within)
    since = f"since {p.start.isoformat()}" if p.start else "so far"
    by = f" by {p.due.isoformat()}" if p.due else ""
    alerts = []
    if p.remaining > 0:
        assert p.required is not None  # remaining is 0 without a requirement
        alerts.append(Alert(SOURCE, cred.id, severity, p.due,
                            f"CE hours short: {fmt_hours(p.earned)} of {fmt_hours(p.required)} h "
                            f"earned {since}; {fmt_hours(p.remaining)} h to go{by}"))
    for cat, need in sorted(cred.category_hours.items()):
        got = p.by_category.get(cat, Decimal(0))
        if got < need:
            alerts.append(Alert(SOURCE, cred.id, severity, p.due,
                                f"CE hours short in {cat}: {fmt_hours(got)} of {fmt_hours(need)} h "
                                f"earned {since}; {fmt_hours(need - got)} h to go{by}"))
    return alerts


def _supervision_alerts(sup: SupervisionStatus, s: Settings, as_of: dt.date) -> list[Alert]:
    """An error per past month short of supervision; a warning when this month's is due soon."""
    alerts = []
    for m in sup.months:
        if not m["met"]:
            y, mo = (int(x) for x in m["month"].split("-"))
            alerts.append(Alert(SOURCE, f"supervision/{m['month']}", "error", month_end(dt.date(y, mo, 1)),
                                f"{m['minutes']} of {sup.minimum} minutes of supervision logged in "
                                f"{m['month']}; log it with 'peerkit certs supervision add' if it took place"))
    cur = sup.current
    if cur and cur["remaining"] > 0 and (cur["due"] - as_of).days < s.supervision_warn_days:
        alerts.append(Alert(SOURCE, f"supervision/{cur['month']}", "warning", cur["due"],
                            f"{cur['minutes']} of {sup.minimum} minutes of supervision logged so far in "
                            f"{cur['month']}; {cur['remaining']} more needed by {cur['due'].isoformat()}"))
    return alerts
