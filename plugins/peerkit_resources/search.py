"""Searching the directory fast: a verified index file plus a plain ranking function.

``resources/.index.sqlite`` (stdlib sqlite3) holds, for each ``*.toml`` in ``resources/``, its
stat signature (size, mtime_ns, inode), the few fields search needs pre-lowered (as a JSON
entry), and columns SQL can pre-filter on (status, county, ZIP, languages, free, and one
folded text of name, organization, categories and description words).  Before every use the
folder is listed and each file's signature compared with the index's: an entry is reused only
when the signature matches exactly AND the file's mtime is older than the index by more than
``RACY_NS`` (so an in-place edit within the file system's timestamp resolution of the index
write can never be mistaken for an unchanged file -- git's "racy" rule).  Every other file is
parsed again.  So the index is a cache that can be stale on disk but is never used stale.

Search asks SQL for a superset of the matches among the trusted rows, adds every changed file
(parsed again), and ranks them with :func:`search`, the same plain function for both.

Reading never writes: the database is opened read-only and ``immutable`` (no lock, no journal),
and search refreshes changed entries in memory only.  Commands that change
resources (add, edit, remove, verify, import) rewrite the index while holding the workspace
lock, and ``peerkit resources reindex`` does so on demand.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import peerkit_resources.model as model
import peerkit_resources.schedule as sched
from peerkit import storage
from peerkit.errors import UsageError

INDEX_NAME = ".index.sqlite"
INDEX_VERSION = 8
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


_NON_WORD = re.compile(r"[^a-z0-9]+")


def _words_text(text: str) -> str:
    """Folded text with punctuation turned into spaces and a leading space, so that
    ``" " + word in text`` means "a word starts with it" (no regex per entry)."""
    return " " + _NON_WORD.sub(" ", model.fold(text)).strip() + " "


STOPWORDS = frozenset(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
                       "it", "its", "of", "on", "or", "our", "that", "the", "their", "this", "to", "was", "we",
                       "will", "with", "you", "your"])


def _word_set_text(text: str) -> str:
    """Description text for the index: each distinct word once, stop words left out (a word
    query matches words, never a phrase, so order and repeats carry nothing)."""
    seen: dict[str, None] = {}
    for w in _NON_WORD.sub(" ", model.fold(text)).split():
        if w not in STOPWORDS:
            seen.setdefault(w, None)
    return " " + " ".join(seen) + " "


@dataclass
class Index:
    entries: dict[str, dict]            # file name -> entry
    files: list[tuple]                  # sorted (name, size, mtime_ns, inode) of every *.toml
    reparsed: int = 0
    written_ns: int = 0


def _listing(folder: Path) -> list[tuple]:
    files = []
    if folder.is_dir():
        with os.scandir(folder) as it:
            for e in it:
                name = e.name
                if name.endswith(".toml") and not name.startswith(".") and e.is_file():
                    st = e.stat()
                    files.append((name, st.st_size, st.st_mtime_ns, st.st_ino))
    files.sort()
    return files


class _Store:
    """Read-only view of ``resources/.index.sqlite`` (``immutable``: never locks or writes)."""

    def __init__(self, ws):
        self.con = None
        self.written_ns = 0
        path = index_path(ws)
        if not path.is_file():
            return
        import sqlite3

        if os.name == "nt":  # pragma: no cover - drive letters and backslashes
            from urllib.request import pathname2url
        else:  # what pathname2url is on POSIX, without importing http.client and ssl (~8 ms)
            from urllib.parse import quote as pathname2url

        try:
            con = sqlite3.connect(f"file:{pathname2url(str(path))}?mode=ro&immutable=1", uri=True)
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            if int(meta.get("version", 0)) != INDEX_VERSION:
                con.close()
                return
            self.written_ns = int(meta.get("written_ns", 0))
            self.con = con
        except (sqlite3.Error, ValueError):
            return

    def files(self) -> list[tuple]:
        if self.con is None:
            return []
        try:
            return self.con.execute("SELECT name, size, mtime, ino FROM files ORDER BY name").fetchall()
        except Exception:  # noqa: BLE001 - a damaged cache is ignored, never trusted
            self.con = None
            return []

    def select(self, where: str = "", params: tuple = ()) -> list[tuple[str, str]]:
        if self.con is None:
            return []
        try:
            return self.con.execute(f"SELECT name, entry FROM files {where}", params).fetchall()
        except Exception:  # noqa: BLE001
            self.con = None
            return []

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def _verify(ws, store: _Store) -> tuple[list[tuple], set[str]]:
    """(current listing, names whose stored entry can be trusted)."""
    files = _listing(model.folder(ws))
    trusted_before = store.written_ns - RACY_NS
    stored = store.files()
    if stored == files and all(f[2] < trusted_before for f in files):
        return files, {f[0] for f in files}
    old = {f[0]: f for f in stored}
    return files, {f[0] for f in files if old.get(f[0]) == f and f[2] < trusted_before}


def load_index(ws) -> Index:
    """Every entry, verified against the folder; changed files are parsed again (in memory).

    Fast path: the sorted listing (name, size, mtime_ns, inode) equals the recorded one and
    every mtime is older than the index write minus RACY_NS.  Otherwise each file whose
    signature differs (or is too recent to be trusted) is parsed again.
    """
    store = _Store(ws)
    try:
        files, trusted = _verify(ws, store)
        entries: dict[str, dict] = {}
        if trusted:
            for name, entry in store.select():
                if name in trusted:
                    entries[name] = json.loads(entry)
        reparsed = 0
        folder = model.folder(ws)
        for f in files:
            if f[0] not in entries:
                entries[f[0]] = entry_for(model.read_path(folder / f[0]))
                reparsed += 1
        ordered = {f[0]: entries[f[0]] for f in files}
        return Index(ordered, files, reparsed, store.written_ns)
    finally:
        store.close()


END = 24 * 3600 + 1  # past any time of day


def _seconds(text: str) -> int:
    t = dt.time.fromisoformat(text)
    return t.hour * 3600 + t.minute * 60 + t.second


def _hours_rows(name: str, e: dict) -> list[tuple] | None:
    """Weekly opening intervals (name, weekday, open_s, close_s) for SQL, or None when a row
    needs the full rule (monthly, dated, every n weeks): such entries are always candidates."""
    out = []
    for r in e["sched"]:
        if not r.get("opens_at") or not r.get("closes_at"):
            continue
        if (r.get("freq") or "WEEKLY") != "WEEKLY" or r.get("bymonthday") or (r.get("interval") or 1) > 1 \
                or any(r.get(k) for k in ("valid_from", "valid_to", "dtstart", "until")) \
                or any(o is not None for o, _ in r["byday"]):
            return None
        days = {wd for _, wd in r["byday"]} or set(range(7))
        o, c = _seconds(r["opens_at"]), _seconds(r["closes_at"])
        late = 23 * 3600 + 59 * 60
        for d in days:
            if o == c or (o == 0 and c >= late):
                out.append((name, d, 0, END))
            elif c > o:
                out.append((name, d, o, END if c >= late else c))
            else:  # crosses midnight
                out.append((name, d, o, END))
                out.append((name, (d + 1) % 7, 0, c))
    return out


def _row(name_sig: tuple, e: dict) -> tuple:
    hay = e["nametext"] + " ".join(e["catsf"]) + e["text"]
    cats = "|" + "|".join(c.strip() for c in e["catsf"]) + "|"
    return (*name_sig, e["status"], e["countyk"], e["zip"], "|" + "|".join(e["langk"]) + "|",
            1 if e["free"] is True else 0, hay, cats, 1 if _hours_rows("", e) is None else 0,
            e["slug"], e["name"], e["verified"], json.dumps(e, ensure_ascii=False, separators=(",", ":")))


def write_index(ws) -> Index:
    """Rebuild (incrementally) and write the index; call while holding ws.lock()."""
    import sqlite3

    written_ns = time.time_ns()
    index = load_index(ws)
    index.written_ns = written_ns
    if not model.folder(ws).is_dir():
        return index
    with storage.atomic_path(index_path(ws)) as tmp:
        tmp.unlink()
        con = sqlite3.connect(str(tmp))
        try:
            con.executescript(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE files(name TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, ino INTEGER,"
                " status TEXT, countyk TEXT, zip TEXT, langk TEXT, free INTEGER, hay TEXT, cats TEXT,"
                " complex INTEGER, slug TEXT, title TEXT, verified TEXT, entry TEXT);"
                "CREATE TABLE hours(name TEXT, wd INTEGER, open INTEGER, close INTEGER);")
            con.executemany("INSERT INTO meta VALUES (?, ?)",
                            [("version", str(INDEX_VERSION)), ("written_ns", str(written_ns))])
            con.executemany("INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            [_row(f, index.entries[f[0]]) for f in index.files])
            con.executemany("INSERT INTO hours VALUES (?,?,?,?)",
                            [h for f in index.files for h in (_hours_rows(f[0], index.entries[f[0]]) or [])])
            con.execute("CREATE INDEX hours_wd ON hours(wd, name)")
            con.commit()
        except sqlite3.Error as exc:  # "database or disk is full": one line, never exit 70
            from peerkit.errors import PeerkitError

            where = storage.display_path(index_path(ws))
            if "full" in str(exc):
                raise PeerkitError(f"disk full writing {where}: free space and run again") from None
            raise PeerkitError(f"{where}: could not write the search index "
                               f"({type(exc).__name__}); run 'peerkit reindex'") from None
        finally:
            con.close()
    return index


def verification_dates(ws) -> list[tuple[str, str, str, str | None]]:
    """(slug, name, status, last_verified ISO or None) of every resource, from the trusted index
    rows plus changed files parsed again (for ``stale`` and the status alert)."""
    store = _Store(ws)
    try:
        files, trusted = _verify(ws, store)
        out = []
        if trusted and store.con is not None:
            try:
                rows = store.con.execute("SELECT name, slug, title, status, verified FROM files").fetchall()
            except Exception:  # noqa: BLE001
                rows, trusted = [], set()
            out = [(slug, title, status, verified) for name, slug, title, status, verified in rows
                   if name in trusted]
        folder = model.folder(ws)
        for f in files:
            if f[0] not in trusted:
                e = entry_for(model.read_path(folder / f[0]))
                out.append((e["slug"], e["name"], e["status"], e["verified"]))
        return out
    finally:
        store.close()


def candidates(ws, q: Query) -> tuple[list[dict], int]:
    """Entries that may match ``q``: a superset chosen by SQL on the trusted index rows, plus
    every file that changed since the index was written (parsed again).  Returns (entries,
    number of files parsed again)."""
    store = _Store(ws)
    try:
        files, trusted = _verify(ws, store)
        conds: list[str] = []
        params: list[str | int] = []
        if not q.include_inactive:
            conds.append("status NOT IN ('inactive', 'defunct')")
        if q.county:
            conds.append("countyk = ?")
            params.append(_county_key(q.county))
        if q.zip:
            z = q.zip.strip()[:5]
            conds.append("substr(zip, 1, ?) = ?")
            params += [len(z), z]
        if q.language:
            conds.append("instr(langk, ?) > 0")
            params.append("|" + _language_key(q.language) + "|")
        if q.free:
            conds.append("free = 1")
        if q.category:
            cf = model.fold(q.category.strip())
            terms = sorted(descendants().get(cf, set()) | {cf})
            conds.append("(" + " OR ".join("instr(cats, ?) > 0" for _ in terms) + ")")
            params += ["|" + _NON_WORD.sub(" ", t).strip() + "|" for t in terms]
        if q.at is not None:
            second = q.at.hour * 3600 + q.at.minute * 60 + q.at.second
            conds.append("(complex = 1 OR name IN (SELECT name FROM hours WHERE wd = ? AND open <= ? AND ? < close))")
            params += [q.at.weekday(), second, second]
        for text in q.words:
            for w in _words_text(text).split():
                conds.append("instr(hay, ?) > 0")
                params.append(w)
        where = ("WHERE " + " AND ".join(conds)) if conds else ""
        out = [json.loads(entry) for name, entry in store.select(where, tuple(params)) if name in trusted] \
            if trusted else []
        folder = model.folder(ws)
        fresh = [f[0] for f in files if f[0] not in trusted]
        out.extend(entry_for(model.read_path(folder / name)) for name in fresh)
        return out, len(fresh)
    finally:
        store.close()


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
                names.add(model.fold(by_id[cur]["name"]))
                stack.extend(children.get(cur, ()))
            out.setdefault(model.fold(r["name"]), set()).update(names)
        _TAXONOMY = out
    return _TAXONOMY


def known_categories(ws=None) -> dict[str, str]:
    """folded name -> display name: Open Eligibility terms plus the agency's own."""
    out = {model.fold(r["name"]): r["name"] for r in taxonomy_rows()}
    if ws is not None:
        extra = ws.section("resources").get("categories", [])
        for c in extra if isinstance(extra, list) else []:
            if isinstance(c, str) and c.strip():
                out[model.fold(c.strip())] = c.strip()
    return out


