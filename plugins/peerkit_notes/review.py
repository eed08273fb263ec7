"""Supervisor review through Excel: many workspaces' notes out to one workbook, decisions back.

``export_review`` streams the notes of each workspace (one at a time, one month folder at
a time) into a workbook written by xlsxwriter in constant-memory mode
(:mod:`peerkit.xlsx_writer`):

* sheet ``Notes`` -- the header row, then one row per note, ending with a content
  ``Fingerprint``, an empty ``Decision`` column restricted to approved/denied by a
  data-validation list, a ``Reason`` column and a hidden ``Exported state`` column (the
  note's status and the time of its last review decision when it was exported: a row
  whose note has since changed status or received a newer decision is refused on import,
  so an older workbook can never undo a newer decision);
* sheet ``Summary`` -- one row per workspace (peer): notes, minutes, units, error and
  warning findings, and a total row of live ``SUM`` formulas;
* a hidden sheet ``peerkit`` -- the format version, whether the export was de-identified,
  and the absolute path of each exported workspace (``import_review`` writes decisions
  back there).

``import_review`` reads a workbook back through :mod:`peerkit.excel`'s guarded reader,
checks the header row exactly, validates every decided row (unknown note, value outside
the list, note changed since the export, note not reviewable, denial without a reason)
and writes nothing at all unless every decided row is valid.  Writing takes every
affected workspace's lock first and re-checks each row under the locks.

Messages name files, rows, columns and record ids only -- never names or narrative.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerkit import dates, storage
from peerkit.errors import DataError, PeerkitError, UsageError
from peerkit.records import id_problem
from peerkit.validate import clean_text

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.records import Note
    from peerkit.workspace import Workspace

FORMAT = "peerkit-review/2"
NOTES_SHEET = "Notes"
SUMMARY_SHEET = "Summary"
META_SHEET = "peerkit"
NOTICE_SHEET = "Notice"          # the confidentiality notice (docs/security.md)
META_HEADER = ["Kind", "Key", "Value"]

DECISIONS = ("approved", "denied")
REVIEWABLE = ("signed", "submitted", "approved", "denied")
DEFAULT_EXPORT_STATUSES = REVIEWABLE
MAX_REASON_CHARS = 2000
MAX_REVIEWER_CHARS = 120
PSEUDONYM_KEY = (".peerkit", "pseudonym.key")
# Names openpyxl/peerkit put in lastModifiedBy: they say nothing about who reviewed.
_TOOL_AUTHORS = {"", "peerkit", "openpyxl"}


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    identifying: bool = False   # dropped from a --deidentify export
    review: bool = False        # only in a review (identified) export
    hidden: bool = False        # written but hidden (peerkit's own bookkeeping)


COLUMNS: tuple[Column, ...] = (
    Column("Note", 24),
    Column("Peer", 20),
    Column("Workspace", 16),
    Column("Client", 12),
    Column("Client name", 22, identifying=True),
    Column("Date", 12),
    Column("Start", 8),
    Column("End", 8),
    Column("Minutes", 9),
    Column("Units", 7),
    Column("Code", 8),
    Column("Modifier", 9),
    Column("Goals", 36),
    Column("Place", 14),
    Column("Location", 24, identifying=True),
    Column("Purpose", 40, identifying=True),
    Column("Intervention", 40, identifying=True),
    Column("Response", 40, identifying=True),
    Column("Plan", 40, identifying=True),
    Column("Status", 10),
    Column("Late entry", 10),
    Column("Findings", 50),
    Column("Fingerprint", 18, identifying=True),
    Column("Decision", 12, review=True),
    Column("Reason", 40, review=True),
    Column("Exported state", 30, review=True, hidden=True),
)

SUMMARY_HEADER = ["Peer", "Workspace", "Notes", "Minutes", "Units", "Error findings", "Warnings"]
SUMMARY_WIDTHS = [22, 18, 8, 10, 8, 14, 10]


def columns(deidentified: bool = False) -> list[Column]:
    if deidentified:
        return [c for c in COLUMNS if not c.identifying and not c.review]
    return list(COLUMNS)


def headers(deidentified: bool = False) -> list[str]:
    """The exact header row of the ``Notes`` sheet."""
    return [c.header for c in columns(deidentified)]


# --------------------------------------------------------------------------- fingerprint


def _canon(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    return value


def fingerprint(note: Note) -> str:
    """sha256 of the note's canonical content.

    Everything the peer wrote or signed counts (times, narrative, goals, signature,
    addenda...); ``status``, ``submitted_at`` and the ``[review]`` table do not, since
    import-review and ``note submit`` write them -- so a second import of the same sheet
    still matches, and a peer may submit notes after the supervisor exported them.
    """
    data = note.to_dict()
    for workflow_key in ("status", "review", "submitted_at"):
        data.pop(workflow_key, None)
    text = json.dumps(_canon(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def review_state(note: Note) -> str:
    """``status=<status>;decided=<time of the last decision or ->``: stamped on each row at
    export and compared on import (see :func:`stale_problem`)."""
    at: Any = (note.review or {}).get("at")
    at_text = at.isoformat() if hasattr(at, "isoformat") else (str(at) if at else "-")
    return f"status={note.status};decided={at_text}"


def _parse_state(text: str) -> tuple[str, str] | None:
    parts = dict(p.partition("=")[::2] for p in text.split(";"))
    if set(parts) != {"status", "decided"}:
        return None
    return parts["status"], parts["decided"]


# A peer may submit a signed note after the export: the supervisor still saw the same note.
_ALLOWED_MOVES = {("signed", "submitted")}


def stale_problem(note: Note, stamped: str) -> str | None:
    """Why a row exported with state ``stamped`` may no longer decide ``note``, or None."""
    then = _parse_state(stamped)
    if then is None:
        return ("the hidden 'Exported state' cell is empty or was changed; export the notes "
                "again")
    now = _parse_state(review_state(note))
    assert now is not None  # review_state writes what _parse_state reads
    now_status, now_decided = now
    status, decided = then
    if decided != now_decided:
        return (f"received a newer review decision ({now_status}, {now_decided}) after this "
                f"workbook was exported ({status}); export it again -- an older workbook "
                "cannot undo a newer decision")
    if status != now_status and (status, now_status) not in _ALLOWED_MOVES:
        return (f"changed from {status} to {now_status} after this workbook was exported; "
                "export it again")
    return None


# --------------------------------------------------------------------------- pseudonyms


class Pseudonyms:
    """Stable pseudonyms for one workspace: HMAC-SHA256 keyed by a secret of the workspace.

    The key (32 random bytes, hex) lives in ``.peerkit/pseudonym.key`` (0600), created on
    first use; the same workspace gives the same pseudonyms in every export, and nobody
    without the key can link a pseudonym back to an id by guessing.
    """

    def __init__(self, key: bytes):
        self.key = key

    @classmethod
    def for_workspace(cls, ws: Workspace) -> Pseudonyms:
        path = ws.path(*PSEUDONYM_KEY)
        if not path.is_file():
            with ws.lock():
                if not path.is_file():
                    storage.ensure_dir(path.parent)
                    storage.atomic_write_text(path, secrets.token_hex(32) + "\n")
        text = storage.read_text(path).strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) < 16:
            raise DataError(ws.rel(path), "is not a pseudonym key (64 hex digits); delete it to "
                                          "create a new one (pseudonyms will change)")
        return cls(key)

    def _h(self, kind: str, value: str, n: int) -> str:
        return hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:n].upper()

    def note(self, note_id: str) -> str:
        return "N-" + self._h("note", note_id, 12)

    def client(self, client_id: str) -> str:
        return "C-" + self._h("client", client_id, 10)

    def peer(self) -> str:
        return "P-" + self._h("peer", "", 8)

    def workspace(self) -> str:
        return "W-" + self._h("workspace", "", 8)


# --------------------------------------------------------------------------- export


@dataclass
class PeerSummary:
    peer: str
    workspace: str
    path: Path
    notes: int = 0
    minutes: int = 0
    units: int = 0
    errors: int = 0
    warnings: int = 0


@dataclass
class ExportResult:
    path: Path
    notes: int
    peers: list[PeerSummary]
    deidentified: bool


def _run_checks(ws: Workspace, notes: list[Note], today: dt.date, complete) -> list:
    """``note check``'s findings; ``notes`` is every note of ``ws`` in ``complete``.  Kept
    from the last export of the same period while nothing they depend on changed (the clock's
    rules run again): ``checkcache.period_findings``."""
    from peerkit_notes.checkcache import period_findings

    return period_findings(ws, notes, today, complete)


def _workspace_keys(workspaces: list[Workspace]) -> list[str]:
    keys: list[str] = []
    for ws in workspaces:
        base = ws.root.name or "workspace"
        key, n = base, 2
        while key in keys:
            key, n = f"{base}-{n}", n + 1
        keys.append(key)
    return keys


def _findings_text(findings: list, deidentified: bool) -> str:
    if deidentified:  # messages may mention ids; keep severity and rule only
        return "\n".join(f"{f.severity} {f.rule}" for f in findings)
    return "\n".join(f"{f.severity} {f.rule}: {f.message}" for f in findings)


def export_review(workspaces: list[Workspace], out: Path | str, *,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  statuses: Iterable[str] = DEFAULT_EXPORT_STATUSES, deidentify: bool = False,
                  today: dt.date | None = None, progress: bool = True) -> ExportResult:
    """Write the review workbook for ``workspaces`` to ``out``; audit each workspace.

    Written with xlsxwriter in constant-memory mode (``peerkit.xlsx_writer``): what goes in each
    cell is decided here, as plain values (text is always a text cell); the writer only stores
    them."""
    from peerkit.xlsx_writer import StreamingWorkbook

    out = Path(out)
    if not workspaces:
        raise UsageError("no workspace to export")
    keys = _workspace_keys(workspaces)
    job = _RowsJob(workspaces, keys, columns(deidentify), date_from, date_to, tuple(statuses),
                   deidentify, today or dates.today())
    with StreamingWorkbook(out) as wb:
        sheet = wb.add_sheet(NOTES_SHEET)
        summary_sheet = wb.add_sheet(SUMMARY_SHEET)
        meta = wb.add_sheet(META_SHEET)
        meta.hide()
        peers, exported_ids = _write_notes_sheet(sheet, job, progress)
        _write_summary_sheet(summary_sheet, peers)
        # Hidden sheet: what import-review needs to find each workspace again.
        for meta_row in _meta_rows(workspaces, keys, deidentify):
            meta.append(meta_row)
        if not deidentify:
            _plugin_sheets(wb, workspaces, keys, date_from, date_to)
        _notice_sheet(wb, workspaces)
        # the audit entries before the file takes its name: if one cannot be written, the
        # workbook is discarded (no PHI file without its entry)
        shown = str(out.resolve())
        for ws, ids in zip(workspaces, exported_ids, strict=True):
            ws.audit("note export", records=ids, output=shown,
                     action="deidentified" if deidentify else "review")
    return ExportResult(path=out, notes=sum(len(ids) for ids in exported_ids), peers=peers,
                        deidentified=deidentify)


def _write_notes_sheet(sheet, job: _RowsJob, progress: bool) -> tuple[list[PeerSummary], list[list[str]]]:
    """The ``Notes`` sheet: header, one row per note (workspace by workspace), filter and the
    Decision list; returns each workspace's summary and the ids of the notes it exported."""
    from peerkit.output import progress as progress_bar

    cols = job.cols
    sheet.freeze_header()
    sheet.set_widths([c.width for c in cols], hidden=[i for i, c in enumerate(cols) if c.hidden])
    sheet.append([c.header for c in cols], bold=True)
    peers: list[PeerSummary] = []
    exported_ids: list[list[str]] = []
    row = 1
    for summary, rows in _each_workspace_rows(job):
        ids: list[str] = []
        label = f"Exporting {summary.workspace}"
        with progress_bar(rows, length=len(rows), label=label, enabled=progress) as items:
            for note_id, cells in items:
                sheet.append(cells, checked=True)
                row += 1
                ids.append(note_id)
        peers.append(summary)
        exported_ids.append(ids)
    sheet.autofilter(max(row, 1), len(cols))
    if not job.deidentify:
        decision = [c.header for c in cols].index("Decision")
        sheet.list_validation(decision, 2, max(row, 2), DECISIONS, title="Decision",
                              error="Choose approved or denied, or leave the cell blank.",
                              prompt="approved or denied (blank = no decision yet)")
    return peers, exported_ids


