"""What a script relies on: the written path on stdout, exit 5 for nothing to bill,
[billing] require_tax_id, warnings for secrets peerkit.toml does not refer to, doctor on a
plain-text keyring, the init template's secret lines."""
from __future__ import annotations

import json
from pathlib import Path

from invoice_helpers import tree


def test_the_written_path_is_the_only_stdout_line(run, ws_path, today, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = run("invoice", "--week", "2026-W47", "--out", f"{out}/")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{out / 'INV-2026-0001.xlsx'}\n"
    assert Path(result.stdout.strip()).is_file()
    again = run("invoice", "--week", "2026-W47", "--format", "html", "--out", out / "again.html")
    assert again.exit_code == 0 and again.stdout == f"{out / 'again.html'}\n"
    to_stdout = run("invoice", "--week", "2026-W47", "--format", "json")
    assert json.loads(to_stdout.stdout)["number"] == "INV-2026-0001"    # data alone on stdout


def test_billing_require_tax_id_exits_4_before_anything_is_written(run, ws_path, today, tmp_path):
    toml = ws_path / "peerkit.toml"
    toml.write_text(toml.read_text().replace("[billing]\n", "[billing]\nrequire_tax_id = true\n", 1))
    before = tree(ws_path)
    out = tmp_path / "inv.xlsx"
    result = run("invoice", "--week", "2026-W47", "--out", out)
    assert result.exit_code == 4
    assert "tax-id" in result.stderr and result.stdout == ""
    assert not out.exists()
    after = tree(ws_path)
    for scratch in ("audit.log", ".peerkit.lock"):
        after.pop(scratch, None)
        before.pop(scratch, None)
    assert after == before


def test_a_stored_secret_peerkit_toml_does_not_name_warns(run, ws_path, today, memory_keyring):
    memory_keyring.store[("peerkit", "bank-account")] = "000123456789"
    toml = ws_path / "peerkit.toml"
    toml.write_text("\n".join(line for line in toml.read_text().splitlines()
                              if not line.startswith("bank_account")) + "\n")
    result = run("invoice", "--week", "2026-W47", "--preview")
    assert result.exit_code == 0, result.output
    assert "the keyring holds 'bank-account' but [provider] bank_account does not refer to it" in result.stderr
    assert 'bank_account = "keyring:bank-account"' in result.stderr
    assert "000123456789" not in result.output


def test_init_template_names_both_secrets(run_empty, empty_ws):
    text = (empty_ws / "peerkit.toml").read_text()
    assert '# tax_id = "keyring:tax-id"' in text
    assert '# bank_account = "keyring:bank-account"' in text


def test_doctor_warns_on_an_allowed_plaintext_keyring(run, monkeypatch, tmp_path):
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    plain = PlaintextKeyring()
    plain.file_path = str(tmp_path / "keyring_pass.cfg")
    keyring.set_keyring(plain)
    monkeypatch.setenv("PEERKIT_ALLOW_INSECURE_KEYRING", "1")
    result = run("doctor")
    assert result.exit_code == 1
    warning = next(ln for ln in result.stdout.splitlines() if "PlaintextKeyring" in ln)
    assert warning.startswith("warning: keyring:") and "plain text" in warning
    assert "All checks passed" not in result.output
