"""Confidentiality notices on exports, the 42 CFR Part 2 consent gate, the crisis card's
on-call number and signature lines, the WRAP xlsx trademark, the future-week invoice warning."""
from __future__ import annotations

import json

import pytest

from peerkit.notices import DEFAULT_NOTICE, PART2_NOTICE
from tests.conftest import assert_no_traceback

NOTE = "N-2026-11-16-C001-1"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")


def set_agency(ws_path, old, new):
    p = ws_path / "peerkit.toml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))


def audit(ws_path):
    return [json.loads(line) for line in (ws_path / "audit.log").read_text().splitlines()]


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_rendered_note_carries_the_default_notice_first(run, fmt):
    r = run("note", "render", NOTE, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert DEFAULT_NOTICE in r.stdout
    if fmt == "md":       # right under the title
        assert r.stdout.startswith(f"# Service note\n\n> {DEFAULT_NOTICE}\n\n| |")
    else:
        first = {"html": "<main", "txt": "SERVICE NOTE"}[fmt]
        assert r.stdout.index("CONFIDENTIAL") < r.stdout.index(first)
    assert PART2_NOTICE not in r.stdout


def test_agency_notice_replaces_the_default(run, ws_path):
    set_agency(ws_path, "part2 = false", 'part2 = false\nconfidentiality_notice = "Agency <notice> & rules"')
    html = run("note", "render", NOTE, "--format", "html").stdout
    assert "<p>Agency &lt;notice&gt; &amp; rules</p>" in html
    assert DEFAULT_NOTICE not in html


def test_review_workbook_has_a_notice_sheet(run, ws_path, tmp_path):
    import openpyxl

    out = tmp_path / "review.xlsx"
    r = run("note", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", out)
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Notes" and "Notice" in wb.sheetnames
    assert wb["Notice"]["A1"].value == DEFAULT_NOTICE


def test_wrap_exports_carry_the_notice(run, ws_path, tmp_path):
    import openpyxl

    for args in (["--format", "html"], ["--format", "md"], ["--card"]):
        r = run("wrap", "export", "C001", *args)
        assert r.exit_code == 0, r.output
        assert DEFAULT_NOTICE in r.stdout, args
    out = tmp_path / "plan.xlsx"
    assert run("wrap", "export", "C001", "--format", "xlsx", "--out", out).exit_code == 0
    wb = openpyxl.load_workbook(out)
    assert wb["Notice"]["A2"].value == DEFAULT_NOTICE
    about = {row[0].value: row[1].value for row in wb["About this plan"].iter_rows(min_row=2)}
    assert about["Trademark"].startswith("WRAP and Wellness Recovery Action Plan are registered trademarks")


def test_crisis_card_on_call_and_signature(run, ws_path):
    card = run("wrap", "export", "C001", "--card").stdout
    assert 'Example Peer Services on-call: <span class="phone">919-555-0100</span>' in card
    assert "Signature: ______________________ Date: __________" in card
    set_agency(ws_path, 'on_call_phone = "919-555-0100"', "")
    assert "on-call" not in run("wrap", "export", "C001", "--card").stdout


# ------------------------------------------------------------------ Part 2


@pytest.fixture
def part2(ws_path):
    set_agency(ws_path, "part2 = false", "part2 = true")


def test_part2_export_without_consent_is_refused(run, ws_path, part2, tmp_path):
    for args in (["note", "render", NOTE], ["wrap", "export", "C001", "--format", "md"]):
        r = run(*args)
        assert_no_traceback(r)
        assert r.exit_code == 2 and "--consent" in r.output, args
    out = tmp_path / "x.md"
    assert run("note", "render", NOTE, "--out", out).exit_code == 2
    assert not out.exists()


def test_part2_export_with_consent_carries_the_232_notice_and_audits_it(run, ws_path, part2):
    r = run("note", "render", NOTE, "--consent", "D4", "--recipient", "example lme/mco")
    assert r.exit_code == 0, r.output
    assert DEFAULT_NOTICE in r.stdout and PART2_NOTICE in r.stdout
    assert audit(ws_path)[-1]["action"] == "md consent=D4"
    r = run("wrap", "export", "C001", "--format", "html", "--consent", "D4", "--recipient", "Example LME/MCO")
    assert r.exit_code == 0, r.output
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in r.stdout
    assert audit(ws_path)[-1]["action"] == "format=html consent=D4"


@pytest.mark.parametrize("consent, recipient, text", [
    ("D4", "Someone Else", "does not list that recipient"),
    ("D1", "Example LME/MCO", "not a consent"),
    ("D9", "Example LME/MCO", "no document 'D9'"),
])
def test_part2_bad_consents_are_refused(run, ws_path, part2, consent, recipient, text):
    r = run("note", "render", NOTE, "--consent", consent, "--recipient", recipient)
    assert_no_traceback(r)
    assert r.exit_code == 3 and text in r.output
    assert "Someone Else" not in r.output


def test_part2_expired_or_undated_consent_is_refused(run, ws_path, part2, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2027-09-02")      # D4 expires 2027-09-01
    r = run("note", "render", NOTE, "--consent", "D4", "--recipient", "Example LME/MCO")
    assert r.exit_code == 3 and "expired on 2027-09-01" in r.output
    p = ws_path / "clients" / "C001.toml"
    p.write_text(p.read_text().replace('signer = "Sam Example"\nexpires = 2027-09-01', 'signer = "Sam Example"'))
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    r = run("note", "render", NOTE, "--consent", "D4", "--recipient", "Example LME/MCO")
    assert r.exit_code == 3 and "no 'expires' date" in r.output


def test_consent_needs_a_recipient(run, ws_path):
    assert run("note", "render", NOTE, "--consent", "D4").exit_code == 2


# ------------------------------------------------------------------ invoice for a week not ended


def test_invoice_for_a_week_not_ended_warns(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-19")
    r = run("invoice", "--week", "2026-W47", "--preview", "--format", "json")
    assert r.exit_code == 0, r.output
    assert "has not ended" in r.stderr
    json.loads(r.stdout)                                       # stdout stays data only
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-23")
    r = run("invoice", "--week", "2026-W47", "--preview", "--format", "json")
    assert "has not ended" not in r.stderr
