"""Built-in plugin: the weekly invoice of approved services (``peerkit invoice``).

See docs/invoice.md.  Heavy libraries (openpyxl, jinja2, keyring) are imported inside the
functions that need them.
"""
from peerkit import hookimpl

ALERT_AGE_DAYS = 7


@hookimpl
def register_commands(cli):
    from peerkit_invoice.commands import invoice

    cli.add_command(invoice)


@hookimpl
def invoice_formats():
    from peerkit_invoice.formats import BUILTIN

    return dict(BUILTIN)


@hookimpl
def alerts(workspace, today):
    """Approved notes not invoiced a week after their date (looking back
    ``[invoice] late_lookback_days``, default 120), one alert per week."""
    import datetime as dt

    from peerkit.alerts import Alert
    from peerkit.dates import week_containing
    from peerkit_invoice import model

    settings = model.load_settings(workspace)
    end = today - dt.timedelta(days=ALERT_AGE_DAYS)
    start = today - dt.timedelta(days=max(settings.late_lookback_days, ALERT_AGE_DAYS))
    if end < start:
        return []
    weeks: dict = {}
    for note in model.unbilled_approved(workspace, settings, start, end):
        weeks.setdefault(week_containing(note.date, settings.week_start), []).append(note.id)
    found = []
    for (first, last), ids in sorted(weeks.items()):
        found.append(Alert(
            source="invoice", subject=f"{first.isoformat()}..{last.isoformat()}", severity="warning",
            due=last + dt.timedelta(days=ALERT_AGE_DAYS),
            message=(f"{len(ids)} approved note(s) not invoiced yet: run 'peerkit invoice --from "
                     f"{first.isoformat()} --to {last.isoformat()}' (or invoice the next week: "
                     "late approvals of an invoiced week go on it)")))
    return found
