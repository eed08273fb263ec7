"""The benchmark suite at its smallest size must work (never timed: speed is not asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Every row the suite reports at the smoke size (month workspace, 2 peers x 1 month, 200 resources).
EXPECTED_ROWS = [
    "floor: python -c pass",
    "floor: import click",
    "floor: start-up (click+pluggy+entry points)",
    "floor: start-up + import jinja2 and keyring",
    "peerkit --version",
    "peerkit --help",
    *(f"{label} [month]" for label in (
        "invoice --week --format json --preview", "note list --week", "note add (flags)", "status",
        "caseload")),
    *(f"{label}: month / month" for label in (
        "invoice --week --format json --preview", "note list --week", "note add (flags)", "status",
        "caseload")),
    "floor: parse with tomllib [month]",
    "floor: parse, fastest parser",
    "note check [month]",
    "note check, whole history, findings computed [month]",
    "note check per note, findings computed: month / month",
    "resources search [resources200]",
    "note export to xlsx [agency-smoke]",
    "note export again, nothing changed [agency-smoke]",
    "note export peak memory (MB) [agency-smoke]",
    "floor: write rows, openpyxl-write-only",
    "floor: write rows, xlsxwriter",
    "floor: write rows, xlsxwriter-constant-memory",
    "floor: fastest xlsx writer",
]


def _writers_not_installed() -> set[str]:
    """The writer-floor rows whose library this environment lacks (xlsxwriter comes with the
    bench extra, which CI installs after the README's test command)."""
    import importlib.util

    if importlib.util.find_spec("xlsxwriter") is not None:
        return set()
    return {"floor: write rows, xlsxwriter", "floor: write rows, xlsxwriter-constant-memory"}


def test_smoke_run_writes_every_row(tmp_path):
    results, data = tmp_path / "results", tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--size", "smoke",
         "--results", str(results), "--data", str(data)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "skipped" not in proc.stderr   # e.g. "invoice history skipped": the data must be whole
    files = list(results.glob("*-smoke.json"))
    assert len(files) == 1
    doc = json.loads(files[0].read_text())
    assert doc["size"] == "smoke" and doc["runs"] == 1
    rows = {r["name"]: r for r in doc["rows"]}
    missing = [name for name in EXPECTED_ROWS if name not in rows]
    assert not missing, missing
    optional = _writers_not_installed()
    for name, row in rows.items():
        # every row is measured: a "failed" row is a defect, never a pass; "not available" only
        # for a writer floor whose library is not installed here (the bench extra adds it)
        if name in optional:
            assert row["status"] == "not available", (name, row)
            continue
        assert row["status"] == "ok", (name, row)
        if "memory" not in name:
            assert row["median_s"] is not None and row["median_s"] > 0, name
    # the start-up floor and the commands that exist in core are always measured
    for name in ("floor: start-up (click+pluggy+entry points)", "peerkit --version", "peerkit --help"):
        assert rows[name]["status"] == "ok", rows[name]
    assert rows["peerkit --version"]["ratio"] is not None
    # the table printed to stdout names every row too
    for name in EXPECTED_ROWS:
        assert name in proc.stdout, name
    # the generated data is real: a month of notes in one workspace, two peers for the export
    notes = list((data / "month" / "notes").rglob("*.toml"))
    assert 100 <= len(notes) <= 130
    assert len(list((data / "agency-smoke").glob("peer-*"))) == 2
    assert len(list((data / "resources200" / "resources").glob("*.toml"))) == 200 + 0


def test_generator_is_deterministic(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    generate.generate("month", tmp_path / "a", jobs=1, quiet=True)
    generate.generate("month", tmp_path / "b", jobs=2, quiet=True)
    a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a" / "month").rglob("*.toml"))
    b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b" / "month").rglob("*.toml"))
    assert a == b and len(a) > 100
    for rel in a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    # every status, group notes, and records peerkit itself accepts
    from peerkit.workspace import Workspace

    ws = Workspace(tmp_path / "a" / "month")
    notes = list(ws.notes())
    assert {n.status for n in notes} >= {"draft", "signed", "submitted", "approved"}
    group = [n for n in notes if n.modifier == "HQ"]
    assert group and all(n.group_id and n.group_size >= 3 for n in group)
    assert all(300 <= len(n.response) <= 600 for n in notes)
    # reuse: a second call with the same parameters writes nothing
    assert generate.generate("month", tmp_path / "a", jobs=1, quiet=True)["reused"] is True