def _write_summary_sheet(sheet, peers: list[PeerSummary]) -> None:
    """The ``Summary`` sheet: one row per workspace, then live totals (their values precomputed)."""
    from peerkit.xlsx_writer import Formula

    sheet.freeze_header()
    sheet.set_widths(SUMMARY_WIDTHS)
    sheet.append(SUMMARY_HEADER, bold=True)
    for p in peers:
        sheet.append(_summary_cells(p))
    first, last = 2, len(peers) + 1
    total_row: list[Any] = ["Total", None]
    for i in range(3, len(SUMMARY_HEADER) + 1):
        letter = _column_letter(i)
        computed = sum(_summary_cells(p)[i - 1] for p in peers)
        total_row.append(Formula(f"=SUM({letter}{first}:{letter}{last})", computed))
    sheet.append(total_row)
    sheet.autofilter(last, len(SUMMARY_HEADER))


def _plugin_sheets(wb, workspaces: list[Workspace], keys: list[str], start, end) -> None:
    """Sheets other plugins add through ``review_sheets`` (activities...), one per title, the
    rows of every workspace after a "Workspace" column."""
    from peerkit.context import current_plugins

    sheets: dict[str, tuple[list[str], list[list]]] = {}
    for ws, key in zip(workspaces, keys, strict=True):
        for _plugin, item in current_plugins().collect_list("review_sheets", workspace=ws,
                                                            start=start, end=end):
            title = str(item["title"])
            headers, rows = sheets.setdefault(title, (list(item["headers"]), []))
            rows.extend([key, *row] for row in item["rows"])
    for title, (headers, rows) in sorted(sheets.items()):
        if title in (NOTES_SHEET, SUMMARY_SHEET, META_SHEET, NOTICE_SHEET):
            raise PeerkitError(f"a plugin's review sheet is named {title!r}, which peerkit uses")
        sheet = wb.add_sheet(title)
        sheet.freeze_header()
        sheet.append(["Workspace", *headers], bold=True, where=lambda c: "a header")
        for row in rows:
            sheet.append(row, where=lambda c, t=title: f"sheet {t!r}")


