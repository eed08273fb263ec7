"""Searching the directory fast: a verified index file plus a plain ranking function.

``resources/.index.json`` holds, for each ``*.toml`` in ``resources/``, its stat signature
(size, mtime_ns, inode) and the few fields search needs, pre-lowered.  Before every use the
folder is listed and each file's signature compared with the index's: an entry is reused only
when the signature matches exactly AND the file's mtime is older than the index by more than
``RACY_NS`` (so an in-place edit within the file system's timestamp resolution of the index
write can never be mistaken for an unchanged file -- git's "racy" rule).  Every other file is
parsed again.  So the index is a cache that can be stale on disk but is never used stale.

Reading never writes: search refreshes the index in memory only.  Commands that change
resources (add, edit, remove, verify, import) rewrite the index while holding the workspace
lock, and ``peerkit resources reindex`` does so on demand.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from peerkit import storage

from peerkit_resources import model
from peerkit_resources import schedule as sched

INDEX_NAME = ".index.json"
INDEX_VERSION = 4
RACY_NS = 3_000_000_000  # 3 s: covers FAT (2 s) and coarse kernel timestamp ticks

# Common language codes -> names, so --language es finds "Spanish".
LANGUAGE_CODES = {"en": "english", "es": "spanish", "fr": "french", "de": "german", "zh": "chinese",
                  "vi": "vietnamese", "ko": "korean", "ar": "arabic", "ru": "russian", "hi": "hindi",
                  "tl": "tagalog", "pt": "portuguese", "ht": "haitian creole", "ja": "japanese",
                  "asl": "american sign language", "ur": "urdu", "so": "somali", "hmn": "hmong",
                  "ne": "nepali", "my": "burmese", "sw": "swahili", "it": "italian", "pl": "polish"}


def index_path(ws) -> Path:
    return model.folder(ws) / INDEX_NAME


# ---------------------------------------------------------------------------- entries


def _clock(t: dt.time | None) -> str | None:
    return t.isoformat() if t is not None else None


def entry_for(res: dict) -> dict:
    """The compact form of a record that search needs, with match keys pre-computed."""
    address = res.get("address") or {}
    extra = " ".join(res.get(k) or "" for k in ("description", "eligibility", "fees", "accessibility",
                                                   "how_to_apply", "notes"))
    cats = res.get("categories", [])
    langs = res.get("languages", [])
    return {
        "slug": res["slug"],
        "name": res["name"],
        "org": res.get("organization", ""),
        "cats": cats,
        "catsf": [_words_text(c) for c in cats],
        "text": _word_set_text(extra),
        "nametext": _words_text(f"{res['name']} {res.get('organization', '')}"),
        "county": res.get("county", ""),
        "countyk": _county_key(res.get("county", "")),
        "city": address.get("city", ""),
        "zip": address.get("postal_code", ""),
        "langs": langs,
        "langk": [_language_key(x) for x in langs],
        "free": res.get("free"),
        "status": res.get("status", "active"),
        "phone": (res.get("phones") or [{}])[0].get("number", ""),
        "verified": res["last_verified"].isoformat() if res.get("last_verified") else None,
        "sched": [_compact_row(r) for r in res.get("schedules", [])],
    }


def _compact_row(r: dict) -> dict:
    """A schedule row for the index: byday/bymonthday pre-parsed, times and dates as ISO text."""
    out = {k: (v.isoformat() if isinstance(v, (dt.date, dt.time)) else v) for k, v in r.items()
           if k in ("freq", "opens_at", "closes_at", "valid_from", "valid_to", "dtstart", "until", "interval")}
    out["byday"] = [list(x) for x in sched.parse_byday(r.get("byday") or "")]
    out["bymonthday"] = sched.parse_monthdays(str(r.get("bymonthday") or ""))
    return out


def _fold(text: str) -> str:
    return model.ascii_fold(text or "").lower()


_NON_WORD = re.compile(r"[^a-z0-9]+")


def _words_text(text: str) -> str:
    """Folded text with punctuation turned into spaces and a leading space, so that
    ``" " + word in text`` means "a word starts with it" (no regex per entry)."""
    return " " + _NON_WORD.sub(" ", _fold(text)).strip() + " "


STOPWORDS = frozenset("a an and are as at be by for from has have in is it its of on or our that the their "
                      "this to was we will with you your".split())


def _word_set_text(text: str) -> str:
    """Description text for the index: each distinct word once, stop words left out (a word
    query matches words, never a phrase, so order and repeats carry nothing)."""
    seen: dict[str, None] = {}
    for w in _NON_WORD.sub(" ", _fold(text)).split():
        if w not in STOPWORDS:
            seen.setdefault(w, None)
    return " " + " ".join(seen) + " "


@dataclass
class Index:
    entries: dict[str, dict]            # file name -> entry
    files: list[list]                   # sorted [name, size, mtime_ns, inode] of every *.toml
    reparsed: int = 0
    written_ns: int = 0

    def as_json(self) -> dict:
        return {"version": INDEX_VERSION, "written_ns": self.written_ns,
                "files": self.files, "entries": self.entries}


def _read_index(ws) -> dict | None:
    path = index_path(ws)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION \
            or not isinstance(data.get("files"), list) or not isinstance(data.get("entries"), dict):
        return None
    return data


def _listing(folder: Path) -> list[list]:
    files = []
    if folder.is_dir():
        with os.scandir(folder) as it:
            for e in it:
                name = e.name
                if name.endswith(".toml") and not name.startswith(".") and e.is_file():
                    st = e.stat()
                    files.append([name, st.st_size, st.st_mtime_ns, st.st_ino])
    files.sort()
    return files


def load_index(ws) -> Index:
    """The index, verified against the folder; changed files are parsed again (in memory).

    Fast path: the sorted listing [name, size, mtime_ns, inode] equals the recorded one and
    every mtime is older than the index write minus RACY_NS.  Otherwise each file whose
    signature differs (or is too recent to be trusted) is parsed again.
    """
    folder = model.folder(ws)
    old = _read_index(ws) or {}
    old_entries = old.get("entries") or {}
    written_ns = int(old.get("written_ns") or 0)
    trusted_before = written_ns - RACY_NS
    files = _listing(folder)
    if files == old.get("files") and all(f[2] < trusted_before for f in files) \
            and len(old_entries) == len(files):
        return Index(old_entries, files, 0, written_ns)
    old_sig = {f[0]: f for f in old.get("files") or [] if isinstance(f, list) and f}
    entries: dict[str, dict] = {}
    reparsed = 0
    for f in files:
        name = f[0]
        if old_sig.get(name) == f and f[2] < trusted_before and name in old_entries:
            entries[name] = old_entries[name]
        else:
            entries[name] = entry_for(model.read_path(folder / name))
            reparsed += 1
    return Index(entries, files, reparsed, written_ns)


def write_index(ws) -> Index:
    """Rebuild (incrementally) and write the index; call while holding ws.lock()."""
    written_ns = time.time_ns()
    index = load_index(ws)
    index.written_ns = written_ns
    if not model.folder(ws).is_dir():
        return index
    data = json.dumps(index.as_json(), ensure_ascii=False, separators=(",", ":"))
    storage.atomic_write_bytes(index_path(ws), data.encode("utf-8"))
    return index


# ---------------------------------------------------------------------------- taxonomy


_TAXONOMY: dict[str, set[str]] | None = None


def taxonomy_rows() -> list[dict]:
    import csv

    path = Path(__file__).parent / "data" / "open-eligibility" / "taxonomy.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def descendants() -> dict[str, set[str]]:
    """Open Eligibility term (folded) -> itself and every term under it (folded)."""
    global _TAXONOMY
    if _TAXONOMY is None:
        rows = taxonomy_rows()
        by_id = {r["id"]: r for r in rows}
        children: dict[str, set[str]] = {}
        for r in rows:
            children.setdefault(r["parent_id"], set()).add(r["id"])
        out: dict[str, set[str]] = {}
        for r in rows:
            names: set[str] = set()
            stack = [r["id"]]
            while stack:
                cur = stack.pop()
                names.add(_fold(by_id[cur]["name"]))
                stack.extend(children.get(cur, ()))
            out.setdefault(_fold(r["name"]), set()).update(names)
        _TAXONOMY = out
    return _TAXONOMY


def known_categories(ws=None) -> dict[str, str]:
    """folded name -> display name: Open Eligibility terms plus the agency's own."""
    out = {_fold(r["name"]): r["name"] for r in taxonomy_rows()}
    if ws is not None:
        extra = ws.section("resources").get("categories", [])
        for c in extra if isinstance(extra, list) else []:
            if isinstance(c, str) and c.strip():
                out[_fold(c.strip())] = c.strip()
    return out


