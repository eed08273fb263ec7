"""``peerkit invoice``: the weekly invoice of approved services."""
from __future__ import annotations

from pathlib import Path

import click

from peerkit.context import pass_workspace
from peerkit.options import DATE, out_option
from peerkit.output import message

SUFFIX_ALIASES = {"htm": "html", "markdown": "md"}  # besides each format's own name


def _formats() -> dict:
    from peerkit.context import current_plugins

    return {name: fn for name, (_plugin, fn) in
            current_plugins().collect_named("invoice_formats", "invoice format").items()}


@click.command()
@click.option("--week", metavar="WEEK", default=None,
              help="ISO week (2026-W47), 'this' or 'last' (default: last).")
@click.option("--from", "date_from", type=DATE, default=None, help="First day of a custom period.")
@click.option("--to", "date_to", type=DATE, default=None, help="Last day of a custom period.")
@click.option("--format", "fmt", metavar="FORMAT", default=None,
              help="xlsx, html, md, json or a plugin's format (default: from --out's suffix, "
                   "else xlsx; md for --preview).")
@out_option
@click.option("--preview", is_flag=True, help="Show what would be billed; take no number, write nothing.")
@click.option("--reissue", is_flag=True, help="Void the period's invoice and issue a replacement.")
@pass_workspace
def invoice(ws, week, date_from, date_to, fmt, out, preview, reissue):
    """The invoice of approved services for a week (or --from/--to).

    \b
    peerkit invoice --week last --out invoice.xlsx      # the Friday job
    peerkit invoice --week 2026-W47 --format json       # for scripts
    peerkit invoice --week this --preview               # what would be billed

    Asking for an invoiced period again prints the same invoice (same number and lines);
    --reissue voids it and issues a new number.  Approvals that arrive after a period was
    invoiced are billed on the next invoice, marked late.
    """
    from peerkit_invoice import model

    from peerkit.output import format_for_out, names_folder, out_target

    formats = _formats()
    fmt = format_for_out(out, fmt, formats, aliases=SUFFIX_ALIASES,
                         default="md" if preview and not out else "xlsx")
    if fmt not in formats:
        raise click.UsageError(f"unknown format {fmt!r}; choose from {', '.join(sorted(formats))}")
    binary = fmt == "xlsx"
    out_dir = names_folder(out)
    if binary and out == "-":
        raise click.UsageError("xlsx cannot go to stdout; give --out FILE.xlsx")
    if preview and binary and not out:
        raise click.UsageError("--preview with xlsx needs --out FILE.xlsx")
    if out and out != "-":  # an --out that cannot be written stops here (exit 3), before any work
        out_target(out, f"invoice.{fmt}")

    settings = model.load_settings(ws)
    start, end = model.resolve_period(settings, week, date_from, date_to)
    render = formats[fmt]

    if preview:
        outcome = model.prepare(ws, settings, start, end, reissue=reissue, preview=True)
        if outcome.action == "empty":
            message(f"Nothing to bill for {start}..{end}: no approved, uninvoiced services.")
            return
        if getattr(render, "needs_secrets", True):
            model.fill_secrets(ws, outcome.invoice, settings, message)
        data = render(outcome.invoice, ws)
        _write(data, out, _default_name(out_dir, outcome.invoice.number, fmt, None))
        message(_summary(outcome, preview=True))
        return

    from peerkit.context import current_plugins

    current_plugins().require_all_loaded("issue an invoice")  # its lines would be missing
    with ws.lock():
        outcome = model.prepare(ws, settings, start, end, reissue=reissue, preview=False)
        if outcome.action == "empty":
            message(f"Nothing to bill for {start}..{end}: no approved, uninvoiced services; "
                    "no invoice number was taken.")
            return
        inv = outcome.invoice
        if getattr(render, "needs_secrets", True) or settings.require_tax_id:
            model.fill_secrets(ws, inv, settings, message)
        data = render(inv, ws)  # before anything is written: a template error issues nothing
        if outcome.action in ("issued", "reissued"):
            model.commit(ws, outcome)
        written = _write(data, out, _default_name(out_dir, inv.number, fmt,
                                                  f"{inv.number}.xlsx" if binary else None))
        ws.audit("invoice", records=[inv.number, *([outcome.voided] if outcome.voided else []),
                                     *inv.notes],
                 output=written, action={"existing": "reprint"}.get(outcome.action, outcome.action))
    message(_summary(outcome, written=written))


def _default_name(out_dir: bool, number: str, fmt: str, otherwise: str | None) -> str | None:
    """``--out DIR/`` (or an existing folder): the file ``<number>.<format>`` inside it."""
    return f"{number}.{fmt}" if out_dir else otherwise


def _write(data, out, default_name):
    from peerkit.output import write_output
    from peerkit.storage import display_path

    path = write_output(out, data, default_name)
    return display_path(path) if path else None


def _summary(outcome, *, preview: bool = False, written: str | None = None) -> str:
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
