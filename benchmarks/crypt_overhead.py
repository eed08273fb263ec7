"""The cost of encryption at rest (issue 18): the same commands on a generated workspace and on
an encrypted copy of it, CPU time (user + sys of the child, steadier than wall time on a busy
machine) and wall time, median of N interleaved runs, with the ratio.

    python benchmarks/generate.py 5years
    python benchmarks/crypt_overhead.py benchmarks/data/5years --runs 5

Uses a plaintext keyring in a temporary HOME (PEERKIT_ALLOW_INSECURE_KEYRING=1): benchmark data
is fictional.  Nothing here is a test.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = [("note check", ["note", "check"]),
            ("invoice (md, W47)", ["invoice", "--week", "2026-W47", "--format", "md", "--out", "-"]),
            ("status", ["status"]),
            ("note list", ["note", "list"])]


def timed(argv: list[str], env: dict) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - start, os.waitstatus_to_exitcode(status)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    peerkit = str(Path(sys.executable).with_name("peerkit"))
    tmp = Path(tempfile.mkdtemp(prefix="peerkit-crypt-bench-"))
    env = dict(os.environ, HOME=str(tmp / "home"), PEERKIT_CONFIG_DIR=str(tmp / "config"),
               PEERKIT_TODAY="2026-11-25", PEERKIT_ALLOW_INSECURE_KEYRING="1",
               PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    (tmp / "home").mkdir()
    plain, enc = tmp / "plain", tmp / "enc"
    shutil.copytree(args.workspace, plain)
    shutil.copytree(args.workspace, enc)
    t0 = time.perf_counter()
    subprocess.run([peerkit, "-w", str(enc), "crypt", "enable"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"crypt enable: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for ws in (plain, enc):  # caches provably current, as a working workspace has them
        subprocess.run([peerkit, "-w", str(ws), "reindex"], env=env, stdout=subprocess.DEVNULL)
    time.sleep(2.5)
    for ws in (plain, enc):
        subprocess.run([peerkit, "-w", str(ws), "reindex"], env=env, stdout=subprocess.DEVNULL)
    print(f"| command | plain CPU s | encrypted CPU s | ratio (CPU) | plain wall s | encrypted wall s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, argv in COMMANDS:
        rows = {plain: [], enc: []}
        for i in range(args.runs + 1):
            for ws in (plain, enc):
                cpu, wall, code = timed([peerkit, "-w", str(ws), *argv], env)
                if i:
                    rows[ws].append((cpu, wall))
        pc = statistics.median(c for c, _ in rows[plain])
        ec = statistics.median(c for c, _ in rows[enc])
        pw = statistics.median(w for _, w in rows[plain])
        ew = statistics.median(w for _, w in rows[enc])
        print(f"| {name} | {pc:.2f} | {ec:.2f} | {ec / pc:.2f}x | {pw:.2f} | {ew:.2f} |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
