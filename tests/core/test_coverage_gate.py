"""The CI coverage gate (.ci/coverage_gate.py): every module at least 85 % branch coverage,
and no data is never "all clear"; [tool.coverage] measures every built-in plugin."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / ".ci" / "coverage_gate.py"


def report(tmp_path, percents: dict[str, float], branch: bool = True) -> Path:
    """A coverage JSON report shaped like `coverage json` writes it."""
    data = {"meta": {"version": "7.10", "branch_coverage": branch},
            "files": {name: {"summary": {"percent_covered": p}} for name, p in percents.items()},
            "totals": {"percent_covered": sum(percents.values()) / max(len(percents), 1)}}
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(data))
    return path


def gate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GATE), *map(str, args)], capture_output=True, text=True,
                          timeout=60)


def test_every_module_at_the_floor_passes(tmp_path):
    result = gate(report(tmp_path, {"src/peerkit/cli.py": 85.0, "plugins/peerkit_notes/model.py": 99.5}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 2 modules at or above 85 %" in result.stdout


def test_each_module_under_the_floor_is_listed_lowest_first(tmp_path):
    result = gate(report(tmp_path, {"src/peerkit/cli.py": 84.9, "src/peerkit/output.py": 100.0,
                                    "plugins/peerkit_clients/model.py": 58.0}))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "coverage gate: 2 module(s) under 85 % branch coverage:"
    assert [line.split()[-1] for line in lines[1:]] == ["plugins/peerkit_clients/model.py", "src/peerkit/cli.py"]
    assert "58.0 %" in lines[1] and "84.9 %" in lines[2]


def test_the_floor_can_be_given(tmp_path):
    assert gate(report(tmp_path, {"src/peerkit/cli.py": 80.0}), "--min", "75").returncode == 0
    assert gate(report(tmp_path, {"src/peerkit/cli.py": 80.0}), "--min", "90").returncode == 1


def test_no_data_fails_closed(tmp_path):
    missing = gate(tmp_path / "absent.json")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    empty = gate(report(tmp_path, {}))
    assert empty.returncode == 2 and "measured no module" in empty.stderr
    lines_only = gate(report(tmp_path, {"src/peerkit/cli.py": 100.0}, branch=False))
    assert lines_only.returncode == 2 and "branch coverage" in lines_only.stderr


def test_coverage_measures_the_core_and_every_builtin_plugin_with_branches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    run = project["tool"]["coverage"]["run"]
    assert run["branch"] is True
    plugins = set(project["project"]["entry-points"]["peerkit"].values())
    assert set(run["source_pkgs"]) == {"peerkit"} | plugins


def test_ci_measures_the_readme_test_run_and_gates_it():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'PYTEST_ADDOPTS="--cov --cov-report=" bash -c "$test_command"' in ci
    assert "--cov --cov-append --cov-report= tests/pdf" in ci
    assert "--cov --cov-append --cov-report= tests/tui" in ci
    assert ".ci/coverage_gate.py /tmp/peerkit-ci-coverage.json --min 85" in ci
