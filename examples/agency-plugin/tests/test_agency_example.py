"""Tests of the example agency plugin, written as an agency developer would: with the
fixtures of ``peerkit.testing`` (installed with peerkit), no peerkit source needed.

    pip install -e examples/agency-plugin && cd examples/agency-plugin && python -m pytest
"""
import json

import peerkit_agency_example


def test_the_command_it_adds(peerkit_run, peerkit_register):
    peerkit_register(peerkit_agency_example, "agency_example")  # its entry point's name
    result = peerkit_run("agency-hello")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Hello from Example Peer Services' in-house plugin.\n"


def test_the_house_rule_flags_a_short_response(peerkit_run, peerkit_register, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    peerkit_register(peerkit_agency_example, "agency_example")
    add = peerkit_run("note", "add", "--client", "C001", "--date", "2026-11-24", "--start", "10:00",
                      "--end", "10:30", "--place", "office", "--location", "Agency office",
                      "--goal", "G1",
                      "--purpose", "Work on the housing goal.",
                      "--intervention", "Shared my own experience of finding housing.",
                      "--response", "Nodded.", "--plan", "Meet next week.", "--json")
    assert add.exit_code == 0, add.output
    note_id = json.loads(add.stdout)[0]["id"]
    sign = peerkit_run("note", "sign", note_id)
    assert sign.exit_code == 0, sign.output  # a warning does not stop signing
    result = peerkit_run("note", "check", "--from", "2026-11-24", "--to", "2026-11-24", "--json")
    findings = [f for f in json.loads(result.stdout) if f["note"] == note_id]
    assert [f["rule"] for f in findings if f["rule"].startswith("agency")] == ["agency-response-detail"]
    assert "1 word(s)" in next(f["message"] for f in findings if f["rule"] == "agency-response-detail")


def test_mileage_lines_on_the_invoice(peerkit_run, peerkit_register, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    peerkit_register(peerkit_agency_example, "agency_example")
    result = peerkit_run("invoice", "--week", "2026-W47", "--preview", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    miles = [(ln["date"], ln["quantity"], ln["amount"]) for ln in data["lines"] if ln["kind"] == "mileage"]
    assert miles == [("2026-11-16", "12.4", "8.68"), ("2026-11-19", "8", "5.60")]
    services = [ln for ln in data["lines"] if ln["kind"] == "service"]
    assert services and {ln["description"] for ln in services} <= {
        "Peer support, individual", "Peer support, group"}


def test_without_the_plugin_no_mileage(peerkit_run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    result = peerkit_run("invoice", "--week", "2026-W47", "--preview", "--format", "json")
    assert result.exit_code == 0, result.output
    assert not [ln for ln in json.loads(result.stdout)["lines"] if ln["kind"] == "mileage"]
