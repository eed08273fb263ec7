"""APSM-style checks of service notes, and the runner every caller uses.

Public API (used by ``note check``, ``note sign`` and the supervisor export)::

    from peerkit_notes.checks import run_checks
    findings = run_checks(ws, notes, today=None)   # -> list[peerkit.checks.Finding]

``run_checks`` runs every rule registered through the ``note_checks`` hook -- the built-in
rules below (registered by this plugin's hook like any agency rule) and the rules of every
other plugin -- on each note and returns the findings sorted by note date, note id and rule.

What is checked, by status:

* ``void`` notes are skipped: they are kept for the record and never billed.
* ``draft`` notes get every rule, but a missing element (rule ``required-elements``) is only
  a *warning* on a draft -- the peer is still writing.  ``note sign`` checks the note as it
  will be once signed, where every missing element is an error and signing is refused.
* ``goal-active`` is a signing-time gate: it runs on drafts and when signing.  Once a note
  is signed, a goal later marked met or dropped does not turn that old note into an error
  (the plan records no date for the change, so peerkit cannot tell).
* signed, submitted, approved and denied notes get every rule at its own severity.

Other notes needed by a rule (overlaps, duplicates, authorization use) are read from the
workspace month by month as needed and cached for the run; the notes passed in win over
their stored copies (so a note can be checked before it is saved).
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable

import peerkit_notes.model as model
from peerkit.checks import CheckContext, Finding, NoteCheck, as_messages
from peerkit.dates import month_folders
from peerkit.errors import PeerkitError
from peerkit.identifiers import find_in_text
from peerkit.records import Note, seal_problem

NOT_COUNTED = ("void", "denied")  # never billed: not counted against authorizations
LENIENT_ON_DRAFT = ("required-elements", "identifier-in-narrative", "narrative-too-short")
NARRATIVE = (("purpose", "purpose"), ("intervention", "intervention"), ("response", "response"))
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
ELEMENTS = (("place", "place of service (--place)"), ("location", "location (--location)"),
            ("code", "service code (--code)"), ("purpose", "purpose (--purpose)"),
            ("intervention", "intervention (--intervention)"),
            ("response", "the person's response (--response)"), ("plan", "plan / next steps (--plan)"))


# ---------------------------------------------------------------------------- runner


def run_checks(ws, notes: Iterable[Note], *, today: dt.date | None = None,
               signing: bool = False,
               complete: tuple[dt.date | None, dt.date | None] | None = None,
               skip: frozenset[str] = frozenset()) -> list[Finding]:
    """Run every ``note_checks`` rule on ``notes``; return the findings (sorted).

    :param ws: the Workspace the notes belong to.
    :param notes: the notes to check (void notes are skipped).
    :param today: the day to judge "in the future" and lateness by (default: today,
        honouring ``PEERKIT_TODAY``).
    :param signing: check the notes as they are being signed (``note sign``): no leniency
        for drafts, and ``goal-active`` applies.
    :param complete: optional ``(start, end)`` saying ``notes`` holds *every* note of the
        workspace in that range (``None`` = open end); whole months inside it are not read
        again.  Purely a speed-up.
    :param skip: names of rules not run (their findings are taken from elsewhere:
        ``checkcache.period_findings`` runs the clock's rules apart).
    :return: ``[Finding(note, file, rule, severity, message)]``; ``file`` is relative to the
        workspace root.  A rule that raises becomes a finding of the rule's own severity
        naming the rule (an error-level rule that fails blocks signing).
    """
    from peerkit import dates
    from peerkit.context import current_plugins

    notes = [n for n in notes]
    checks = [c for c in collect_checks(current_plugins()) if c.name not in skip]
    ctx = CheckContext(workspace=ws, clients=ws.clients(), today=today or dates.today(),
                       settings=ws.section("notes"))
    ctx.cache["signing"] = signing
    ctx.cache["overrides"] = {n.id: n for n in notes}
    ctx.cache["months"] = {}
    if complete is not None:
        _seed_months(ctx, notes, complete)
    checked = [n for n in notes if n.status != "void"]
    if checked:
        first, last = min(n.date for n in checked), max(n.date for n in checked)
        ctx.notes = notes_between(ctx, first, last)
    findings: list[Finding] = []
    for note in sorted(checked, key=lambda n: (n.date, n.id)):
        findings += check_note(ws, note, checks, ctx, signing=signing)
    return findings


def check_note(ws, note: Note, checks: list[NoteCheck], ctx: CheckContext, *,
               signing: bool = False) -> list[Finding]:
    """The findings of ``checks`` on one note, in the order of ``checks`` (see run_checks)."""
    findings: list[Finding] = []
    file: str | None = None   # the note's file, for its findings (most notes have none)
    for check in checks:
        try:
            messages = as_messages(check.check(note, ctx))
        except PeerkitError:
            raise
        except Exception as exc:  # noqa: BLE001 - an agency rule must not stop the run
            import os

            if os.environ.get("PEERKIT_DEBUG"):
                raise
            # fail closed: a rule that could not run is a finding of its own severity
            # (an error-level one blocks 'note sign'), never a pass
            file = _file_of(ws, note) if file is None else file
            findings.append(Finding(note.id, file, check.name, check.severity,
                                    f"the check failed to run ({type(exc).__name__}), so the "
                                    "note is not known to pass it; tell the author of the "
                                    "plugin that adds it, or disable that plugin"))
            continue
        severity = check.severity
        if severity == "error" and note.status == "draft" and not signing \
                and check.name in LENIENT_ON_DRAFT:
            severity = "warning"
        for msg in messages:
            file = _file_of(ws, note) if file is None else file
            findings.append(Finding(note.id, file, check.name, severity, msg))
    return findings


def _file_of(ws, note: Note) -> str:
    return ws.rel(note.path) if note.path is not None else ""


def collect_checks(plugins) -> list[NoteCheck]:
    """Every plugin's rules, sorted by name; a name used twice is an error naming both."""
    seen: dict[str, str] = {}
    out: list[NoteCheck] = []
    for plugin, check in plugins.collect_list("note_checks"):
        if not isinstance(check, NoteCheck):
            continue
        if check.name in seen:
            raise PeerkitError(f"note check {check.name!r} is defined by two plugins: "
                               f"{seen[check.name]!r} and {plugin!r}; disable one with "
                               "PEERKIT_DISABLE_PLUGINS")
        seen[check.name] = plugin
        out.append(check)
    return sorted(out, key=lambda c: c.name)


def _month_bounds(y: int, m: int) -> tuple[dt.date, dt.date]:
    first = dt.date(y, m, 1)
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _seed_months(ctx: CheckContext, notes: list[Note], complete) -> None:
    start, end = complete
    by_month: dict[tuple[int, int], list[Note]] = {}
    for n in notes:
        by_month.setdefault((n.date.year, n.date.month), []).append(n)
    for key, items in by_month.items():
        first, last = _month_bounds(*key)
        if (start is None or start <= first) and (end is None or last <= end):
            ctx.cache["months"][key] = items


def notes_between(ctx: CheckContext, start: dt.date, end: dt.date) -> list[Note]:
    """Every note of the workspace dated in [start, end] (cached month by month).

    Notes passed to ``run_checks`` (``overrides``) replace the stored version of the same id;
    they are indexed by month once, so each call costs what its range holds, not all notes.
    Their stored files are not read at all (``note add`` checks the note it has just written:
    reading it back would only parse it again and rewrite its month's cache).
    """
    months, by_month = ctx.cache.setdefault("months", {}), _overrides_by_month(ctx)
    out: list[Note] = []
    for y, m in month_folders(start, end) or []:
        overrides = by_month.get((y, m), {})
        if (y, m) not in months:
            first, last = _month_bounds(y, m)
            months[(y, m)] = list(ctx.workspace.notes(first, last, skip_ids=overrides or None))
        _merge(out, months[(y, m)], overrides, start, end)
    return out


def client_notes_between(ctx: CheckContext, client: str, start: dt.date, end: dt.date) -> list[Note]:
    """At least every note of ``client`` that ``notes_between(ctx, start, end)`` holds (the
    caller filters by client).  When the notes checked are all this client's (``note add``,
    signing one person's notes), months not read whole yet are read for this client only
    (``Workspace.notes(client=...)``: the other clients' notes are not built) and kept for the
    run apart; otherwise, or for months already read whole, it is ``notes_between``."""
    by_month = _overrides_by_month(ctx)
    if ctx.cache.get("override_clients") != {client}:
        return notes_between(ctx, start, end)  # several clients: each month is read once, whole
    months = ctx.cache.setdefault("months", {})
    mine = ctx.cache.setdefault("client_months", {}).setdefault(client, {})
    out: list[Note] = []
    for y, m in month_folders(start, end) or []:
        overrides = by_month.get((y, m), {})
        stored = months.get((y, m))
        if stored is None:
            if (y, m) not in mine:
                first, last = _month_bounds(y, m)
                mine[(y, m)] = list(ctx.workspace.notes(first, last, client=client,
                                                        skip_ids=overrides or None))
            stored = mine[(y, m)]
        _merge(out, stored, overrides, start, end)
    return out


def _merge(out: list[Note], stored: list[Note], overrides: dict[str, Note], start: dt.date,
           end: dt.date) -> None:
    """Append to ``out`` the notes of one month dated in [start, end], ``overrides`` winning."""
    stored_ids = set()
    for n in stored:
        stored_ids.add(n.id)
        if start <= n.date <= end:
            out.append(overrides.get(n.id, n))
    out.extend(n for nid, n in overrides.items() if nid not in stored_ids and start <= n.date <= end)


def _overrides_by_month(ctx: CheckContext) -> dict[tuple[int, int], dict[str, Note]]:
    """The notes passed to ``run_checks``, by (year, month) of their date (indexed once)."""
    by_month = ctx.cache.get("overrides_by_month")
    if by_month is None:
        by_month = {}
        for n in ctx.cache.get("overrides", {}).values():
            by_month.setdefault((n.date.year, n.date.month), {})[n.id] = n
        ctx.cache["overrides_by_month"] = by_month
        ctx.cache["override_clients"] = {n.client for n in ctx.cache.get("overrides", {}).values()}
    return by_month


def _settings(ctx: CheckContext) -> model.NoteSettings:
    return model.settings(ctx.workspace)


# ---------------------------------------------------------------------------- rules


def required_elements(note: Note, ctx: CheckContext):
    missing = [label for key, label in ELEMENTS if not str(getattr(note, key) or "").strip()]
    if not note.goals:
        missing.insert(3, "a goal of the person's plan (--goal)")
    if missing:
        return ("missing " + ", ".join(missing)
                + ": a service note needs every element (APSM 45-2); add them with 'peerkit note edit "
                + note.id + "'")
    return None


def word_count(text: str) -> int:
    """Words in a text (letters or digits; "person's" and "follow-up" count once)."""
    return len(_WORD.findall(text or ""))


def _fewer_words(text: str, minimum: int) -> bool:
    """``word_count(text) < minimum``, reading no further than the minimum-th word."""
    return len(list(itertools.islice(_WORD.finditer(text or ""), minimum))) < minimum


def narrative_too_short(note: Note, ctx: CheckContext):
    minimum = _settings(ctx).min_words
    if minimum <= 0:
        return None
    short = [f"{label} ({word_count(getattr(note, key))} word(s))" for key, label in NARRATIVE
             if str(getattr(note, key) or "").strip() and _fewer_words(getattr(note, key), minimum)]
    if short:
        return (f"too short: {', '.join(short)}; each needs at least {minimum} words saying what "
                "was done and how the person responded ([notes] min_words)")
    return None


def signature(note: Note, ctx: CheckContext):
    if note.status not in model.SIGNED_STATUSES:
        return None
    out = []
    if not note.author.strip():
        out.append("signed without the author's name: set [provider] name in peerkit.toml and "
                   "record who gave the service")
    elif not model.is_full_name(note.author):
        out.append("the signature is not a full first and last name (no initials): set "
                   "[provider] name to your full name")
    if not note.credentials.strip():
        out.append("the signature has no credentials: set [provider] credentials (for example "
                   "\"NC CPSS\")")
    if note.signed_at is None:
        out.append("the note is marked signed but has no signed_at date and time")
    return out


def times(note: Note, ctx: CheckContext):
    minutes = note.minutes
    if minutes <= 0:
        return "the end time is not after the start time: correct --start/--end"
    if minutes >= 24 * 60:
        return "the service lasts 24 hours or more: correct --start/--end"
    return None


def goal_in_plan(note: Note, ctx: CheckContext):
    client = ctx.client(note.client)
    if client is None:
        return None
    out = []
    for gid in note.goals:
        goal = client.goal(gid)
        if goal is None:
            out.append(f"goal {gid!r} is not in the plan of client {note.client}: use a goal id "
                       "from 'peerkit client show " + note.client + "'")
        elif goal.started and goal.started > note.date:
            out.append(f"goal {gid!r} starts on {goal.started.isoformat()}, after the service date")
    return out


def goal_active(note: Note, ctx: CheckContext):
    if note.status != "draft" and not ctx.cache.get("signing"):
        return None
    client = ctx.client(note.client)
    if client is None:
        return None
    out = []
    for gid in note.goals:
        goal = client.goal(gid)
        if goal is not None and goal.status != "active":
            out.append(f"goal {gid!r} is {goal.status}, not active: link the note to an active goal "
                       "or update the plan")
    return out


def client_active(note: Note, ctx: CheckContext):
    client = ctx.client(note.client)
    if client is None:
        return f"client {note.client!r} is unknown: add it with 'peerkit client add'"
    if not client.active_on(note.date):
        if client.admitted and note.date < client.admitted:
            return (f"client {note.client} was admitted on {client.admitted.isoformat()}, after "
                    "the service date: correct the date or the admission date")
        return (f"client {note.client} was not active on {note.date.isoformat()} (discharged): "
                "correct the date or the client's status")
    return None


def future_date(note: Note, ctx: CheckContext):
    if ctx.today is not None and note.date > ctx.today:
        return (f"the service date {note.date.isoformat()} is in the future: notes record services "
                "already given")
    return None


def claim_order(note: Note) -> tuple:
    """The order in which notes claim units of a limit: a note claims its units when it is
    signed, so signed notes come first in the order they were signed, then unsigned drafts,
    each in service order (date, start).  A back-dated note signed (or being signed) after a
    later note therefore is the one that crosses the limit, not the note already signed."""
    signed = note.signed_at if note.status != "draft" and note.signed_at is not None else None
    if signed is None and note.status != "draft":  # signed without a stamp: at the service's end
        signed = model.service_end(note)
    return (signed is None, signed or dt.datetime.min, note.date, note.start, note.id)


def _running_totals(ctx: CheckContext, key: tuple, make_pool) -> dict[str, int]:
    """Running unit totals of a pool of notes in claim order, computed once per run."""
    cache = ctx.cache.setdefault("auth_running", {})
    if key not in cache:
        pool = make_pool()
        units = model.units_for(ctx.workspace, pool, pool)
        total = 0
        running: dict[str, int] = {}
        for n in sorted(pool, key=claim_order):
            total += units.get(n.id, 0)
            running[n.id] = total
        cache[key] = running
    return cache[key]


def authorization(note: Note, ctx: CheckContext):
    if note.status in NOT_COUNTED:
        return None
    client = ctx.client(note.client)
    if client is None:
        return None
    mod = f" {note.modifier}" if note.modifier else ""
    auth = client.authorization_for(note.date, note.code, note.modifier)
    if auth is not None:
        def auth_pool():
            return [n for n in client_notes_between(ctx, note.client, auth.start, auth.end)
                    if n.client == note.client and n.code == note.code
                    and n.modifier == note.modifier and n.status not in NOT_COUNTED]

        key: tuple = ("auth", note.client, note.code, note.modifier, auth.start, auth.end)
        used = _running_totals(ctx, key, auth_pool).get(note.id, 0) + auth.units_used_before
        if used > auth.units:
            return (f"the authorization for {note.code}{mod} ({auth.start.isoformat()} to "
                    f"{auth.end.isoformat()}) allows {auth.units} units; {used} are used counting "
                    "this note: ask for more units before billing it")
        return None
    from peerkit.unmanaged import unmanaged_rule

    rule = unmanaged_rule(ctx.workspace)
    limit = rule.limit
    if limit is None:  # [billing] unmanaged_units = "unlimited": a payer without the limit
        return None
    start, end = rule.fiscal_year(note.date)
    if limit == 0:
        return (f"no authorization covers {note.code}{mod} on {note.date.isoformat()} and unmanaged "
                "units are off ([billing] unmanaged_units = 0): get a prior authorization")
    def pool():
        return [n for n in client_notes_between(ctx, note.client, start, end)
                if n.client == note.client and n.status not in NOT_COUNTED
                and client.authorization_for(n.date, n.code, n.modifier) is None]

    key = ("unmanaged", note.client, start)
    used = _running_totals(ctx, key, pool).get(note.id, 0)
    if used > limit:
        return (f"no authorization covers {note.code}{mod} on {note.date.isoformat()}, and {used} "
                f"unmanaged units are used in the fiscal year {start.year}-{end.year} counting this "
                f"note (at most {limit}, [billing] unmanaged_units): get a prior authorization")
    return None


def group_size(note: Note, ctx: CheckContext):
    limit = _settings(ctx).max_group_size
    if note.is_group:
        if note.group_size < 1:
            return "a group note (modifier HQ) needs group_size, the number of people in the group"
        if note.group_size > limit:
            return (f"the group had {note.group_size} people; a peer-support group has at most "
                    f"{limit} ([notes] max_group_size)")
    elif note.group_size > 1:
        return "group_size is set but the modifier is not HQ: use --modifier HQ for a group"
    return None


def place_allowed(note: Note, ctx: CheckContext):
    if not note.place:
        return None  # reported by required-elements
    if note.place in model.FORBIDDEN_PLACES:
        return (f"place {note.place!r} is the peer's own residence, never a place of peer-support "
                "service: meet in the community, the person's home or the office")
    allowed = _settings(ctx).allowed_places
    if note.place not in allowed:
        return (f"place {note.place!r} is not allowed: use one of {', '.join(allowed)} "
                "([notes] allowed_places)")
    return None


_NAME_TOKEN = re.compile(r"\w+")  # the pieces of a name (not word_count's words)


def _name_index(ctx: CheckContext) -> dict[str, list[tuple[frozenset[str], str, frozenset[str]]]]:
    """Every client's full name and first+last name, indexed by the first word.

    Each entry is ``(the name's words, case-folded; a regex matching the name as whole words,
    compiled only if a text holds all those words -- ``re`` keeps it then; the client ids it
    names)``.  A text is first cut into its set of words (one C-level pass);
    only names all of whose words occur in that set are tried with their own regex.  So the
    cost follows the length of the text, not the number of clients (issue 19); the result is
    exactly that of one regex of every name (a property test keeps the two equal)."""
    cached = ctx.cache.get("name_index")
    if cached is not None:
        return cached
    owners: dict[tuple[str, ...], set[str]] = {}
    for cid, client in sorted(ctx.clients.items()):
        words = [w for w in re.split(r"\s+", client.name.strip()) if w]
        variants = {tuple(words), (words[0], words[-1])} if len(words) >= 2 else ({tuple(words)} if words else set())
        for v in variants:
            owners.setdefault(tuple(w.casefold() for w in v), set()).add(cid)
    index: dict[str, list[tuple[frozenset[str], str, frozenset[str]]]] = {}
    for key, cids in owners.items():
        tokens = _NAME_TOKEN.findall(" ".join(key))
        body = r"\s+".join(re.escape(w) for w in key)
        pattern = rf"(?<!\w)(?:{body})(?!\w)"  # ~40 clients: compiling every name cost ~3 ms
        first = tokens[0] if tokens else ""
        index.setdefault(first, []).append((frozenset(tokens), pattern, frozenset(cids)))
    ctx.cache["name_index"] = index
    return index


def _names_in(text: str, index) -> set[str]:
    """Client ids whose name stands in ``text`` as whole words (white space between its words)."""
    words = set(_NAME_TOKEN.findall(text.casefold()))
    named: set[str] = set()
    for first in words.intersection(index) if "" not in index else [*words.intersection(index), ""]:
        for tokens, pattern, cids in index[first]:
            if tokens <= words and not cids <= named and re.search(pattern, text, re.IGNORECASE):
                named |= cids
    return named


# An ASCII text's bytes with every byte that is not a word character (``\\w``: letters, digits,
# "_") made a space: its words between white space are then exactly its ``\\w+`` runs.
_ASCII_WORDS = bytes(c if chr(c).isalnum() or c == ord("_") else ord(" ") for c in range(256))


def _may_name_another(ctx: CheckContext, index, folded: str, own: str) -> bool:
    """False only when ``folded`` (every field, case-folded) holds no first word of a name of a
    client other than ``own`` as a whole word (a ``\\w+`` run): then no field names one.  One
    pass over the text's words against a set, whatever the number of clients (issue 19): for
    ASCII text a byte translation and a split (C speed), else the regex's runs."""
    if "" in index:   # a name without a word character: always looked at field by field
        return True
    others = ctx.cache.get("name_firsts_of_others")
    if others is None:
        others = ctx.cache["name_firsts_of_others"] = {}
    if own not in others:   # the first words of names that name a client other than ``own``
        firsts = {first: frozenset().union(*(c for _t, _p, c in entries)) for first, entries in index.items()}
        wanted = frozenset(first for first, cids in firsts.items() if cids != {own})
        others[own] = (wanted, frozenset(w.encode("ascii") for w in wanted if w.isascii()))
    wanted, wanted_ascii = others[own]
    if folded.isascii():
        return not wanted_ascii.isdisjoint(folded.encode("ascii").translate(_ASCII_WORDS).split())
    return not wanted.isdisjoint(_NAME_TOKEN.findall(folded))


def other_client_name(note: Note, ctx: CheckContext):
    index = _name_index(ctx)
    if not index:
        return []
    fields = [(field, getattr(note, field) or "") for field in (*model.NARRATIVE, "location")]
    if not _may_name_another(ctx, index, "\n".join(text for _f, text in fields).casefold(),
                             note.client):
        return []
    out = []
    for field, text in fields:
        if not text:
            continue
        for cid in sorted(_names_in(text, index) - {note.client}):
            out.append(f"the {field} names another person served (client {cid}): a note may name "
                       "only the person it is about; remove the name")
    return out


def _phones_by_client(ctx: CheckContext) -> dict[str, set[str]]:
    """Each client's phone numbers (ten digits), from any field whose name holds 'phone'."""
    cached = ctx.cache.get("phones")
    if cached is not None:
        return cached
    from peerkit.identifiers import phone_digits

    def texts(value, under_phone: bool):
        if isinstance(value, str) and under_phone:
            yield value
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from texts(v, under_phone or "phone" in str(k).lower())
        elif isinstance(value, list):
            for v in value:
                yield from texts(v, under_phone)

    phones = {cid: {d for t in texts(client.extra, False) for d in phone_digits(t)}
              for cid, client in ctx.clients.items()}
    ctx.cache["phones"] = phones
    return phones


def _other_phones(ctx: CheckContext, client_id: str) -> set[str]:
    """The phone numbers of every client but ``client_id`` (once per client and run)."""
    by_client = ctx.cache.setdefault("other_phones", {})
    if client_id not in by_client:
        by_client[client_id] = {d for cid, ds in _phones_by_client(ctx).items()
                                if cid != client_id for d in ds}
    return by_client[client_id]


def identifier_in_narrative(note: Note, ctx: CheckContext):
    """SSN-, Medicaid-ID-shaped text or another client's phone number in the narrative."""
    out = []
    phones = _other_phones(ctx, note.client)
    for field in model.NARRATIVE:
        for what in find_in_text(getattr(note, field) or "", phones):
            out.append(f"the {field} contains {what}: a note never holds identifiers; remove it")
    return out


def _same_session(a: Note, b: Note) -> bool:
    if not (a.is_group and b.is_group):
        return False
    if a.group_id or b.group_id:
        return a.group_id == b.group_id
    return (a.date, a.start, a.end, a.place, a.location) == (b.date, b.start, b.end, b.place, b.location)


def _duplicate_key(n: Note) -> tuple:
    return (n.client, n.date, n.start, n.code)


def _others_same_day(note: Note, ctx: CheckContext) -> list[Note]:
    by_day = ctx.cache.setdefault("by_day", {})
    if note.date not in by_day:
        by_day[note.date] = [n for n in notes_between(ctx, note.date, note.date) if n.status != "void"]
    return [n for n in by_day[note.date] if n.id != note.id]


def overlap(note: Note, ctx: CheckContext):
    out = []
    for other in _others_same_day(note, ctx):
        if _same_session(note, other) or _duplicate_key(other) == _duplicate_key(note):
            continue
        if note.start < other.end and other.start < note.end:
            out.append(f"overlaps note {other.id} ({other.start.strftime('%H:%M')}-"
                       f"{other.end.strftime('%H:%M')}): one peer cannot give two services at once; "
                       "correct the times or void one note")
    return out


def duplicate(note: Note, ctx: CheckContext):
    out = []
    for other in _others_same_day(note, ctx):
        if _duplicate_key(other) == _duplicate_key(note):
            out.append(f"duplicates note {other.id} (same client, date, start and code): void one "
                       "of them ('peerkit note void ID --reason duplicate')")
    return out


def seal_broken(note: Note, ctx: CheckContext):
    return seal_problem(note)


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def signed_late(note: Note, ctx: CheckContext):
    hours = _settings(ctx).deadline_hours
    end = model.service_end(note)
    if note.signed_at is not None:
        if model.is_late(note, note.signed_at, hours):
            return (f"signed {_hours(note.signed_at - end)} after the service (deadline {hours:g} h): "
                    "labelled LATE ENTRY; sign notes within the deadline")
        return None
    if note.status == "draft":
        from peerkit import dates

        now = dates.now()
        if ctx.today is not None and now.date() != ctx.today:
            now = dt.datetime.combine(ctx.today, dt.time(23, 59))
        if now > model.deadline(note, hours):
            return (f"not signed {_hours(now - end)} after the service (deadline {hours:g} h): sign "
                    f"it now ('peerkit note sign {note.id}'); it will be labelled LATE ENTRY")
    return None


def late_entry_label(note: Note, ctx: CheckContext):
    if note.signed_at is None or note.late_entry:
        return None
    if model.is_late(note, note.signed_at, _settings(ctx).deadline_hours):
        return "signed after the deadline but not labelled: set late_entry = true (LATE ENTRY)"
    return None


BUILTIN_CHECKS = [
    NoteCheck("required-elements", "error", required_elements,
              "Date, start/end, place, location, code, goal, purpose, intervention, response and "
              "plan are all present (a warning while the note is a draft)."),
    NoteCheck("narrative-too-short", "error", narrative_too_short,
              "Purpose, intervention and response have at least [notes] min_words words each "
              "(5; a warning while the note is a draft)."),
    NoteCheck("signature", "error", signature,
              "A signed note carries the author's full name (no initials), credentials and the "
              "date signed."),
    NoteCheck("times", "error", times, "The end is after the start and the service is under 24 hours."),
    NoteCheck("goal-in-plan", "error", goal_in_plan,
              "Every goal of the note is a goal of the client's person-centered plan."),
    NoteCheck("goal-active", "error", goal_active,
              "Every goal of the note is active when the note is written and signed."),
    NoteCheck("client-active", "error", client_active,
              "The client is known and active (admitted, not discharged) on the service date."),
    NoteCheck("future-date", "error", future_date, "The service date is not in the future."),
    NoteCheck("authorization", "error", authorization,
              "The service is inside an authorization for its code and modifier and the authorized "
              "units are not exceeded counting this note; without one, the unmanaged units per "
              "fiscal year ([billing] unmanaged_units, 24) are not exceeded."),
    NoteCheck("group-size", "error", group_size,
              "A group note (HQ) gives its group size, at most [notes] max_group_size (12)."),
    NoteCheck("place-allowed", "error", place_allowed,
              "The place of service is one of [notes] allowed_places and never the peer's own "
              "residence."),
    NoteCheck("other-client-name", "error", other_client_name,
              "No other client's name appears in the narrative or location."),
    NoteCheck("identifier-in-narrative", "error", identifier_in_narrative,
              "The narrative holds nothing shaped like an SSN or a Medicaid ID, and no other "
              "client's phone number (a warning while the note is a draft)."),
    NoteCheck("overlap", "error", overlap,
              "Two notes of the peer do not overlap in time (notes of one group session excepted)."),
    NoteCheck("duplicate", "error", duplicate,
              "No other note has the same client, date, start and code."),
    NoteCheck("seal-broken", "error", seal_broken,
              "A signed note's content still matches the seal written when it was signed (or "
              "renewed by its last addendum): no hand edit of a signed note."),
    NoteCheck("signed-late", "warning", signed_late,
              "The note is signed within billing.note_deadline_hours (24) of the service end."),
    NoteCheck("late-entry-label", "error", late_entry_label,
              "A note signed after the deadline is labelled LATE ENTRY (late_entry = true)."),
]