def _notice_sheet(wb, workspaces: list[Workspace]) -> None:
    """A "Notice" sheet with each workspace's confidentiality (and Part 2) notice, once each."""
    from peerkit import notices

    sheet = wb.add_sheet(NOTICE_SHEET)
    sheet.set_widths([120])
    seen: list[str] = []
    for ws in workspaces:
        for text in notices.notices_for(ws):
            if text not in seen:
                seen.append(text)
                sheet.append([text], where=lambda c: "notice")


@dataclass
class _RowsJob:
    workspaces: list
    keys: list[str]
    cols: list[Column]
    date_from: dt.date | None
    date_to: dt.date | None
    statuses: tuple
    deidentify: bool
    today: dt.date


def _workspace_rows(job: _RowsJob, i: int) -> tuple[PeerSummary, list[tuple[str, list[Any]]]]:
    """One workspace's summary and rows ``(note id, cells)``: loading, checks, fingerprints."""
    from peerkit.units import units_by_note

    ws, key, cols = job.workspaces[i], job.keys[i], job.cols
    pseudo = Pseudonyms.for_workspace(ws) if job.deidentify else None
    peer_name = str(ws.provider.get("name", "") or "")
    summary = PeerSummary(peer=pseudo.peer() if pseudo else peer_name,
                          workspace=pseudo.workspace() if pseudo else key, path=ws.root)
    rule = ws.unit_rule
    clients = ws.clients()
    # One workspace's notes at a time: the checks need them together (overlaps,
    # duplicates, authorization totals), and each month is then read only once.
    in_range = list(ws.notes(job.date_from, job.date_to))
    wanted = [n for n in in_range if n.status in job.statuses]
    # units from every note of the range (a day's bundle is the same in every view)
    units = units_by_note(in_range, rule)
    by_note: dict[str, list] = {}
    if wanted:
        for finding in _run_checks(ws, in_range, job.today, (job.date_from, job.date_to)):
            by_note.setdefault(finding.note, []).append(finding)
    del in_range
    rows: list[tuple[str, list[Any]]] = []
    for note in wanted:
        findings = by_note.get(note.id, [])
        client = clients.get(note.client)
        n_units = units.get(note.id, 0)
        if pseudo:
            goals = ", ".join(note.goals)
        else:
            parts = []
            for gid in note.goals:
                goal = client.goal(gid) if client else None
                parts.append(f"{gid}: {goal.text}" if goal else f"{gid}: (not in the plan)")
            goals = "; ".join(parts)
        values: dict[str, Any] = {
            "Note": pseudo.note(note.id) if pseudo else note.id,
            "Peer": summary.peer,
            "Workspace": summary.workspace,
            "Client": pseudo.client(note.client) if pseudo else note.client,
            "Client name": client.name if client else "",
            "Date": note.date, "Start": note.start, "End": note.end,
            "Minutes": note.minutes, "Units": n_units,
            "Code": note.code, "Modifier": note.modifier, "Goals": goals,
            "Place": note.place, "Location": note.location,
            "Purpose": note.purpose, "Intervention": note.intervention,
            "Response": note.response, "Plan": note.plan, "Status": note.status,
            "Late entry": "yes" if note.late_entry else "no",
            "Findings": _findings_text(findings, bool(pseudo)),
            "Fingerprint": fingerprint(note),
            "Decision": None, "Reason": None,
            "Exported state": review_state(note),
        }
        rows.append((note.id, _note_cells(cols, values, note.id)))
        summary.notes += 1
        summary.minutes += note.minutes
        summary.units += n_units
        summary.errors += sum(1 for f in findings if f.severity == "error")
        summary.warnings += sum(1 for f in findings if f.severity == "warning")
    ws.forget_notes()  # stream: hold one workspace's notes at a time
    return summary, rows


