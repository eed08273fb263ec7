"""Client documents, their note checks and alerts; goals' start dates and progress;
authorizations from the command line with an opening balance; eligibility."""
from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest

from tests.conftest import assert_no_traceback


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")


def client_file(ws_path, cid):
    return ws_path / "clients" / f"{cid}.toml"


def findings(run, *args):
    r = run("note", "check", "--from", "2026-11-01", "--to", "2026-11-30", "--json", *args)
    assert_no_traceback(r)
    return r, {(f["note"], f["rule"]) for f in json.loads(r.stdout)}


def replace(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# ------------------------------------------------------------------ documents


def test_doc_add_and_list(run, ws_path):
    r = run("client", "doc", "add", "C002", "--kind", "release-of-information", "--signed", "2026-11-20",
            "--signer", "Riley Example", "--expires", "2027-11-20", "--recipient", "Example Clinic")
    assert r.exit_code == 0, r.output
    data = tomllib.loads(client_file(ws_path, "C002").read_text())
    assert data["documents"][-1] == {"id": "D4", "kind": "release-of-information",
                                     "signed": dt.date(2026, 11, 20), "signer": "Riley Example",
                                     "expires": dt.date(2027, 11, 20), "recipients": ["Example Clinic"]}
    listed = json.loads(run("client", "doc", "list", "C002", "--json").stdout)
    assert [(d["id"], d["kind"]) for d in listed] == [
        ("D1", "service-order"), ("D2", "comprehensive-clinical-assessment"),
        ("D3", "person-centered-plan"), ("D4", "release-of-information")]


@pytest.mark.parametrize("args, code", [
    (["--kind", "service-order", "--signed", "2026-11-20", "--signer", "x", "--recipient", "y"], 3),
    (["--kind", "service-order", "--signed", "2026-11-20", "--signer", "x", "--expires", "2026-11-01"], 3),
    (["--kind", "nonsense", "--signed", "2026-11-20", "--signer", "x"], 2),
    (["--kind", "consent", "--signed", "2026-11-20", "--signer", "x", "--id", "D1"], 3),
])
def test_bad_documents_leave_the_file_as_it_was(run, ws_path, args, code):
    before = client_file(ws_path, "C002").read_bytes()
    r = run("client", "doc", "add", "C002", *args)
    assert_no_traceback(r)
    assert r.exit_code == code
    assert client_file(ws_path, "C002").read_bytes() == before


def test_example_workspace_passes_the_document_checks(run):
    r, found = findings(run)
    assert r.exit_code == 0
    assert not {rule for _, rule in found} & {"service-order", "documents-current", "eligibility-age",
                                               "family-member", "goal-progress"}


def test_service_before_the_service_order_is_an_error(run, ws_path):
    replace(client_file(ws_path, "C001"), "signed = 2026-08-28", "signed = 2026-11-06")
    r, found = findings(run)
    assert r.exit_code == 1
    c001 = {n for n, rule in found if rule == "service-order"}
    assert c001 == {"N-2026-11-02-C001-1", "N-2026-11-05-C001-2"}


def test_service_order_needed_only_when_documents_are_tracked(run, ws_path):
    p = client_file(ws_path, "C004")
    p.write_text(p.read_text().split("# Documents the service needs")[0])
    _, found = findings(run)
    assert not any(rule == "service-order" for _, rule in found)
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text() + "\n[clients]\nrequire_service_order = true\n")
    r, found = findings(run)
    assert r.exit_code == 1
    assert {n for n, rule in found if rule == "service-order"} == {
        "N-2026-11-06-C004-1", "N-2026-11-07-C004-2", "N-2026-11-13-C004-1", "N-2026-11-20-C004-1",
        "N-2026-11-24-C004-1"}


def test_expired_plan_is_an_error(run, ws_path):
    text = client_file(ws_path, "C003").read_text()
    client_file(ws_path, "C003").write_text(text.replace("expires = 2027-10-01", "expires = 2026-11-15"))
    r, found = findings(run)
    assert r.exit_code == 1
    assert {n for n, rule in found if rule == "documents-current"} == {
        "N-2026-11-18-C003-1", "N-2026-11-19-C003-3", "N-2026-11-21-C003-2"}


def test_plan_review_alerts(run, ws_path):
    p = client_file(ws_path, "C002")
    replace(p, 'kind = "person-centered-plan"\nsigned = 2026-08-15',
            'kind = "person-centered-plan"\nsigned = 2026-08-15\nreview_due = 2026-12-10')
    alerts = [a for a in json.loads(run("status", "--json").stdout) if a["source"] == "clients"]
    assert alerts == [{"source": "clients", "subject": "C002", "severity": "warning", "due": "2026-12-10",
                       "message": "person-centered plan review due 2026-12-10"}]
    replace(p, "review_due = 2026-12-10", "review_due = 2026-11-20")
    r = run("status", "--json")
    assert r.exit_code == 1
    alerts = [a for a in json.loads(r.stdout) if a["source"] == "clients"]
    assert [(a["severity"], a["due"]) for a in alerts] == [("error", "2026-11-20")]


def test_plan_review_default_is_signed_plus_months(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text() + "\n[clients]\nplan_review_months = 3\n")
    alerts = [a for a in json.loads(run("status", "--json").stdout) if a["source"] == "clients"]
    # C001 plan signed 2026-09-01 -> due 2026-12-01 (warning); C002 signed 2026-08-15 -> 2026-11-15 (overdue)
    assert {(a["subject"], a["severity"], a["due"]) for a in alerts} == {
        ("C001", "warning", "2026-12-01"), ("C002", "error", "2026-11-15")}


