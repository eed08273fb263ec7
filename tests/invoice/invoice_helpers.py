"""Helpers for invoice and caseload tests: write notes straight into a workspace, read invoices back."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from peerkit import storage
from peerkit.records import note_from_dict, note_path

ROOT = Path(__file__).resolve().parents[2]
AGENCY_PLUGIN = ROOT / "examples" / "agency-plugin" / "peerkit_agency_example" / "__init__.py"


def make_note(ws, note_id, client, day, start, end, *, status="approved", code="H0038",
              modifier="", group_size=0):
    """Write a note file as an agency script would (the contract in DESIGN.md)."""
    day = dt.date.fromisoformat(day)
    data = {
        "id": note_id, "client": client, "date": day,
        "start": dt.time.fromisoformat(start), "end": dt.time.fromisoformat(end),
        "code": code, "modifier": modifier, "group_size": group_size,
        "place": "community", "location": "Public library", "goals": ["G1"],
        "purpose": "Work on the plan goal.", "intervention": "Shared lived experience and planning.",
        "response": "Engaged and set a next step for the week.", "plan": "Meet next week.",
        "status": status, "author": "Jordan Rivera", "credentials": "NC CPSS",
        "signed_at": dt.datetime.combine(day, dt.time(20, 0)), "late_entry": False,
    }
    if status in ("approved", "denied"):
        data["review"] = {"decision": status, "reviewer": "Pat Supervisor", "reason": "",
                          "at": dt.datetime.combine(day + dt.timedelta(days=2), dt.time(9, 0))}
    note = note_from_dict(data, "test")
    storage.write_toml(note_path(ws, note), data)
    return note


def add_toml(ws_path: Path, text: str) -> None:
    """Append TOML (a new table) to the workspace's peerkit.toml."""
    p = ws_path / "peerkit.toml"
    p.write_text(p.read_text() + "\n" + text.strip() + "\n")


def set_billing(ws_path: Path, key: str, value: str) -> None:
    p = ws_path / "peerkit.toml"
    lines = p.read_text().splitlines()
    out = [f"{key} = {value}" if ln.split("=")[0].strip() == key else ln for ln in lines]
    p.write_text("\n".join(out) + "\n")


# a read may refresh the note and client caches (taking the workspace lock to do so): no data
NOT_DATA = {".notes-cache.json", ".clients-cache.json", ".peerkit.lock",
            # kept answers a read may write (peerkit.derived, issue 19): caches, not records
            ".billed-notes-cache.json", ".adjustments-cache.json", ".invoice-alerts-cache.json",
            ".caseload-alerts-cache.json", ".draft-alerts-cache.json", ".checks-cache.json"}


def tree(folder: Path) -> dict:
    """{relative path: bytes} of every file under folder (to prove nothing changed)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in NOT_DATA}


def error_lines(result) -> list[str]:
    return [ln for ln in result.output.splitlines() if ln.startswith("Error:")]


def assert_no_traceback(result):
    assert "Traceback" not in (result.output or ""), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
