"""``peerkit trip add|list|export``: the mileage log."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

from peerkit.context import pass_workspace
from peerkit.options import DATE, ID, json_option, range_options
from peerkit.output import echo_table, emit_json, message
from peerkit_trips import model


class MilesType(click.ParamType):
    """A number of miles (or an odometer reading) with at most one decimal: 12.4."""

    name = "miles"

    def convert(self, value, param, ctx):
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not a number of miles (like 12.4)", param, ctx)
        if not d.is_finite() or d < 0:
            self.fail("must be a number of zero or more", param, ctx)
        return d


MILES = MilesType()


@click.group()
def trip():
    """Trips driven for work: the mileage log and mileage on invoices.

    \b
    peerkit trip add --date 2026-11-16 --from Office --to "Public library, Main St" \\
        --miles 12.4 --client C001 --purpose "Drive to community meeting place"
    peerkit trip add --date 2026-11-19 --from Office --to "Community center" \\
        --odometer-start 40210.2 --odometer-end 40218.2 --purpose "Community center group"
    peerkit trip list --from 2026-11-01 --to 2026-11-30
    peerkit trip export --format xlsx --out mileage-2026.xlsx --from 2026-01-01 --to 2026-12-31
    """


@trip.command(name="add")
@click.option("--date", "day", type=DATE, required=True, help="Date of the trip (YYYY-MM-DD, today).")
@click.option("--from", "start_place", required=True, help="Where the trip started (no names).")
@click.option("--to", "end_place", required=True, help="Where it ended (no names).")
@click.option("--purpose", required=True, help="Business purpose (no names).")
@click.option("--miles", type=MILES, help="Miles driven.")
@click.option("--odometer-start", type=MILES, help="Odometer at the start (instead of --miles).")
@click.option("--odometer-end", type=MILES, help="Odometer at the end.")
@click.option("--vehicle", default="", help="Vehicle (optional, e.g. '2015 sedan').")
@click.option("--client", type=ID, default=None, help="Client id (optional).")
@pass_workspace
def trip_add(ws, day, start_place, end_place, purpose, miles, odometer_start, odometer_end, vehicle, client):
    """Log a trip: --miles, or --odometer-start and --odometer-end."""
    odo = odometer_start is not None or odometer_end is not None
    if miles is None and not odo:
        raise click.UsageError("give --miles, or --odometer-start and --odometer-end")
    if odo and (odometer_start is None or odometer_end is None):
        raise click.UsageError("give both --odometer-start and --odometer-end")
    data = {"date": day, "from": start_place, "to": end_place, "purpose": purpose,
            "miles": miles, "odometer_start": odometer_start, "odometer_end": odometer_end,
            "vehicle": vehicle, "client": client}
    t = model.add(ws, {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()})
    message(f"Added trip {t.id} ({t.miles} miles) in {ws.rel(t.path)}.")


@trip.command(name="list")
@range_options
@click.option("--client", type=ID, help="Only this client's trips.")
@json_option
@pass_workspace
def trip_list(ws, date_from, date_to, client, as_json):
    """List trips with their miles and, when [billing] mileage_rate is set, the amount."""
    from peerkit.money import to_cents

    trips = [t for t in model.iter_trips(ws, date_from, date_to) if not client or t.client == client]
    rate = model.mileage_rate(ws)
    if as_json:
        out = []
        for t in trips:
            d = t.as_json()
            d["amount"] = str(to_cents(t.miles * rate)) if rate is not None else None
            out.append(d)
        emit_json(out)
        return
    echo_table([(t.id, t.date, t.start_place, t.end_place, t.miles, t.client, t.purpose) for t in trips],
               ["id", "date", "from", "to", "miles", "client", "purpose"])
    from peerkit_trips.export import total_miles

    total = total_miles(trips)
    message(f"{len(trips)} trip(s), {total} miles"
            + (f", ${to_cents(total * rate)} at ${rate}/mile" if rate is not None else "") + ".")


@trip.command(name="export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--out", "-o", "out", metavar="PATH", help="File to write ('-' for stdout, csv only).")
@range_options
@click.option("--with-client", is_flag=True, help="Add the client id column (it is then protected information).")
@pass_workspace
def trip_export(ws, fmt, out, date_from, date_to, with_client):
    """The mileage log for reimbursement or tax records (date, places, purpose, odometer, miles)."""
    from peerkit.output import write_output
    from peerkit_trips import export

    trips = list(model.iter_trips(ws, date_from, date_to))
    if fmt == "xlsx":
        if out in (None, "-"):
            raise click.UsageError("--format xlsx needs --out FILE.xlsx")
        span = f"{date_from or (trips[0].date if trips else '')} to {date_to or (trips[-1].date if trips else '')}"
        title = f"Mileage log: {ws.provider.get('name', '')} ({span})"
        export.write_xlsx(trips, out, title=title, with_client=with_client)
        written = out
    else:
        path = write_output(out, export.to_csv(trips, with_client))
        written = str(path) if path else "stdout"
    ws.audit("trip export", records=[t.id for t in trips], output=written, action=f"format {fmt}")
    message(f"Exported {len(trips)} trip(s), {export.total_miles(trips)} miles"
            + (f" to {written}." if written != "stdout" else "."))