# ---------------------------------------------------------------------------- search


@dataclass
class Query:
    words: list[str] = field(default_factory=list)
    category: str | None = None
    county: str | None = None
    zip: str | None = None
    language: str | None = None
    at: dt.datetime | None = None
    free: bool = False
    include_inactive: bool = False


@dataclass
class Hit:
    entry: dict
    score: int
    why: list[str]
    open: bool | None = None

    def as_json(self) -> dict:
        e = self.entry
        return {"slug": e["slug"], "name": e["name"], "organization": e["org"],
                "categories": e["cats"], "county": e["county"], "city": e["city"],
                "postal_code": e["zip"], "phone": e["phone"], "free": e["free"],
                "status": e["status"], "last_verified": e["verified"], "score": self.score,
                "open": self.open, "why": self.why}


def _county_key(text: str) -> str:
    return re.sub(r"\s+county$", "", _fold(text).strip())


def _language_key(text: str) -> str:
    t = _fold(text).strip()
    return LANGUAGE_CODES.get(t, t)


def _sched_rows(entry: dict) -> list[dict]:
    rows = []
    for r in entry["sched"]:
        row = dict(r)
        for k in ("opens_at", "closes_at"):
            if row.get(k):
                row[k] = dt.time.fromisoformat(row[k])
        for k in ("valid_from", "valid_to", "dtstart", "until"):
            if row.get(k):
                row[k] = dt.date.fromisoformat(row[k])
        rows.append(row)
    return rows


