"""Issue 13: deep nesting and huge values are invalid data (exit 3), never exit 70."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "resources" / "fixtures"


def test_a_5000_deep_toml_array_is_exit_3_naming_the_file(run, ws_path):
    client = ws_path / "clients" / "C001.toml"
    client.write_text(client.read_text() + "deep = " + "[" * 5000 + "]" * 5000 + "\n")
    result = run("client", "list")
    assert result.exit_code == 3, result.output
    assert "C001.toml" in result.output and "nested more than 128 levels" in result.output


def test_a_129_deep_toml_value_is_refused_but_128_is_read(tmp_path):
    import pytest

    from peerkit import storage
    from peerkit.errors import DataError

    ok = tmp_path / "ok.toml"
    ok.write_text("x = " + "[" * 127 + "]" * 127 + "\n")  # 128 levels with the top table
    assert storage.read_toml(ok)
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 128 + "]" * 128 + "\n")
    with pytest.raises(DataError, match="deep.toml: nested more than 128"):
        storage.read_toml(deep)


def test_a_100000_deep_json_input_is_exit_3(run, tmp_path):
    src = tmp_path / "clients.json"
    src.write_text('{"id": "C009", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run("client", "add", "--from", src)
    assert result.exit_code == 3, result.output
    assert "clients.json" in result.output and "nested more than 128 levels" in result.output


def test_a_deep_hsds_file_is_exit_3(run, tmp_path):
    src = tmp_path / "service.json"
    src.write_text('{"id": "x", "name": "n", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run("resources", "import", src, "--format", "hsds-json")
    assert result.exit_code == 3, result.output
    assert "service.json" in result.output and "nested more than 128 levels" in result.output


def test_a_deep_line_in_the_audit_log_is_reported_not_a_crash(run, ws_path):
    run("secret", "set", "x", input="v\n")
    with open(ws_path / "audit.log", "a") as fh:
        fh.write("[" * 100_000 + "]" * 100_000 + "\n")
    result = run("audit", "verify")
    assert result.exit_code == 1 and "audit.log:2: not a valid entry" in result.output


def test_an_overlong_imported_field_is_refused_with_its_row(run, ws_path, tmp_path):
    folder = tmp_path / "csv"
    shutil.copytree(FIXTURES / "openreferral-hsds-3.0" / "examples" / "csv", folder)
    services = folder / "services.csv"
    with services.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["name"] = "N" * 40_000
    with services.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = sorted(p.name for p in (ws_path / "resources").glob("*.toml"))
    result = run("resources", "import", folder)
    assert result.exit_code == 3, result.output
    assert "field 'name': longer than 32,767 characters" in result.output
    assert "services.csv row 2" in result.output, result.output
    assert "NNNN" not in result.output
    assert sorted(p.name for p in (ws_path / "resources").glob("*.toml")) == before


def test_an_overlong_field_in_a_record_file_is_refused(run, tmp_path):
    src = tmp_path / "incident.json"
    src.write_text(json.dumps([{"id": "I-1", "summary": "x"}, {"id": "I-2", "summary": "y" * 40_000}]))
    result = run("incident", "add", "--from", src)
    assert result.exit_code == 3, result.output
    assert "incident.json (record 2): field 'summary': longer than 32,767" in result.output
