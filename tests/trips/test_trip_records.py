"""Trip records read back from disk: each broken field is exit 3 naming the file and the field;
what peerkit_trips.model.add stores, ids and refusals; the month folders list walks."""
from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from decimal import Decimal

import pytest

from peerkit.errors import DataError
from peerkit_trips import model
from tests.conftest import assert_no_traceback

TRIP = "trips/2026/11/T-2026-11-24-1.toml"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-02")


@pytest.mark.parametrize("old, new, field, why", [
    ("miles = 5.5\n", "", "miles", "is required but missing"),
    ("miles = 5.5", "miles = true", "miles", "expected a number like 12.4"),
    ("miles = 5.5", 'miles = "five"', "miles", "expected a number like 12.4"),
    ("miles = 5.5", "miles = -1", "miles", "must be a number of zero or more"),
    ("miles = 5.5", "miles = 5.55", "miles", "give at most one decimal place (tenths of a mile)"),
    ("miles = 5.5", "miles = 0", "miles", "must be more than zero"),
    ('purpose = "Home visit"', 'purpose = "   "', "purpose", "must not be empty"),
    ('client = "C004"', 'client = "../C004"', "client", "is not a valid client id"),
    ("miles = 5.5", "odometer_start = 100.0", "odometer_end", "give both odometer readings, or neither"),
    ("miles = 5.5", "odometer_end = 100.0", "odometer_start", "give both odometer readings, or neither"),
    ("miles = 5.5", "miles = 5.5\nodometer_start = 100.0\nodometer_end = 100.0", "odometer_end",
     "must be more than 'odometer_start'"),
    ("miles = 5.5", "miles = 5.5\nodometer_start = 100.0\nodometer_end = 106.0", "miles",
     "does not match the odometer readings; remove it or correct them"),
])
def test_a_broken_field_names_file_and_field(run, ws_path, old, new, field, why):
    path = ws_path / TRIP
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    result = run("trip", "list")
    assert_no_traceback(result)
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    # the file (with the field's line when the TOML has it), the field and what to fix
    assert re.fullmatch(rf"Error: \S*/{TRIP}(:\d+)?: field '{field}': {re.escape(why)}", errors[0]), errors


def test_odometer_readings_give_the_miles(run, ws_path):
    path = ws_path / TRIP
    path.write_text(path.read_text().replace("miles = 5.5", "odometer_start = 1200.5\nodometer_end = 1206.0"))
    listed = json.loads(run("trip", "list", "--from", "2026-11-24", "--to", "2026-11-24", "--json").stdout)
    assert [(t["id"], t["miles"]) for t in listed] == [("T-2026-11-24-1", "5.5")]


def test_hidden_files_and_months_without_trips_are_skipped(run, ws_path):
    (ws_path / "trips" / "2026" / "11" / ".T-2026-11-24-1.toml.swp").write_text("not toml")
    (ws_path / "trips" / "2026" / "11" / ".draft.toml").write_text("not toml")
    listed = run("trip", "list", "--from", "2026-09-01", "--to", "2026-11-30", "--json")
    assert listed.exit_code == 0, listed.output
    assert [t["id"] for t in json.loads(listed.stdout)] == ["T-2026-11-16-1", "T-2026-11-19-1", "T-2026-11-24-1"]
    assert json.loads(run("trip", "list", "--from", "2025-01-01", "--to", "2025-03-31", "--json").stdout) == []


def test_a_second_trip_on_a_day_gets_the_next_number(run, ws_path):
    for _ in range(2):
        result = run("trip", "add", "--date", "2026-11-24", "--from", "Office", "--to", "Library",
                     "--purpose", "Resource pickup", "--miles", "3")
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (ws_path / "trips" / "2026" / "11").glob("T-2026-11-24-*.toml")) == [
        "T-2026-11-24-1.toml", "T-2026-11-24-2.toml", "T-2026-11-24-3.toml"]


def test_add_keeps_a_given_id_and_refuses_it_twice(ws):
    data = {"id": "T-2026-12-01-9", "date": dt.date(2026, 12, 1), "from": "Office", "to": "Clinic",
            "purpose": "Drive to an appointment", "miles": "4.2"}
    trip = model.add(ws, dict(data))
    assert trip.path == ws.path("trips", "2026", "12", "T-2026-12-01-9.toml")
    stored = tomllib.loads(trip.path.read_text())
    assert (stored["id"], stored["miles"]) == ("T-2026-12-01-9", 4.2)
    assert trip.miles == Decimal("4.2")
    with pytest.raises(DataError) as err:
        model.add(ws, dict(data))
    assert err.value.message == "trips/2026/12/T-2026-12-01-9.toml: already exists"


def test_add_without_a_date_names_the_field(ws):
    with pytest.raises(DataError) as err:
        model.add(ws, {"from": "Office", "to": "Clinic", "purpose": "Visit", "miles": "1"}, "trips.json")
    assert err.value.message == "trips.json: field 'date': is required but missing"
    assert not ws.path("trips", "2026", "12").exists()
