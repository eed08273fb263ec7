"""Issue 20: one clock (PEERKIT_TODAY / PEERKIT_NOW) for every command; dates in the future
refused where they cannot be true."""
from __future__ import annotations

import datetime as dt
import json

from tests.conftest import assert_no_traceback


def test_today_follows_peerkit_now_later_than_today(monkeypatch):
    from peerkit import dates

    monkeypatch.setenv("PEERKIT_NOW", "2031-03-04T09:30:00")
    assert dates.today() == dt.date(2031, 3, 4) and dates.now().date() == dates.today()
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    assert dates.today() == dt.date(2026, 11, 25)
    monkeypatch.delenv("PEERKIT_NOW")
    assert dates.now().date() == dt.date(2026, 11, 25)


def test_status_honours_peerkit_now_as_as_of_does(run, monkeypatch):
    later = "2031-03-04"
    by_option = run("status", "--json", "--as-of", later)
    assert_no_traceback(by_option)
    monkeypatch.setenv("PEERKIT_NOW", f"{later}T09:00:00")
    by_clock = run("status", "--json")
    assert_no_traceback(by_clock)
    assert by_clock.exit_code == by_option.exit_code
    assert json.loads(by_clock.stdout) == json.loads(by_option.stdout)
    monkeypatch.delenv("PEERKIT_NOW")
    assert json.loads(run("status", "--json").stdout) != json.loads(by_option.stdout)


def test_resources_verify_refuses_a_future_date(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    slug = sorted(p.stem for p in (ws_path / "resources").glob("*.toml"))[0]
    before = (ws_path / "resources" / f"{slug}.toml").read_bytes()
    result = run("resources", "verify", slug, "--date", "2027-01-01")
    assert_no_traceback(result)
    assert result.exit_code == 2 and "--date" in result.output and "in the future" in result.output
    assert (ws_path / "resources" / f"{slug}.toml").read_bytes() == before
    ok = run("resources", "verify", slug, "--date", "2026-11-25")
    assert ok.exit_code == 0, ok.output
    assert "last_verified = 2026-11-25" in (ws_path / "resources" / f"{slug}.toml").read_text()
