"""``peerkit invoice``: the weekly invoice of approved services."""
from __future__ import annotations

import os

import click

from peerkit.completion import format_names
from peerkit.context import pass_workspace
from peerkit.errors import EXIT_NOTHING
from peerkit.options import out_option, period_options
from peerkit.output import message

SUFFIX_ALIASES = {"htm": "html", "markdown": "md"}  # besides each format's own name


def _formats() -> dict:
    from peerkit.context import current_plugins

    return {name: fn for name, (_plugin, fn) in
            current_plugins().collect_named("invoice_formats", "invoice format").items()}


@click.command()
@period_options
@click.option("--format", "fmt", metavar="FORMAT", default=None,
              shell_complete=format_names("invoice_formats", "invoice format"),
              help="xlsx, html, md, json, pdf (peerkit[pdf]) or a plugin's format (default: from --out's suffix, "
                   "else xlsx; md for --preview).")
@out_option
@click.option("--preview", is_flag=True, help="Show what would be billed; take no number, write nothing.")
@click.option("--reissue", is_flag=True, help="Void the period's invoice and issue a replacement.")
@pass_workspace
def invoice(ws, period, fmt, out, preview, reissue):
    """The invoice of approved services for a week (or --from/--to).

    Default: last week.  --all bills every approved, uninvoiced service up to today (the period runs from the
    first note's date).

    \b
    peerkit invoice --week last --out invoice.xlsx      # the Friday job
    peerkit invoice --week 2026-W47 --format json       # for scripts
    peerkit invoice --week this --preview               # what would be billed

    Exit codes: 0 issued (the written path on stdout when --out or xlsx names a file);
    5 nothing to bill (no number taken, nothing written); 4 a required tax ID is missing.

    Asking for an invoiced period again prints the same invoice (same number and lines);
    --reissue voids it and issues a new number.  Approvals that arrive after a period was
    invoiced are billed on the next invoice, marked late.
    """
    from peerkit_invoice import model

    formats = _formats()
    fmt = _chosen_format(formats, fmt, out, preview)
    settings = model.load_settings(ws)
    start, end = _period(ws, settings, period)
    from peerkit import dates

    if end >= dates.today():
        message(f"Warning: the period {start}..{end} has not ended (today is {dates.today()}); "
                "services still to come in it will not be on this invoice.")
    if preview:
        _preview(ws, settings, start, end, formats[fmt], fmt, out, reissue=reissue)
    else:
        _issue(ws, settings, start, end, formats[fmt], fmt, out, reissue=reissue)


def _chosen_format(formats: dict, fmt: str | None, out: str | None, preview: bool) -> str:
    """The format asked for (or implied by --out's suffix); a usage error (exit 2) for one that
    is unknown or cannot go where --out says, and exit 3 for an --out that cannot be written --
    all before any work."""
    from peerkit.output import format_for_out, out_target

    fmt = format_for_out(out, fmt, formats, aliases=SUFFIX_ALIASES,
                         default="md" if preview and not out else "xlsx")
    if fmt not in formats:
        raise click.UsageError(f"unknown format {fmt!r}; choose from {', '.join(sorted(formats))}")
    if is_binary(formats[fmt]) and out == "-":
        raise click.UsageError(f"{fmt} cannot go to stdout; give --out FILE.{fmt}")
    if preview and is_binary(formats[fmt]) and not out:
        raise click.UsageError(f"--preview with {fmt} needs --out FILE.{fmt}")
    if out and out != "-":
        out_target(out, f"invoice.{fmt}")
    return fmt


def is_binary(render) -> bool:
    """A format whose ``render`` returns bytes says so with ``render.binary = True``: it is
    never printed to the terminal, and is written to ``<number>.<format>`` without --out."""
    return getattr(render, "binary", False)


