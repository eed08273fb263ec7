"""The cron recipe of docs/invoice.md, run exactly as written with cron's PATH (regression for
issue 16: 'peerkit: not found', an invoice mailed with tax ID '(not set)', exit 0 for nothing)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEERKIT = Path(sys.executable).parent / "peerkit"
CRON_PATH = "/usr/bin:/bin"

pytestmark = pytest.mark.skipif(not PEERKIT.is_file(), reason="needs the installed peerkit script")


def recipe() -> tuple[dict[str, str], str]:
    """The crontab's variable lines and the job's command, from docs/invoice.md."""
    text = (ROOT / "docs" / "invoice.md").read_text(encoding="utf-8")
    section = text.split("## Running it from cron", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    env, command = {}, None
    for line in block.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"^([A-Z_]+)=(\S+)$", line)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^(\S+\s+){5}(.*)$", line)   # five time fields, then the command
        command = m.group(2)
    assert command and "PEERKIT" in env
    return env, command


@pytest.fixture
def cron(ws_path, tmp_path):
    """Run the recipe's job as cron would; returns (exit code, mailed args or None, stderr)."""
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    mailed = tmp_path / "mailed.txt"
    (fakebin / "mail").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{mailed}"\n')
    (fakebin / "mail").chmod(0o755)
    invoices = tmp_path / "invoices"
    invoices.mkdir()
    crontab_env, command = recipe()
    command = (command.replace("/home/jordan/peer-work", str(ws_path))
               .replace("/home/jordan/invoices/", f"{invoices}/"))
    keyring_file = tmp_path / "data"

    def run(today: str, *, keyring: str = "plaintext", tax_id: str | None = "12-3456789"):
        env = {**crontab_env, "PEERKIT": str(PEERKIT), "PATH": f"{fakebin}:{CRON_PATH}",
               "HOME": str(tmp_path), "SHELL": "/bin/sh", "PEERKIT_TODAY": today,
               "XDG_DATA_HOME": str(keyring_file), "LANG": "C.UTF-8"}
        if keyring == "plaintext":   # a stand-in keyring the test can fill (doctor warns on it)
            env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
            env["PEERKIT_ALLOW_INSECURE_KEYRING"] = "1"
        else:                        # cron without a reachable keyring
            env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        if tax_id and keyring == "plaintext":
            subprocess.run([str(PEERKIT), "secret", "set", "tax-id", "--stdin"], input=tax_id + "\n",
                           env=env, check=True, capture_output=True, text=True, timeout=60)
        mailed.unlink(missing_ok=True)
        proc = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True,
                              timeout=120)
        return proc.returncode, (mailed.read_text().splitlines() if mailed.exists() else None), proc.stderr

    run.invoices = invoices
    return run


def test_peerkit_is_not_on_crons_path():
    assert shutil.which("peerkit", path=CRON_PATH) is None or not os.access(
        shutil.which("peerkit", path=CRON_PATH), os.X_OK)


def test_the_recipe_issues_and_mails_the_written_file(cron, ws_path):
    code, mailed, stderr = cron("2026-11-25")        # Wednesday of W48: last week is W47
    assert code == 0, stderr
    assert mailed is not None and mailed[:3] == ["-s", "Invoice", "-A"]
    attached = Path(mailed[3])
    assert attached.is_absolute() and attached == cron.invoices / "INV-2026-0001.xlsx"
    assert attached.is_file() and (ws_path / "invoices" / "INV-2026-0001.toml").is_file()
    from openpyxl import load_workbook

    cells = [str(c.value) for row in load_workbook(attached).active.iter_rows() for c in row if c.value]
    assert any(v.endswith("6789") and v.startswith("*") for v in cells)   # the masked tax ID


def test_nothing_to_bill_exits_5_and_mails_nothing(cron):
    code, mailed, stderr = cron("2026-10-07")
    assert code == 5 and mailed is None
    assert "Nothing to bill" in stderr
    assert list(cron.invoices.iterdir()) == []


def test_required_tax_id_without_keyring_exits_4_before_writing(cron, ws_path):
    text = (ws_path / "peerkit.toml").read_text(encoding="utf-8")
    (ws_path / "peerkit.toml").write_text(
        text.replace("[billing]\n", "[billing]\nrequire_tax_id = true\n", 1), encoding="utf-8")
    code, mailed, stderr = cron("2026-11-25", keyring="none")
    assert code == 4 and mailed is None, stderr
    assert "keyring" in stderr and len(stderr.strip().splitlines()) == 1
    assert list(cron.invoices.iterdir()) == []
    assert not (ws_path / "invoices" / "INV-2026-0001.toml").exists()


def test_without_require_tax_id_the_invoice_says_not_set_and_warns(cron):
    code, mailed, stderr = cron("2026-11-25", keyring="none")
    assert code == 0 and mailed is not None
    assert "Warning" in stderr and "(not set)" in stderr
