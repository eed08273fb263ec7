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
                      "--response", "Nodded and said it felt useful.", "--plan", "Meet next week.", "--json")
    assert add.exit_code == 0, add.output
    note_id = json.loads(add.stdout)[0]["id"]
    sign = peerkit_run("note", "sign", note_id)
    assert sign.exit_code == 0, sign.output  # a warning does not stop signing
    result = peerkit_run("note", "check", "--from", "2026-11-24", "--to", "2026-11-24", "--json")
    findings = [f for f in json.loads(result.stdout) if f["note"] == note_id]
    assert [f["rule"] for f in findings if f["rule"].startswith("agency")] == ["agency-response-detail"]
    assert "6 word(s)" in next(f["message"] for f in findings if f["rule"] == "agency-response-detail")


def test_a_monthly_fee_on_the_invoice_holding_the_first_of_a_month(peerkit_run, peerkit_register, monkeypatch):
    # the example workspace sets [agency_example] monthly_fee = "25.00"
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    peerkit_register(peerkit_agency_example, "agency_example")

    def fees(*period):
        result = peerkit_run("invoice", *period, "--preview", "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        return [(ln["date"], ln["amount"]) for ln in data["lines"] if ln["kind"] == "fee"], data

    found, data = fees("--from", "2026-11-01", "--to", "2026-11-08")
    assert found == [("2026-11-01", "25.00")]
    services = [ln for ln in data["lines"] if ln["kind"] == "service"]
    assert services and {ln["description"] for ln in services} <= {
        "Peer support, individual", "Peer support, group"}
    assert fees("--week", "2026-W47")[0] == []                     # 16-22 November: no first of a month


def test_without_the_plugin_no_fee(peerkit_run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    result = peerkit_run("invoice", "--week", "2026-W47", "--preview", "--format", "json")
    assert result.exit_code == 0, result.output
    assert not [ln for ln in json.loads(result.stdout)["lines"] if ln["kind"] == "fee"]