def _preview(ws, settings, start, end, render, fmt: str, out: str | None, *, reissue: bool) -> None:
    """What would be billed: no number taken, nothing stored (the document only with --out)."""
    from peerkit.output import names_folder
    from peerkit_invoice import issuing, model

    outcome = issuing.prepare(ws, settings, start, end, reissue=reissue, preview=True)
    if outcome.action == "empty":
        message(f"Nothing to bill for {start}..{end}: no approved, uninvoiced services.")
        click.get_current_context().exit(EXIT_NOTHING)
    if getattr(render, "needs_secrets", True):
        model.fill_secrets(ws, outcome.invoice, settings, message)
    data = render(outcome.invoice, ws)
    written = _write(data, out, _default_name(names_folder(out), outcome.invoice.number, fmt, None))
    message(_summary(outcome))
    if written:
        click.echo(os.path.abspath(written))  # the file's path on stdout, for scripts


def _issue(ws, settings, start, end, render, fmt: str, out: str | None, *, reissue: bool) -> None:
    """Issue the period's invoice (or reprint the one issued), under the workspace lock."""
    from peerkit.context import current_plugins
    from peerkit.output import names_folder
    from peerkit_invoice import issuing, model

    current_plugins().require_all_loaded("issue an invoice")  # its lines would be missing
    with ws.lock():
        outcome = issuing.prepare(ws, settings, start, end, reissue=reissue, preview=False)
        if outcome.action == "empty":
            message(f"Nothing to bill for {start}..{end}: no approved, uninvoiced services; "
                    "no invoice number was taken.")
            click.get_current_context().exit(EXIT_NOTHING)
        inv = outcome.invoice
        if getattr(render, "needs_secrets", True) or settings.require_tax_id:
            model.fill_secrets(ws, inv, settings, message)
        data = render(inv, ws)  # before anything is written: a template error issues nothing
        if outcome.action in ("issued", "reissued"):
            issuing.commit(ws, outcome)
        records = [inv.number, *([outcome.voided] if outcome.voided else []), *inv.notes]
        action = {"existing": "reprint"}.get(outcome.action, outcome.action)
        written = _write(data, out, _default_name(names_folder(out), inv.number, fmt,
                                                  f"{inv.number}.{fmt}" if is_binary(render) else None),
                         audit=lambda p: ws.audit("invoice", records=records, output=_shown(p),
                                                  action=action))
    message(_summary(outcome, written=written))
    if written:
        click.echo(os.path.abspath(written))  # the file's path on stdout, for scripts


def _period(ws, settings, period):
    """(first, last) day of the invoice from the shared period options."""
    from peerkit import dates
    from peerkit_invoice import model

    if period.all:
        today = dates.today()
        first = min((n.date for n in ws.notes(None, today)), default=today)
        return first, today
    if period.start is not None or period.end is not None:
        return model.resolve_period(settings, None, period.start, period.end)
    return model.resolve_period(settings, "last", None, None)


def _default_name(out_dir: bool, number: str, fmt: str, otherwise: str | None) -> str | None:
    """``--out DIR/`` (or an existing folder): the file ``<number>.<format>`` inside it."""
    return f"{number}.{fmt}" if out_dir else otherwise


def _shown(path):
    from peerkit.storage import display_path

    return display_path(path) if path else None


def _write(data, out, default_name, audit=None):
    from peerkit.output import write_output

    # the invoice prints the written path itself (always, for scripts): not twice
    return _shown(write_output(out, data, default_name, audit=audit, announce=False))


def _summary(outcome, *, written: str | None = None) -> str:
    from peerkit.money import fmt_usd

    inv = outcome.invoice
    late = len(inv.late_lines)
    what = {
        "preview": "Preview (not issued)",
        "issued": f"Issued invoice {inv.number}",
        "reissued": f"Issued invoice {inv.number}, replacing {outcome.voided} (now void)",
        "existing": f"Invoice {inv.number} was already issued for this period "
                    f"(use --reissue to replace it)",
    }[outcome.action]
    text = (f"{what}: {inv.start}..{inv.end}, {len(inv.lines)} line(s)"
            f"{f' ({late} late)' if late else ''}, {inv.total_units} units, "
            f"{fmt_usd(inv.total_amount)}, pay date {inv.pay_date}")
    if written:
        text += f"; written to {written}"
    return text
