"""wrap edit in $EDITOR (saved only when valid), wrap check, and the status alerts."""
from __future__ import annotations

import json

import pytest

from tests.conftest import assert_no_traceback
from tests.wrap.conftest import replace_in


def error_lines(result) -> list[str]:
    assert_no_traceback(result)
    return [ln for ln in result.output.splitlines() if ln.startswith("Error:")]


# ------------------------------------------------------------------------------ edit


def test_invalid_toml_edit_leaves_the_file_byte_identical(run, plan_path, make_editor):
    before = plan_path.read_bytes()
    make_editor("""
        text = p.read_text()
        p.write_text(text.replace('[toolbox]', '[toolbox\\nbroken = ', 1))
    """)
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 3
    [line] = error_lines(result)
    assert "wrap/C001.toml:" in line and "not valid TOML" in line and "was kept as it was" in line
    assert plan_path.read_bytes() == before


def test_invalid_field_edit_names_line_and_field_and_keeps_file(run, plan_path, make_editor):
    before = plan_path.read_bytes()
    make_editor("""
        text = p.read_text()
        p.write_text(text.replace('phone = "919-555-0187"', 'phone = "ask Jordan"', 1))
    """)
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 3
    [line] = error_lines(result)
    expected = next(i for i, ln in enumerate(before.decode().splitlines(), 1) if "919-555-0187" in ln)
    assert f"wrap/C001.toml:{expected}: field 'crisis.supporters[2].phone'" in line
    assert "ask Jordan" not in result.output
    assert "-edit-" not in line  # the editor's temporary copy is never named
    assert plan_path.read_bytes() == before


def test_valid_edit_is_saved_with_comments_kept(run, plan_path, make_editor):
    make_editor("""
        text = p.read_text()
        p.write_text(text.replace('reviewed = 2026-11-10', 'reviewed = 2026-11-25  # went over it together', 1))
    """)
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 0, result.output
    assert "Saved." in result.output
    text = plan_path.read_text()
    assert "reviewed = 2026-11-25  # went over it together" in text
    assert text.startswith("# Wellness and crisis action plan for client C001")
    shown = json.loads(run("wrap", "show", "C001", "--json").stdout)
    assert shown["review_due"] == "2027-05-25"


def test_edit_warns_about_unknown_fields(run, plan_path, make_editor):
    make_editor("""
        text = p.read_text()
        p.write_text(text.replace('[daily]', '[daily]\\nevery_dya = ["typo"]', 1))
    """)
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 0
    assert "Warning: field 'daily.every_dya' is not part of the plan" in result.output


def test_unchanged_edit_and_missing_editor(run, plan_path, make_editor, monkeypatch):
    before = plan_path.read_bytes()
    make_editor("pass\n")
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 0 and "No change." in result.output
    monkeypatch.delenv("EDITOR")
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 2 and "set $EDITOR" in result.output
    assert_no_traceback(result)
    assert plan_path.read_bytes() == before


# ------------------------------------------------------------------------------ check


def test_check_example_workspace(run):
    result = run("wrap", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "wrap/C003.toml: error: [supporter-phone] crisis.supporters[1] has no phone number: add "
        "'phone' so supporters can be reached in a crisis"]
    one = run("wrap", "check", "C001")
    assert one.exit_code == 0 and "No problems found." in one.stdout


def test_check_json_shape(run):
    result = run("wrap", "check", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "client": "C003", "file": "wrap/C003.toml", "rule": "supporter-phone", "severity": "error",
        "message": "crisis.supporters[1] has no phone number: add 'phone' so supporters can be "
                   "reached in a crisis", "due": None}]


def test_check_needs_a_supporter(run, ws_path):
    assert run("wrap", "new", "C002").exit_code == 0
    findings = json.loads(run("wrap", "check", "C002", "--json").stdout)
    assert [f["rule"] for f in findings] == ["supporters"]
    assert run("wrap", "check", "C002").exit_code == 1


@pytest.mark.parametrize("today, severity, code", [
    ("2027-04-09", None, 0),        # more than 30 days before the review is due
    ("2027-04-10", "warning", 0),   # due within 30 days: a warning, exit 0
    ("2027-05-10", "warning", 0),   # due today
    ("2027-05-11", "error", 1),     # overdue
])
def test_check_review_interval(run, monkeypatch, today, severity, code):
    monkeypatch.setenv("PEERKIT_TODAY", today)
    result = run("wrap", "check", "C001", "--json")
    findings = [f for f in json.loads(result.stdout) if f["rule"] == "review"]
    if severity is None:
        assert findings == []
    else:
        assert [(f["severity"], f["due"]) for f in findings] == [(severity, "2027-05-10")]
    assert result.exit_code == code