# Two workers and this process (the writer) share two cores: computing a workspace's rows costs
# a little more than writing them, so one worker alone would keep the writer waiting.
WORKERS = 2
AHEAD = 3      # workspaces computed ahead of the one being written (bounds memory)
_JOB: _RowsJob | None = None   # the export job a forked worker process computes rows for


def _worker_rows(i: int):
    """In a worker process: ("ok", rows) or ("error", exit code, one-line message)."""
    from peerkit.errors import PeerkitError

    assert _JOB is not None  # set by the parent before it forks the workers
    try:
        return ("ok", _workspace_rows(_JOB, i))
    except PeerkitError as exc:
        return ("error", exc.exit_code, exc.message)
    except Exception as exc:  # noqa: BLE001 - its text may hold PHI: the type only
        return ("crash", type(exc).__name__, "")


def _each_workspace_rows(job: _RowsJob):
    """Each workspace's (summary, rows), in order.  With several workspaces and a second core,
    a forked worker process computes the next workspaces' rows (at most two ahead) while this
    process writes; ``PEERKIT_EXPORT_JOBS=1`` (or no ``fork``) computes them here."""
    import multiprocessing

    from peerkit.errors import PeerkitError

    n = len(job.workspaces)
    serial = (n < 2 or (os.cpu_count() or 1) < 2 or os.environ.get("PEERKIT_EXPORT_JOBS") == "1"
              or "fork" not in multiprocessing.get_all_start_methods())
    if serial:
        for i in range(n):
            yield _workspace_rows(job, i)
        return
    global _JOB
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
            pending = [pool.apply_async(_worker_rows, (i,)) for i in range(min(AHEAD, n))]
            for i in range(n):
                outcome = pending.pop(0).get()
                if i + AHEAD < n:
                    pending.append(pool.apply_async(_worker_rows, (i + AHEAD,)))
                if outcome[0] == "error":
                    raise PeerkitError(outcome[2], exit_code=outcome[1])
                if outcome[0] == "crash":
                    raise RuntimeError(f"export worker failed ({outcome[1]})")
                yield outcome[1]
    finally:
        _JOB = None


