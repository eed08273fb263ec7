"""Trip records (``trips/YYYY/MM/<id>.toml``): the mileage log (no CLI here).

A trip has a date, where it started and ended, a business purpose, and its miles -- typed,
or the difference of the odometer readings.  Miles are Decimal (``12.4``), never floats in
arithmetic.  Places and purposes never name a person: the client is an optional id.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, overload

from peerkit import storage
from peerkit.dates import month_folder_files
from peerkit.errors import DataError
from peerkit.records import check_id
from peerkit.validate import Fields, clean_text

FOLDER = "trips"
HEADER = ("A trip driven for work (see docs/trips.md).  Places and purpose never name a person;\n"
          "'client' is an optional id.")
_KEYS = {"id", "date", "from", "to", "purpose", "miles", "odometer_start", "odometer_end",
         "vehicle", "client"}
TENTH = Decimal("0.1")


@dataclass
class Trip:
    id: str
    date: dt.date
    start_place: str
    end_place: str
    purpose: str
    miles: Decimal
    odometer_start: Decimal | None = None
    odometer_end: Decimal | None = None
    vehicle: str = ""
    client: str = ""
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "date": self.date, "from": self.start_place,
                             "to": self.end_place, "purpose": self.purpose,
                             "miles": _toml_number(self.miles)}
        if self.odometer_start is not None:
            assert self.odometer_end is not None  # both or neither (trip_from_dict checks)
            d["odometer_start"] = _toml_number(self.odometer_start)
            d["odometer_end"] = _toml_number(self.odometer_end)
        if self.vehicle:
            d["vehicle"] = self.vehicle
        if self.client:
            d["client"] = self.client
        d.update(self.extra)
        return d

    def as_json(self) -> dict:
        d = self.to_dict()
        for key in ("miles", "odometer_start", "odometer_end"):
            if key in d:
                d[key] = str(getattr(self, key))
        return d


def _toml_number(value: Decimal) -> int | float:
    """TOML has no decimal type: a whole number as an int, else the float with the same digits."""
    return int(value) if value == value.to_integral_value() else float(str(value))


@overload
def _decimal(f: Fields, key: str, required: Literal[True] = ...) -> Decimal: ...
@overload
def _decimal(f: Fields, key: str, required: bool) -> Decimal | None: ...
def _decimal(f: Fields, key: str, required: bool = True) -> Decimal | None:
    if key not in f.data:
        if required:
            f.fail(key, "is required but missing")
        return None
    raw = f.data[key]
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        f.fail(key, "expected a number like 12.4")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        f.fail(key, "expected a number like 12.4")
    if not value.is_finite() or value < 0:
        f.fail(key, "must be a number of zero or more")
    if value != value.quantize(TENTH):
        f.fail(key, "give at most one decimal place (tenths of a mile)")
    return value


def trip_from_dict(data: dict, path: Path | str, *, expect_id: str | None = None) -> Trip:
    f = Fields(data, path)
    t = Trip(id=f.record_id("id", expect_id), date=f.req("date", dt.date),
             start_place=f.req("from", str).strip(), end_place=f.req("to", str).strip(),
             purpose=f.req("purpose", str).strip(), miles=Decimal(0),
             vehicle=f.opt("vehicle", str, ""), client=f.opt("client", str, ""), path=Path(path),
             extra={k: v for k, v in data.items() if k not in _KEYS})
    for key, value in (("from", t.start_place), ("to", t.end_place), ("purpose", t.purpose)):
        if not value:
            f.fail(key, "must not be empty")
    if t.client:
        try:
            check_id(t.client, "client id")
        except DataError:
            f.fail("client", "is not a valid client id")
    t.odometer_start = _decimal(f, "odometer_start", required=False)
    t.odometer_end = _decimal(f, "odometer_end", required=False)
    if (t.odometer_start is None) != (t.odometer_end is None):
        f.fail("odometer_end" if t.odometer_end is None else "odometer_start",
               "give both odometer readings, or neither")
    if t.odometer_start is not None and t.odometer_end is not None:  # both or neither (checked above)
        driven = t.odometer_end - t.odometer_start
        if driven <= 0:
            f.fail("odometer_end", "must be more than 'odometer_start'")
        given = _decimal(f, "miles", required=False)
        if given is not None and given != driven:
            f.fail("miles", "does not match the odometer readings; remove it or correct them")
        t.miles = driven.to_integral_value() if driven == driven.to_integral_value() else driven
    else:
        t.miles = _decimal(f, "miles")
        if t.miles <= 0:
            f.fail("miles", "must be more than zero")
    return t


def trip_path(ws, trip: Trip) -> Path:
    return ws.path(FOLDER, f"{trip.date:%Y}", f"{trip.date:%m}", f"{trip.id}.toml")


def iter_trips(ws, start: dt.date | None = None, end: dt.date | None = None) -> Iterator[Trip]:
    """Trips dated ``start``..``end`` (inclusive; open ends allowed), by date and id."""
    found = []
    for p in month_folder_files(ws.path(FOLDER), start, end):
        t = trip_from_dict(storage.read_toml(p), p, expect_id=p.stem)
        if (start and t.date < start) or (end and t.date > end):
            continue
        found.append(t)
    found.sort(key=lambda t: (t.date, t.id))
    return iter(found)


def next_id(ws, day: dt.date) -> str:
    folder = ws.path(FOLDER, f"{day:%Y}", f"{day:%m}")
    n = 1
    while (folder / f"T-{day.isoformat()}-{n}.toml").exists():
        n += 1
    return f"T-{day.isoformat()}-{n}"


def add(ws, data: dict, where: str = "command line") -> Trip:
    """Validate and store one trip; returns it (with its new id)."""
    data = {k: (clean_text(v) if isinstance(v, str) else v) for k, v in data.items()
            if v not in (None, "")}
    with ws.lock():
        if "id" not in data:
            if not isinstance(data.get("date"), dt.date):
                raise DataError(where, "field 'date': is required but missing")
            data["id"] = next_id(ws, data["date"])
        t = trip_from_dict(data, where)
        if t.client:
            ws.client(t.client)  # an unknown id is a clear DataError
        path = trip_path(ws, t)
        if path.exists():
            raise DataError(ws.rel(path), "already exists")
        storage.write_toml(path, t.to_dict(), header=HEADER)
    t.path = path
    return t


def mileage_rate(ws) -> Decimal | None:
    """``[billing] mileage_rate`` (dollars per mile, as text), or None when not set."""
    f = Fields(ws.section("billing"), ws.path("peerkit.toml"), prefix="billing.")
    return f.money("mileage_rate", required=False)
