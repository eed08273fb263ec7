"""Built-in plugin: the weekly invoice of approved services (``peerkit invoice``).

See docs/invoice.md.  Heavy libraries (openpyxl, jinja2, keyring) are imported inside the
functions that need them.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand

ALERT_AGE_DAYS = 7


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("invoice", "peerkit_invoice.commands:invoice",
                                "The invoice of approved services for a week (or --from/--to)."))


@hookimpl
def invoice_formats():
    from peerkit_invoice.formats import BUILTIN

    return dict(BUILTIN)


@hookimpl
def audit_checks(workspace, entries):
    """Every invoice number the audit log or the counter says was issued has its snapshot."""
    from peerkit_invoice import model

    return model.number_problems(workspace, entries)


@hookimpl
def alerts(workspace, today):
    """Approved notes not invoiced a week after their date (looking back
    ``[invoice] late_lookback_days``, default 120), one alert per week; and one alert per
    pending billing adjustment (a note on an issued invoice changed, denied or voided since)
    until the invoice carrying it is issued.  A note file that cannot be read is returned as
    its DataError after the alerts of the others (``status`` shows it and exits 3)."""
    from peerkit.derived import remembered_alerts

    # kept in notes/.invoice-alerts-cache.json while no record it read changed (issue 19)
    return remembered_alerts(workspace, "invoice-alerts", today, lambda: _alerts(workspace, today),
                             packages=("peerkit_invoice",), folders=("invoices",))


def _alerts(workspace, today) -> list:
    import datetime as dt

    from peerkit.alerts import Alert
    from peerkit.dates import week_containing
    from peerkit.records import readable_notes
    from peerkit_invoice import model

    settings = model.load_settings(workspace)
    end = today - dt.timedelta(days=ALERT_AGE_DAYS)
    start = today - dt.timedelta(days=max(settings.late_lookback_days, ALERT_AGE_DAYS))
    if end < start:
        return []
    index = model.Index.load(workspace, lines_since=today - dt.timedelta(days=settings.adjustment_lookback_days))
    found, problems = _adjustment_alerts(workspace, settings, index, today)
    invoiced = index.invoiced_notes()
    weeks: dict = {}
    notes, unreadable = readable_notes(workspace, start, end, skip_ids=invoiced)
    problems += unreadable
    for note in notes:
        if note.status == "approved" and note.id not in invoiced:
            weeks.setdefault(week_containing(note.date, settings.week_start), []).append(note)
    for (first, last), notes in sorted(weeks.items()):
        late = [n for n in notes if index.covered(n.date)]
        if late:
            hint = ("approved after their period was invoiced: they go on the next invoice you "
                    "issue, as late lines")
        else:
            hint = (f"run 'peerkit invoice --from {first.isoformat()} --to {last.isoformat()}'")
        found.append(Alert(
            source="invoice", subject=f"{first.isoformat()}..{last.isoformat()}", severity="warning",
            due=last + dt.timedelta(days=ALERT_AGE_DAYS),
            message=f"{len(notes)} approved note(s) not invoiced yet: {hint}"))
    return found + problems  # the dispatcher shows each unreadable file once


def _adjustment_alerts(workspace, settings, index, today) -> tuple[list, list]:
    """``(alerts, problems)``: the pending adjustments, or none and the DataError saying which
    file could not be read (an adjustment cannot be computed without its notes)."""
    from peerkit.alerts import Alert
    from peerkit.errors import DataError
    from peerkit.money import fmt_usd
    from peerkit_invoice.adjustments import pending

    try:
        lines = pending(workspace, settings, index, today)
    except DataError as exc:
        return [], [exc]
    out = []
    for line in lines:
        out.append(Alert(
            source="invoice", subject=f"{line.original_invoice} {', '.join(line.notes)}",
            severity="warning", due=None,
            message=(f"billing adjustment pending: {line.units:+d} units, {fmt_usd(line.amount)} "
                     f"on invoice {line.original_invoice} ({line.description}); it goes on the "
                     "next invoice you issue")))
    return out, []


@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["invoices"]


RATES_SETTINGS = '''[[billing.rates]]
code = "H0038"
modifier = ""                  # "" individual, "HQ" group
rate = "11.97"                 # dollars per unit, as text: copy it from your contract
from = 2019-11-01

[[billing.rates]]
code = "H0038"
modifier = "HQ"
rate = "2.88"
from = 2019-11-01
'''


@hookimpl
def init_settings():
    """The rate table 'peerkit init' writes into a new peerkit.toml (docs/invoice.md, Rates)."""
    return {"billing.rates": RATES_SETTINGS}
