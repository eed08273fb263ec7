"""Trips: the mileage log, its exports, and the amounts at [billing] mileage_rate."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tomllib

import pytest

from tests.conftest import assert_no_traceback


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-12-02")


def add(run, *args):
    result = run("trip", "add", *args)
    assert_no_traceback(result)
    return result


def test_add_with_miles_writes_private_record(run, ws_path):
    r = add(run, "--date", "2026-12-01", "--from", "Office", "--to", "Clinic, Oak St", "--miles", "7.3",
            "--client", "C002", "--purpose", "Drive to an appointment", "--vehicle", "Personal car")
    assert r.exit_code == 0, r.output
    path = ws_path / "trips" / "2026" / "12" / "T-2026-12-01-1.toml"
    assert tomllib.loads(path.read_text()) == {
        "id": "T-2026-12-01-1", "date": dt.date(2026, 12, 1), "from": "Office", "to": "Clinic, Oak St",
        "purpose": "Drive to an appointment", "miles": 7.3, "vehicle": "Personal car", "client": "C002"}
    assert path.stat().st_mode & 0o777 == 0o600


def test_add_with_odometer_computes_miles(run, ws_path):
    r = add(run, "--date", "2026-12-01", "--from", "Office", "--to", "Housing office",
            "--odometer-start", "40300.4", "--odometer-end", "40311.6", "--purpose", "View housing")
    assert r.exit_code == 0, r.output
    listed = json.loads(run("trip", "list", "--from", "2026-12-01", "--json").stdout)
    assert [(t["miles"], t["odometer_start"], t["odometer_end"], t["amount"]) for t in listed] == [
        ("11.2", "40300.4", "40311.6", None)]


@pytest.mark.parametrize("args, code, text", [
    (["--miles", "-2"], 2, "--miles"),
    (["--miles", "2.25"], 3, "one decimal"),
    (["--miles", "0"], 3, "more than zero"),
    (["--odometer-start", "10"], 2, "--odometer-end"),
    (["--odometer-start", "10", "--odometer-end", "9"], 3, "odometer_end"),
    ([], 2, "--miles"),
    (["--miles", "3", "--client", "C999"], 3, "C999"),
])
def test_bad_trips_are_refused_and_nothing_written(run, ws_path, args, code, text):
    before = sorted((ws_path / "trips").rglob("*"))
    r = add(run, "--date", "2026-12-01", "--from", "a", "--to", "b", "--purpose", "x", *args)
    assert r.exit_code == code
    assert text in r.output
    assert sorted((ws_path / "trips").rglob("*")) == before


def test_list_shows_amounts_at_the_mileage_rate(run, ws_path):
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text().replace('# mileage_rate = "0.70"', 'mileage_rate = "0.655"'))
    listed = json.loads(run("trip", "list", "--from", "2026-11-01", "--to", "2026-11-30", "--json").stdout)
    assert [(t["id"], t["miles"], t["amount"]) for t in listed] == [
        ("T-2026-11-16-1", "12.4", "8.12"), ("T-2026-11-19-1", "8", "5.24"), ("T-2026-11-24-1", "5.5", "3.60")]
    r = run("trip", "list", "--from", "2026-11-01", "--to", "2026-11-30")
    assert "3 trip(s), 25.9 miles, $16.96 at $0.655/mile." in r.stderr


def test_export_csv_has_the_mileage_log_fields(run, ws_path):
    r = run("trip", "export", "--from", "2026-11-01", "--to", "2026-11-30")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["Date", "Start", "Destination", "Business purpose", "Odometer start", "Odometer end",
                       "Miles", "Vehicle"]
    assert rows[2] == ["2026-11-19", "Office, 100 Example Way", "Community center, Elm St",
                       "Community center group", "40210.2", "40218.2", "8", "Personal car"]
    assert rows[-1][0] == "Total" and rows[-1][6] == "25.9"
    assert "C001" not in r.stdout                      # no client column unless asked for
    with_client = run("trip", "export", "--with-client", "--from", "2026-11-01", "--to", "2026-11-30").stdout
    assert list(csv.reader(io.StringIO(with_client)))[1][-1] == "C001"
    entries = [json.loads(line) for line in (ws_path / "audit.log").read_text().splitlines()]
    assert entries[-1]["command"] == "trip export"
    assert entries[-1]["records"] == ["T-2026-11-16-1", "T-2026-11-19-1", "T-2026-11-24-1"]


def test_export_xlsx_total_is_a_formula_that_agrees(run, ws_path, tmp_path):
    import openpyxl

    out = tmp_path / "miles.xlsx"
    r = run("trip", "export", "--format", "xlsx", "--out", out, "--from", "2026-11-01", "--to", "2026-11-30")
    assert r.exit_code == 0, r.output
    assert out.stat().st_mode & 0o777 == 0o600
    sh = openpyxl.load_workbook(out)["Mileage log"]
    head = next(r for r in range(1, sh.max_row + 1) if sh.cell(r, 1).value == "Date")
    total = next(r for r in range(head, sh.max_row + 1) if sh.cell(r, 1).value == "Total")
    miles = [sh.cell(r, 7).value for r in range(head + 1, total)]
    assert miles == [12.4, 8, 5.5]
    assert sh.cell(head + 1, 1).value == dt.datetime(2026, 11, 16)
    assert sh.cell(total, 7).value == f"=SUM(G{head + 1}:G{total - 1})"
    assert run("trip", "export", "--format", "xlsx").exit_code == 2


def test_broken_trip_file_names_file_and_field(run, ws_path):
    p = ws_path / "trips" / "2026" / "11" / "T-2026-11-24-1.toml"
    p.write_text(p.read_text().replace('purpose = "Home visit"', "purpose = 3"))
    r = run("trip", "list")
    assert_no_traceback(r)
    assert r.exit_code == 3 and "T-2026-11-24-1.toml" in r.output and "'purpose'" in r.output
