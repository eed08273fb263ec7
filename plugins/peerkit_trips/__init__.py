"""Built-in plugin: trips driven for work (``peerkit trip``), the mileage log export, and
mileage lines on the invoice when ``[billing] mileage_rate`` is set.

Records live in ``trips/YYYY/MM/<id>.toml``.  See docs/trips.md.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("trip", "peerkit_trips.commands:trip",
                                "Trips driven for work: the mileage log and mileage on invoices."))


@hookimpl
def invoice_adjust(invoice, workspace):
    """One ``mileage`` line per trip dated in the invoice period, at ``[billing] mileage_rate``
    dollars per mile.  No rate set: no lines."""
    from peerkit_trips import model

    rate = model.mileage_rate(workspace)
    if rate is None:
        return
    for t in model.iter_trips(workspace, invoice.start, invoice.end):
        invoice.add_line(description=f"Mileage: {t.purpose}", quantity=t.miles, rate=rate,
                         kind="mileage", date=t.date, client=t.client)


@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["trips"]
