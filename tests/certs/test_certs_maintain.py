"""Issue 20: certs renew, edit and retire maintain credentials.toml (comments kept)."""
from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest


@pytest.fixture
def day(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T10:00:00")


def creds(ws_path):
    return {c["id"]: c for c in tomllib.loads((ws_path / "credentials.toml").read_text())["credential"]}


def comments(ws_path):
    return [ln.split("#", 1)[1] for ln in (ws_path / "credentials.toml").read_text().splitlines() if "#" in ln]


def test_renew_moves_issued_and_expiry_by_one_period_keeping_comments(run, ws_path, day):
    before = comments(ws_path)
    result = run("certs", "renew", "nc-cpss", "--date", "2026-11-20", "--number", "NCCPSS-0001")
    assert result.exit_code == 0, result.output
    c = creds(ws_path)["nc-cpss"]
    # 2027-03-31 (the end of a month) + 2 years = 2029-03-31
    assert (c["issued"], c["expires"], c["number"]) == (dt.date(2026, 11, 20), dt.date(2029, 3, 31), "NCCPSS-0001")
    assert c["category_hours"] == {"ethics": 3} and c["renewal_hours"] == 20
    assert "valid through 2029-03-31" in result.output
    assert comments(ws_path) == before  # every comment kept, even on the lines changed
    listed = {c["id"]: c for c in json.loads(run("certs", "list", "--json").stdout)}
    assert listed["nc-cpss"]["expires"] == "2029-03-31" and listed["nc-cpss"]["state"] == "ok"


def test_renew_without_a_period_needs_expires(run, ws_path, day):
    before = (ws_path / "credentials.toml").read_bytes()
    result = run("certs", "renew", "auto-insurance")
    assert result.exit_code == 3 and "give --expires" in result.output
    assert (ws_path / "credentials.toml").read_bytes() == before
    ok = run("certs", "renew", "auto-insurance", "--expires", "2027-07-14")
    assert ok.exit_code == 0, ok.output
    assert creds(ws_path)["auto-insurance"]["expires"] == dt.date(2027, 7, 14)
    assert creds(ws_path)["auto-insurance"]["issued"] == dt.date(2026, 11, 25)


def test_renew_refuses_a_future_date_and_an_unknown_id(run, ws_path, day):
    before = (ws_path / "credentials.toml").read_bytes()
    future = run("certs", "renew", "nc-cpss", "--date", "2027-01-01")
    assert future.exit_code == 2 and "--date" in future.output and "in the future" in future.output
    unknown = run("certs", "renew", "no-such")
    assert unknown.exit_code == 3 and "no credential with id 'no-such'" in unknown.output
    assert (ws_path / "credentials.toml").read_bytes() == before


def test_edit_changes_only_the_given_fields(run, ws_path, day):
    before = comments(ws_path)
    result = run("certs", "edit", "drivers-licence", "--number", "000000000001", "--grace-days", "10",
                 "--category", "safety=2")
    assert result.exit_code == 0, result.output
    c = creds(ws_path)["drivers-licence"]
    assert (c["number"], c["grace_days"], c["expires"]) == ("000000000001", 10, dt.date(2030, 6, 19))
    assert c["category_hours"] == {"safety": 2}
    assert comments(ws_path) == before
    # a key added to a credential with a sub-table stays before it (valid TOML, same meaning)
    result = run("certs", "edit", "nc-cpss", "--issuer", "NC CPSS Program", "--renew-by", "2027-03-15",
                 "--category", "ethics=4")
    assert result.exit_code == 0, result.output
    c = creds(ws_path)["nc-cpss"]
    assert (c["issuer"], c["renew_by"], c["category_hours"]) == ("NC CPSS Program", dt.date(2027, 3, 15), {"ethics": 4})


def test_edit_refuses_bad_values_leaving_the_file(run, ws_path, day):
    before = (ws_path / "credentials.toml").read_bytes()
    bad = run("certs", "edit", "drivers-licence", "--expires", "2020-01-01")  # before 'issued'
    assert bad.exit_code == 3 and "expires" in bad.output and "Traceback" not in bad.output
    hours = run("certs", "edit", "nc-cpss", "--renewal-hours", "lots")
    assert hours.exit_code == 2 and "--renewal-hours" in hours.output
    too_many = run("certs", "edit", "nc-cpss", "--category", "ethics=30")
    assert too_many.exit_code == 3 and "category_hours" in too_many.output
    nothing = run("certs", "edit", "nc-cpss")
    assert nothing.exit_code == 2
    assert (ws_path / "credentials.toml").read_bytes() == before


def test_retire_keeps_the_record_and_stops_its_alerts(run, ws_path, day):
    status = json.loads(run("certs", "status", "--json", "--as-of", "2027-01-20").stdout)
    assert any(a["subject"] == "auto-insurance" for a in status["alerts"])
    result = run("certs", "retire", "auto-insurance", "--date", "2027-01-14")
    assert result.exit_code == 0, result.output
    assert creds(ws_path)["auto-insurance"]["retired"] == dt.date(2027, 1, 14)
    status = json.loads(run("certs", "status", "--json", "--as-of", "2027-01-20").stdout)
    assert not any(a["subject"] == "auto-insurance" for a in status["alerts"])
    listed = {c["id"]: c for c in status["credentials"]}
    assert listed["auto-insurance"]["state"] == "retired" and listed["auto-insurance"]["retired"] == "2027-01-14"
    # before the retirement day it is still due as usual
    earlier = json.loads(run("certs", "status", "--json", "--as-of", "2027-01-10").stdout)
    assert {c["id"]: c for c in earlier["credentials"]}["auto-insurance"]["state"] == "lapsing"
    # a renewal brings it back
    assert run("certs", "renew", "auto-insurance", "--expires", "2027-07-14").exit_code == 0
    assert "retired" not in creds(ws_path)["auto-insurance"]


@pytest.mark.parametrize("args", [
    ("ce", "add", "--date", "2026-12-01", "--hours", "2", "--title", "Future training"),
    ("supervision", "add", "--date", "2026-12-01", "--minutes", "60"),
])
def test_training_and_supervision_cannot_be_in_the_future(run, ws_path, day, args):
    before = (ws_path / "credentials.toml").read_bytes()
    result = run("certs", *args)
    assert result.exit_code == 2 and "--date" in result.output and "in the future" in result.output
    assert (ws_path / "credentials.toml").read_bytes() == before
    today = [a if a != "2026-12-01" else "2026-11-25" for a in args]
    assert run("certs", *today).exit_code == 0
