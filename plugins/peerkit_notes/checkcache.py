"""``note check`` findings that cost nothing when nothing changed (issue 19, speed).

The findings of one ``note check`` run are kept in ``notes/.checks-cache.json``
(:mod:`peerkit.derived`) with everything they were computed from:

* the question: the period, the client filter, today's date;
* the rules' identity: every rule's name, severity and function, and the stat signature of
  every source file of peerkit's core and of the plugin packages that define the rules (an
  upgrade or an edited rule changes them); only when every rule is a built-in one -- a rule
  of another plugin may read anything, so with one the cache is not used at all;
* the stat signature (``peerkit.notecache.signature``: size, mtime, ctime, inode) of
  ``peerkit.toml`` (settings), of every file under ``clients/`` (names, plans, authorizations)
  and ``templates/``, and of every file of every month folder of notes the run read (the
  period and the windows the rules looked at: overlaps, authorizations), with the folders'
  own signatures (a file removed changes its folder).

It is believed only when all of that is identical and nothing in it changed less than
``notecache.RACY_NS`` before the run started (the note cache's "racily clean" rule); else
the notes are checked as before and the cache written again, under the workspace lock only if
it is free (``notecache.write_after_read``).  A run that fails (a broken note) writes nothing.

One rule depends on the clock: ``signed-late`` on a draft ("not signed N hours after the
service").  Its findings on drafts are never taken from the cache: the drafts (ids kept in the
cache) are read and that rule runs on them again, and its findings are put back in their place.
Findings hold note ids, files, rule names and messages that name fields: never narrative.
"""
from __future__ import annotations

import datetime as dt
import os

from peerkit.checks import CheckContext, Finding

NAME = "checks"            # notes/.checks-cache.json (peerkit.derived)
VOLATILE = frozenset({"signed-late"})   # rules whose findings on drafts depend on the clock


def checked_findings(ws, start: dt.date | None, end: dt.date | None, client: str | None,
                     run) -> tuple[list[Finding], int]:
    """``(findings, notes checked)`` of ``run()`` (which returns them and the drafts' ids),
    from the cache when it provably holds them."""
    from peerkit import dates
    from peerkit.derived import remembered

    today = dates.today()
    rules = _rules()
    fresh: dict = {}

    def compute():
        findings, checked, drafts = run()
        fresh["findings"], fresh["checked"] = findings, checked
        order = {nid: i for i, nid in enumerate(dict.fromkeys([f.note for f in findings] + drafts))}
        return ({"checked": checked, "drafts": drafts, "order": order,
                 "findings": [[f.note, f.file, f.rule, f.severity, f.message] for f in findings]},
                rules is not None)

    if rules is None or os.environ.get("PEERKIT_DEBUG"):
        compute()
        return fresh["findings"], fresh["checked"]
    key = {"period": [str(start), str(end)], "client": client, "today": today.isoformat(),
           "rules": rules}
    value = remembered(ws, NAME, key, compute, packages=tuple(sorted({r[2].split(".")[0] for r in rules})))
    if fresh:
        return fresh["findings"], fresh["checked"]
    try:
        findings = [Finding(*item) for item in value["findings"]]
        checked, drafts, order = int(value["checked"]), list(value["drafts"]), dict(value["order"])
        if not all(isinstance(f.note, str) and isinstance(f.message, str) for f in findings) \
                or not all(isinstance(d, str) for d in drafts):
            raise TypeError("not a cached run")
    except (KeyError, TypeError, ValueError, AttributeError):
        compute()   # a cache that cannot be read is not believed
        return fresh["findings"], fresh["checked"]
    if drafts:
        findings = _recheck_drafts(ws, findings, drafts, order, today)
    return findings, checked


def _rules() -> list | None:
    """Every rule's name, severity and function; None when a rule is not a built-in one (a
    rule of another plugin may read anything: then nothing is cached)."""
    from peerkit.context import current_plugins

    plugins = current_plugins()
    rules = []
    for plugin, check in plugins.collect_list("note_checks"):
        info = plugins.info.get(plugin)
        if info is None or info.source != "built-in":
            return None
        fn = check.check
        rules.append([check.name, check.severity, getattr(fn, "__module__", None) or "",
                      getattr(fn, "__qualname__", "")])
    return sorted(rules)


