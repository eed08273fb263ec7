"""Resource records (``resources/<slug>.toml``): validation, reading, writing (no CLI here).

A record is kept as a plain dict of validated values (dates as ``datetime.date``, hours as
``datetime.time``).  ``validate`` is the single gate: records read from disk, typed on the
command line and produced by importers all pass through it, and its errors name the file
(or the import file and row) and the field, never the value.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peerkit_resources.schedule as sched
from peerkit import storage
from peerkit.errors import DataError
from peerkit.validate import Fields, clean_text

FOLDER = "resources"
HEADER = ("A community resource (Open Referral HSDS compatible). See docs/resources.md.\n"
          "Edit freely; 'peerkit resources verify SLUG' stamps last_verified.")
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
PHONE_TYPES = ("voice", "text", "fax", "cell", "video", "pager", "textphone")
TEXT_FIELDS = ("organization", "organization_description", "description", "email", "url", "county",
               "eligibility", "fees", "accessibility", "how_to_apply", "notes", "verified_by")
ADDRESS_REQUIRED = ("address_1", "city", "state", "postal_code")
HSDS_KEYS = ("organization", "service", "location", "service_at_location", "address", "program")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Stable UUIDs for resources typed into peerkit: uuid5(NAMESPACE, "<slug>:<object>").
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://peerkit.invalid/resources")

# Order of keys in a written file (the rest follow alphabetically).
KEY_ORDER = ("name", "organization", "organization_description", "description", "status",
             "categories", "county", "email", "url", "languages", "eligibility", "fees", "free",
             "accessibility", "how_to_apply", "notes", "last_verified", "verified_by", "address",
             "phones", "schedules", "hsds")


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


def stable_uuid(slug: str, what: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{slug}:{what}"))


# ---------------------------------------------------------------------------- validation


def _text(f: Fields, key: str) -> str:
    value = f.opt(key, str, "")
    return value.strip()


def _required_text(f: Fields, key: str) -> str:
    value = f.req(key, str).strip()
    if not value:
        f.fail(key, "is required but empty")
    return value


def _time(f: Fields, key: str) -> dt.time | None:
    value = f.opt(key, (dt.time, str))
    if value is None or value == "":
        return None
    try:
        return sched.parse_clock(value)
    except ValueError:
        f.fail(key, "expected a time like 09:00 (24-hour)")


def _date(f: Fields, key: str) -> dt.date | None:
    value = f.opt(key, (dt.date, str))
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            f.fail(key, "expected a date (YYYY-MM-DD)")
    return value


def _uuid_field(f: Fields, key: str) -> str | None:
    value = f.opt(key, str)
    if value in (None, ""):
        return None
    if not is_uuid(value):
        f.fail(key, "must be a UUID (HSDS ids are UUIDs)")
    return value.lower()


def validate(data: Any, where: Path | str) -> dict:
    """Check one resource record and return its normalised form (raises DataError naming the
    first problem: the fields are checked in the order of the record)."""
    from peerkit.limits import check_text_lengths

    f = Fields(data, where)
    check_text_lengths(data, f.where())
    out: dict[str, Any] = {"name": _required_text(f, "name")}
    for key in TEXT_FIELDS:
        out[key] = _text(f, key)
    out["status"] = f.choice("status", STATUSES, "active")
    out["categories"] = _dedupe([c.strip() for c in f.text_list("categories") if c.strip()])
    out["languages"] = _dedupe([c.strip() for c in f.text_list("languages") if c.strip()])
    out["free"] = f.opt("free", bool)
    out["last_verified"] = _date(f, "last_verified")
    out["address"] = _address(f.sub("address")) if "address" in f.data else None
    out["phones"] = [_phone(p) for p in f.table_list("phones")]
    out["schedules"] = [_schedule(s) for s in f.table_list("schedules")]
    out["hsds"] = _hsds_ids(f.sub("hsds")) if "hsds" in f.data else {}
    return out


def _address(a: Fields) -> dict:
    address = {k: _required_text(a, k) for k in ADDRESS_REQUIRED}
    address["address_2"] = _text(a, "address_2")
    address["country"] = (_text(a, "country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", address["country"]):
        a.fail("country", "must be a two-letter country code (ISO 3166-1, e.g. US)")
    return address


def _phone(p: Fields) -> dict:
    phone = {"number": _required_text(p, "number"),
             "type": p.choice("type", PHONE_TYPES, "voice"),
             "description": _text(p, "description")}
    ext = p.opt("extension", (int, str))
    if ext not in (None, ""):
        phone["extension"] = str(ext).strip()
    pid = _uuid_field(p, "id")
    if pid:
        phone["id"] = pid
    return phone


def _schedule(s: Fields) -> dict:
    """One schedule row: its rule (freq, days), its hours, its dates; empty values left out."""
    row: dict[str, Any] = {"freq": s.choice("freq", sched.FREQS, "WEEKLY")}
    row.update(_schedule_days(s))
    row.update(_schedule_hours(s))
    for key in ("valid_from", "valid_to", "dtstart", "until"):
        row[key] = _date(s, key)
    if row["valid_from"] and row["valid_to"] and row["valid_to"] < row["valid_from"]:
        s.fail("valid_to", "is before 'valid_from'")
    interval = s.opt("interval", int)
    if interval is not None and interval < 1:
        s.fail("interval", "must be 1 or more")
    row["interval"] = interval
    row["description"] = _text(s, "description")
    sid = _uuid_field(s, "id")
    if sid:
        row["id"] = sid
    return {k: v for k, v in row.items() if v not in (None, "")}


def _schedule_days(s: Fields) -> dict[str, str]:
    byday = _text(s, "byday")
    try:
        sched.parse_byday(byday)
    except ValueError:
        s.fail("byday", "expected days like \"MO,TU,WE\" (monthly: \"1SA\", \"-1FR\")")
    monthdays = s.opt("bymonthday", (str, int), "")
    try:
        sched.parse_monthdays(str(monthdays))
    except ValueError:
        s.fail("bymonthday", "expected days of the month like \"1,15\"")
    return {"byday": byday.upper(), "bymonthday": str(monthdays).strip()}


def _schedule_hours(s: Fields) -> dict[str, dt.time | None]:
    opens, closes = _time(s, "opens_at"), _time(s, "closes_at")
    if (opens is None) != (closes is None):
        s.fail("closes_at" if closes is None else "opens_at", "give both opens_at and closes_at (or neither)")
    return {"opens_at": opens, "closes_at": closes}


def _hsds_ids(h: Fields) -> dict[str, Any]:
    hsds: dict[str, Any] = {}
    for key in HSDS_KEYS:
        value = _uuid_field(h, key)
        if value:
            hsds[key] = value
    if "foreign" in h.data:
        fo = h.sub("foreign")
        hsds["foreign"] = {k: str(fo.req(k, (str, int))) for k in sorted(fo.data)}
    return hsds


def _dedupe(items: list[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def to_record(res: dict) -> dict:
    """The dict written to TOML: fixed key order, empty values left out."""
    out: dict[str, Any] = {}
    for key in KEY_ORDER:
        value = res.get(key)
        if value in (None, "", [], {}):
            continue
        if key == "address":
            value = {k: value[k] for k in ("address_1", "address_2", "city", "state", "postal_code",
                                           "country") if value.get(k)}
        elif key == "phones":
            value = [{k: p[k] for k in ("number", "extension", "type", "description", "id") if p.get(k)}
                     for p in value]
        elif key == "schedules":
            value = [{k: v for k, v in r.items() if v not in (None, "")} for r in value]
        out[key] = value
    if res.get("status") == "active":
        out.pop("status", None)
    return out


# ---------------------------------------------------------------------------- files


def folder(ws) -> Path:
    return ws.path(FOLDER)


def path_for(ws, slug: str) -> Path:
    from peerkit.records import check_id

    check_id(slug, "resource slug")
    return folder(ws) / f"{slug}.toml"


def resource_files(ws) -> list[Path]:
    d = folder(ws)
    if not d.is_dir():
        return []
    return sorted(d / e.name for e in os.scandir(d) if e.name.endswith(".toml") and e.is_file()
                  and not e.name.startswith("."))


def load(ws, slug: str) -> dict:
    path = path_for(ws, slug)
    if not path.is_file():
        raise DataError(f"unknown resource {slug!r}: no {FOLDER}/{slug}.toml "
                        "(see 'peerkit resources list')")
    return read_path(path)


def read_path(path: Path) -> dict:
    res = validate(storage.read_toml(path), path)
    res["slug"] = path.stem
    return res


def load_all(ws) -> list[dict]:
    return [read_path(p) for p in resource_files(ws)]


def write_new(ws, slug: str, res: dict) -> Path:
    path = path_for(ws, slug)
    storage.write_toml(path, to_record(res), header=HEADER)
    return path


def update(ws, slug: str, res: dict) -> bool:
    """Rewrite changed keys of an existing record keeping its comments (tomlkit)."""
    path = path_for(ws, slug)
    new = to_record(res)
    changed = False
    with storage.edit_toml(path) as doc:
        old = doc.unwrap()
        for key in list(doc.keys()):
            if key not in new and key in KEY_ORDER:
                del doc[key]
                changed = True
        for key, value in new.items():
            if old.get(key) != value:
                doc[key] = _tomlkit_value(value)
                changed = True
        validate(doc.unwrap(), path)
    return changed


def _tomlkit_value(value: Any) -> Any:
    import tomlkit

    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        aot = tomlkit.aot()
        for item in value:
            aot.append(_tomlkit_value(item))
        return aot
    if isinstance(value, dict):
        table = tomlkit.table()
        for k, v in value.items():
            table[k] = _tomlkit_value(v)
        return table
    return value


# ---------------------------------------------------------------------------- slugs and keys


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def fold(text: str) -> str:
    """The form names are compared in (search words, category and taxonomy keys): lower-case
    ASCII, accents dropped."""
    return ascii_fold(text or "").lower()


def slugify(text: str, max_len: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")
    s = s[:max_len].rstrip("-")
    return s or "resource"


def unique_slug(base: str, taken: set[str], extra: str = "") -> str:
    from peerkit.records import id_problem

    candidates = [slugify(base)]
    if extra:
        candidates.append(slugify(f"{base} {extra}", 60))
    for c in candidates:
        if c not in taken and not id_problem(c):
            return c
    n = 2
    while True:
        c = f"{candidates[-1][:58]}-{n}"
        if c not in taken and not id_problem(c):
            return c
        n += 1


def norm_words(text: str) -> str:
    text = ascii_fold(text or "").lower().replace("&", " and ")
    text = re.sub(r"\b(the|inc|llc|co|corp)\b", " ", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


_STREET = {"street": "st", "avenue": "ave", "road": "rd", "boulevard": "blvd", "drive": "dr",
           "lane": "ln", "suite": "ste", "highway": "hwy", "north": "n", "south": "s", "east": "e",
           "west": "w", "place": "pl", "court": "ct", "parkway": "pkwy"}


def norm_address(address: dict | None) -> str:
    if not address:
        return ""
    words = norm_words(f"{address.get('address_1', '')} {address.get('address_2', '')}").split()
    words = [_STREET.get(w, w) for w in words]
    where = (address.get("postal_code") or "")[:5] or norm_words(address.get("city", ""))
    return " ".join(words) + "|" + where


def phone_digits(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else ""


def name_tokens(res: dict) -> set[str]:
    return set(norm_words(res.get("name", "")).split())


def names_alike(a: dict, b: dict) -> bool:
    """Same or clearly the same service name (one contains the other, or most words shared)."""
    na, nb = norm_words(a.get("name", "")), norm_words(b.get("name", ""))
    if not na or not nb:
        return False
    if na == nb or na in nb or nb in na:
        return True
    ta, tb = set(na.split()), set(nb.split())
    return len(ta & tb) / len(ta | tb) >= 0.6


def iter_texts(res: dict) -> Iterator[str]:
    for key in ("name", "organization", "description", "eligibility", "fees", "accessibility",
                "how_to_apply", "notes"):
        if res.get(key):
            yield res[key]


def clean(value: Any) -> str:
    return clean_text(str(value)).strip() if value is not None else ""
