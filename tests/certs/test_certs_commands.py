"""certs add / list / presets / ce add / supervision add: what lands in credentials.toml."""
from __future__ import annotations

import json
import tomllib

from tests.conftest import assert_no_traceback


def only_inserted(before: str, after: str) -> bool:
    import difflib

    ops = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines()).get_opcodes()
    return all(op in ("equal", "insert") for op, *_ in ops)


def read(ws_path):
    return tomllib.loads((ws_path / "credentials.toml").read_text(encoding="utf-8"))


def test_add_preset_nc_cpss_computes_expiry_and_keeps_comments(run, ws_path):
    before = (ws_path / "credentials.toml").read_text()
    result = run("certs", "add", "nc-cpss-2", "--preset", "nc-cpss", "--number", "NCCPSS-0002",
                 "--issued", "2026-05-14")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "Added credential nc-cpss-2 (expires 2028-05-31)." in result.stderr
    text = (ws_path / "credentials.toml").read_text()
    assert only_inserted(before, text)  # nothing was rewritten: comments and layout kept
    assert "# (no supervision was logged in September 2026)" in text
    new = read(ws_path)["credential"][-1]
    assert new == {"id": "nc-cpss-2", "kind": "certification", "name": "NC Certified Peer Support Specialist",
                   "number": "NCCPSS-0002",
                   "issuer": "NC Certified Peer Support Specialist Program (UNC School of Social Work)",
                   "issued": __import__("datetime").date(2026, 5, 14),
                   "expires": __import__("datetime").date(2028, 5, 31),
                   "period_years": 2, "renewal_hours": 20, "grace_days": 30}


def test_add_into_empty_workspace_with_overrides(run_empty, empty_ws):
    result = run_empty("certs", "add", "--preset", "ga-cps", "--number", "GA-1", "--issued", "2026-02-01",
                       "--category", "gmhcn-sponsored=6")
    assert result.exit_code == 0, result.output
    data = tomllib.loads((empty_ws / "credentials.toml").read_text())
    cred = data["credential"][0]
    assert cred["id"] == "ga-cps"
    assert str(cred["expires"]) == "2026-12-31"  # Georgia: calendar year
    assert cred["renewal_hours"] == 12
    assert cred["category_hours"] == {"ethics": 1, "gmhcn-sponsored": 6}
    assert (empty_ws / "credentials.toml").stat().st_mode & 0o777 == 0o600


def test_presets_pa_and_tx(run_empty, empty_ws):
    assert run_empty("certs", "add", "--preset", "pa-cps", "--issued", "2026-03-15").exit_code == 0
    assert run_empty("certs", "add", "--preset", "tx-mhps", "--issued", "2025-07-01",
                     "--expires", "2027-06-30").exit_code == 0
    creds = {c["id"]: c for c in tomllib.loads((empty_ws / "credentials.toml").read_text())["credential"]}
    assert creds["pa-cps"]["renewal_hours"] == 36 and str(creds["pa-cps"]["expires"]) == "2028-03-14"
    assert creds["pa-cps"]["category_hours"] == {"ethics": 3, "peer-support": 24}
    assert creds["tx-mhps"]["category_hours"] == {"ethics": 3} and creds["tx-mhps"]["period_years"] == 2
    out = json.loads(run_empty("certs", "presets", "--json").stdout)
    assert {"nc-cpss", "ga-cps", "pa-cps", "tx-mhps", "tx-rsps"} <= set(out)


def test_workspace_preset_overrides_builtin(run, ws_path):
    toml = ws_path / "peerkit.toml"
    toml.write_text(toml.read_text() + '\n[certs.presets.nc-cpss]\nrenewal_hours = 24\n'
                    '[certs.presets.nc-cpss.category_hours]\nethics = 2\n')
    result = run("certs", "add", "x", "--preset", "nc-cpss", "--issued", "2026-01-10")
    assert result.exit_code == 0, result.output
    cred = read(ws_path)["credential"][-1]
    assert cred["renewal_hours"] == 24 and cred["category_hours"] == {"ethics": 2}
    assert str(cred["expires"]) == "2028-01-31"


def test_add_without_preset_and_duplicate_id(run, ws_path):
    ok = run("certs", "add", "cpr", "--kind", "training", "--name", "CPR and first aid",
             "--issued", "2026-01-10", "--expires", "2028-01-09")
    assert ok.exit_code == 0, ok.output
    before = (ws_path / "credentials.toml").read_bytes()
    dup = run("certs", "add", "cpr", "--kind", "training", "--name", "CPR again")
    assert dup.exit_code == 3
    assert "a credential with id 'cpr' already exists" in dup.output
    assert (ws_path / "credentials.toml").read_bytes() == before
    missing = run("certs", "add", "thing", "--kind", "training")
    assert missing.exit_code == 3 and "field 'name': is required but missing" in missing.output
    unknown = run("certs", "add", "--preset", "zz-cps")
    assert unknown.exit_code == 3 and "unknown preset 'zz-cps'" in unknown.output


def test_ce_add_decimal_hours(run, ws_path):
    result = run("certs", "ce", "add", "--date", "2026-11-20", "--hours", "1.5", "--category", "Ethics",
                 "--title", "Ethics of self-disclosure", "--provider", "Example Institute",
                 "--credential", "nc-cpss", "--certificate", "2026-11-20-ethics.pdf")
    assert result.exit_code == 0, result.output
    assert "Logged 1.5 h of ethics on 2026-11-20." in result.stderr
    entry = read(ws_path)["ce"][-1]
    assert entry == {"date": __import__("datetime").date(2026, 11, 20), "hours": 1.5, "category": "ethics",
                     "title": "Ethics of self-disclosure", "provider": "Example Institute",
                     "credential": "nc-cpss", "certificate": "2026-11-20-ethics.pdf"}
    listed = json.loads(run("certs", "ce", "list", "--json").stdout)
    assert listed[-1]["hours"] == 1.5 and len(listed) == 5


def test_ce_add_unknown_credential(run, ws_path):
    before = (ws_path / "credentials.toml").read_bytes()
    result = run("certs", "ce", "add", "--date", "2026-11-20", "--hours", "2", "--title", "t",
                 "--credential", "nope")
    assert result.exit_code == 3
    assert "field 'credential': does not match the id of any [[credential]]" in result.output
    assert (ws_path / "credentials.toml").read_bytes() == before


def test_supervision_add_fills_the_missing_month(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    assert run("certs", "status").exit_code == 1
    result = run("certs", "supervision", "add", "--date", "2026-09-16", "--minutes", "60",
                 "--kind", "group", "--supervisor", "Pat Supervisor")
    assert result.exit_code == 0, result.output
    assert read(ws_path)["supervision"][-1]["kind"] == "group"
    data = json.loads(run("certs", "status", "--json").stdout)
    assert data["supervision"]["missing"] == []
    sep = [m for m in data["supervision"]["months"] if m["month"] == "2026-09"][0]
    assert sep == {"month": "2026-09", "minutes": 60, "individual": 0, "group": 60, "met": True}
    listed = json.loads(run("certs", "supervision", "list", "--json").stdout)
    assert [e["date"] for e in listed][-2:] == ["2026-10-21", "2026-11-04"]  # sorted by date


def test_list(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    out = run("certs", "list").stdout
    assert out.splitlines()[0].split() == ["id", "kind", "name", "number", "expires", "state", "days", "left"]
    data = json.loads(run("certs", "list", "--json").stdout)
    assert [c["id"] for c in data] == ["nc-cpss", "drivers-licence", "auto-insurance", "background-check"]
    assert data[2]["state"] == "lapsing" and data[2]["days_left"] == 50
