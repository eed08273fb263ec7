"""Bad input: one clear 'Error:' line naming file:line and field, exit 3, files unchanged."""
from __future__ import annotations

import pytest

from tests.conftest import assert_no_traceback


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return i
    raise AssertionError(needle)


def check_error(result, expected: str):
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1, result.output
    assert expected in lines[0], lines[0]
    return lines[0]


def test_expiry_before_issue_date_in_file(run, ws_path):
    path = ws_path / "credentials.toml"
    text = path.read_text().replace("expires = 2027-01-14", "expires = 2026-01-14")
    path.write_text(text)
    line = line_of(text, "expires = 2026-01-14")
    result = run("certs", "status")
    check_error(result, f"credentials.toml:{line}: field 'credential[3].expires': is before 'issued'")
    assert path.read_text() == text


def test_negative_hours_in_file(run, ws_path):
    path = ws_path / "credentials.toml"
    text = path.read_text().replace("hours = 1.5", "hours = -1.5")
    path.write_text(text)
    line = line_of(text, "hours = -1.5")
    check_error(run("certs", "list"),
                f"credentials.toml:{line}: field 'ce[2].hours': must be a positive number of hours (like 1.5)")


@pytest.mark.parametrize("replace, expected", [
    ('kind = "licence"', "field 'credential[2].kind': must be one of"),
    ("minutes = 90", None),
    ('ethics = 3 ', "field 'credential[1].category_hours.ethics': must not be negative"),
    ("period_years = 2", "field 'credential[1].period_years': must be a whole number of years from 1 to 20"),
])
def test_other_bad_fields(run, ws_path, replace, expected):
    path = ws_path / "credentials.toml"
    text = path.read_text()
    bad = {
        'kind = "licence"': 'kind = "license-plate"',
        "minutes = 90": "minutes = 0",
        'ethics = 3 ': "ethics = -3 ",
        "period_years = 2": "period_years = 0",
    }[replace]
    text = text.replace(replace, bad, 1)
    path.write_text(text)
    if expected is None:
        expected = (f"credentials.toml:{line_of(text, 'minutes = 0')}: "
                    "field 'supervision[4].minutes': must be a positive")
    check_error(run("certs", "status"), expected)


def test_invalid_toml(run, ws_path):
    path = ws_path / "credentials.toml"
    path.write_text("[[credential]]\nid = \n")
    check_error(run("certs", "status"), "credentials.toml:2: not valid TOML")


def test_status_shows_a_broken_file_as_a_data_error_and_exits_3(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    path = ws_path / "credentials.toml"
    path.write_text(path.read_text().replace("expires = 2027-01-14", "expires = 2026-01-14"))
    import json

    result = run("status", "--json")
    assert result.exit_code == 3
    assert not [a for a in json.loads(result.stdout) if a["source"] == "certs"]
    assert "field 'credential[3].expires': is before 'issued'" in result.stderr
    assert "credentials.toml" in result.stderr


def test_add_expiry_before_issue_refused(run, ws_path):
    path = ws_path / "credentials.toml"
    before = path.read_bytes()
    result = run("certs", "add", "cert2", "--preset", "nc-cpss", "--issued", "2026-01-01", "--expires", "2025-01-01")
    check_error(result, "command line: field 'expires': is before 'issued'")
    assert path.read_bytes() == before


@pytest.mark.parametrize("hours, expected", [
    ("-2", "command line: field 'hours': must be a positive number of hours (like 1.5)"),
    ("0", "command line: field 'hours': must be a positive number of hours (like 1.5)"),
    ("two", "command line: field 'hours': expected a number of hours like 1.5"),
    ("nan", "command line: field 'hours': expected a number of hours like 1.5"),
])
def test_ce_add_bad_hours_refused(run, ws_path, hours, expected):
    path = ws_path / "credentials.toml"
    before = path.read_bytes()
    result = run("certs", "ce", "add", "--date", "2026-11-20", "--hours", hours, "--title", "Ethics")
    check_error(result, expected)
    assert path.read_bytes() == before


def test_add_negative_renewal_hours_refused(run, ws_path):
    path = ws_path / "credentials.toml"
    before = path.read_bytes()
    result = run("certs", "add", "c", "--kind", "certification", "--name", "X", "--renewal-hours", "-20")
    check_error(result, "command line: field 'renewal_hours': must not be negative")
    result = run("certs", "add", "c", "--kind", "certification", "--name", "X", "--category", "ethics=-1")
    check_error(result, "command line: field 'category_hours.ethics': must not be negative")
    assert path.read_bytes() == before


def test_supervision_add_bad_minutes_refused(run, ws_path):
    path = ws_path / "credentials.toml"
    before = path.read_bytes()
    check_error(run("certs", "supervision", "add", "--date", "2026-11-20", "--minutes", "-30"),
                "command line: field 'minutes': must be a positive number of minutes")
    assert path.read_bytes() == before


def test_bad_settings(run, ws_path):
    toml = ws_path / "peerkit.toml"
    toml.write_text(toml.read_text().replace("warn_days = 90", "warn_days = -5"))
    check_error(run("certs", "status"), "field 'certs.warn_days': must not be negative")


def test_messages_never_show_values(run, ws_path):
    path = ws_path / "credentials.toml"
    path.write_text(path.read_text().replace('number = "NCCPSS-0000"', "number = 12345"))
    out = check_error(run("certs", "status"), "field 'credential[1].number': expected text in quotes")
    assert "12345" not in out