def _note_cells(cols: list[Column], values: dict[str, Any], note_id: str) -> list[Any]:
    """One note's row: dates, times and counts typed, everything else text (or empty), the
    text already cleaned and length-checked (``checked_text``) where the row is computed."""
    from peerkit.xlsx_writer import checked_text

    cells: list[Any] = []
    for col in cols:
        value = values[col.header]
        if value is None or col.header in ("Date", "Start", "End", "Minutes", "Units"):
            cells.append(value)
        else:
            cells.append(checked_text(str(value), f"note {note_id} column '{col.header}'"))
    return cells


def _summary_cells(p: PeerSummary) -> list[Any]:
    return [p.peer, p.workspace, p.notes, p.minutes, p.units, p.errors, p.warnings]


def _meta_rows(workspaces: list[Workspace], keys: list[str], deidentify: bool) -> list[list[Any]]:
    rows: list[list[Any]] = [list(META_HEADER), ["format", None, FORMAT],
                             ["deidentified", None, "yes" if deidentify else "no"]]
    if not deidentify:  # paths can name the peer; a de-identified sheet cannot be imported anyway
        for key, ws in zip(keys, workspaces, strict=True):
            rows.append(["workspace", key, str(ws.root.resolve())])
    return rows


def _column_letter(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA."""
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def export_with_plugin(name: str, exporter, workspaces: list[Workspace], out: Path | str, *,
                       date_from: dt.date | None = None, date_to: dt.date | None = None,
                       statuses: Iterable[str] = DEFAULT_EXPORT_STATUSES) -> int:
    """Export through a plugin's ``note_exporters`` format; audit each workspace.

    The exporter is called as ``export(rows, out_path, options=options)``: ``rows`` yields
    ``(note, workspace)`` pairs one at a time (workspace by workspace, in file order);
    ``options`` is ``{"format", "date_from", "date_to", "statuses"}``.  It writes
    ``out_path`` itself (atomically: ``peerkit.storage.atomic_path``).
    """
    from peerkit.errors import PeerkitError

    out = Path(out)
    statuses = tuple(statuses)
    ids: list[list[str]] = [[] for _ in workspaces]

    def rows():
        for i, ws in enumerate(workspaces):
            for note in ws.notes(date_from, date_to):
                if note.status in statuses:
                    ids[i].append(note.id)
                    yield note, ws

    options = {"format": name, "date_from": date_from, "date_to": date_to, "statuses": statuses}

    def audit_each(path: Path) -> None:  # before the file takes its name
        shown = str(path.resolve())
        for ws, done in zip(workspaces, ids, strict=True):
            ws.audit("note export", records=done, output=shown, action=f"format {name}")

    # The exporter writes a temp file next to ``out``; it becomes ``out`` after the audit.
    with storage.atomic_path(out, before_replace=audit_each) as tmp:
        try:
            exporter(rows(), tmp, options=options)
        except PeerkitError:
            raise
        except Exception as exc:  # noqa: BLE001 - the text may hold PHI
            raise PeerkitError(f"note exporter {name!r} failed ({type(exc).__name__}); run again "
                               "with PEERKIT_DEBUG=1 to see the error") from None
    return sum(len(d) for d in ids)


# --------------------------------------------------------------------------- import


@dataclass
class RowResult:
    row: int
    note: str | None
    workspace: str | None
    decision: str | None
    result: str            # recorded | unchanged | refused | would record | not written
    problem: str = ""
    peer: str = ""         # the workspace's [provider] name
    old_status: str = ""   # the note's status before the import ("" when unknown)
    new_status: str = ""   # its status after (or after a real run, for --dry-run)

    def where(self) -> str:
        if not self.workspace:
            return ""
        return f" -- workspace {self.workspace}" + (f" ({self.peer})" if self.peer else "")

    def line(self) -> str:
        who = f"note {self.note}: " if self.note else ""
        if self.result == "refused":
            return f"row {self.row}: {who}{self.problem}{self.where()}"
        change = (f"{self.old_status} -> {self.new_status}" if self.old_status
                  else str(self.decision))
        return f"row {self.row}: {who}{change} ({self.result}){self.where()}"

    def as_json(self) -> dict:
        return {"row": self.row, "note": self.note, "workspace": self.workspace,
                "peer": self.peer or None, "decision": self.decision,
                "old_status": self.old_status or None, "new_status": self.new_status or None,
                "result": self.result, "problem": self.problem or None}


@dataclass
class ImportReport:
    path: Path
    reviewer: str
    rows: list[RowResult] = field(default_factory=list)
    blank: int = 0
    written: bool = False
    dry_run: bool = False

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if r.result == "refused"]

    def count(self, result: str) -> int:
        return sum(1 for r in self.rows if r.result == result)

    def peer_summary(self) -> list[str]:
        """One line per workspace (peer): decisions recorded, unchanged and refused rows."""
        by_ws: dict[str, list[RowResult]] = {}
        for r in self.rows:
            by_ws.setdefault(r.workspace or "(unknown workspace)", []).append(r)
        lines = []
        for key in sorted(by_ws):
            rows = by_ws[key]
            peer = next((r.peer for r in rows if r.peer), "")
            done = [r for r in rows if r.result in ("recorded", "would record")]
            verb = "would record" if self.dry_run else "recorded"
            lines.append(
                f"workspace {key}" + (f" ({peer})" if peer else "") + ": "
                f"{sum(1 for r in done if r.decision == 'approved')} approved and "
                f"{sum(1 for r in done if r.decision == 'denied')} denied {verb}, "
                f"{sum(1 for r in rows if r.result == 'unchanged')} unchanged, "
                f"{sum(1 for r in rows if r.result == 'refused')} refused")
        return lines


@dataclass
class _Decided:
    row: int
    note_id: str | None
    key: str | None
    fingerprint: str
    decision: str | None
    reason: str
    problem: str = ""
    ws_root: Path | None = None
    state: str = ""
    peer: str = ""
    old_status: str = ""

    def target(self) -> tuple[Path, str]:
        """(workspace root, note id) of a row read without a problem: both are set for those."""
        assert self.ws_root is not None and self.note_id is not None, "a row with a problem has no target"
        return self.ws_root, self.note_id


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value)).strip()


def _header_problem(found: list[Any], expected: list[str]) -> str | None:
    """Why the header row is not exactly ``expected`` (naming the column), or None."""
    from openpyxl.utils import get_column_letter

    names = [_text(v) for v in found]
    while names and not names[-1]:
        names.pop()
    if names == expected:
        return None

    def show(name: str) -> str:
        return repr(name if len(name) <= 40 else name[:37] + "...")

    for i, name in enumerate(names):
        if name and name not in expected:
            if len(names) > len(expected) or i >= len(expected):
                return f"extra column {show(name)} (column {get_column_letter(i + 1)})"
            return (f"column {get_column_letter(i + 1)} is {show(name)} where "
                    f"{expected[i]!r} was expected (a renamed column)")
    missing = [e for e in expected if e not in names]
    if missing:
        return f"missing column {missing[0]!r}"
    if len(names) > len(expected):
        extra = len(expected)
        return f"extra column {show(names[extra])} (column {get_column_letter(extra + 1)})"
    for i, name in enumerate(names):
        if name != expected[i]:
            return (f"column {get_column_letter(i + 1)} is {show(name)} where {expected[i]!r} "
                    "was expected (columns were moved)")
    return "the header row is not the one peerkit exported"


def _read_meta(path: Path, wb) -> dict[str, Path]:
    """The exported workspaces' folders by their key, from the hidden sheet (checked: format,
    not de-identified)."""
    from peerkit.excel import iter_rows

    where = storage.display_path(path)
    if META_SHEET not in wb.sheetnames:
        raise DataError(where, f"has no hidden '{META_SHEET}' sheet: it was not written by "
                               "'peerkit note export' (export the notes again)")
    fmt = None
    deidentified = None
    paths: dict[str, Path] = {}
    for r, values in iter_rows(path, wb[META_SHEET], max_rows=10_000, max_cols=3):
        values = (list(values) + [None, None, None])[:3]
        kind, key, value = (_text(v) for v in values)
        if r == 1:
            if [kind, key, value] != META_HEADER:
                raise DataError(where, f"sheet '{META_SHEET}' was changed; export the notes again")
            continue
        if kind == "format":
            fmt = value
        elif kind == "deidentified":
            deidentified = value == "yes"
        elif kind == "workspace" and key:
            paths[key] = Path(value)
    if fmt != FORMAT:
        raise DataError(where, f"sheet '{META_SHEET}' does not say format {FORMAT}; export the notes "
                               "again with this version of peerkit")
    if deidentified:
        raise DataError(where, "was exported with --deidentify, so its rows cannot be matched to "
                               "notes; export again without --deidentify to record decisions")
    return paths


def _workbook_reviewer(wb) -> str:
    try:
        name = wb.properties.lastModifiedBy or ""
    except Exception:  # noqa: BLE001 - properties are optional
        name = ""
    name = _text(name)
    return "" if name.lower() in _TOOL_AUTHORS else name


def _read_decisions(path: Path) -> tuple[list[_Decided], int, str]:
    """(decided rows, blank rows, reviewer named by the workbook) from a review workbook."""
    from peerkit.excel import open_workbook

    where = storage.display_path(path)
    wb = open_workbook(path)
    try:
        if NOTES_SHEET not in wb.sheetnames:
            raise DataError(where, f"has no sheet '{NOTES_SHEET}' (was it renamed?); "
                                   "export the notes again")
        paths = _read_meta(path, wb)
        decided, blank = _read_notes_sheet(path, wb[NOTES_SHEET], paths)
        return decided, blank, _workbook_reviewer(wb)
    finally:
        close = getattr(wb, "close", None)
        if close:
            close()


def _read_notes_sheet(path: Path, sheet, paths: dict[str, Path]) -> tuple[list[_Decided], int]:
    """(decided rows, blank rows) of the ``Notes`` sheet, its header checked exactly."""
    from peerkit.excel import iter_rows

    where = storage.display_path(path)
    expected = headers(False)
    decision = expected.index("Decision")
    decided: list[_Decided] = []
    blank = 0
    header_seen = False
    for r, values in iter_rows(path, sheet, max_cols=len(expected) + 50):
        if r == 1:
            problem = _header_problem(values, expected)
            if problem:
                raise DataError(where, f"sheet '{NOTES_SHEET}': {problem}; the columns must "
                                       "stay exactly as exported")
            header_seen = True
            continue
        cells = list(values) + [None] * max(0, len(expected) - len(values))
        if all(_text(v) == "" for v in cells):
            continue
        extra = [i for i in range(len(expected), len(cells)) if _text(cells[i])]
        if not _text(cells[decision]) and not extra:
            blank += 1
            continue
        decided.append(_decided_row(r, cells, extra, paths))
    if not header_seen:
        raise DataError(where, f"sheet '{NOTES_SHEET}' is empty (no header row)")
    return decided, blank


def _decided_row(r: int, cells: list[Any], extra: list[int], paths: dict[str, Path]) -> _Decided:
    """Row ``r`` with a decision (or cells outside the exported columns, the 0-based ``extra``):
    what it decides, or the problem that refuses it."""
    from openpyxl.utils import get_column_letter

    col = {h: i for i, h in enumerate(headers(False))}
    decision_raw = cells[col["Decision"]]
    decision_text = _text(decision_raw)
    note_id = _text(cells[col["Note"]]) or None
    if note_id and id_problem(note_id):
        note_id = None
    item = _Decided(row=r, note_id=note_id, key=_text(cells[col["Workspace"]]) or None,
                    fingerprint=_text(cells[col["Fingerprint"]]).lower(),
                    decision=None, reason=_text(cells[col["Reason"]]),
                    state=_text(cells[col["Exported state"]]))
    if extra:
        item.problem = (f"cell {get_column_letter(extra[0] + 1)}{r} is outside the "
                        "exported columns; clear it")
    elif not isinstance(decision_raw, str) or decision_text.lower() not in DECISIONS:
        item.problem = "Decision must be 'approved' or 'denied' (or blank for no decision)"
    elif note_id is None:
        item.problem = "the Note cell is empty or not a valid note id"
    elif item.key not in paths:
        item.problem = "the Workspace cell names no exported workspace"
    else:
        item.decision = decision_text.lower()
        item.ws_root = paths[item.key]
        if item.decision == "denied" and not item.reason:
            item.problem = "a denial needs a Reason (the peer must know what to fix)"
        elif len(item.reason) > MAX_REASON_CHARS:
            item.problem = f"the Reason is longer than {MAX_REASON_CHARS} characters"
    return item


def _check_note(item: _Decided, ws: Workspace) -> tuple[Note | None, str]:
    """The note on disk for a decided row, or a problem."""
    try:
        note = ws.note(item.target()[1])
    except DataError as exc:
        if "unknown note id" in str(exc):
            return None, f"unknown note id (not in workspace {ws.root})"
        return None, f"cannot be read: {exc}"
    item.old_status = note.status
    if note.status not in REVIEWABLE:
        return note, (f"is {note.status}; only {', '.join(REVIEWABLE[:-1])} or "
                      f"{REVIEWABLE[-1]} notes can be reviewed")
    if fingerprint(note) != item.fingerprint:
        return note, "changed after export (fingerprint differs); export it again"
    if _same(note, item):  # this very decision is recorded already (a second import)
        return note, ""
    stale = stale_problem(note, item.state)
    if stale:
        return note, stale
    return note, ""


def _same(note: Note, item: _Decided) -> bool:
    review = note.review or {}
    return (note.status == item.decision and review.get("decision") == item.decision
            and (review.get("reason") or "") == item.reason)


def _validate(decided: list[_Decided], workspaces: dict[Path, Workspace]) -> None:
    """Fill each row's problem (``workspaces`` gains the workspace of each row it reaches)."""
    from peerkit.workspace import CONFIG_NAME, Workspace

    seen: dict[tuple[Path, str], int] = {}
    for item in decided:
        if item.problem:
            continue
        root, note_id = item.target()
        if root not in workspaces:
            if not (root / CONFIG_NAME).is_file():
                item.problem = f"workspace folder {root} is not found (moved since the export?)"
                continue
            workspaces[root] = Workspace(root)
        ws = workspaces[root]
        item.peer = _peer_name(ws)
        twin = seen.get((root, note_id))
        if twin is not None:
            item.problem = f"the same note is also decided on row {twin}"
            continue
        seen[(root, note_id)] = item.row
        _note, problem = _check_note(item, ws)   # a problem whenever it gives no note
        item.problem = problem