def search(entries: Iterable[dict], q: Query) -> list[Hit]:
    """Rank entries for a query: every word must match; name and category before description.

    Scores per word: name/organization 10 (+2 at a word start), category 8 (+2), other
    text 2 (+1).  Filters (category, county, zip, language, free, open at) must all hold and
    are listed in ``why`` too.  Ties are broken by name.  Cheap tests run first; opening
    hours are evaluated only for entries that passed everything else.
    """
    words = [w for text in q.words for w in _words_text(text).split()]
    starts = [" " + w for w in words]
    cat_terms: set[str] | None = None
    cat_fold = ""
    if q.category:
        cat_fold = _fold(q.category.strip())
        cat_terms = {_words_text(t) for t in descendants().get(cat_fold, set()) | {cat_fold}}
        cat_fold = _words_text(cat_fold)
    county = _county_key(q.county) if q.county else None
    zip5 = q.zip.strip()[:5] if q.zip else None
    lang = _language_key(q.language) if q.language else None
    skip_status = () if q.include_inactive else ("inactive", "defunct")
    hits = []
    for e in entries:
        if e["status"] in skip_status:
            continue
        if county is not None and e["countyk"] != county:
            continue
        if zip5 is not None and not e["zip"].startswith(zip5):
            continue
        if lang is not None and lang not in e["langk"]:
            continue
        if q.free and e["free"] is not True:
            continue
        cat_found = None
        if cat_terms is not None:
            for c, cf in zip(e["cats"], e["catsf"]):
                if cf in cat_terms:
                    cat_found = (c, cf)
                    break
            if cat_found is None:
                continue
        score = 0
        reasons = []
        for w, ws_ in zip(words, starts):
            best, reason = 0, ""
            nametext = e["nametext"]
            if w in nametext:
                best = 12 if ws_ in nametext else 10
                reason = f"name matches {w!r}"
            else:
                for c, cf in zip(e["cats"], e["catsf"]):
                    if w in cf:
                        best = 10 if ws_ in cf else 8
                        reason = f"category {c!r} matches {w!r}"
                        break
                else:
                    text = e["text"]
                    if w in text:
                        best = 3 if ws_ in text else 2
                        reason = f"description mentions {w!r}"
            if not best:
                break
            score += best
            reasons.append(reason)
        else:
            is_open = None
            if q.at is not None:
                is_open = sched.open_at(_sched_rows(e), q.at)
                if not is_open:
                    continue
            why = []
            if cat_found is not None:
                why.append(f"category {cat_found[0]!r}" + ("" if cat_found[1] == cat_fold
                                                          else f" (under {q.category!r})"))
            if county is not None:
                why.append(f"county {e['county']}")
            if zip5 is not None:
                why.append(f"ZIP {e['zip']}")
            if lang is not None:
                why.append(f"language {e['langs'][e['langk'].index(lang)]}")
            if q.free:
                why.append("free")
            if is_open:
                why.append(f"open {q.at:%a %H:%M}")
            hits.append(Hit(e, score, why + reasons, is_open))
    hits.sort(key=lambda h: (-h.score, h.entry["nametext"], h.entry["slug"]))
    return hits


def run_search(ws, q: Query) -> list[Hit]:
    return search(load_index(ws).entries.values(), q)