# ------------------------------------------------------------------ goals


def test_add_goal_with_started_and_default_today(run, ws_path):
    r = run("client", "edit", "C001", "--add-goal", "G3:Get a library card", "--started", "2026-10-01")
    assert r.exit_code == 0, r.output
    r = run("client", "edit", "C001", "--add-goal", "G4:Join a walking group")
    assert r.exit_code == 0, r.output
    goals = {g["id"]: g for g in tomllib.loads(client_file(ws_path, "C001").read_text())["goals"]}
    assert goals["G3"]["started"] == dt.date(2026, 10, 1)
    assert goals["G4"]["started"] == dt.date(2026, 11, 25)          # PEERKIT_TODAY, not the system clock
    assert run("client", "edit", "C001", "--started", "2026-10-01").exit_code == 2


def test_progress_over_time(run, ws_path):
    note = ws_path / "notes" / "2026" / "11" / "N-2026-11-16-C001-1.toml"
    goals = tomllib.loads(note.read_text())["goals"]
    assert "G1" in goals
    note.write_text(note.read_text() + "\n[progress]\nG1 = 3\n")
    r = run("client", "progress", "C001", "--json")
    assert r.exit_code == 0, r.output
    g1 = next(g for g in json.loads(r.stdout) if g["goal"] == "G1")
    rated = [(e["note"], e["rating"], e["label"]) for e in g1["notes"] if e["rating"] is not None]
    assert rated == [("N-2026-11-16-C001-1", 3, "some progress")]
    assert g1["latest_rating"] == 3
    assert "N-2026-11-16-C001-1" in run("client", "progress", "C001").stdout
    note.write_text(note.read_text().replace("G1 = 3", "G1 = 9"))
    r, found = findings(run)
    assert ("N-2026-11-16-C001-1", "goal-progress") in found


# ------------------------------------------------------------------ authorizations


def test_auth_add_list_end(run, ws_path):
    r = run("client", "auth", "add", "C004", "--code", "H0038", "--units", "120", "--start", "2026-11-01",
            "--end", "2027-04-30", "--hours-per-week", "3", "--number", "PA-4001", "--units-used-before", "10")
    assert r.exit_code == 0, r.output
    auths = tomllib.loads(client_file(ws_path, "C004").read_text())["authorizations"]
    assert auths == [{"code": "H0038", "modifier": "", "number": "PA-4001", "units": 120,
                      "start": dt.date(2026, 11, 1), "end": dt.date(2027, 4, 30), "hours_per_week": 3.0,
                      "units_used_before": 10}]
    listed = json.loads(run("client", "auth", "list", "C004", "--json").stdout)
    assert [(a["position"], a["number"], a["units_used_before"]) for a in listed] == [(1, "PA-4001", 10)]
    assert run("client", "auth", "end", "C004", "PA-4001", "--date", "2027-01-31").exit_code == 0
    assert tomllib.loads(client_file(ws_path, "C004").read_text())["authorizations"][0]["end"] == \
        dt.date(2027, 1, 31)
    before = client_file(ws_path, "C004").read_bytes()
    assert run("client", "auth", "end", "C004", "PA-9", "--date", "2027-01-01").exit_code == 3
    assert run("client", "auth", "end", "C004", "1", "--date", "2026-10-01").exit_code == 3
    assert run("client", "auth", "add", "C004", "--code", "H0038", "--units", "5", "--start", "2026-12-01",
               "--end", "2026-11-01").exit_code == 3
    assert client_file(ws_path, "C004").read_bytes() == before


def test_opening_balance_counts_in_caseload(run, ws_path):
    def used():
        data = json.loads(run("caseload", "--as-of", "2026-11-25", "--json").stdout)
        return {(a["client"], a["modifier"]): a["used"] for a in data["authorizations"]}

    base = used()[("C001", "")]
    replace(client_file(ws_path, "C001"), "units = 240\n", "units = 240\nunits_used_before = 200\n")
    assert used()[("C001", "")] == base + 200


# ------------------------------------------------------------------ eligibility


def test_under_min_age_is_an_error(run, ws_path):
    replace(client_file(ws_path, "C003"), "date_of_birth = 1996-01-22", "date_of_birth = 2008-11-19")
    r, found = findings(run)
    assert r.exit_code == 1
    # 18 on 2026-11-19: the notes before that day fail (N-2026-11-11-C003-1 is void: not checked)
    assert {n for n, rule in found if rule == "eligibility-age"} == {
        "N-2026-11-04-C003-1", "N-2026-11-05-C003-2", "N-2026-11-12-C003-2", "N-2026-11-18-C003-1"}
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text() + "\n[clients]\nmin_age = 16\n")
    _, found = findings(run)
    assert not any(rule == "eligibility-age" for _, rule in found)


def test_family_member_is_an_error_for_every_service(run, ws_path):
    replace(client_file(ws_path, "C004"), 'status = "active"\n', 'status = "active"\nfamily_member = true\n')
    r, found = findings(run)
    assert r.exit_code == 1
    assert {n for n, rule in found if rule == "family-member"} == {
        "N-2026-11-06-C004-1", "N-2026-11-07-C004-2", "N-2026-11-13-C004-1", "N-2026-11-20-C004-1",
        "N-2026-11-24-C004-1"}
    replace(client_file(ws_path, "C004"), "family_member = true", 'family_member = "yes"')
    r = run("note", "check", "--json")
    assert r.exit_code == 3 and "family_member" in r.output
