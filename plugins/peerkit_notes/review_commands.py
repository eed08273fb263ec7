"""``peerkit note export`` and ``peerkit note import-review``: supervisor review through Excel.

Thin click wrappers over :mod:`peerkit_notes.review` (see docs/review.md).
"""
from __future__ import annotations

from pathlib import Path

import click

from peerkit.completion import format_names
from peerkit.options import json_option, period_options
from peerkit.records import NOTE_STATUSES

_STATUS_CHOICES = [*NOTE_STATUSES, "all"]


@click.command(name="export")
@period_options
@click.option("--status", "statuses", multiple=True, type=click.Choice(_STATUS_CHOICES),
              help="Export notes with this status (repeatable; 'all' for every status). "
                   "Default: signed, submitted, approved and denied.")
@click.option("--out", "-o", "out", metavar="FILE.xlsx", required=True,
              help="The workbook to write.")
@click.option("--format", "fmt", default=None, metavar="NAME",
              shell_complete=format_names("note_exporters", "note exporter", ("xlsx",)),
              help="xlsx (the review workbook) or a format a plugin adds (note_exporters); "
                   "default: from --out's suffix, else xlsx.")
@click.option("--deidentify", is_flag=True,
              help="Stable pseudonyms instead of names and ids; narrative fields left out. "
                   "Such a workbook cannot be imported back.")
@click.argument("workspaces", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def note_export(ctx, period, statuses, out, fmt, deidentify, workspaces):
    """Export notes of one or many workspaces to one workbook for supervisor review.

    \b
    peerkit note export --week last --out review.xlsx
    peerkit note export --from 2026-11-16 --to 2026-11-22 --out review.xlsx
    peerkit note export --out team.xlsx ~/peers/jordan ~/peers/casey
    peerkit note export --deidentify --status all --out audit.xlsx

    Without WORKSPACE arguments the current workspace is exported.  The supervisor fills
    the Decision column (approved/denied) and Reason, then runs 'peerkit note import-review'.
    """
    from peerkit.context import current_plugins, workspace_for
    from peerkit.errors import UsageError
    from peerkit.output import format_for_out, message, out_target
    from peerkit.workspace import Workspace
    from peerkit_notes import review

    if out == "-":
        raise UsageError("--out must be a file name (an .xlsx cannot go to the terminal)")
    exporter = None
    formats = current_plugins().collect_named("note_exporters", "note exporter")
    fmt = format_for_out(out, fmt, ["xlsx", *formats], default="xlsx")
    target = out_target(out, f"review.{fmt}")  # cannot be written: exit 3 before any work
    out = str(target.path)
    if fmt != "xlsx":
        if fmt not in formats:
            names = ", ".join(["xlsx", *sorted(formats)])
            raise UsageError(f"unknown --format {fmt!r}; choose one of: {names}")
        exporter = formats[fmt][1]
        if deidentify:
            raise UsageError("--deidentify works with --format xlsx only")
    date_from, date_to = period.start, period.end
    chosen = NOTE_STATUSES if "all" in statuses else tuple(statuses) or review.DEFAULT_EXPORT_STATUSES
    if workspaces:
        opened, seen = [], set()
        for folder in workspaces:
            ws = Workspace.open(folder)
            if ws.root.resolve() in seen:
                continue
            seen.add(ws.root.resolve())
            opened.append(ws)
    else:
        opened = [workspace_for(ctx)]
    from peerkit.trust import check_writable

    for ws in opened:  # each gets an audit entry: refuse another user's folder before writing
        check_writable(ws.root)
    if exporter is not None:
        count = review.export_with_plugin(fmt, exporter, opened, out, date_from=date_from,
                                          date_to=date_to, statuses=chosen)
        message(f"Wrote {out}: {count} note(s) from {len(opened)} workspace(s) (format {fmt})")
        target.announce()
        return
    result = review.export_review(opened, out, date_from=date_from, date_to=date_to,
                                  statuses=chosen, deidentify=deidentify)
    errors = sum(p.errors for p in result.peers)
    message(f"Wrote {out}: {result.notes} note(s) from {len(result.peers)} workspace(s)"
            + (f", {errors} error finding(s)" if errors else "")
            + (" (de-identified)" if deidentify else ""))
    target.announce()


@click.command(name="import-review")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reviewer", metavar="NAME",
              help="Who decided (default: $PEERKIT_REVIEWER, else the person Excel recorded as "
                   "the last to save the workbook).")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--partial", is_flag=True,
              help="Record the valid rows even when other rows are refused (exit 1).")
@json_option
def note_import_review(workbook, reviewer, dry_run, partial, as_json):
    """Record the approved/denied decisions of a review workbook in each note.

    \b
    peerkit note import-review review.xlsx --reviewer "Pat Supervisor"

    Rows with a blank Decision are left as they are.  A row is refused when its note is
    unknown, changed after the export, has changed status or received a newer decision
    since the export (with --partial too), is not reviewable (draft/void), its Decision is
    not approved/denied, or a denial has no Reason.  Each row names its workspace (peer)
    and the note's old -> new status; a per-peer summary ends the report.  By default nothing is written unless
    every decided row is valid.  Running it again changes nothing.
    """
    from peerkit.errors import DataError
    from peerkit.output import emit_json, message
    from peerkit_notes import review

    if not dry_run:  # refused while a plugin failed to load (exit 3)
        from peerkit.context import current_plugins

        current_plugins().require_all_loaded("import a review")
    report = review.import_review(workbook, reviewer=reviewer, dry_run=dry_run, partial=partial)
    if as_json:
        emit_json([r.as_json() for r in report.rows])
    else:
        for r in report.rows:
            message(r.line())
    refused = report.refused
    decided = len(report.rows)

    def per_peer():
        if not as_json:
            for line in report.peer_summary():
                message(line)

    if refused and (not partial or dry_run):
        per_peer()
        raise DataError(workbook, f"{len(refused)} of {decided} decided row(s) refused; "
                                  "nothing was written. Fix them (or clear their Decision) "
                                  "and import again")
    if dry_run:
        message(f"Dry run: {report.count('would record')} decision(s) would be recorded, "
                f"{report.count('unchanged')} unchanged, {report.blank} row(s) without a "
                "decision; nothing was written")
        per_peer()
        return
    message(f"Recorded {report.count('recorded')} decision(s) by {report.reviewer}; "
            f"{report.count('unchanged')} unchanged; {report.blank} row(s) without a decision"
            + (f"; {len(refused)} row(s) refused" if refused else ""))
    per_peer()
    if refused:
        click.get_current_context().exit(1)