def _recheck_drafts(ws, findings: list[Finding], drafts: list[str], order: dict,
                    today: dt.date) -> list[Finding]:
    """The clock-dependent rules run again on the drafts; their findings put back in place."""
    from peerkit.context import current_plugins
    from peerkit_notes.checks import check_note, collect_checks

    checks = collect_checks(current_plugins())
    rank = {c.name: i for i, c in enumerate(checks)}
    volatile = [c for c in checks if c.name in VOLATILE]
    ctx = CheckContext(workspace=ws, clients=ws.clients(), today=today, settings=ws.section("notes"))
    ctx.cache.update(signing=False, overrides={}, months={})
    keep = set(drafts)
    out = [f for f in findings if not (f.note in keep and f.rule in VOLATILE)]
    for note_id in drafts:
        out += check_note(ws, ws.note(note_id), volatile, ctx)
    return sorted(out, key=lambda f: (order.get(f.note, len(order)), rank.get(f.rule, len(rank))))


# ---------------------------------------------------------------- the export's findings

EXPORT_NAME = "export-checks"   # notes/.export-checks-cache.json (peerkit.derived)
# Rules whose findings depend on the clock (today's date, or the time now): never kept; they
# run again on every note each time (they look at the note alone, so that costs little).
CLOCK = frozenset({"future-date", "signed-late"})
FAILED = "the check failed to run"   # how check_note words a rule that raised (never kept)


def period_findings(ws, notes: list, today: dt.date,
                    period: tuple[dt.date | None, dt.date | None]) -> list[Finding]:
    """The findings of ``run_checks(ws, notes, today=today, complete=period)`` -- ``notes``
    being every note of ``ws`` in ``period`` -- for ``peerkit note export``.

    Every rule but the clock's (:data:`CLOCK`) is kept in ``notes/.export-checks-cache.json``
    (:mod:`peerkit.derived`) for the period, with what it was computed from (settings,
    clients, templates, the note files of every month folder the rules read, the rules' code),
    and not with today's date: the clock's rules run again on every note.  Nothing is kept
    when a rule is not a built-in one (it may read anything), when a rule failed to run, or
    when a note cannot be read (the error stops the export as before)."""
    from peerkit.derived import remembered
    from peerkit_notes.checks import run_checks

    rules = _rules()
    if rules is None or os.environ.get("PEERKIT_DEBUG"):
        return run_checks(ws, notes, today=today, complete=period)
    fresh: list[Finding] = []

    def compute():
        ws.notes(*period)   # the period's month folders are watched even when seeded below
        fresh.extend(run_checks(ws, notes, today=today, complete=period, skip=CLOCK))
        kept = [[f.note, f.file, f.rule, f.severity, f.message] for f in fresh]
        return {"findings": kept}, not any(f.message.startswith(FAILED) for f in fresh)

    key = {"period": [str(period[0]), str(period[1])], "rules": rules, "skip": sorted(CLOCK)}
    value = remembered(ws, EXPORT_NAME, key, compute,
                       packages=tuple(sorted({r[2].split(".")[0] for r in rules})))
    found = fresh
    if not fresh:
        try:
            found = [Finding(*item) for item in value["findings"]]
            if not all(isinstance(x, str) for f in found for x in (f.note, f.file, f.rule,
                                                                   f.severity, f.message)):
                raise TypeError("not a kept answer")
        except (KeyError, TypeError, ValueError):   # not what peerkit wrote: never believed
            found = run_checks(ws, notes, today=today, complete=period, skip=CLOCK)
    return _with_clock_rules(ws, notes, found, today)


def _with_clock_rules(ws, notes: list, findings: list[Finding], today: dt.date) -> list[Finding]:
    """``findings`` (every rule but the clock's) with the clock's rules' findings on every
    checked note, in ``run_checks``' order: by note (date, id), then by rule."""
    from peerkit.context import current_plugins
    from peerkit_notes.checks import check_note, collect_checks

    checks = collect_checks(current_plugins())
    rank = {c.name: i for i, c in enumerate(checks)}
    clock = [c for c in checks if c.name in CLOCK]
    checked = sorted((n for n in notes if n.status != "void"), key=lambda n: (n.date, n.id))
    place = {n.id: i for i, n in enumerate(checked)}
    out = list(findings)
    if clock and checked:
        ctx = CheckContext(workspace=ws, clients=ws.clients(), today=today,
                           settings=ws.section("notes"))
        ctx.cache.update(signing=False, overrides={}, months={})
        for note in checked:
            out += check_note(ws, note, clock, ctx)
    return sorted(out, key=lambda f: (place.get(f.note, len(place)), rank.get(f.rule, len(rank))))
