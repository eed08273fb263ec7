"""Open Referral HSDS <-> peerkit resources.

Import: every format is first turned into HSDS 3.0 *service* objects (nested JSON, the
canonical form), then :func:`service_to_raw` maps one service (x each service_at_location) to
one peerkit resource.  Export: :func:`resources_to_services` builds nested service objects
(grouping resources that share an HSDS service id), :func:`flatten` turns them into the
tables of a Tabular Data Package, and :func:`validate_services` / :func:`validate_tables`
check the result against the bundled HSDS 3.0 JSON Schemas with ``jsonschema``.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import peerkit_resources.model as model
import peerkit_resources.schedule as sched
from peerkit import storage
from peerkit.errors import DataError
from peerkit.storage import display_path

DATA = Path(__file__).parent / "data"
SCHEMA_DIR = DATA / "hsds-3.0" / "schema"
DATAPACKAGE = DATA / "hsds-3.0" / "datapackage.json"
FREE_RE = re.compile(r"^\s*(free|none|no charge|no cost|no fee|no fees|\$0(\.00)?)\b", re.I)
SCHEDULE_KEYS = ("id", "freq", "byday", "bymonthday", "opens_at", "closes_at", "valid_from",
                 "valid_to", "dtstart", "until", "interval", "description")
Rows = list[tuple[int, dict]]   # the rows of a CSV table: (spreadsheet row number, row)


def _s(value: Any) -> str:
    """Text of a cell/JSON value; ``None`` and the literal ``null`` become ''."""
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text.lower() == "null" else text


# ============================================================================ import


class Source:
    """What an importer read: HSDS service objects plus counts and skipped items."""

    def __init__(self, path: Path, fmt: str):
        self.path = path
        self.format = fmt
        self.services: list[tuple[str, dict]] = []   # (where, service object)
        self.raw: list[tuple[str, dict]] = []        # (where, peerkit raw record) e.g. from xlsx
        self.skipped: list[dict] = []
        self.organizations: set[str] = set()
        self.service_ids: set[str] = set()
        self.locations: set[str] = set()

    def add_service(self, where: str, svc: dict) -> None:
        self.services.append((where, svc))
        self.service_ids.add(_s(svc.get("id")) or f"{where}")
        org = svc.get("organization") or {}
        if org:
            self.organizations.add(_s(org.get("id")) or _s(org.get("name")))
        for sal in svc.get("service_at_locations") or []:
            loc = sal.get("location") or {}
            if loc:
                self.locations.add(_s(loc.get("id")) or _s(loc.get("name")))

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append({"where": where, "reason": reason})

    def counts(self) -> dict:
        return {"organizations": len(self.organizations), "services": len(self.service_ids),
                "locations": len(self.locations)}

    def records(self) -> list[tuple[str, dict]]:
        """(where, validated record) for everything read; raises on the first invalid one."""
        out = []
        for where, svc in self.services:
            for raw in service_to_raw(svc, where):
                out.append((where, model.validate(raw, where)))
        for where, raw in self.raw:
            out.append((where, model.validate(raw, where)))
        return out


def _langs(items: Iterable[Any] | None) -> list[str]:
    out = []
    for item in items or []:
        if isinstance(item, dict):
            name = _s(item.get("name")) or _s(item.get("code")) or _s(item.get("language"))
        else:
            name = _s(item)
        if name:
            out.append(name)
    return out


def _phone_raw(p: dict) -> dict | None:
    number = _s(p.get("number"))
    if not number:
        return None
    ptype = _s(p.get("type")).lower() or "voice"
    out = {"number": number, "type": ptype if ptype in model.PHONE_TYPES else "voice",
           "description": _s(p.get("description"))}
    ext = _s(p.get("extension"))
    if ext:
        out["extension"] = ext[:-2] if ext.endswith(".0") else ext
    if model.is_uuid(_s(p.get("id"))):
        out["id"] = _s(p.get("id"))
    return out


def _schedule_raw(r: dict) -> dict:
    out: dict[str, Any] = {}
    for key in SCHEDULE_KEYS:
        value = r.get(key)
        if value is None or _s(value) == "":
            continue
        if key == "id":
            if model.is_uuid(_s(value)):
                out["id"] = _s(value)
        elif key == "interval":
            with contextlib.suppress(TypeError, ValueError):
                out["interval"] = int(float(value))
        elif key == "freq":
            freq = _s(value).upper()
            out["freq"] = freq if freq in sched.FREQS else "WEEKLY"
        else:
            out[key] = _s(value)
    return out


def _dedupe_phones(phones: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in phones:
        key = (model.phone_digits(p["number"]) or p["number"], p.get("type"), p.get("extension"))
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return out


def _pick_address(addresses: list[dict]) -> dict | None:
    if not addresses:
        return None
    physical = [a for a in addresses if _s(a.get("address_type")).lower() in ("", "physical")]
    return (physical or addresses)[0]


def _hsds_ids(svc: dict, org: dict, sal: dict, loc: dict, addr: dict | None) -> dict[str, Any]:
    """The ids the source gave: UUIDs kept as they are, other ids under ``foreign``."""
    ids: dict[str, Any] = {}
    foreign: dict[str, str] = {}
    for key, obj in (("organization", org), ("service", svc), ("location", loc),
                     ("service_at_location", sal), ("program", svc.get("program") or {})):
        value = _s(obj.get("id")) if obj else ""
        if key == "program" and not value:
            value = _s(svc.get("program_id"))
        if not value:
            continue
        if model.is_uuid(value):
            ids[key] = value.lower()
        else:
            foreign[key] = value
    if addr and model.is_uuid(_s(addr.get("id"))):
        ids["address"] = _s(addr.get("id")).lower()
    if foreign:
        ids["foreign"] = foreign
    return ids


def _address_raw(addr: dict) -> dict:
    return {"address_1": _s(addr.get("address_1")), "address_2": _s(addr.get("address_2")),
            "city": _s(addr.get("city")), "state": _s(addr.get("state_province")),
            "postal_code": _s(addr.get("postal_code")), "country": _s(addr.get("country")) or "US"}


def _phones_raw(svc: dict, org: dict, sal: dict, loc: dict) -> list[dict]:
    """The service's, its location's and its service_at_location's phones; the organization's
    only when none of those has one."""
    given = [*(svc.get("phones") or []), *(sal.get("phones") or []), *(loc.get("phones") or [])]
    phones = [x for x in (_phone_raw(p) for p in given) if x]
    if not phones:
        phones = [x for x in (_phone_raw(p) for p in org.get("phones") or []) if x]
    return _dedupe_phones(phones)


def _schedules_raw(svc: dict, sal: dict, loc: dict) -> list[dict]:
    """Schedule rows with hours, days or a description, each once (by id, else by content)."""
    rows, seen = [], set()
    for r in [*(svc.get("schedules") or []), *(sal.get("schedules") or []), *(loc.get("schedules") or [])]:
        row = _schedule_raw(r)
        key = row.get("id") or json.dumps(row, sort_keys=True)
        if key not in seen and (row.get("opens_at") or row.get("byday") or row.get("description")):
            seen.add(key)
            rows.append(row)
    return rows


def _categories_raw(svc: dict) -> list[str]:
    categories = []
    for attr in svc.get("attributes") or []:
        term = attr.get("taxonomy_term") or {}
        name = _s(term.get("name")) or _s(attr.get("value"))
        if name:
            categories.append(name)
    categories.extend(svc.get("_categories") or [])
    return categories


def _accessibility_raw(loc: dict) -> str:
    access = []
    for a in loc.get("accessibility") or []:
        text = "; ".join(x for x in (_s(a.get("description")), _s(a.get("details"))) if x)
        if text:
            access.append(text)
    return "; ".join(access)


def _free_and_verified(svc: dict, fees: str) -> dict[str, Any]:
    """``free`` (from the fees wording, or the importer's ``_free``) and the HSDS assurance."""
    out: dict[str, Any] = {}
    if fees and FREE_RE.match(fees):
        out["free"] = True
    if svc.get("_free") is not None:
        out["free"] = svc["_free"]
    assured = _s(svc.get("assured_date"))[:10]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", assured):
        out["last_verified"] = assured
        if _s(svc.get("assurer_email")):
            out["verified_by"] = _s(svc.get("assurer_email"))
    return out


def _sal_to_raw(svc: dict, org: dict, sal: dict) -> dict:
    """The raw record of one service at one location (``sal`` may be empty): the service's
    fields, else its organization's."""
    loc = sal.get("location") or {}
    addr = _pick_address(loc.get("addresses") or [])
    status = _s(svc.get("status")).lower()
    fees = _s(svc.get("fees_description")) or _s(svc.get("fees"))
    raw: dict[str, Any] = {
        "name": _s(svc.get("name")),
        "organization": _s(org.get("name")),
        "organization_description": "" if _s(org.get("description")) == _s(org.get("name"))
        else _s(org.get("description")),
        "description": _s(svc.get("description")) or _s(sal.get("description")),
        "status": status if status in model.STATUSES else "active",
        "categories": _categories_raw(svc),
        "county": _s(addr.get("region")) if addr else "",
        "email": _s(svc.get("email")) or _s(org.get("email")),
        "url": _s(svc.get("url")) or _s(org.get("website")) or _s(org.get("url")),
        "languages": _langs(svc.get("languages")) + _langs(loc.get("languages")),
        "eligibility": _s(svc.get("eligibility_description")) or _s(svc.get("eligibility")),
        "fees": fees,
        "accessibility": _accessibility_raw(loc),
        "how_to_apply": _s(svc.get("application_process")),
        "phones": _phones_raw(svc, org, sal, loc),
        "schedules": _schedules_raw(svc, sal, loc),
        "hsds": _hsds_ids(svc, org, sal, loc, addr),
        **_free_and_verified(svc, fees),
    }
    if addr:
        raw["address"] = _address_raw(addr)
    return {k: v for k, v in raw.items() if v not in ("", None)}


def service_to_raw(svc: dict, where: str) -> list[dict]:
    """One HSDS service object -> one raw peerkit record per service_at_location."""
    org = svc.get("organization") or {}
    return [_sal_to_raw(svc, org, sal or {}) for sal in svc.get("service_at_locations") or [None]]


# ---------------------------------------------------------------------------- JSON


def _kind(obj: dict) -> str:
    if not isinstance(obj, dict):
        return "other"
    if any(str(k).endswith(".csv") for k in obj):
        return "tabular"
    if "contents" in obj and isinstance(obj.get("contents"), list):
        return "page"
    if "version" in obj and "openapi_url" in obj:
        return "api-info"
    if isinstance(obj.get("service"), dict) or (isinstance(obj.get("location"), dict) and "name" not in obj):
        return "service_at_location"
    if "services" in obj and isinstance(obj["services"], list) and "name" not in obj:
        return "wrapper"
    if "location_type" in obj:
        return "location"
    if "taxonomy_detail" in obj or "term_uri" in obj or "code" in obj and "parent_id" in obj:
        return "taxonomy_term"
    if "uri" in obj and "version" in obj and "name" in obj and "description" in obj and len(obj) <= 6:
        return "taxonomy"
    if "services" in obj or "locations" in obj or "website" in obj or "legal_status" in obj \
            or "year_incorporated" in obj or "tax_status" in obj or "organization_identifiers" in obj:
        return "organization"
    if "name" in obj or any(k in obj for k in ("status", "service_at_locations", "organization", "schedules",
                                                 "phones", "eligibility_description", "application_process")):
        return "service"  # a service without a name is then reported as missing its name
    return "other"


def read_json_obj(src: Source, obj: Any, where: str) -> None:
    """Add what one JSON value holds to ``src``: services (nested in pages, wrappers,
    organizations, service_at_locations or tabular JSON); anything else is skipped, with why."""
    if isinstance(obj, list):
        for i, item in enumerate(obj, 1):
            read_json_obj(src, item, f"{where} item {i}")
        return
    kind = _kind(obj)
    if kind in _JSON_READERS:
        _JSON_READERS[kind](src, obj, where)
    else:
        src.skip(where, _JSON_SKIPPED[kind])


def _read_page(src: Source, obj: dict, where: str) -> None:
    for i, item in enumerate(obj["contents"], 1):
        read_json_obj(src, item, f"{where} contents[{i}]")


def _read_wrapper(src: Source, obj: dict, where: str) -> None:
    for i, item in enumerate(obj["services"], 1):
        read_json_obj(src, item, f"{where} services[{i}]")


def _read_tabular_json(src: Source, obj: dict, where: str) -> None:
    """``{"services.csv": [rows], ...}``: the tables of a data package in one JSON object."""
    tables = {}
    for name, rows in obj.items():
        if str(name).endswith(".csv") and isinstance(rows, list):
            tables[str(name)[:-4]] = [(i + 1, {k: ("" if v is None else v) for k, v in r.items()})
                                      for i, r in enumerate(rows) if isinstance(r, dict)]
    tabular_to_services(src, tables, where, label=lambda t, n: f"{where} {t}.csv item {n}")


def _read_organization(src: Source, obj: dict, where: str) -> None:
    """An organization's services, each with the organization attached."""
    org = {k: v for k, v in obj.items() if k not in ("services",)}
    services = obj.get("services") or []
    if not services:
        src.organizations.add(_s(obj.get("id")) or _s(obj.get("name")))
        for loc in obj.get("locations") or []:
            src.locations.add(_s(loc.get("id")) or _s(loc.get("name")))
        src.skip(where, "an organization without services (peerkit keeps services)")
    for i, svc in enumerate(services, 1):
        svc = dict(svc)
        svc.setdefault("organization", org)
        src.add_service(f"{where} services[{i}]", svc)


def _read_service_at_location(src: Source, obj: dict, where: str) -> None:
    svc = dict(obj.get("service") or {})
    sal = {k: v for k, v in obj.items() if k != "service"}
    svc["service_at_locations"] = [sal]
    src.add_service(where, svc)


def _read_location(src: Source, obj: dict, where: str) -> None:
    src.locations.add(_s(obj.get("id")) or _s(obj.get("name")))
    src.skip(where, "a location without a service")


_JSON_READERS = {"page": _read_page, "wrapper": _read_wrapper, "tabular": _read_tabular_json,
                 "service": lambda src, obj, where: src.add_service(where, obj), "organization": _read_organization,
                 "service_at_location": _read_service_at_location, "location": _read_location}
_JSON_SKIPPED = {"taxonomy": "a taxonomy, not a resource", "taxonomy_term": "a taxonomy term, not a resource",
                 "api-info": "API information (version, profile), not a resource",
                 "other": "not an HSDS service, organization, service_at_location or list page"}


def load_json_file(path: Path) -> Any:
    where = display_path(path)
    text = storage.read_text(path).removeprefix("\ufeff")
    from peerkit.limits import loads_json

    try:
        return loads_json(text, where)
    except json.JSONDecodeError as exc:
        raise DataError(where, f"not valid JSON: {exc.msg}", line=exc.lineno) from None


# ---------------------------------------------------------------------------- CSV tables


def read_csv(path: Path) -> Rows:
    """(spreadsheet row number, row) for each data row; the header is row 1."""
    where = display_path(path)
    data = storage.read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # a CSV saved by Excel on Windows
        except UnicodeDecodeError:
            raise DataError(where, "not UTF-8 text; save it as UTF-8 CSV") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows: Rows = []
        for row in reader:
            clean = {(k or "").strip(): _unquote(v) for k, v in row.items() if k is not None}
            if any(clean.values()):
                rows.append((len(rows) + 2, clean))
        return rows
    except csv.Error as exc:
        raise DataError(where, f"is not a readable CSV file ({exc})") from None


def _unquote(value: Any) -> str:
    """Undo peerkit's own formula neutralisation ('=..., '+...) and normalise text."""
    text = model.clean(value if not isinstance(value, list) else ", ".join(value))
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        text = text[1:]
    return text


def read_tables(folder: Path, names: Iterable[str] | None = None) -> dict[str, Rows]:
    tables = {}
    for p in sorted(folder.glob("*.csv")):
        if names is None or p.stem in names:
            tables[p.stem] = read_csv(p)
    return tables


def _require(src_folder: Path | str, table: str, rows: Rows, fields: Iterable[str],
             label=None) -> None:
    for n, row in rows:
        for key in fields:
            if not _s(row.get(key)):
                where = label(table, n) if label else f"{display_path(Path(src_folder) / (table + '.csv'))} row {n}"
                raise DataError(where, f"field '{key}': is required but missing")


def _group(rows: Rows, key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for _, row in rows:
        k = _s(row.get(key))
        if k:
            out.setdefault(k, []).append(row)
    return out


def tabular_to_services(src: Source, tables: dict[str, Rows], folder: Path | str,
                        label=None) -> None:
    """HSDS 3.0 tables (``services``, ``organizations``...) -> nested service objects."""
    t = lambda name: tables.get(name, [])  # noqa: E731
    _require(folder, "services", t("services"), ["name"], label)
    _require(folder, "organizations", t("organizations"), ["name"], label)
    _require(folder, "addresses", t("addresses"), ["address_1", "city", "state_province", "postal_code"], label)
    _require(folder, "phones", t("phones"), ["number"], label)
    package = _Tabular(tables)
    src.organizations.update(package.orgs)
    src.locations.update(package.locations)
    for n, r in t("services"):
        where = label("services", n) if label else f"{display_path(Path(folder) / 'services.csv')} row {n}"
        src.add_service(where, package.service(r))


class _Tabular:
    """The tables of an HSDS 3.0 package indexed by id and by the id each row links to, and
    the nested service object of each services row."""

    def __init__(self, tables: dict[str, Rows]):
        t = lambda name: tables.get(name, [])  # noqa: E731
        self.orgs = {_s(r.get("id")): r for _, r in t("organizations")}
        self.programs = {_s(r.get("id")): r for _, r in t("programs")}
        self.terms = {_s(r.get("id")): r for _, r in t("taxonomy_terms")}
        self.svc_langs = _group(t("languages"), "service_id")
        self.phones_by = {k: _group(t("phones"), k) for k in ("service_id", "location_id", "service_at_location_id",
                                                           "organization_id")}
        self.sched_by = {k: _group(t("schedules"), k) for k in ("service_id", "location_id", "service_at_location_id")}
        self.attrs = _group(t("attributes"), "link_id")
        self.sals = _group(t("service_at_location"), "service_id")
        addresses = _group(t("addresses"), "location_id")
        access = _group(t("accessibility"), "location_id")
        loc_langs = _group(t("languages"), "location_id")
        self.locations = {}
        for _, r in t("locations"):
            lid = _s(r.get("id"))
            self.locations[lid] = {**r, "addresses": addresses.get(lid, []), "accessibility": access.get(lid, []),
                                   "languages": loc_langs.get(lid, []),
                                   "phones": self.phones_by["location_id"].get(lid, []),
                                   "schedules": self.sched_by["location_id"].get(lid, [])}

    def service(self, r: dict) -> dict:
        sid = _s(r.get("id"))
        svc = dict(r)
        org = dict(self.orgs.get(_s(r.get("organization_id")), {}))
        if org:
            org["phones"] = self.phones_by["organization_id"].get(_s(org.get("id")), [])
        svc["organization"] = org
        if _s(r.get("program_id")) in self.programs:
            svc["program"] = self.programs[_s(r.get("program_id"))]
        svc["phones"] = self.phones_by["service_id"].get(sid, []) if sid else []
        svc["schedules"] = self.sched_by["service_id"].get(sid, []) if sid else []
        svc["languages"] = self.svc_langs.get(sid, []) if sid else []
        svc["attributes"] = [{"taxonomy_term": self.terms[_s(a.get("taxonomy_term_id"))]}
                             for a in self.attrs.get(sid, []) if _s(a.get("taxonomy_term_id")) in self.terms]
        svc["service_at_locations"] = [self.service_at_location(sal) for sal in self.sals.get(sid, [])] if sid else []
        return svc

    def service_at_location(self, sal: dict) -> dict:
        return {**sal, "location": self.locations.get(_s(sal.get("location_id")), {}),
                "phones": self.phones_by["service_at_location_id"].get(_s(sal.get("id")), []),
                "schedules": self.sched_by["service_at_location_id"].get(_s(sal.get("id")), [])}


def legacy_to_v3(tables: dict[str, Rows]) -> dict[str, Rows]:
    """HSDS 1.1 tables -> the 3.0 table names and columns peerkit reads."""
    out = dict(tables)
    addrs = _legacy_addresses(tables)
    if addrs:
        out["addresses"] = addrs
    if "services_at_location" in tables and "service_at_location" not in tables:
        out["service_at_location"] = tables["services_at_location"]
    scheds = _legacy_schedules(tables.get("regular_schedules", []))
    if scheds:
        out["schedules"] = scheds
    out["languages"] = [(n, {**r, "name": r.get("language", "")} if "name" not in r else dict(r))
                        for n, r in tables.get("languages", [])]
    out["accessibility"] = [(n, {**r, "description": r.get("accessibility", "")})
                            for n, r in tables.get("accessibility_for_disabilities", [])]
    if "taxonomy" in tables:
        out["taxonomy_terms"] = tables["taxonomy"]
    out["attributes"] = [(n, {"link_id": r.get("service_id", ""), "taxonomy_term_id": r.get("taxonomy_id", "")})
                         for n, r in tables.get("services_taxonomy", [])]
    out["services"] = _legacy_services(tables)
    out["organizations"] = [(n, _with_fallback(r, "website", "url")) for n, r in tables.get("organizations", [])]
    return out


def _legacy_addresses(tables: dict[str, Rows]) -> Rows:
    """physical_addresses and postal_addresses -> one addresses table with address_type."""
    return [(n, {**r, "address_type": kind})
            for name, kind in (("physical_addresses", "physical"), ("postal_addresses", "postal"))
            for n, r in tables.get(name, [])]


def _legacy_schedules(rows: Rows) -> Rows:
    """regular_schedules (one weekday a row) -> weekly schedules with byday."""
    out = []
    for n, r in rows:
        r = dict(r)
        wd = _s(r.get("weekday"))
        if wd:
            try:
                r["byday"] = sched.DAYS[sched.day_index(wd)]
            except ValueError:
                r["byday"] = ""
        r["freq"] = "WEEKLY"
        out.append((n, r))
    return out


def _legacy_services(tables: dict[str, Rows]) -> Rows:
    """Services with the eligibility table folded into eligibility_description, website as url."""
    elig = _group(tables.get("eligibility", []), "service_id")
    out = []
    for n, r in tables.get("services", []):
        r = dict(r)
        sid = _s(r.get("id"))
        if sid in elig and not _s(r.get("eligibility_description")):
            r["eligibility_description"] = "; ".join(_s(e.get("eligibility")) for e in elig[sid])
        out.append((n, _with_fallback(r, "url", "website")))
    return out


def _with_fallback(row: dict, key: str, fallback: str) -> dict:
    """A copy of the row whose empty ``key`` takes the value of ``fallback``."""
    row = dict(row)
    if not _s(row.get(key)) and _s(row.get(fallback)):
        row[key] = row[fallback]
    return row


# ---------------------------------------------------------------------------- Ohana


def ohana_to_services(src: Source, folder: Path, tables: dict[str, Rows]) -> None:
    """Code for America Ohana API CSV set (services attached to locations)."""
    t = lambda name: tables.get(name, [])  # noqa: E731
    _require(folder, "services", t("services"), ["name"])
    _require(folder, "organizations", t("organizations"), ["name"])
    _require(folder, "addresses", t("addresses"), ["address_1", "city", "state_province", "postal_code"])
    ohana = _Ohana(tables)
    src.organizations.update(ohana.orgs)
    src.locations.update(ohana.locations)
    if t("holiday_schedules"):
        src.skip(display_path(folder / "holiday_schedules.csv"),
                 f"{len(t('holiday_schedules'))} holiday schedule rows are not imported (HSDS 3 has no "
                 "holiday table; add exceptions as dated schedule rows)")
    for n, r in t("services"):
        src.add_service(f"{display_path(folder / 'services.csv')} row {n}", ohana.service(r))


def _ohana_list(value: Any) -> list[str]:
    """The items of an Ohana comma-separated cell."""
    return [x.strip() for x in _s(value).split(",") if x.strip()]


def _ohana_phone(r: dict) -> dict:
    number = _s(r.get("number"))
    if _s(r.get("country_prefix")):
        number = f"+{_s(r['country_prefix']).lstrip('+')} {number}"
    return {"number": number, "extension": _s(r.get("extension")), "type": _s(r.get("number_type")),
            "description": _s(r.get("department"))}


def _ohana_schedule(r: dict) -> dict:
    try:
        byday = sched.DAYS[sched.day_index(_s(r.get("weekday")))]
    except ValueError:
        byday = ""
    return {"freq": "WEEKLY", "byday": byday, "opens_at": r.get("opens_at"), "closes_at": r.get("closes_at")}


class _Ohana:
    """The Ohana tables indexed by id, and the HSDS service object of each services.csv row."""

    def __init__(self, tables: dict[str, Rows]):
        t = lambda name: tables.get(name, [])  # noqa: E731
        self.orgs = {_s(r.get("id")): r for _, r in t("organizations")}
        self.locations = {_s(r.get("id")): r for _, r in t("locations")}
        self.addresses = _group(t("addresses"), "location_id")
        # phones of a contact person are not the service's or the location's
        phones = [(n, r) for n, r in t("phones") if not _s(r.get("contact_id"))]
        self.phones_loc = _group(phones, "location_id")
        self.phones_svc = _group(phones, "service_id")
        self.scheds_loc = _group(t("regular_schedules"), "location_id")
        self.scheds_svc = _group(t("regular_schedules"), "service_id")
        self.terms = {_s(r.get("taxonomy_id")): _s(r.get("name")) for _, r in t("taxonomy")}

    def location(self, lid: str, loc: dict) -> dict:
        return {
            "id": lid, "name": _s(loc.get("name")),
            "addresses": [{**a, "address_type": "physical"} for a in self.addresses.get(lid, [])],
            "languages": _ohana_list(loc.get("languages")),
            "accessibility": [{"description": x.replace("_", " ")} for x in _ohana_list(loc.get("accessibility"))],
            "phones": [_ohana_phone(p) for p in self.phones_loc.get(lid, [])],
            "schedules": [_ohana_schedule(s) for s in self.scheds_loc.get(lid, [])],
        }

    def service(self, r: dict) -> dict:
        sid, lid = _s(r.get("id")), _s(r.get("location_id"))
        loc = self.locations.get(lid, {})
        org = self.orgs.get(_s(loc.get("organization_id")), {})
        location = self.location(lid, loc) if loc else {}
        cats = [self.terms.get(x, "") for x in _ohana_list(r.get("taxonomy_ids"))]
        return {
            "id": sid, "name": _s(r.get("name")), "description": _s(r.get("description")),
            "status": _s(r.get("status")), "email": _s(r.get("email")), "url": _s(r.get("website")),
            "application_process": _s(r.get("application_process")),
            "eligibility_description": _s(r.get("eligibility")), "fees_description": _s(r.get("fees")),
            "languages": _ohana_list(r.get("languages")),
            "organization": {"id": _s(org.get("id")), "name": _s(org.get("name")),
                             "description": _s(org.get("description")), "email": _s(org.get("email")),
                             "website": _s(org.get("website"))} if org else {},
            "phones": [_ohana_phone(p) for p in self.phones_svc.get(sid, [])],
            "schedules": [_ohana_schedule(s) for s in self.scheds_svc.get(sid, [])],
            "_categories": [c for c in cats if c],
            "service_at_locations": [{"location": location}] if location else [],
        }


# ============================================================================ export


def _oe_codes() -> dict[str, str]:
    from peerkit_resources.search import taxonomy_rows

    return {model.fold(r["name"]): r["id"] for r in taxonomy_rows()}


OE_TAXONOMY = {"name": "Open Eligibility", "description": "Open Eligibility human services taxonomy "
               "(CC BY-SA 3.0, a derivative of the Human Services Taxonomy by Aunt Bertha, Inc.)",
               "uri": "https://github.com/openreferral/openeligibility", "version": "2019-05-01"}


def taxonomy_id() -> str:
    import uuid

    return str(uuid.uuid5(model.NAMESPACE, "taxonomy:open-eligibility"))


def term_for(name: str, codes: dict[str, str]) -> dict:
    import uuid

    code = codes.get(model.fold(name))
    term = {"id": str(uuid.uuid5(model.NAMESPACE, f"term:{model.fold(name)}")), "name": name,
            "description": name}
    if code:
        term.update({"code": code, "taxonomy": "Open Eligibility", "taxonomy_id": taxonomy_id()})
    else:
        term["taxonomy"] = "local"
    return term


def _clock(t: dt.time | None) -> str | None:
    return t.strftime("%H:%M") if t is not None else None


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _drop_empty(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "", [])}


def ids_for(res: dict) -> dict[str, str]:
    slug, h = res["slug"], res.get("hsds") or {}
    out = {}
    for key in ("organization", "service", "location", "service_at_location", "address"):
        out[key] = h.get(key) or model.stable_uuid(slug, key)
    if not h.get("organization") and res.get("organization"):
        # resources typed in peerkit that name the same organization share its id
        out["organization"] = model.stable_uuid(model.norm_words(res["organization"]), "organization-name")
    return out


def resources_to_services(resources: list[dict]) -> list[dict]:
    """Nested HSDS 3.0 service objects; resources sharing an HSDS service id become one service
    (the first by slug gives its fields, each adds its location)."""
    codes = _oe_codes()
    services: dict[str, dict] = {}
    for res in sorted(resources, key=lambda r: r["slug"]):
        ids = ids_for(res)
        svc = services.get(ids["service"])
        if svc is None:
            svc = services[ids["service"]] = _service_object(res, ids, codes)
        if res.get("address") or res.get("accessibility") or (res.get("hsds") or {}).get("location"):
            # a location the source gave (even without an address) keeps its ids on the way back;
            # a resource without one adds nothing to a service it shares
            svc["service_at_locations"].append({"id": ids["service_at_location"], "service_id": ids["service"],
                                                "location_id": ids["location"], "location": _location(res, ids)})
    return list(services.values())


def _service_object(res: dict, ids: dict[str, str], codes: dict[str, str]) -> dict:
    """The HSDS service of one resource, with its organization, phones, schedules, languages
    and categories (as attributes); ``service_at_locations`` still empty."""
    sid, slug = ids["service"], res["slug"]
    org_name = res.get("organization") or res["name"]
    # HSDS requires an organization description; the name stands in when there is none
    org = {"id": ids["organization"], "name": org_name,
           "description": res.get("organization_description") or org_name}
    fees = res.get("fees") or ("Free" if res.get("free") else "")
    svc = _drop_empty({
        "id": sid, "name": res["name"], "description": res.get("description"),
        "url": res.get("url"), "email": res.get("email"), "status": res.get("status", "active"),
        "application_process": res.get("how_to_apply"), "fees_description": fees,
        "eligibility_description": res.get("eligibility"),
        "assured_date": _iso(res.get("last_verified")),
        "assurer_email": res.get("verified_by") if "@" in (res.get("verified_by") or "") else None,
        "organization_id": ids["organization"],
    })
    if (res.get("hsds") or {}).get("program"):
        svc["program_id"] = res["hsds"]["program"]
    svc["organization"] = org
    svc["phones"] = [_phone_object(slug, sid, i, p) for i, p in enumerate(res.get("phones", []))]
    svc["schedules"] = [_schedule_object(slug, sid, i, r) for i, r in enumerate(res.get("schedules", []))]
    svc["languages"] = [{"id": model.stable_uuid(slug, f"language:{name.casefold()}"),
                         "service_id": sid, "name": name} for name in res.get("languages", [])]
    svc["attributes"] = [_attribute(slug, sid, term_for(name, codes)) for name in res.get("categories", [])]
    svc["service_at_locations"] = []
    return svc


def _phone_object(slug: str, sid: str, i: int, p: dict) -> dict:
    return _drop_empty({
        "id": p.get("id") or model.stable_uuid(slug, f"phone:{i}"), "service_id": sid,
        "number": p["number"], "type": p.get("type"), "description": p.get("description"),
        "extension": int(p["extension"]) if str(p.get("extension", "")).isdigit() else None})


def _schedule_object(slug: str, sid: str, i: int, r: dict) -> dict:
    return _drop_empty({
        "id": r.get("id") or model.stable_uuid(slug, f"schedule:{i}"), "service_id": sid,
        "freq": r.get("freq"), "byday": r.get("byday"), "bymonthday": r.get("bymonthday"),
        "opens_at": _clock(r.get("opens_at")), "closes_at": _clock(r.get("closes_at")),
        "valid_from": _iso(r.get("valid_from")), "valid_to": _iso(r.get("valid_to")),
        "dtstart": _iso(r.get("dtstart")), "until": _iso(r.get("until")),
        "interval": r.get("interval"), "description": r.get("description")})


def _attribute(slug: str, sid: str, term: dict) -> dict:
    return {"id": model.stable_uuid(slug, f"attribute:{term['id']}"), "link_id": sid,
            "link_entity": "service", "link_type": "category",
            "taxonomy_term_id": term["id"], "taxonomy_term": term}


def _location(res: dict, ids: dict[str, str]) -> dict:
    """The HSDS location of a resource: its address and accessibility."""
    slug, address = res["slug"], res.get("address")
    loc = {"id": ids["location"], "location_type": "physical",
           "name": res.get("organization") or res["name"], "organization_id": ids["organization"]}
    if address:
        loc["addresses"] = [_drop_empty({
            "id": ids["address"], "location_id": ids["location"],
            "address_1": address["address_1"], "address_2": address.get("address_2"),
            "city": address["city"], "region": res.get("county"),
            "state_province": address["state"], "postal_code": address["postal_code"],
            "country": address.get("country") or "US", "address_type": "physical"})]
    if res.get("accessibility"):
        loc["accessibility"] = [{"id": model.stable_uuid(slug, "accessibility"),
                                 "location_id": ids["location"], "description": res["accessibility"]}]
    return loc


def page(services: list[dict]) -> dict:
    return {"total_items": len(services), "total_pages": 1, "page_number": 1, "size": len(services),
            "first_page": True, "last_page": True, "empty": not services, "contents": services}


# ---------------------------------------------------------------------------- tables

TABLES = ("organizations", "services", "locations", "service_at_location", "addresses", "phones",
          "schedules", "languages", "accessibility", "taxonomies", "taxonomy_terms", "attributes")
SCHEMA_OF = {"organizations": "organization", "services": "service", "locations": "location",
             "service_at_location": "service_at_location", "addresses": "address", "phones": "phone",
             "schedules": "schedule", "languages": "language", "accessibility": "accessibility",
             "taxonomies": "taxonomy", "taxonomy_terms": "taxonomy_term", "attributes": "attribute"}


def descriptor() -> dict:
    return json.loads(DATAPACKAGE.read_text(encoding="utf-8"))


def columns() -> dict[str, list[str]]:
    out = {}
    for r in descriptor()["resources"]:
        out[Path(r["path"]).stem] = [f["name"] for f in r["schema"]["fields"]]
    return out


def _flat(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not isinstance(v, (list, dict))}


def _phone_holders(services: list[dict]) -> dict[str, int]:
    """Phone id -> how many services list it."""
    count: dict[str, int] = {}
    for svc in services:
        for pid in {p["id"] for p in svc.get("phones", [])}:
            count[pid] = count.get(pid, 0) + 1
    return count


def _organization_phones(services: list[dict]) -> dict[str, str]:
    """Service id -> organization id, for services whose phones are the organization's: every
    phone id of theirs is shared with another service, and every service holding those ids
    belongs to the same organization (an HSDS import of phones given at organization level)."""
    holders: dict[str, set[str]] = {}
    orgs: dict[str, str] = {}
    for svc in services:
        orgs[svc["id"]] = svc.get("organization_id") or ""
        for p in svc.get("phones", []):
            holders.setdefault(p["id"], set()).add(svc["id"])
    out = {}
    for svc in services:
        phones = svc.get("phones", [])
        if not phones or not orgs[svc["id"]]:
            continue
        if all(len(holders[p["id"]]) > 1 and {orgs[s] for s in holders[p["id"]]} == {orgs[svc["id"]]}
               for p in phones):
            out[svc["id"]] = orgs[svc["id"]]
    return out


def flatten(services: list[dict]) -> dict[str, list[dict]]:
    tables: dict[str, dict[str, dict]] = {t: {} for t in TABLES}

    def put(table: str, obj: dict) -> None:
        tables[table].setdefault(obj["id"], _flat(obj))

    org_phones = _organization_phones(services)
    phone_holders = _phone_holders(services)
    used_oe = False
    for svc in services:
        put("services", svc)
        org = svc.get("organization")
        if org:
            put("organizations", org)
        for p in svc.get("phones", []):
            if svc["id"] in org_phones:
                # shared by the organization's services: one organization-level row, which
                # every service without phones of its own takes on import
                row = {k: v for k, v in p.items() if k != "service_id"}
                put("phones", {**row, "organization_id": org_phones[svc["id"]]})
            elif phone_holders.get(p["id"], 1) > 1:
                # the same phone id in services of different organizations: a row each
                put("phones", {**p, "id": model.stable_uuid(svc["id"], f"phone:{p['id']}")})
            else:
                put("phones", p)
        for s in svc.get("schedules", []):
            put("schedules", s)
        for lang in svc.get("languages", []):
            put("languages", lang)
        for a in svc.get("attributes", []):
            put("attributes", a)
            term = a["taxonomy_term"]
            put("taxonomy_terms", term)
            used_oe = used_oe or term.get("taxonomy_id") == taxonomy_id()
        for sal in svc.get("service_at_locations", []):
            put("service_at_location", sal)
            loc = sal["location"]
            put("locations", loc)
            for addr in loc.get("addresses", []):
                put("addresses", addr)
            for acc in loc.get("accessibility", []):
                put("accessibility", acc)
    if used_oe:
        put("taxonomies", {"id": taxonomy_id(), **OE_TAXONOMY})
    return {t: list(rows.values()) for t, rows in tables.items()}


def neutral_csv(value: Any) -> str:
    """CSV cell text that a spreadsheet never evaluates (a leading apostrophe, OWASP)."""
    from peerkit.excel import apostrophe_if_formula

    if isinstance(value, bool):
        return "true" if value else "false"
    return apostrophe_if_formula("" if value is None else str(value))


def tables_to_csv(tables: dict[str, list[dict]]) -> dict[str, bytes]:
    cols = columns()
    files: dict[str, bytes] = {}
    desc = descriptor()
    keep = []
    for table, rows in tables.items():
        if not rows:
            continue
        header = cols[table]
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(header)
        for row in rows:
            w.writerow([neutral_csv(row.get(c)) for c in header])
        files[f"{table}.csv"] = buf.getvalue().encode("utf-8")
        keep.append(f"{table}.csv")
    desc["resources"] = [r for r in desc["resources"] if r["path"] in keep]
    desc["title"] = "Community resources exported by peerkit"
    files["datapackage.json"] = (json.dumps(desc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


# ---------------------------------------------------------------------------- validation


_VALIDATORS: dict[str, Any] = {}


def validator(name: str):
    """A jsonschema validator for one bundled schema, every schema registered by file name."""
    if name not in _VALIDATORS:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMA_DIR.glob("*.json")
                   if p.name != "openapi.json"}
        registry = Registry().with_resources(
            (fname, Resource.from_contents(s, default_specification=DRAFT202012)) for fname, s in schemas.items())
        cls = jsonschema.Draft202012Validator
        _VALIDATORS[name] = cls(schemas[f"{name}.json"], registry=registry,
                                format_checker=cls.FORMAT_CHECKER)
    return _VALIDATORS[name]


def _problems(name: str, obj: dict, where: str) -> list[str]:
    out = []
    for err in validator(name).iter_errors(obj):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path).lstrip(".")
        out.append(f"{where}{'.' + path if path else ''}: fails HSDS {name}.json rule '{err.validator}'")
    return out


def validate_services(services: list[dict]) -> list[str]:
    problems = []
    for i, svc in enumerate(services):
        problems.extend(_problems("service", svc, f"contents[{i}]"))
    return problems


def _typed_row(schema_name: str, row: dict) -> dict:
    props = validator(schema_name).schema["properties"]
    out = {}
    for k, v in row.items():
        if v in (None, ""):
            continue
        kind = props.get(k, {}).get("type")
        if kind in ("number", "integer") and isinstance(v, str):
            with contextlib.suppress(ValueError):
                v = float(v) if "." in v else int(v)
        out[k] = v
    return out


def validate_tables(tables: dict[str, list[dict]]) -> list[str]:
    problems = []
    for table, rows in tables.items():
        for i, row in enumerate(rows, 2):
            problems.extend(_problems(SCHEMA_OF[table], _typed_row(SCHEMA_OF[table], row),
                                      f"{table}.csv row {i}"))
    return problems