def _peer_name(ws: Workspace) -> str:
    try:
        return _text(ws.provider.get("name", "")).replace("\n", " ")
    except DataError:
        return ""


def _write_review(note: Note, item: _Decided, reviewer: str, at: dt.datetime) -> None:
    import tomlkit

    assert note.path is not None  # ws.note() reads every note from its file
    with storage.edit_toml(note.path) as doc:
        doc["status"] = item.decision
        table = tomlkit.table()
        table.add("decision", item.decision)
        table.add("reviewer", reviewer)
        table.add("reason", item.reason)
        table.add("at", at)
        if "review" in doc:
            doc["review"] = table
        else:
            doc.add("review", table)


def import_review(path: Path | str, *, reviewer: str | None = None, dry_run: bool = False,
                  partial: bool = False) -> ImportReport:
    """Read decisions from a review workbook and record them in each note.

    Nothing is written when any decided row is refused (unless ``partial``), or with
    ``dry_run``.  Rows whose decision and reason are already recorded are ``unchanged``.
    """
    path = Path(path)
    decided, blank, sheet_reviewer = _read_decisions(path)
    name = _reviewer_name(reviewer, sheet_reviewer)
    report = ImportReport(path=path, reviewer=name, blank=blank, dry_run=dry_run)
    workspaces: dict[Path, Workspace] = {}
    _validate(decided, workspaces)
    bad = [d for d in decided if d.problem]
    if dry_run or (bad and not partial):
        known = None if (bad and not partial) else workspaces
        report.rows = [_result(d, known) for d in decided]
        return report
    recorded = _record(path, [d for d in decided if not d.problem], workspaces, name, partial)
    if recorded is None:  # a row turned bad under the locks: nothing was written
        report.rows = [_result(d, None) for d in decided]
        return report
    changed, results = recorded
    report.written = bool(changed)
    if changed:
        from peerkit.context import current_plugins

        for root, ids in changed.items():  # e.g. the sync plugin commits them in an agency clone
            current_plugins().call("review_recorded", workspace=workspaces[root], reviewer=name,
                                   notes=list(ids))
    report.rows = []
    for d in decided:
        if d.problem:
            report.rows.append(_row(d, "refused"))
        else:
            new = d.decision if results[d.row] == "recorded" else d.old_status
            report.rows.append(_row(d, results[d.row], new))
    return report


