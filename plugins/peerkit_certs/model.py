"""credentials.toml: credentials, continuing education and supervision (no CLI here).

Hours are kept as :class:`decimal.Decimal`.  TOML gives ``1.5`` as a float; it is turned into
``Decimal(str(value))`` so ``1.5 + 1.2 + 0.3`` sums to exactly ``3`` (float sums such as
``0.1 + 0.2`` do not) and a requirement of "3 hours of ethics" is met by 1.5 + 1.5 without
rounding surprises.  Files keep plain TOML numbers (``hours = 1.5``), which people type.

Dates: ``expires`` is the last day a credential is valid; it has lapsed the day after.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, overload

from peerkit import storage
from peerkit.errors import DataError
from peerkit.records import id_problem
from peerkit.validate import Fields, clean_text

FILE_NAME = "credentials.toml"
KINDS = ("certification", "licence", "insurance", "training", "background-check")
SUPERVISION_KINDS = ("individual", "group")
EXPIRY_RULES = ("end-of-month", "calendar-year", "anniversary")
HEADER = ("Credentials, continuing education and supervision (see docs/certs.md).\n"
          "Edit freely: peerkit keeps your comments when it adds entries.")

# Built-in presets.  Every value can be overridden on the command line, by a
# [certs.presets.<name>] table in peerkit.toml, or by editing credentials.toml afterwards.
PRESETS: dict[str, dict[str, Any]] = {
    "nc-cpss": {
        "kind": "certification",
        "name": "NC Certified Peer Support Specialist",
        "issuer": "NC Certified Peer Support Specialist Program (UNC School of Social Work)",
        "period_years": 2, "renewal_hours": 20, "category_hours": {},
        # due by the last day of the renewal month; late renewal within 30 days (fees)
        "expiry_rule": "end-of-month", "grace_days": 30,
    },
    "ga-cps": {
        "kind": "certification",
        "name": "Georgia Certified Peer Specialist (CPS-MH)",
        "issuer": "Georgia Mental Health Consumer Network",
        # 12 CEUs each calendar year incl. one peer ethics training; due Dec 31, grace to Jan 15
        "period_years": 1, "renewal_hours": 12, "category_hours": {"ethics": 1},
        "expiry_rule": "calendar-year", "grace_days": 15,
    },
    "pa-cps": {
        "kind": "certification",
        "name": "Pennsylvania Certified Peer Specialist",
        "issuer": "Pennsylvania Certification Board",
        # 36 CEUs: 24 peer support/recovery, 3 ethics, 9 elective
        "period_years": 2, "renewal_hours": 36,
        "category_hours": {"ethics": 3, "peer-support": 24},
        "expiry_rule": "anniversary", "grace_days": 0,
    },
    "tx-mhps": {
        "kind": "certification",
        "name": "Texas Mental Health Peer Specialist",
        "issuer": "Texas Certification Board",
        "period_years": 2, "renewal_hours": 20, "category_hours": {"ethics": 3},
        "expiry_rule": "anniversary", "grace_days": 0,
    },
    "tx-rsps": {
        "kind": "certification",
        "name": "Texas Recovery Support Peer Specialist",
        "issuer": "Texas Certification Board",
        "period_years": 2, "renewal_hours": 20, "category_hours": {"ethics": 3},
        "expiry_rule": "anniversary", "grace_days": 0,
    },
}


# ------------------------------------------------------------------------ line numbers


class BlockFields(Fields):
    """Fields of the n-th ``[[table]]`` entry; errors point at the line inside that entry."""

    def __init__(self, data: Any, path: Path | str, table: str, index: int, prefix: str | None = None):
        self.table = table
        self.index = index
        super().__init__(data, path, prefix if prefix is not None else f"{table}[{index + 1}].")

    def fail(self, key: str, problem: str):  # type: ignore[override]
        line = block_line(self.path, self.table, self.index, key)
        label = f"field '{self.prefix}{key}': " if key else f"'{self.prefix.rstrip('.')}': "
        raise DataError(self.where(), f"{label}{problem}", line=line)


def block_line(path: Path, table: str, index: int, key: str) -> int | None:
    """Line of ``key = ...`` inside the ``index``-th ``[[table]]`` (or its header line)."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    any_header = re.compile(r"^\s*\[")
    own_sub = re.compile(rf"^\s*\[\s*{re.escape(table)}\.")
    bare = key.split(".")[-1] if key else ""
    keypat = re.compile(rf"^\s*(\"?){re.escape(bare)}\1\s*=") if bare else None
    count = -1
    start = None
    for i, line in enumerate(lines, 1):
        if header.match(line):
            count += 1
            if count == index:
                start = i
                continue
            if start is not None:
                break
        elif start is not None and any_header.match(line) and not own_sub.match(line):
            break
        elif start is not None and keypat is not None and keypat.match(line):
            return i
    return start


# ------------------------------------------------------------------------ records


@overload
def parse_hours(f: Fields, key: str, *, allow_zero: bool = ..., required: Literal[True] = ...) -> Decimal: ...
@overload
def parse_hours(f: Fields, key: str, *, allow_zero: bool = ..., required: bool) -> Decimal | None: ...
def parse_hours(f: Fields, key: str, *, allow_zero: bool = False, required: bool = True) -> Decimal | None:
    """A number of hours (1, 1.5 or "1.5"): finite, positive (or zero where allowed)."""
    if key not in f.data:
        if required:
            f.fail(key, "is required but missing")
        return None
    value = f.data[key]
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        f.fail(key, "expected a number of hours like 1.5")
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        f.fail(key, "expected a number of hours like 1.5")
    if not hours.is_finite():
        f.fail(key, "expected a number of hours like 1.5")
    if hours < 0 or (hours == 0 and not allow_zero):
        f.fail(key, "must be a positive number of hours (like 1.5)" if not allow_zero
               else "must not be negative")
    if hours > 10000:
        f.fail(key, "is implausibly large")
    return hours.normalize() if hours == hours.to_integral_value() else hours


def hours_value(h: Decimal) -> int | float:
    """Hours for TOML and JSON: a whole number stays an int, 1.5 a float."""
    return int(h) if h == h.to_integral_value() else float(h)


def fmt_hours(h: Decimal) -> str:
    return f"{hours_value(h):g}" if isinstance(hours_value(h), int) else str(hours_value(h))


def category_key(name: str) -> str:
    return clean_text(name).strip().lower()


@dataclass
class Credential:
    id: str
    kind: str
    name: str
    number: str = ""
    issuer: str = ""
    issued: dt.date | None = None
    expires: dt.date | None = None
    renewal_hours: Decimal | None = None
    category_hours: dict[str, Decimal] = field(default_factory=dict)
    period_years: int | None = None
    grace_days: int = 0
    renew_by: dt.date | None = None
    retired: dt.date | None = None   # no longer held or needed from this day (kept for the record)

    def is_retired(self, as_of: dt.date) -> bool:
        return self.retired is not None and self.retired <= as_of

    @property
    def has_renewal_rule(self) -> bool:
        return self.renewal_hours is not None or bool(self.category_hours)

    def period_start(self) -> dt.date | None:
        """First day of the current renewal period: expires - period, else issued."""
        if self.expires and self.period_years:
            return add_years(self.expires, -self.period_years)
        return self.issued

    def as_json(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "kind": self.kind, "name": self.name,
                             "number": self.number, "issuer": self.issuer,
                             "issued": self.issued, "expires": self.expires}
        if self.has_renewal_rule:
            d["renewal_hours"] = hours_value(self.renewal_hours) if self.renewal_hours is not None else None
            d["category_hours"] = {k: hours_value(v) for k, v in self.category_hours.items()}
            d["period_years"] = self.period_years
        d["grace_days"] = self.grace_days
        d["retired"] = self.retired
        return d


@dataclass
class CE:
    date: dt.date
    hours: Decimal
    category: str
    title: str
    provider: str = ""
    credential: str | None = None
    certificate: str = ""

    def as_json(self) -> dict:
        return {"date": self.date, "hours": hours_value(self.hours), "category": self.category,
                "title": self.title, "provider": self.provider, "credential": self.credential,
                "certificate": self.certificate}


@dataclass
class Supervision:
    date: dt.date
    minutes: int
    kind: str
    supervisor: str = ""

    def as_json(self) -> dict:
        return {"date": self.date, "minutes": self.minutes, "kind": self.kind,
                "supervisor": self.supervisor}


@dataclass
class Credentials:
    credentials: list[Credential] = field(default_factory=list)
    ce: list[CE] = field(default_factory=list)
    supervision: list[Supervision] = field(default_factory=list)
    path: Path | None = None

    def get(self, cred_id: str) -> Credential | None:
        return next((c for c in self.credentials if c.id == cred_id), None)


def credential_from_fields(f: Fields) -> Credential:
    cid = f.req("id", str)
    problem = id_problem(cid)
    if problem:
        f.fail("id", problem)
    cred = Credential(
        id=cid,
        kind=f.choice("kind", KINDS),
        name=f.req("name", str),
        number=f.opt("number", str, ""),
        issuer=f.opt("issuer", str, ""),
        issued=f.opt("issued", dt.date),
        expires=f.opt("expires", dt.date),
        renewal_hours=parse_hours(f, "renewal_hours", allow_zero=True, required=False),
        period_years=f.opt("period_years", int),
        grace_days=f.opt("grace_days", int, 0),
        renew_by=f.opt("renew_by", dt.date),
        retired=f.opt("retired", dt.date),
    )
    if not cred.name.strip():
        f.fail("name", "must not be empty")
    if cred.issued and cred.expires and cred.expires < cred.issued:
        f.fail("expires", "is before 'issued'")
    if cred.renew_by and cred.expires and cred.renew_by > cred.expires:
        f.fail("renew_by", "is after 'expires'")
    if cred.period_years is not None and not 1 <= cred.period_years <= 20:
        f.fail("period_years", "must be a whole number of years from 1 to 20")
    if cred.grace_days < 0:
        f.fail("grace_days", "must not be negative")
    if "category_hours" in f.data:
        value = f.data["category_hours"]
        if not isinstance(value, dict):
            f.fail("category_hours", "must be a table like { ethics = 3 }")
        sub = BlockFields(value, f.path, getattr(f, "table", "credential"), getattr(f, "index", 0),
                          prefix=f"{f.prefix}category_hours.")
        for key in value:
            hours = parse_hours(sub, key, allow_zero=True)
            cat = category_key(key)
            if not cat:
                f.fail("category_hours", "has an empty category name")
            cred.category_hours[cat] = hours
        if cred.renewal_hours is not None and sum(cred.category_hours.values(), Decimal(0)) > cred.renewal_hours:
            f.fail("category_hours", "add up to more than 'renewal_hours'")
    return cred


def ce_from_fields(f: Fields, credential_ids: set[str] | None) -> CE:
    entry = CE(
        date=f.req("date", dt.date),
        hours=parse_hours(f, "hours"),
        category=category_key(f.opt("category", str, "general")) or "general",
        title=f.req("title", str),
        provider=f.opt("provider", str, ""),
        credential=f.opt("credential", str),
        certificate=f.opt("certificate", str, ""),
    )
    if not entry.title.strip():
        f.fail("title", "must not be empty")
    if entry.credential is not None and credential_ids is not None and entry.credential not in credential_ids:
        f.fail("credential", "does not match the id of any [[credential]]")
    if entry.certificate and ("/" in entry.certificate or "\\" in entry.certificate
                              or entry.certificate in (".", "..")):
        f.fail("certificate", "must be a file name (no folders)")
    return entry


def supervision_from_fields(f: Fields) -> Supervision:
    entry = Supervision(
        date=f.req("date", dt.date),
        minutes=f.req("minutes", int),
        kind=f.choice("kind", SUPERVISION_KINDS, "individual"),
        supervisor=f.opt("supervisor", str, ""),
    )
    if entry.minutes <= 0:
        f.fail("minutes", "must be a positive number of minutes")
    if entry.minutes > 24 * 60:
        f.fail("minutes", "is more than a day")
    return entry


def parse_credentials(data: dict, path: Path | str) -> Credentials:
    """Validate a whole credentials.toml; DataError names file:line and field."""
    top = Fields(data, path)
    out = Credentials(path=Path(path))
    for key in ("credential", "ce", "supervision"):
        if key in data and not isinstance(data[key], list):
            top.fail(key, f"must be written as [[{key}]] tables")
    for i, item in enumerate(data.get("credential", [])):
        f = BlockFields(item, path, "credential", i) if isinstance(item, dict) else top.fail(
            "credential", f"item {i + 1} must be a table")
        cred = credential_from_fields(f)
        if out.get(cred.id):
            f.fail("id", "is used by another [[credential]]")
        out.credentials.append(cred)
    ids = {c.id for c in out.credentials}
    for i, item in enumerate(data.get("ce", [])):
        if not isinstance(item, dict):
            top.fail("ce", f"item {i + 1} must be a table")
        out.ce.append(ce_from_fields(BlockFields(item, path, "ce", i), ids))
    for i, item in enumerate(data.get("supervision", [])):
        if not isinstance(item, dict):
            top.fail("supervision", f"item {i + 1} must be a table")
        out.supervision.append(supervision_from_fields(BlockFields(item, path, "supervision", i)))
    return out


def credentials_path(ws) -> Path:
    return ws.path(FILE_NAME)


def load(ws) -> Credentials:
    """The workspace's credentials.toml (empty when the file does not exist)."""
    path = credentials_path(ws)
    if not path.exists():
        return Credentials(path=path)
    return parse_credentials(storage.read_toml(path), path)


# ------------------------------------------------------------------------ dates


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(first: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def default_expiry(issued: dt.date, period_years: int, rule: str) -> dt.date:
    if rule == "calendar-year":
        return dt.date(issued.year + period_years - 1, 12, 31)
    if rule == "end-of-month":
        return month_end(add_years(issued, period_years))
    return add_years(issued, period_years) - dt.timedelta(days=1)


# ------------------------------------------------------------------------ settings


@dataclass
class Settings:
    warn_days: int = 90
    supervision_minutes: int = 60
    supervision_since: dt.date | None = None
    supervision_lookback_months: int = 12
    supervision_warn_days: int = 7
    alarm_days: list[int] = field(default_factory=lambda: [30, 7])
    supervision_alarm_days: int = 7
    presets: dict[str, dict] = field(default_factory=dict)


def settings(ws) -> Settings:
    """The ``[certs]`` table of peerkit.toml, validated."""
    data = ws.section("certs")
    f = Fields(data, ws.path("peerkit.toml"), prefix="certs.")
    s = Settings(
        warn_days=f.opt("warn_days", int, 90),
        supervision_minutes=f.opt("supervision_minutes", int, 60),
        supervision_since=f.opt("supervision_since", dt.date),
        supervision_lookback_months=f.opt("supervision_lookback_months", int, 12),
        supervision_warn_days=f.opt("supervision_warn_days", int, 7),
        alarm_days=list(f.opt("alarm_days", list, [30, 7])),
        supervision_alarm_days=f.opt("supervision_alarm_days", int, 7),
        presets=f.opt("presets", dict, {}),
    )
    for key in ("warn_days", "supervision_minutes", "supervision_warn_days", "supervision_alarm_days"):
        if getattr(s, key) < 0:
            f.fail(key, "must not be negative")
    if not 1 <= s.supervision_lookback_months <= 120:
        f.fail("supervision_lookback_months", "must be from 1 to 120")
    if any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in s.alarm_days):
        f.fail("alarm_days", "must be a list of whole numbers of days, like [30, 7]")
    return s


def all_presets(s: Settings) -> dict[str, dict]:
    merged = {k: dict(v) for k, v in PRESETS.items()}
    for name, value in s.presets.items():
        if not isinstance(value, dict):
            raise DataError("peerkit.toml", f"field 'certs.presets.{name}': must be a table")
        base = merged.get(name, {})
        merged[name] = {**base, **value}
    return merged


# ------------------------------------------------------------------------ writing


def _toml_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return hours_value(value)
    if isinstance(value, dict):
        return {k: _toml_value(v) for k, v in value.items()}
    return value


def append_entry(ws, table: str, entry: dict, *, check=None) -> None:
    """Append ``[[table]]`` to credentials.toml keeping comments; validate the whole file first.

    ``check(credentials)`` may raise to refuse the change; the file is then left unchanged.
    """
    import tomlkit

    path = credentials_path(ws)
    entry = {k: _toml_value(v) for k, v in entry.items() if v not in (None, "")}
    with ws.lock():
        if not path.exists():
            storage.write_toml(path, {}, header=HEADER)
        with storage.edit_toml(path) as doc:
            aot = doc.get(table)
            if aot is None:
                aot = tomlkit.aot()
                doc.append(table, aot)
            elif not isinstance(aot, list):
                raise DataError(ws.rel(path), f"field '{table}': must be written as [[{table}]] tables")
            tbl = tomlkit.table()
            for k, v in entry.items():
                if isinstance(v, dict):
                    sub = tomlkit.table()
                    for sk, sv in v.items():
                        sub.add(sk, sv)
                    tbl.add(k, sub)
                else:
                    tbl.add(k, v)
            aot.append(tbl)
            result = parse_credentials(doc.unwrap(), path)
            if check is not None:
                check(result)


def new_entry_fields(data: dict, table: str) -> BlockFields:
    """Fields of an entry typed on the command line (errors say 'command line')."""
    return BlockFields(data, "command line", table, 0, prefix="")


def build_credential(ws, *, cred_id: str | None, preset: str | None, values: dict,
                     categories: dict[str, str]) -> dict:
    """The new [[credential]] table from a preset and the options given; validated."""
    s = settings(ws)
    base: dict[str, Any] = {}
    if preset:
        presets = all_presets(s)
        if preset not in presets:
            raise DataError(f"unknown preset {preset!r}: choose one of {', '.join(sorted(presets))} "
                            "(see 'peerkit certs presets')")
        base = dict(presets[preset])
    rule = base.pop("expiry_rule", "anniversary")
    data: dict[str, Any] = {"id": cred_id or preset}
    data.update({k: v for k, v in base.items() if k != "category_hours"})
    data.update({k: v for k, v in values.items() if v not in (None, "")})
    cats = dict(base.get("category_hours", {}))
    for name, hours in categories.items():
        cats[name] = hours
    if cats:
        data["category_hours"] = cats
    if not data.get("id"):
        raise DataError("command line: give the credential an ID (or use --preset)")
    if rule not in EXPIRY_RULES:
        raise DataError("peerkit.toml", f"field 'certs.presets.{preset}.expiry_rule': must be one of "
                        + ", ".join(EXPIRY_RULES))
    if data.get("issued") and not data.get("expires") and data.get("period_years"):
        data["expires"] = default_expiry(data["issued"], int(data["period_years"]), rule)
    f = new_entry_fields(data, "credential")
    cred = credential_from_fields(f)  # refuses bad input before the file is touched
    if cred.renewal_hours is not None:
        data["renewal_hours"] = cred.renewal_hours
    if cred.category_hours:
        data["category_hours"] = dict(cred.category_hours)
    order = ("id", "kind", "name", "number", "issuer", "issued", "expires", "renew_by", "period_years",
             "renewal_hours", "grace_days", "category_hours")
    out = {k: data[k] for k in order if k in data}
    out.update({k: v for k, v in data.items() if k not in out})
    if "category_hours" in out:  # a sub-table must come last in TOML
        out["category_hours"] = out.pop("category_hours")
    return out


# ------------------------------------------------------------------------ maintaining

EDITABLE = ("name", "number", "issuer", "issued", "expires", "renew_by", "period_years",
            "renewal_hours", "grace_days")


def update_credential(ws, cred_id: str, changes: dict, *, categories: dict[str, str] | None = None,
                      remove: tuple[str, ...] = ()) -> Credential:
    """Change one ``[[credential]]`` in place, keeping every comment and the layout (tomlkit).

    ``changes`` sets keys (``None`` values are ignored), ``remove`` deletes keys, ``categories``
    sets minimum hours per category.  The whole file is validated before it is saved; on any
    problem it is left exactly as it was.  Returns the credential as saved.
    """
    import tomlkit

    path = credentials_path(ws)
    if not path.exists():
        raise DataError(ws.rel(path), "not found: add a credential first ('peerkit certs add')")
    changes = {k: _toml_value(v) for k, v in changes.items() if v is not None}
    with ws.lock(), storage.edit_toml(path) as doc:
        tables = doc.get("credential")
        if not isinstance(tables, list):
            raise DataError(ws.rel(path), f"no credential with id {cred_id!r}")
        found = [t for t in tables if t.get("id") == cred_id]
        if not found:
            raise DataError(ws.rel(path), f"no credential with id {cred_id!r} "
                            "(see 'peerkit certs list')")
        table = found[0]
        for key in remove:
            if key in table:
                del table[key]
        subtable = table.get("category_hours")
        for key, value in changes.items():
            if key in table:
                table[key] = value
            elif subtable is not None:  # keys must stay before the [credential.category_hours] sub-table
                _insert_before(table, "category_hours", key, value)
            else:
                table.add(key, value)
        if categories:
            if subtable is None:
                subtable = tomlkit.table()
                table.add("category_hours", subtable)
            for key, hours in categories.items():
                subtable[key] = _toml_value(Decimal(hours)) if _is_number(hours) else hours
        result = parse_credentials(doc.unwrap(), path)
    saved = result.get(cred_id)
    assert saved is not None  # "id" is not editable, so the saved file still has this credential
    return saved


def _is_number(text: str) -> bool:
    try:
        Decimal(str(text))
        return True
    except ArithmeticError:
        return False


def _insert_before(table, before: str, key: str, value: Any) -> None:
    """Put ``key = value`` in a tomlkit table just before the key ``before``."""
    items = list(table.items())
    for k, _ in items:
        del table[k]
    for k, v in items:
        if k == before:
            table.add(key, value)
        table.add(k, v)


def renewed_expiry(cred: Credential, expires: dt.date | None) -> dt.date:
    """The new last valid day after a renewal: ``expires`` if given, else one renewal period
    after the old expiry (the NC CPSS stays due at the end of its month), else refused."""
    if expires is not None:
        return expires
    if cred.period_years and cred.expires:
        if cred.expires == month_end(cred.expires):  # due at a month's end: stays so
            return month_end(add_years(cred.expires.replace(day=1), cred.period_years))
        return add_years(cred.expires, cred.period_years)
    raise DataError(f"command line: credential {cred.id!r} has no renewal period (period_years) to "
                    "compute the new expiry from: give --expires")
