"""Operations on the directory: add, edit, remove, verify, stale, import (with merging), export."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peerkit_resources.model as model
import peerkit_resources.search as search
from peerkit import storage
from peerkit.errors import DataError, PeerkitError, UsageError

DEFAULT_STALE_DAYS = 180


def settings(ws) -> dict:
    return ws.section("resources")


def stale_days(ws) -> int:
    value = settings(ws).get("stale_days", DEFAULT_STALE_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataError(ws.rel(ws.path("peerkit.toml")), "[resources] stale_days must be a whole number of days")
    return value


# ---------------------------------------------------------------------------- categories


def check_categories(ws, categories: list[str]) -> list[str]:
    """Map typed categories to known terms (Open Eligibility + [resources] categories)."""
    known = search.known_categories(ws)
    out = []
    for c in categories:
        key = model.fold(c.strip())
        if key not in known:
            close = search.nearest(c, known.values())
            hint = f" (did you mean {' or '.join(repr(x) for x in close)}?)" if close else ""
            raise UsageError(f"unknown category {c!r}{hint}: use an Open Eligibility term (see 'peerkit "
                             "resources categories') or add your own to [resources] categories in "
                             "peerkit.toml")
        out.append(known[key])
    return out


# ---------------------------------------------------------------------------- add / edit


def add(ws, slug: str | None, raw: dict, where: str = "command line") -> str:
    res = model.validate(raw, where)
    with ws.lock():
        taken = {p.stem for p in model.resource_files(ws)}
        if slug:
            model.path_for(ws, slug)
            if slug in taken:
                raise DataError(f"{model.FOLDER}/{slug}.toml", "already exists; use 'peerkit resources edit'")
        else:
            slug = model.unique_slug(res["name"], taken, (res.get("address") or {}).get("city", ""))
        model.write_new(ws, slug, res)
        search.write_index(ws)
    return slug


def edit(ws, slug: str, changes: dict[str, Any]) -> None:
    """Apply flag changes (already shaped as record keys) to a record, keeping comments."""
    current = model.load(ws, slug)
    merged = dict(current)
    for key, value in changes.items():
        merged[key] = value
    merged.pop("slug", None)
    data = model.to_record(merged)
    res = model.validate(data, f"{model.FOLDER}/{slug}.toml")
    res["slug"] = slug
    with ws.lock():
        model.update(ws, slug, res)
        search.write_index(ws)


def edit_interactively(ws, slug: str) -> bool:
    from peerkit.editing import edit_in_editor

    model.load(ws, slug)
    with ws.lock():
        changed = edit_in_editor(model.path_for(ws, slug), lambda data, p: model.validate(data, p))
        search.write_index(ws)
    return changed


def remove(ws, slug: str) -> None:
    path = model.path_for(ws, slug)
    model.load(ws, slug)
    with ws.lock():
        try:
            path.unlink()
        except OSError as exc:
            raise PeerkitError(f"{ws.rel(path)}: could not remove ({exc.strerror})") from None
        search.write_index(ws)
    ws.audit("resources remove", records=[slug])


def verify(ws, slugs: list[str], by: str, day: dt.date) -> None:
    for slug in slugs:
        model.load(ws, slug)
    with ws.lock():
        for slug in slugs:
            with storage.edit_toml(model.path_for(ws, slug)) as doc:
                doc["last_verified"] = day
                if by:
                    doc["verified_by"] = by
                model.validate(doc.unwrap(), model.path_for(ws, slug))
        search.write_index(ws)


def stale(ws, today: dt.date, days: int) -> list[dict]:
    """Entries not verified within ``days`` (never verified first), oldest first."""
    cutoff = today - dt.timedelta(days=days)
    out = []
    for slug, name, status, iso in search.verification_dates(ws):
        if status == "defunct":
            continue
        verified = dt.date.fromisoformat(iso) if iso else None
        if verified is None or verified < cutoff:
            out.append({"slug": slug, "name": name, "last_verified": verified,
                        "days": (today - verified).days if verified else None})
    out.sort(key=lambda x: (x["last_verified"] or dt.date.min, x["slug"]))
    return out


# ---------------------------------------------------------------------------- import


@dataclass
class Slot:
    slug: str
    res: dict
    new: bool
    changed: bool = False


@dataclass
class Report:
    format: str
    source: str
    counts: dict
    added: list[dict] = field(default_factory=list)
    merged: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"format": self.format, "source": self.source, **self.counts,
                "added": self.added, "merged": self.merged, "skipped": self.skipped}


class Matcher:
    """Finds the record an incoming one duplicates: same HSDS ids, same name and address, or
    a shared phone number with a similar name."""

    def __init__(self):
        self.by_ids: dict[tuple, Slot] = {}
        self.by_name_addr: dict[str, Slot] = {}
        self.by_phone: dict[str, list[Slot]] = {}

    @staticmethod
    def id_keys(res: dict) -> list[tuple]:
        """Exact keys, then looser ones: a service listed without its location matches the
        same service at a location, and the other way round."""
        h = res.get("hsds") or {}
        keys = []
        fo = h.get("foreign") or {}
        for kind, ids in (("hsds", h), ("foreign", fo)):
            if not ids.get("service"):
                continue
            where = ids.get("service_at_location") or ids.get("location") or ""
            keys.append((kind, ids["service"], where))
            keys.append((kind, ids["service"], "*" if where else "?"))
        return keys

    @staticmethod
    def stored_keys(res: dict) -> list[tuple]:
        keys = []
        for kind, service, where in Matcher.id_keys(res)[0::2]:
            keys.append((kind, service, where))
            # stored with a location: found by an incoming record without one ("?");
            # stored without a location: found by an incoming record with one ("*")
            keys.append((kind, service, "?" if where else "*"))
        return keys

    @staticmethod
    def name_addr(res: dict) -> str | None:
        if not res.get("address"):
            return None
        return model.norm_words(res["name"]) + "|" + model.norm_address(res["address"])

    def add(self, slot: Slot) -> None:
        for k in self.stored_keys(slot.res):
            self.by_ids.setdefault(k, slot)
        na = self.name_addr(slot.res)
        if na:
            self.by_name_addr.setdefault(na, slot)
        for p in slot.res.get("phones", []):
            d = model.phone_digits(p["number"])
            if d:
                lst = self.by_phone.setdefault(d, [])
                if slot not in lst:
                    lst.append(slot)

    def find(self, res: dict) -> tuple[Slot, str] | None:
        for k in self.id_keys(res):
            if k in self.by_ids:
                return self.by_ids[k], "same HSDS ids" if k[0] == "hsds" else "same source ids"
        na = self.name_addr(res)
        if na and na in self.by_name_addr:
            return self.by_name_addr[na], "same name and address"
        for p in res.get("phones", []):
            for slot in self.by_phone.get(model.phone_digits(p["number"]), []):
                if model.names_alike(slot.res, res):
                    return slot, "same phone and a similar name"
        return None


def merge_into(target: dict, incoming: dict) -> bool:
    """Fill what the target lacks from the incoming record; True when anything changed."""
    changed = [_fill_blanks(target, incoming),
               _add_list_items(target, incoming, "categories"),
               _add_list_items(target, incoming, "languages")]
    if not target.get("address") and incoming.get("address"):
        target["address"] = incoming["address"]
        changed.append(True)
    if target.get("free") is None and incoming.get("free") is not None:
        target["free"] = incoming["free"]
        changed.append(True)
    changed += [_add_phones(target, incoming), _add_schedules(target, incoming),
                _add_hsds_ids(target, incoming), _take_newer_verification(target, incoming)]
    return any(changed)


def _fill_blanks(target: dict, incoming: dict) -> bool:
    """Text fields the target leaves empty."""
    changed = False
    for key in model.TEXT_FIELDS:
        if not target.get(key) and incoming.get(key):
            target[key] = incoming[key]
            changed = True
    return changed


def _add_list_items(target: dict, incoming: dict, key: str) -> bool:
    """Items of a text list the target lacks (compared ignoring case)."""
    changed = False
    have = {x.casefold() for x in target.get(key, [])}
    for x in incoming.get(key, []):
        if x.casefold() not in have:
            target.setdefault(key, []).append(x)
            have.add(x.casefold())
            changed = True
    return changed


def _add_phones(target: dict, incoming: dict) -> bool:
    """Phones whose digits the target does not have yet."""
    changed = False
    digits = {model.phone_digits(p["number"]) or p["number"] for p in target.get("phones", [])}
    for p in incoming.get("phones", []):
        d = model.phone_digits(p["number"]) or p["number"]
        if d not in digits:
            target.setdefault("phones", []).append(p)
            digits.add(d)
            changed = True
    return changed


def _schedule_key(r: dict) -> tuple:
    return (r.get("freq"), r.get("byday", ""), r.get("bymonthday", ""), r.get("opens_at"), r.get("closes_at"))


def _add_schedules(target: dict, incoming: dict) -> bool:
    """Schedule rows the target has neither by id nor by rule and hours."""
    changed = False
    have_ids = {r.get("id") for r in target.get("schedules", []) if r.get("id")}
    have_keys = {_schedule_key(r) for r in target.get("schedules", [])}
    for r in incoming.get("schedules", []):
        if (r.get("id") and r["id"] in have_ids) or _schedule_key(r) in have_keys:
            continue
        target.setdefault("schedules", []).append(r)
        have_keys.add(_schedule_key(r))
        changed = True
    return changed


def _add_hsds_ids(target: dict, incoming: dict) -> bool:
    changed = False
    h = target.setdefault("hsds", {})
    for key, value in (incoming.get("hsds") or {}).items():
        if key not in h:
            h[key] = value
            changed = True
    return changed


def _take_newer_verification(target: dict, incoming: dict) -> bool:
    inc_v, cur_v = incoming.get("last_verified"), target.get("last_verified")
    if inc_v and (cur_v is None or inc_v > cur_v):
        target["last_verified"] = inc_v
        target["verified_by"] = incoming.get("verified_by", "")
        return True
    return False


def import_path(ws, path: Path, fmt: str | None, importers: dict[str, Any], *, dry_run: bool = False) -> Report:
    path = Path(path)
    if not path.exists():
        raise DataError(storage.display_path(path), "not found")
    if fmt is None:
        scores = []
        for name, imp in importers.items():
            detect = getattr(imp, "detect", None)
            try:
                score = int(detect(path)) if detect else 0
            except Exception:  # noqa: BLE001 - a plugin's detect must not take import down
                score = 0
            if score > 0:
                scores.append((score, name))
        if not scores:
            raise UsageError(f"{storage.display_path(path)}: format not recognised; give --format "
                             f"({', '.join(sorted(importers))})")
        scores.sort(reverse=True)
        if len(scores) > 1 and scores[0][0] == scores[1][0]:
            raise UsageError(f"{storage.display_path(path)}: could be {scores[0][1]} or {scores[1][1]}; "
                             "give --format")
        fmt = scores[0][1]
    if fmt not in importers:
        raise UsageError(f"unknown import format {fmt!r}; choose from {', '.join(sorted(importers))}")
    imp = importers[fmt]
    read = getattr(imp, "read", imp)
    src = read(path)
    records = src.records()  # validates everything before anything is written
    report = Report(src.format, storage.display_path(path), {**src.counts(), "records": len(records)},
                    skipped=list(src.skipped))
    if dry_run:
        _plan(ws, records, report)
        return report
    with ws.lock():
        slots = _plan(ws, records, report)
        from peerkit.output import progress

        ordered = [s for s in slots if s.new] + [s for s in slots if not s.new]   # new files first
        with progress(ordered, label="Importing resources") as bar:
            for slot in bar:
                if slot.new:
                    model.write_new(ws, slot.slug, slot.res)
                elif slot.changed:
                    model.update(ws, slot.slug, slot.res)
        search.write_index(ws)
        ws.audit("resources import", records=[s.slug for s in slots], action=report.format)
    return report


def _plan(ws, records: list[tuple[str, dict]], report: Report) -> list[Slot]:
    """Decide, for each incoming record, add or merge (into what, and why)."""
    existing = [model.read_path(p) for p in model.resource_files(ws)]
    matcher = Matcher()
    slots: list[Slot] = []
    for res in existing:
        slot = Slot(res.pop("slug"), res, new=False)
        matcher.add(slot)
    taken = {p.stem for p in model.resource_files(ws)}
    for where, res in records:
        found = matcher.find(res)
        if found:
            slot, reason = found
            if merge_into(slot.res, res):
                slot.changed = True
                report.merged.append({"where": where, "into": slot.slug, "reason": reason})
                if slot not in slots:
                    slots.append(slot)
            else:
                report.skipped.append({"where": where, "into": slot.slug, "match": reason,
                                       "reason": f"duplicate of {slot.slug} ({reason}); nothing new"})
            matcher.add(slot)
            continue
        slug = model.unique_slug(res["name"], taken, (res.get("address") or {}).get("city", ""))
        taken.add(slug)
        slot = Slot(slug, res, new=True, changed=True)
        matcher.add(slot)
        slots.append(slot)
        report.added.append({"where": where, "slug": slug})
    return slots


# ---------------------------------------------------------------------------- export


def export(ws, fmt: str, exporters: dict[str, Any], out: str | None) -> tuple[Path | None, int]:
    if fmt not in exporters:
        raise UsageError(f"unknown export format {fmt!r}; choose from {', '.join(sorted(exporters))}")
    exp = exporters[fmt]
    resources = model.load_all(ws)
    run = getattr(exp, "export", exp)
    data = run(resources, ws)
    default = getattr(exp, "default_name", f"resources.{fmt}")
    slugs = [r["slug"] for r in resources]

    def audit(p) -> None:  # before the file takes its name
        ws.audit("resources export", records=slugs, output=p, action=fmt)

    if isinstance(data, dict):
        target = Path(out or default)
        if out == "-":
            raise UsageError(f"--format {fmt} writes several files; give --out FOLDER or --out FILE.zip")
        if target.suffix.lower() == ".zip":
            import io
            import zipfile

            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, content in sorted(data.items()):
                    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, content)
            storage.atomic_write_bytes(target, buf.getvalue(), before_replace=audit)
        else:
            if target.exists() and not target.is_dir():
                raise UsageError(f"{storage.display_path(target)} exists and is not a folder")
            audit(target)  # several files: the entry comes before the first one
            storage.ensure_dir(target)
            for name, content in sorted(data.items()):
                storage.atomic_write_bytes(target / name, content)
        path: Path | None = target
    else:
        from peerkit.output import write_output

        path = write_output(out, data, None if out == "-" else default, audit=audit)
    return path, len(resources)