def test_review_months_setting(run, ws_path, monkeypatch):
    replace_in(ws_path / "peerkit.toml", "review_months = 6 ", "review_months = 3 ")
    monkeypatch.setenv("PEERKIT_TODAY", "2027-02-11")
    findings = json.loads(run("wrap", "check", "C001", "--json").stdout)
    assert [(f["rule"], f["due"]) for f in findings] == [("review", "2027-02-10")]
    assert "not reviewed within 3 months (last 2026-11-10)" in findings[0]["message"]


def test_bad_settings_are_named(run, ws_path):
    replace_in(ws_path / "peerkit.toml", "review_months = 6 ", "review_months = 0 ")
    result = run("wrap", "check")
    assert result.exit_code == 3
    [line] = error_lines(result)
    assert "peerkit.toml:" in line and "field 'wrap.review_months'" in line


def test_check_all_reports_broken_and_orphan_files(run, ws_path):
    (ws_path / "wrap" / "C004.toml").write_text('client = "C004"\nwritten = "yesterday"\n')
    (ws_path / "wrap" / "C999.toml").write_text('client = "C999"\n')
    findings = json.loads(run("wrap", "check", "--json").stdout)
    by_client = {f["client"]: f for f in findings}
    assert by_client["C004"]["rule"] == "invalid"
    assert by_client["C004"]["message"] == ("wrap/C004.toml:2: field 'written': expected a date "
                                           "(YYYY-MM-DD, no quotes), found text")
    assert by_client["C999"]["rule"] == "client"


def test_advance_directive_location_warning(run, plan_path):
    replace_in(plan_path, 'original_location = "Blue folder', 'original_location = "" # "Blue folder')
    findings = json.loads(run("wrap", "check", "C001", "--json").stdout)
    assert [(f["rule"], f["severity"]) for f in findings] == [("advance-directive", "warning")]


# ------------------------------------------------------------------------------ status


def wrap_alerts(run):
    result = run("status", "--json")
    return result, [a for a in json.loads(result.stdout) if a["source"] == "wrap"]


def test_status_is_quiet_when_reviews_are_current(run):
    _, alerts = wrap_alerts(run)
    assert alerts == []


def test_status_warns_before_a_review_is_due(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2027-03-20")
    result, alerts = wrap_alerts(run)
    assert alerts == [{"source": "wrap", "subject": "C003", "severity": "warning", "due": "2027-04-08",
                       "message": "wellness and crisis plan review due 2027-04-08"}]
    assert "C003" in run("status").stdout


def test_status_overdue_is_an_error_by_default(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2027-06-01")
    result, alerts = wrap_alerts(run)
    assert [(a["subject"], a["severity"], a["due"]) for a in alerts] == [
        ("C003", "error", "2027-04-08"), ("C001", "error", "2027-05-10")]
    assert "review overdue (due 2027-05-10)" in alerts[1]["message"]
    assert result.exit_code == 1
    assert "Sam" not in result.output and "Casey" not in result.output


def test_status_overdue_severity_can_be_warning(run, ws_path, monkeypatch):
    replace_in(ws_path / "peerkit.toml", 'overdue_severity = "error"', 'overdue_severity = "warning"')
    monkeypatch.setenv("PEERKIT_TODAY", "2027-06-01")
    _, alerts = wrap_alerts(run)
    assert {a["subject"]: a["severity"] for a in alerts}["C001"] == "warning"


def test_status_skips_discharged_and_flags_broken_plans(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2027-06-01")
    assert run("client", "discharge", "C001", "--date", "2027-01-15").exit_code == 0
    (ws_path / "wrap" / "C003.toml").write_text('client = "C003"\n[crisis]\nhelps = 3\n')
    result, alerts = wrap_alerts(run)
    # the broken plan is a data error (exit 3, on stderr); the other plans are still read
    assert alerts == [] and result.exit_code == 3
    assert "C003.toml" in result.stderr and "field 'crisis.helps'" in result.stderr


def test_status_reports_bad_settings(run, ws_path):
    replace_in(ws_path / "peerkit.toml", 'overdue_severity = "error"', 'overdue_severity = "loud"')
    result, alerts = wrap_alerts(run)
    assert alerts == []
    assert "field 'wrap.overdue_severity'" in result.stderr
    assert result.exit_code == 3