def _reviewer_name(given: str | None, sheet_reviewer: str) -> str:
    """--reviewer, else $PEERKIT_REVIEWER, else who last saved the workbook (a usage error when
    none says, or the name is too long)."""
    name = _text(given) if given is not None else (os.environ.get("PEERKIT_REVIEWER") or sheet_reviewer)
    name = _text(name).replace("\n", " ")
    if not name:
        raise UsageError("who reviewed? pass --reviewer NAME (the workbook does not say who saved it)")
    if len(name) > MAX_REVIEWER_CHARS:
        raise UsageError(f"--reviewer is longer than {MAX_REVIEWER_CHARS} characters")
    return name


def _record(path: Path, todo: list[_Decided], workspaces: dict[Path, Workspace], name: str,
            partial: bool) -> tuple[dict[Path, list[str]], dict[int, str]] | None:
    """Under the lock of every workspace that will change, check the rows again and write them;
    ``(note ids written by workspace, result by row)``, or None (nothing written) when a row
    turned bad meanwhile and not ``partial``."""
    import contextlib

    # Hold the lock of every workspace that will change, re-check under the locks, then write.
    roots = sorted({d.target()[0] for d in todo
                    if not _same(_on_disk(d, workspaces), d)}, key=str)
    at = dates.now()
    with contextlib.ExitStack() as stack:
        for root in roots:
            stack.enter_context(workspaces[root].lock())
        for ws in workspaces.values():
            ws.forget_clients()
        notes = _validate_again(todo, workspaces)
        if any(d.problem for d in todo) and not partial:
            return None
        changed, results = _write_decisions(todo, notes, set(roots), name, at)
        for root, ids in changed.items():
            n_app = sum(1 for d in todo if d.ws_root == root and results.get(d.row) == "recorded"
                        and d.decision == "approved")
            workspaces[root].audit("note import-review", records=ids, output=str(path.resolve()),
                                   action=f"approved {n_app}, denied {len(ids) - n_app}")
    return changed, results


