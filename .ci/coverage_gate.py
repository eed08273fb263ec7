"""CI gate: every measured module has at least 85 % branch coverage.

Reads coverage's JSON report (``coverage json``) and prints each module under the floor with its
percent, the same combined line+branch percent ``coverage report`` shows with branch = true.
Exit 0 when every module reaches the floor, 1 when one does not, 2 when the report is missing
or measured no module (fail closed: no data is never "all clear").

    python .ci/coverage_gate.py [coverage.json] [--min 85]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def modules_under(report: dict, floor: float) -> list[tuple[str, float]]:
    """(file, percent) of every file under ``floor``, lowest first."""
    low = []
    for name, data in report["files"].items():
        percent = data["summary"]["percent_covered"]
        if percent < floor:
            low.append((name, percent))
    return sorted(low, key=lambda item: (item[1], item[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default="coverage.json", help="coverage JSON report")
    parser.add_argument("--min", type=float, default=85.0, help="floor per module, percent (default 85)")
    args = parser.parse_args(argv)
    path = Path(args.report)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"coverage gate: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    if not report.get("meta", {}).get("branch_coverage"):
        print(f"coverage gate: {path} was not measured with branch coverage", file=sys.stderr)
        return 2
    if not report.get("files"):
        print(f"coverage gate: {path} measured no module", file=sys.stderr)
        return 2
    low = modules_under(report, args.min)
    total = report["totals"]["percent_covered"]
    if low:
        print(f"coverage gate: {len(low)} module(s) under {args.min:g} % branch coverage:")
        for name, percent in low:
            print(f"  {percent:5.1f} %  {name}")
        return 1
    print(f"coverage gate: all {len(report['files'])} modules at or above {args.min:g} % "
          f"(total {total:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
