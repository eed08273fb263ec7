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
INDEX_VERSION = 1
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
    """The compact, pre-lowered form of a record that search needs."""
    address = res.get("address") or {}
    extra = " ".join(res.get(k) or "" for k in ("description", "eligibility", "fees", "accessibility",
                                                   "how_to_apply", "notes"))
    return {
        "slug": res["slug"],
        "name": res["name"],
        "org": res.get("organization", ""),
        "cats": res.get("categories", []),
        "text": _fold(extra),
        "nametext": _fold(f"{res['name']} {res.get('organization', '')}"),
        "county": res.get("county", ""),
        "city": address.get("city", ""),
        "zip": address.get("postal_code", ""),
        "langs": res.get("languages", []),
        "free": res.get("free"),
        "status": res.get("status", "active"),
        "phone": (res.get("phones") or [{}])[0].get("number", ""),
        "verified": res["last_verified"].isoformat() if res.get("last_verified") else None,
        "sched": [{k: (v.isoformat() if isinstance(v, (dt.date, dt.time)) else v) for k, v in r.items()
                   if k in ("freq", "byday", "bymonthday", "opens_at", "closes_at", "valid_from",
                            "valid_to", "dtstart", "until", "interval")}
                  for r in res.get("schedules", [])],
    }


def _fold(text: str) -> str:
    return model.ascii_fold(text or "").lower()


def _signature(entry: os.DirEntry) -> list[int]:
    st = entry.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


@dataclass
class Index:
    entries: dict[str, dict]            # file name -> entry
    signature: dict[str, list[int]]     # file name -> [size, mtime_ns, ino]
    reparsed: int = 0
    written_ns: int = 0

    def as_json(self) -> dict:
        return {"version": INDEX_VERSION, "written_ns": self.written_ns,
                "signature": self.signature, "entries": self.entries}


def _read_index(ws) -> dict | None:
    path = index_path(ws)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        return None
    return data


def load_index(ws) -> Index:
    """The index, verified against the folder; changed files are parsed again (in memory)."""
    folder = model.folder(ws)
    old = _read_index(ws) or {}
    old_sig = old.get("signature") or {}
    old_entries = old.get("entries") or {}
    trusted_before = int(old.get("written_ns") or 0) - RACY_NS
    entries: dict[str, dict] = {}
    signature: dict[str, list[int]] = {}
    reparsed = 0
    if folder.is_dir():
        with os.scandir(folder) as it:
            for e in it:
                name = e.name
                if not name.endswith(".toml") or name.startswith(".") or not e.is_file():
                    continue
                sig = _signature(e)
                signature[name] = sig
                if old_sig.get(name) == sig and sig[1] < trusted_before and name in old_entries:
                    entries[name] = old_entries[name]
                else:
                    entries[name] = entry_for(model.read_path(folder / name))
                    reparsed += 1
    return Index(entries, signature, reparsed, int(old.get("written_ns") or 0))


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


def _word_re(word: str) -> re.Pattern:
    return re.compile(r"\b" + re.escape(word))


def search(entries: Iterable[dict], q: Query) -> list[Hit]:
    """Rank entries for a query: every word must match; name and category before description.

    Scores per word: name/organization 10 (+2 at a word start), category 8 (+2), other
    text 2 (+1).  Filters (category, county, zip, language, open at, free) must all hold and
    are listed in ``why`` too.  Ties are broken by name.
    """
    words = [_fold(w) for w in q.words if w.strip()]
    word_res = [_word_re(w) for w in words]
    cat_terms: set[str] | None = None
    if q.category:
        cf = _fold(q.category.strip())
        cat_terms = descendants().get(cf, set()) | {cf}
    county = _county_key(q.county) if q.county else None
    zip5 = q.zip.strip()[:5] if q.zip else None
    lang = _language_key(q.language) if q.language else None
    hits = []
    for e in entries:
        if not q.include_inactive and e["status"] in ("inactive", "defunct"):
            continue
        why: list[str] = []
        if cat_terms is not None:
            found = [c for c in e["cats"] if _fold(c) in cat_terms]
            if not found:
                continue
            why.append(f"category {found[0]!r}" + ("" if _fold(found[0]) == _fold(q.category)
                                                     else f" (under {q.category!r})"))
        if county is not None:
            if _county_key(e["county"]) != county:
                continue
            why.append(f"county {e['county']}")
        if zip5 is not None:
            if not e["zip"].startswith(zip5):
                continue
            why.append(f"ZIP {e['zip']}")
        if lang is not None:
            found = [x for x in e["langs"] if _language_key(x) == lang]
            if not found:
                continue
            why.append(f"language {found[0]}")
        if q.free:
            if e["free"] is not True:
                continue
            why.append("free")
        is_open = None
        if q.at is not None:
            is_open = sched.open_at(_sched_rows(e), q.at)
            if not is_open:
                continue
            why.append(f"open {q.at:%a %H:%M}")
        score = 0
        ok = True
        for w, wre in zip(words, word_res):
            best, reason = 0, ""
            if w in e["nametext"]:
                best = 10 + (2 if wre.search(e["nametext"]) else 0)
                reason = f"name matches {w!r}"
            cats = [c for c in e["cats"] if w in _fold(c)]
            if cats and best < 8:
                best = 8 + (2 if wre.search(_fold(cats[0])) else 0)
                reason = f"category {cats[0]!r} matches {w!r}"
            if not best and w in e["text"]:
                best = 2 + (1 if wre.search(e["text"]) else 0)
                reason = f"description mentions {w!r}"
            if not best:
                ok = False
                break
            score += best
            why.append(reason)
        if not ok:
            continue
        hits.append(Hit(e, score, why, is_open))
    hits.sort(key=lambda h: (-h.score, _fold(h.entry["name"]), h.entry["slug"]))
    return hits


def run_search(ws, q: Query) -> list[Hit]:
    return search(load_index(ws).entries.values(), q)