def _write_decisions(todo: list[_Decided], notes: dict[int, Note], locked: set[Path], name: str,
                     at: dt.datetime) -> tuple[dict[Path, list[str]], dict[int, str]]:
    """Record each valid row's decision in its note (``unchanged`` when it is there already)."""
    from peerkit.output import progress

    changed: dict[Path, list[str]] = {}
    results: dict[int, str] = {}
    with progress(todo, label="Recording decisions") as bar:
        for d in bar:
            if d.problem:
                continue
            note = notes[d.row]
            if _same(note, d):
                results[d.row] = "unchanged"
                continue
            if d.ws_root not in locked:  # became different after we chose what to lock
                d.problem = "changed during the import; run it again"
                continue
            _write_review(note, d, name, at)
            root, note_id = d.target()
            changed.setdefault(root, []).append(note_id)
            results[d.row] = "recorded"
    return changed, results


def _on_disk(d: _Decided, workspaces: dict[Path, Workspace]) -> Note:
    root, note_id = d.target()
    return workspaces[root].note(note_id)


def _row(d: _Decided, result: str, new_status: str | None = "") -> RowResult:
    return RowResult(d.row, d.note_id, d.key, d.decision, result,
                     d.problem if result == "refused" else "", peer=d.peer,
                     old_status=d.old_status, new_status=new_status or "")


def _validate_again(todo: list[_Decided], workspaces: dict[Path, Workspace]) -> dict[int, Note]:
    notes: dict[int, Note] = {}
    for d in todo:
        if d.problem:
            continue
        note, problem = _check_note(d, workspaces[d.target()[0]])
        if note is None or problem:  # _check_note gives a problem whenever it gives no note
            d.problem = problem
        else:
            notes[d.row] = note
    return notes


def _result(d: _Decided, workspaces: dict[Path, Workspace] | None) -> RowResult:
    if d.problem:
        return _row(d, "refused")
    if workspaces is None:
        return _row(d, "not written", d.old_status)
    note = _on_disk(d, workspaces)
    if _same(note, d):
        return _row(d, "unchanged", note.status)
    return _row(d, "would record", d.decision)