def nearest(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The closest of ``choices`` to ``value`` (difflib, case-insensitive), best first: up to
    ``n`` close ones, else the single nearest that is at all alike."""
    import difflib

    by_fold = {model.fold(c): c for c in choices}
    typed = model.fold(value.strip())
    found = difflib.get_close_matches(typed, list(by_fold), n=n, cutoff=0.6) or \
        difflib.get_close_matches(typed, list(by_fold), n=1, cutoff=0.3)
    return [by_fold[m] for m in found]


def check_filter_category(ws, category: str | None, option: str = "--category") -> None:
    """Refuse (exit 2) a category filter that is no known category, suggesting the nearest:
    an unknown value must never read as "nothing found"."""
    if category is None:
        return
    known = known_categories(ws)
    if model.fold(category.strip()) in known:
        return
    close = nearest(category, known.values())
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise UsageError(f"{option} {category!r}: unknown category; {hint}see 'peerkit resources "
                     "categories' (or add your own to [resources] categories in peerkit.toml)")


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
    return re.sub(r"\s+county$", "", model.fold(text).strip())


def _language_key(text: str) -> str:
    t = model.fold(text).strip()
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


@dataclass
class _Prepared:
    """A query in the folded forms the index entries hold (computed once per search)."""
    words: list[str]
    starts: list[str]                    # " " + word: the word starts a word of the text
    cat_terms: set[str] | None = None    # the category and its descendants, or None
    cat_text: str = ""                   # the category itself
    county: str | None = None
    zip5: str | None = None
    lang: str | None = None
    skip_status: tuple[str, ...] = ()


def _prepare(q: Query) -> _Prepared:
    words = [w for text in q.words for w in _words_text(text).split()]
    p = _Prepared(words, [" " + w for w in words],
                  county=_county_key(q.county) if q.county else None,
                  zip5=q.zip.strip()[:5] if q.zip else None,
                  lang=_language_key(q.language) if q.language else None,
                  skip_status=() if q.include_inactive else ("inactive", "defunct"))
    if q.category:
        cat_fold = model.fold(q.category.strip())
        p.cat_terms = {_words_text(t) for t in descendants().get(cat_fold, set()) | {cat_fold}}
        p.cat_text = _words_text(cat_fold)
    return p


def _passes_filters(e: dict, p: _Prepared, free: bool) -> bool:
    """Status, county, ZIP, language and free (the category is tested by _category_found)."""
    return (e["status"] not in p.skip_status
            and (p.county is None or e["countyk"] == p.county)
            and (p.zip5 is None or e["zip"].startswith(p.zip5))
            and (p.lang is None or p.lang in e["langk"])
            and (not free or e["free"] is True))


def _category_found(e: dict, cat_terms: set[str]) -> tuple[str, str] | None:
    """(category, folded category) of the entry's first category under the filter's."""
    for c, cf in zip(e["cats"], e["catsf"], strict=True):
        if cf in cat_terms:
            return c, cf
    return None


def _word_score(e: dict, w: str, start: str) -> tuple[int, str]:
    """Score of one query word in an entry, and why; (0, "") when it matches nothing."""
    nametext = e["nametext"]
    if w in nametext:
        return (12 if start in nametext else 10), f"name matches {w!r}"
    for c, cf in zip(e["cats"], e["catsf"], strict=True):
        if w in cf:
            return (10 if start in cf else 8), f"category {c!r} matches {w!r}"
    text = e["text"]
    if w in text:
        return (3 if start in text else 2), f"description mentions {w!r}"
    return 0, ""


def _words_score(e: dict, p: _Prepared) -> tuple[int, list[str]] | None:
    """Total score and reasons when every query word matches, else None."""
    score = 0
    reasons = []
    for w, start in zip(p.words, p.starts, strict=True):
        best, reason = _word_score(e, w, start)
        if not best:
            return None
        score += best
        reasons.append(reason)
    return score, reasons


def _filter_reasons(e: dict, p: _Prepared, q: Query, cat_found: tuple[str, str] | None,
                    is_open: bool | None) -> list[str]:
    """The filters an entry met, in the order they are listed in ``why``."""
    why = []
    if cat_found is not None:
        why.append(f"category {cat_found[0]!r}" + ("" if cat_found[1] == p.cat_text
                                                  else f" (under {q.category!r})"))
    if p.county is not None:
        why.append(f"county {e['county']}")
    if p.zip5 is not None:
        why.append(f"ZIP {e['zip']}")
    if p.lang is not None:
        why.append(f"language {e['langs'][e['langk'].index(p.lang)]}")
    if q.free:
        why.append("free")
    if is_open:
        why.append(f"open {q.at:%a %H:%M}")
    return why


def search(entries: Iterable[dict], q: Query) -> list[Hit]:
    """Rank entries for a query: every word must match; name and category before description.

    Scores per word: name/organization 10 (+2 at a word start), category 8 (+2), other
    text 2 (+1).  Filters (category, county, zip, language, free, open at) must all hold and
    are listed in ``why`` too.  Ties are broken by name.  Cheap tests run first; opening
    hours are evaluated only for entries that passed everything else.
    """
    p = _prepare(q)
    hits = []
    for e in entries:
        if not _passes_filters(e, p, q.free):
            continue
        cat_found = None
        if p.cat_terms is not None:
            cat_found = _category_found(e, p.cat_terms)
            if cat_found is None:
                continue
        scored = _words_score(e, p)
        if scored is None:
            continue
        is_open = None
        if q.at is not None:
            is_open = sched.open_at(_sched_rows(e), q.at)
            if not is_open:
                continue
        score, reasons = scored
        hits.append(Hit(e, score, _filter_reasons(e, p, q, cat_found, is_open) + reasons, is_open))
    hits.sort(key=lambda h: (-h.score, h.entry["nametext"], h.entry["slug"]))
    return hits


def run_search(ws, q: Query) -> list[Hit]:
    entries, _ = candidates(ws, q)
    return search(entries, q)
