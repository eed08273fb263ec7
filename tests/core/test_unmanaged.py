"""One unmanaged-units setting ([billing] unmanaged_units, fiscal_year_start) read by note check
and caseload; the old keys still read, with a warning naming the new ones."""
from __future__ import annotations

import json
import re

import pytest

AS_OF = "2026-11-25"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", AS_OF)
    monkeypatch.setenv("PEERKIT_NOW", f"{AS_OF}T12:00:00")


def configure(ws_path, billing: str | None = None, notes: str | None = None, caseload: str | None = None,
              fiscal_year_start: str | None = None):
    """Set the unmanaged-units keys (None: absent) in the example's peerkit.toml."""
    cfg = ws_path / "peerkit.toml"
    text = cfg.read_text()
    text = re.sub(r"^(unmanaged_units|fiscal_year_start) = .*\n", "", text, flags=re.M)
    for table, value in (("billing", billing), ("notes", notes), ("caseload", caseload)):
        if value is not None:
            text = text.replace(f"[{table}]\n", f"[{table}]\nunmanaged_units = {value}\n", 1)
    if fiscal_year_start is not None:
        text = text.replace("[billing]\n", f"[billing]\nfiscal_year_start = {fiscal_year_start}\n", 1)
    cfg.write_text(text)


def unmanaged_findings(run, limit: int | None = None) -> set[str]:
    """Clients with a note over the unmanaged limit (note check also counts drafts)."""
    result = run("note", "check", "--json")
    assert result.stdout, result.output
    found = [f for f in json.loads(result.stdout)
             if f["rule"] == "authorization" and "unmanaged" in f["message"]]
    if limit is not None:
        assert all(f"at most {limit}, [billing] unmanaged_units" in f["message"] for f in found)
    assert result.exit_code == (1 if found else result.exit_code)
    return {f["note"].split("-")[4] for f in found}


def caseload_limits(run) -> dict[str, tuple]:
    result = run("caseload", "--as-of", AS_OF, "--json")
    assert result.stdout, result.output
    data = json.loads(result.stdout)
    return {u["client"]: (u["used"], u["limit"]) for u in data["unmanaged"]}, data["alerts"]


def test_one_setting_is_read_by_note_check_and_caseload(run, ws_path):
    configure(ws_path, billing="10")
    limits, alerts = caseload_limits(run)
    assert limits == {"C002": (11, 10), "C004": (9, 10)}
    assert {a["subject"] for a in alerts if a["severity"] == "error" and "unmanaged" in a["message"]} == {"C002"}
    assert "C002" in unmanaged_findings(run, limit=10)
    configure(ws_path, billing="30")  # both follow the one setting
    assert caseload_limits(run)[0]["C002"] == (11, 30)
    assert unmanaged_findings(run) == set()


def test_the_old_keys_still_read_with_a_warning_naming_the_new_ones(run, ws_path):
    configure(ws_path, notes="10")
    result = run("caseload", "--as-of", AS_OF, "--json")
    assert "[notes] unmanaged_units is an old setting: write [billing] unmanaged_units = 10 instead" \
        in result.stderr
    assert caseload_limits(run)[0]["C002"] == (11, 10)
    assert "C002" in unmanaged_findings(run, limit=10)
    configure(ws_path, caseload="10")
    check = run("note", "check", "--json")
    assert "[caseload] unmanaged_units is an old setting" in check.stderr
    assert "C002" in unmanaged_findings(run, limit=10)


def test_old_keys_that_disagree_are_a_data_error(run, ws_path):
    configure(ws_path, notes="10", caseload="30")
    for args in (("note", "check"), ("caseload", "--as-of", AS_OF)):
        result = run(*args)
        assert result.exit_code == 3, result.output
        assert "[notes] unmanaged_units and [caseload] unmanaged_units disagree: set [billing] " \
               "unmanaged_units once" in result.output


def test_unlimited_turns_the_limit_off(run, ws_path):
    configure(ws_path, billing='"unlimited"')
    limits, alerts = caseload_limits(run)
    assert limits == {"C002": (11, None), "C004": (9, None)}
    assert not [a for a in alerts if "unmanaged" in a["message"]]
    configure(ws_path, billing="0")
    assert unmanaged_findings(run) == {"C002", "C004"}  # 0: none allowed
    configure(ws_path, billing='"unlimited"')
    assert unmanaged_findings(run) == set()


def test_a_bad_value_names_the_field(run, ws_path):
    configure(ws_path, billing='"lots"')
    result = run("caseload", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "field 'billing.unmanaged_units': expected a number of units (0 or more) or \"unlimited\"" \
        in result.output


def test_fiscal_year_start_is_shared(run, ws_path):
    # a fiscal year starting Dec 1: every unmanaged unit so far belongs to the year ending Nov 30
    configure(ws_path, billing="10", fiscal_year_start='"12-01"')
    result = run("caseload", "--as-of", AS_OF, "--json")
    data = json.loads(result.stdout)
    assert {u["fiscal_year"]["start"] for u in data["unmanaged"]} == {"2025-12-01"}
    configure(ws_path, billing="10", fiscal_year_start='"11-15"')  # only later notes count in the year
    data = json.loads(run("caseload", "--as-of", AS_OF, "--json").stdout)
    used_after = {u["client"]: u["used"] for u in data["unmanaged"]}
    assert used_after.get("C002", 0) < 11


def test_init_and_the_example_use_the_new_keys(tmp_path):
    import tomllib

    from peerkit.commands.init import new_config
    from tests.conftest import EXAMPLE

    for text in (new_config(), (EXAMPLE / "peerkit.toml").read_text()):
        data = tomllib.loads(text)
        assert data["billing"]["unmanaged_units"] == 24
        assert data["billing"]["fiscal_year_start"] == "07-01"
        assert "unmanaged_units" not in data.get("notes", {})
        assert "unmanaged_units" not in data.get("caseload", {})
