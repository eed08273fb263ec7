"""Quick measurement of resource search on a generated directory (not a test; no timed asserts).

    /tmp/venv/bin/python tests/resources/bench_search.py [N] [--keep DIR]

Creates N (default 10,000) fictional resources in a new workspace, writes the index once (as
any change does), then times in-process (CPU time): verifying the index, searching with and
without filters, loading every entry, and the cold path (no index: every file parsed).
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

WORDS = ["food", "pantry", "housing", "shelter", "clinic", "library", "support", "group", "counseling", "legal",
         "aid", "job", "training", "transport", "bus", "pass", "laundry", "showers", "meals", "recovery", "peer",
         "warm", "line", "benefits", "tax", "help"]
CATS = ["Food Pantry", "Free Meals", "Help Find Housing", "Short-Term Housing", "Support Groups", "Peer Support",
        "Counseling", "Computer Class", "Government Benefits", "Help Hotlines", "Recreation", "Bus Passes"]


def generate(ws, n: int) -> None:
    from peerkit import storage
    from peerkit_resources import model

    rnd = random.Random(7)
    from peerkit_resources.search import taxonomy_rows

    vocab = sorted({w.lower() for r in taxonomy_rows() for w in r["name"].replace("&", " ").split()} | set(WORDS))
    folder = model.folder(ws)
    storage.ensure_dir(folder)
    for i in range(n):
        name = f"{rnd.choice(WORDS).title()} {rnd.choice(WORDS).title()} Center {i}"
        opens = rnd.choice([8, 9, 10, 18, 20])
        res = {
            "name": name, "organization": f"Example Org {i % 700}",
            "description": " ".join(rnd.choice(vocab) for _ in range(40)),
            "categories": rnd.sample(CATS, 2),
            "county": rnd.choice(["Haw River County", "Eno County", "Deep River County"]),
            "languages": rnd.sample(["English", "Spanish", "Vietnamese", "Arabic"], 2), "free": rnd.random() < 0.6,
            "last_verified": dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randrange(300)),
            "address": {"address_1": f"{i} Main St", "city": "Millbrook", "state": "NC",
                        "postal_code": f"27{rnd.randrange(300, 400)}", "country": "US"},
            "phones": [{"number": f"919-555-{i:04d}", "type": "voice"}],
            "schedules": [{"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": dt.time(opens),
                           "closes_at": dt.time((opens + 9) % 24)}],
        }
        # plain writes (no fsync) to generate quickly; peerkit's own writes are atomic and verified
        (folder / f"r{i:05d}.toml").write_text(storage.dumps_toml(model.to_record(res)))


def timed(fn, repeat=5):
    """Median CPU time in ms (process_time: other processes on a busy machine do not count)."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        times.append((time.process_time() - t0) * 1000)
    return statistics.median(times), out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000
    from peerkit.commands.init import create_workspace
    from peerkit.workspace import Workspace
    from peerkit_resources import model, search

    tmp = Path(tempfile.mkdtemp(prefix="peerkit-bench-"))
    ws = Workspace(create_workspace(tmp / "ws"))
    t0 = time.perf_counter()
    generate(ws, n)
    print(f"generated {n} resources in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with ws.lock():
        search.write_index(ws)
    print(f"index written (all files parsed): {(time.perf_counter() - t0) * 1000:.0f} ms, "
          f"{search.index_path(ws).stat().st_size / 1e6:.1f} MB")
    time.sleep(search.RACY_NS / 1e9 + 0.1)  # past the racy window, as in normal use
    with ws.lock():
        search.write_index(ws)
    import os

    def stat_all():
        with os.scandir(model.folder(ws)) as it:
            return [e.stat() for e in it]
    ms, _ = timed(stat_all)
    print(f"floor: stat of every file in resources/: {ms:.0f} ms")
    ms, files = timed(lambda: search._verify(ws, search._Store(ws)))
    print(f"verify the index against the folder: {ms:.0f} ms ({len(files[1])} entries trusted)")
    ms, idx = timed(lambda: search.load_index(ws))
    print(f"load every entry (list, stale): {ms:.0f} ms (reparsed {idx.reparsed})")
    when = dt.datetime(2026, 11, 25, 21, 30)
    queries = {
        "words 'food pantry'": search.Query(words=["food", "pantry"]),
        "category Food + county + free": search.Query(category="Food", county="Haw River", free=True),
        "zip + language + open-at": search.Query(zip="273", language="es", at=when),
        "words + every filter": search.Query(words=["support"], category="Care", county="Eno County", zip="27",
                                              language="Spanish", at=when, free=True),
    }
    for label, q in queries.items():
        ms, hits = timed(lambda q=q: search.run_search(ws, q))
        print(f"search {label}: {ms:.0f} ms total (verify + SQL + rank), {len(hits)} hits")
    ms, _ = timed(lambda: [model.read_path(p) for p in model.resource_files(ws)], repeat=1)
    print(f"cold path without an index (parse + validate every TOML): {ms:.0f} ms")
    import subprocess

    print("(wall clock below: includes waiting on a busy machine)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "peerkit", "--workspace", str(ws.root), "resources", "search", "food",
                    "--county", "Haw River", "--json"], capture_output=True, check=True)
    print(f"whole CLI process 'resources search food --county ...': {(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import click"], check=True)
    print(f"python -c 'import click' (start-up floor): {(time.perf_counter() - t0) * 1000:.0f} ms")
    print(f"workspace kept at {ws.root}" if "--keep" in sys.argv else "")
    if "--keep" not in sys.argv:
        import shutil

        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
