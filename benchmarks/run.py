"""Run every peerkit benchmark and compare it with its floor, measured in the same run.

    python benchmarks/run.py [--size smoke|full] [--runs N] [--data DIR] [--results DIR] [--only REGEX]

Prints a table of medians with each one's ratio to its floor and its target, and writes the
same as JSON to ``benchmarks/results/<date>.json`` (``<date>-smoke.json`` for the smoke size).
Commands are run as child processes of the venv's ``peerkit`` (the executable next to
``sys.executable``) and timed with ``time.perf_counter`` around the whole process; the peak
memory of a child comes from ``os.wait4``.  A command that does not exist yet (or fails) is
reported in its row and never stops the run.  See benchmarks/README.md for what each row means.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import floors  # noqa: E402
import generate  # noqa: E402

TODAY = "2026-11-25"           # the day the benchmarks pretend it is (PEERKIT_TODAY)
WEEK = "2026-W47"              # the last full week of every generated history
ADD_DATE = "2026-11-24"        # `note add` writes a note on this (empty) day, then removes it
# cold-cache rows: every cache file peerkit keeps is moved aside before the run (untimed) and put
# back after it, as after a copy, a backup restore or a git pull
COLD = [
    ("status (cold caches)", ("status",), ["status"]),
    ("invoice --week --preview (md, cold caches)", ("invoice",), ["invoice", "--week", WEEK, "--preview"]),
]
# ... and the command run again after such a first command: a read that found its caches stale
# rebuilt them (issue 19), so the workspace is warm again from its second command on
AFTER_COLD = [
    ("status (after a cold start)", ("status",), ["status"]),
    ("invoice --week --preview (md, after a cold start)", ("invoice",), ["invoice", "--week", WEEK, "--preview"]),
]
CACHE_FILES = ("notes/*/*/.notes-cache.json", "clients/.clients-cache.json", "invoices/index.json",
               "invoices/.billed-notes-cache.json", "invoices/.billed-lines-cache.json", "notes/.*-cache.json",
               "resources/.index.sqlite", "activities/*/*/.*-cache.json")

PROFILES = {
    # role -> generated size
    "full": {"short": "year", "long": "5years", "check": "year", "agency": "agency",
             "resources": "resources10k"},
    "smoke": {"short": "month", "long": "month", "check": "month", "agency": "agency-smoke",
              "resources": "resources200"},
}


# ------------------------------------------------------------------ measuring a child process

@dataclass
class Run:
    seconds: float
    code: int
    peak_mb: float
    tree_mb: float = 0.0
    stderr: str = ""
    inner: dict | None = None


def _tree_rss_mb(root: int) -> float:
    """Sum of the resident memory of ``root`` and every descendant (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        parts = stat.rsplit(")", 1)[-1].split()
        pid, ppid = int(entry), int(parts[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(parts[21])  # pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_child(argv: list[str], *, env: dict, cwd: str | None = None, sample_tree: bool = False,
              timeout: float = 3600) -> Run:
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd)
        peak_tree = [0.0]
        stop = threading.Event()

        def sampler() -> None:
            while not stop.wait(0.05):
                try:
                    peak_tree[0] = max(peak_tree[0], _tree_rss_mb(proc.pid))
                except Exception:  # noqa: BLE001 - best effort
                    pass

        th = threading.Thread(target=sampler, daemon=True) if sample_tree else None
        if th:
            th.start()
        deadline = time.monotonic() + timeout
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.0005 if time.perf_counter() - t0 < 2 else 0.01)
        except BaseException:  # interrupted: never leave a child running
            proc.kill()
            os.wait4(proc.pid, 0)
            raise
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if th:
            stop.set()
            th.join()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        out.seek(0)
        stdout = out.read(200_000).decode("utf-8", "replace")
    inner = None
    last = stdout.strip().splitlines()[-1:] if stdout.strip() else []
    if last and last[0].startswith("{"):
        try:
            inner = json.loads(last[0])
        except ValueError:
            inner = None
    return Run(seconds, proc.returncode, usage.ru_maxrss / 1024, peak_tree[0], text, inner)


def forget_export_findings(dirs: list[Path]) -> None:
    """Remove the findings `note export` keeps per workspace (notes/.export-checks-cache.json):
    the next export checks every note again, as after a change to every workspace."""
    for d in dirs:
        (d / "notes" / ".export-checks-cache.json").unlink(missing_ok=True)


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


# ------------------------------------------------------------------ rows

@dataclass
class Row:
    name: str
    group: str
    data: str = ""                  # which generated workspace
    command: str = ""
    status: str = "ok"              # ok | not available | failed: ...
    runs_s: list[float] = field(default_factory=list)
    median_s: float | None = None
    peak_mb: float | None = None
    floor: str = ""                 # the name of the row it is compared with
    floor_s: float | None = None
    ratio: float | None = None
    target: float | None = None
    target_text: str = ""
    met: bool | None = None
    over_ms: float | None = None    # for "<= floor + N ms" targets: the time after the floor
    note: str = ""


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.size = args.size
        self.profile = PROFILES[self.size]
        self.data = Path(args.data).resolve()
        self.runs = args.runs
        self.heavy_runs = args.heavy_runs or max(1, min(self.runs, 3))
        self.rows: dict[str, Row] = {}
        self.peerkit = self._peerkit()
        self.env = dict(os.environ, PEERKIT_TODAY=TODAY, PEERKIT_NOW=f"{TODAY}T10:00:00")
        self.env.pop("PEERKIT_WORKSPACE", None)
        self.env.pop("PEERKIT_DEBUG", None)
        self.data.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix=".scratch-", dir=self.data))
        # An installed peerkit has its .pyc files; with PYTHONDONTWRITEBYTECODE=1 inherited (some
        # shells and sandboxes set it) every run compiled ~50 modules from source (~140 ms
        # profiled, issue 19). The children write theirs in the scratch folder (the first,
        # uncounted round fills it), never next to the sources.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(self.scratch / "pycache")
        self.only = re.compile(args.only) if args.only else None
        self.skip = re.compile(args.skip) if args.skip else None
        self.available: dict[tuple, bool] = {}

    # -------------------------------------------------------------- helpers
    def _peerkit(self) -> list[str]:
        exe = Path(sys.executable).with_name("peerkit")
        if exe.exists():
            return [str(exe)]
        found = shutil.which("peerkit")
        return [found] if found else [sys.executable, "-m", "peerkit"]

    def ws(self, role: str) -> Path:
        return self.data / self.profile[role]

    def wanted(self, name: str) -> bool:
        if self.skip is not None and self.skip.search(name):
            return False
        return self.only is None or bool(self.only.search(name))

    def add(self, row: Row) -> Row:
        self.rows[row.name] = row
        return row

    def has_command(self, *path: str) -> bool:
        """Known missing only after a run said so (click: exit 2, "No such command")."""
        return self.available.get(path, True)

    def missing(self, res: "Run", path: tuple | None) -> bool:
        if res.code == 2 and "No such command" in res.stderr:
            if path:
                self.available[path] = False
            return True
        return False

    def say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    # -------------------------------------------------------------- data
    def prepare(self) -> None:
        sizes = sorted(set(self.profile.values()), key=list(generate.SIZES).index)
        for size in sizes:
            self.say(f"data: {size} ...")
            info = generate.generate(size, self.data, jobs=min(2, os.cpu_count() or 1), quiet=True)
            self.say(f"data: {size} {'reused' if info.get('reused') else info}")
        # Untimed: the plugins' own caches (invoice index, resources index) brought up to date by
        # the installed peerkit, as any writing command leaves them (their format may have changed
        # since the data was generated).
        self._user_with_secrets()
        roots = {self.ws(role) for role in ("short", "long", "check", "resources")}
        if self.wanted(f"note export to xlsx [{self.profile['agency']}]"):
            roots |= set(generate.peer_dirs(self.data, self.profile["agency"]))
        self.say(f"refreshing peerkit's caches in {len(roots)} workspace(s) (untimed) ...")
        for root in sorted(roots):
            generate.refresh_caches(root)

    def _user_with_secrets(self) -> None:
        """Untimed: a user who stored the tax ID and bank account, as anyone issuing invoices
        has -- so the md invoice reads them through the keyring backend peerkit recorded when
        they were stored (issue 19).  The benchmark's own config folder and a plaintext keyring
        in the scratch folder (keyrings.alt, installed with the test extra), recorded before the
        secrets are stored, so the machine's real keyring is never touched.  Without
        keyrings.alt the invoice runs as before: keyring detection, secrets '(not set)'."""
        try:
            import keyrings.alt.file  # noqa: F401
        except ImportError:
            self.say("keyrings.alt not installed: the md invoice rows include keyring detection")
            return
        config = self.scratch / "config"
        config.mkdir(mode=0o700)
        (config / "keyring-backend").write_text("keyrings.alt.file.PlaintextKeyring\n")
        self.env.update(PEERKIT_CONFIG_DIR=str(config), XDG_DATA_HOME=str(self.scratch / "keyring-data"),
                        PEERKIT_ALLOW_INSECURE_KEYRING="1")
        self.env.pop("PYTHON_KEYRING_BACKEND", None)
        for name, value in (("tax-id", "12-3456789"), ("bank-account", "000123456789")):
            res = subprocess.run(self.peerkit + ["secret", "set", name, "--stdin"], input=value + "\n",
                                 env=self.env, capture_output=True, text=True,
                                 cwd=self.ws("short"))
            if res.returncode != 0:
                self.say(f"could not store the benchmark's {name}: {last_line(res.stderr)}")

    def note_files(self, role: str) -> list[Path]:
        root = self.ws(role)
        roots = generate.peer_dirs(self.data, self.profile[role])
        files: list[Path] = []
        for r in roots:
            files += sorted((r / "notes").rglob("*.toml"))
        assert root.exists()
        return files

    def span(self, role: str) -> tuple[str, str]:
        weeks = generate.SIZES[self.profile[role]]["weeks"]
        start = generate.END - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)
        return start.isoformat(), generate.END.isoformat()

    def active_client(self, role: str) -> str:
        for p in sorted((self.ws(role) / "clients").glob("*.toml")):
            c = tomllib.loads(p.read_text(encoding="utf-8"))
            if c.get("status") == "active" and any(g.get("id") == "G1" and g.get("status") == "active"
                                                   for g in c.get("goals", [])):
                return c["id"]
        return "C001"

    # -------------------------------------------------------------- the light jobs (interleaved)
    def light_jobs(self) -> list[dict]:
        """Every quick measurement: one dict each with the argv and how to judge it."""
        py = sys.executable
        pk = self.peerkit
        jobs: list[dict] = [
            {"name": "floor: python -c pass", "group": "start-up", "argv": [py, "-c", "pass"], "info": True},
            {"name": "floor: import click", "group": "start-up", "argv": [py, "-c", "import click"], "info": True},
            {"name": "floor: start-up (click+pluggy+entry points)", "group": "start-up",
             "argv": [py, "-c", "import click, pluggy, importlib.metadata as m; m.entry_points(group='peerkit')"]},
            # what the md invoice's two libraries cost to import, for the record of its miss
            {"name": "floor: start-up + import jinja2 and keyring", "group": "start-up",
             "argv": [py, "-c", "import click, pluggy, importlib.metadata as m; m.entry_points(group='peerkit'); "
                      "import jinja2.sandbox, keyring, keyrings.alt.file"], "info": True},
            {"name": "peerkit --version", "group": "start-up", "argv": pk + ["--version"],
             "floor": "floor: start-up (click+pluggy+entry points)", "target": 1.2},
            {"name": "peerkit --help", "group": "start-up", "argv": pk + ["--help"],
             "floor": "floor: start-up (click+pluggy+entry points)", "target": 1.2},
        ]
        everyday = [
            ("invoice --week --format json --preview", ("invoice",),
             ["invoice", "--week", WEEK, "--format", "json", "--preview"], (0,)),
            ("invoice --week --preview (md)", ("invoice",),      # the default format users run
             ["invoice", "--week", WEEK, "--preview"], (0,)),
            ("note list --week", ("note", "list"), ["note", "list", "--week", WEEK], (0,)),
            ("note add (flags)", ("note", "add"), None, (0,)),
            ("status", ("status",), ["status"], (0, 1)),
            ("caseload", ("caseload",), ["caseload"], (0, 1)),
        ]
        roles = ("short", "long") if self.profile["short"] != self.profile["long"] else ("short",)
        for role in roles:
            size = self.profile[role]
            ws = str(self.ws(role))
            for label, path, argv, ok in everyday:
                if argv is None:
                    argv = ["note", "add", "--client", self.active_client(role), "--date", ADD_DATE,
                            "--start", "07:00", "--end", "07:50", "--code", "H0038", "--place", "community",
                            "--location", "Public library, Main St", "--goal", "G1",
                            "--purpose", "Weekly check-in on the housing search, as set in the plan.",
                            "--intervention", "Shared my own experience of waiting lists and helped compare listings.",
                            "--response", "Said the next step felt manageable and set a reminder.",
                            "--plan", "Meet on Thursday to call the housing authority together."]
                jobs.append({"name": f"{label} [{size}]", "group": "everyday", "data": size, "path": path,
                             "argv": pk + ["--workspace", ws, *argv], "ok": ok,
                             "floor": "floor: start-up (click+pluggy+entry points)", "target": 2.0,
                             "cleanup": "note-add" if path == ("note", "add") else None, "ws": ws,
                             "label": label, "role": role})
            # the first command after a copy, a restore or a pull: every cache of peerkit's gone
            for label, path, argv in COLD:
                jobs.append({"name": f"{label} [{size}]", "group": "cold caches", "data": size, "path": path,
                             "argv": pk + ["--workspace", ws, *argv], "ok": (0, 1), "cold": True,
                             # the first command rebuilds the caches: judged by the history rule
                             # (5years / year), shown against the floor for reference
                             "floor": "floor: start-up (click+pluggy+entry points)",
                             "ws": ws, "label": label, "role": role})
            for label, path, argv in AFTER_COLD:
                jobs.append({"name": f"{label} [{size}]", "group": "cold caches", "data": size, "path": path,
                             "argv": pk + ["--workspace", ws, *argv], "ok": (0, 1), "cold": True,
                             "first_untimed": True,
                             "floor": "floor: start-up (click+pluggy+entry points)", "target": 2.0,
                             "ws": ws, "label": label, "role": role})
        # note check on one peer's year, and the parse floor of the same files
        size = self.profile["check"]
        start, end = self.span("check")
        files = self.note_files("check")
        ws = self.ws("check")
        extra = [ws / "peerkit.toml", *sorted((ws / "clients").glob("*.toml"))]
        listing = self.scratch / "check-files.txt"
        listing.write_text("\n".join(str(p) for p in [*extra, *files]) + "\n")
        self.check_files = (len(files) + len(extra), listing)
        for parser in self.parsers():
            jobs.append({"name": f"floor: parse with {parser} [{size}]", "group": "note check", "data": size,
                         "argv": [py, str(HERE / "floors.py"), "parse", parser, str(listing)], "parser": parser,
                         "info": True})
        jobs.append({"name": f"note check [{size}]", "group": "note check", "data": size, "path": ("note", "check"),
                     "argv": pk + ["--workspace", str(ws), "note", "check", "--from", start, "--to", end],
                     "ok": (0, 1), "floor": "floor: parse, fastest parser", "target": 1.5})
        # note check of the whole history with its findings computed (the kept findings moved
        # aside, the month caches warm): the rules' cost must grow linearly with the notes
        for role in roles:
            size, (start, end) = self.profile[role], self.span(role)
            jobs.append({"name": f"note check, whole history, findings computed [{size}]", "group": "note check",
                         "data": size, "path": ("note", "check"), "ok": (0, 1), "cold": True,
                         "drop": ("notes/.checks-cache.json",), "notes": len(self.note_files(role)),
                         "ws": str(self.ws(role)),
                         "argv": pk + ["--workspace", str(self.ws(role)), "note", "check", "--from", start,
                                       "--to", end], "floor": "floor: start-up (click+pluggy+entry points)"})
        size = self.profile["resources"]
        jobs.append({"name": f"resources search [{size}]", "group": "resources", "data": size,
                     "path": ("resources", "search"),
                     "argv": pk + ["--workspace", str(self.ws("resources")), "resources", "search", "housing",
                                   "--county", "Durham"],
                     "ok": (0, 1), "floor": "floor: start-up (click+pluggy+entry points)", "over_ms": 200})
        return [j for j in jobs if self.wanted(j["name"]) or j["name"].startswith("floor")]

    def parsers(self) -> list[str]:
        """Parsers that are installed and give the same values as tomllib on these files."""
        out = []
        _, listing = self.check_files if hasattr(self, "check_files") else (0, None)
        sample = [Path(p) for p in listing.read_text().split()[:60]] if listing else []
        ref = [tomllib.loads(p.read_text(encoding="utf-8")) for p in sample]
        for name in floors.PARSERS:
            try:
                load = floors.loader(name)
            except ImportError:
                continue
            try:
                same = [load(p.read_bytes()) for p in sample] == ref
            except Exception:  # noqa: BLE001
                same = False
            if same:
                out.append(name)
            else:
                self.say(f"parser {name}: values differ from tomllib, not used as a floor")
        return out

    def run_light(self) -> None:
        jobs = self.light_jobs()
        for j in jobs:
            self.add(Row(name=j["name"], group=j["group"], data=j.get("data", ""),
                         command=" ".join(self._shown(j["argv"])), floor=j.get("floor", ""),
                         target=j.get("target"),
                         target_text=(f"<= {j['target']}x floor" if j.get("target")
                                      else f"<= floor + {j['over_ms']} ms" if j.get("over_ms") else "")))
            if j.get("path") and not self.has_command(*j["path"]):
                self.rows[j["name"]].status = "not available"
        live = [j for j in jobs if self.rows[j["name"]].status == "ok"]
        rounds = self.runs + (1 if self.runs > 1 else 0)       # the first round warms caches, not counted
        for r in range(rounds):
            self.say(f"round {r + 1}/{rounds}: {len(live)} light benchmarks")
            for j in live:
                row = self.rows[j["name"]]
                if row.status != "ok":
                    continue
                before = self._note_listing(j) if j.get("cleanup") else None
                stash = self._drop_caches(j) if j.get("cold") else None
                try:
                    if j.get("first_untimed"):   # the first command after the copy, untimed
                        run_child(j["argv"], env=self.env)
                    res = run_child(j["argv"], env=self.env)
                finally:
                    if stash is not None:
                        self._restore_caches(stash)
                if before is not None:
                    self._remove_new_notes(j, before)
                if self.missing(res, j.get("path")):
                    row.status = "not available"
                    continue
                if res.code not in j.get("ok", (0,)):
                    row.status = f"failed: exit {res.code}: {last_line(res.stderr)}"
                    continue
                if r == 0 and rounds > 1:
                    continue
                row.runs_s.append(res.seconds)
                row.peak_mb = max(row.peak_mb or 0, res.peak_mb)
                if j.get("parser") and res.inner:
                    row.note = f"in-process parse {res.inner['seconds'] * 1000:.0f} ms for {res.inner['files']} files"
                    row.__dict__.setdefault("_inner", []).append(res.inner["seconds"])
        for j in live:
            row = self.rows[j["name"]]
            if row.runs_s:
                row.median_s = statistics.median(row.runs_s)
        # the parse floor: the fastest parser's process
        parse_rows = [self.rows[j["name"]] for j in jobs if j.get("parser") and self.rows[j["name"]].median_s]
        if parse_rows:
            best = min(parse_rows, key=lambda r: r.median_s)
            ref = self.rows.get(f"floor: parse with tomllib [{self.profile['check']}]")
            self.add(Row(name="floor: parse, fastest parser", group="note check", data=best.data,
                         command=best.command, runs_s=best.runs_s, median_s=best.median_s, peak_mb=best.peak_mb,
                         note=f"{best.name.split('with ')[1].split(' ')[0]}; {self.check_files[0]} files"
                              + (f"; tomllib is {ref.median_s / best.median_s:.1f}x slower" if ref and ref.median_s
                                 else "")))
            for r in parse_rows:
                inner = r.__dict__.pop("_inner", None)
                if inner:
                    r.note = f"in-process parse {statistics.median(inner) * 1000:.0f} ms, {self.check_files[0]} files"
        for j in jobs:
            self._judge(self.rows[j["name"]], j)
        self._history_rows(jobs)
        self._linear_row(jobs)

    def _linear_row(self, jobs: list[dict]) -> None:
        """The whole-history note check: the time over the start-up floor, per note, of the
        longest history against the shortest (linear: <= 1.2x)."""
        checks = [j for j in jobs if j["name"].startswith("note check, whole history")]
        rows = [(j, self.rows[j["name"]]) for j in checks]
        if not rows:
            return   # (smoke: one size, the row compares it with itself)
        (ja, a), (jb, b) = rows[0], rows[-1]
        row = self.add(Row(name="note check per note, findings computed: "
                                f"{jb['data']} / {ja['data']}", group="note check",
                           data=f"{jb['notes']} vs {ja['notes']} notes", floor=a.name, target=1.2,
                           target_text="<= 1.2x (linear in notes)"))
        if a.status != "ok" or b.status != "ok" or not (a.median_s and b.median_s and a.floor_s):
            row.status = b.status if b.status != "ok" else a.status
            return
        row.median_s, row.floor_s = b.median_s, a.median_s   # shown; the ratio is per note
        per_a = (a.median_s - a.floor_s) / ja["notes"]
        per_b = (b.median_s - a.floor_s) / jb["notes"]
        row.ratio = per_b / per_a
        row.met = row.ratio <= 1.2
        row.note = f"{per_a * 1000:.3f} vs {per_b * 1000:.3f} ms per note over the floor"

    def _judge(self, row: Row, j: dict) -> None:
        if row.status != "ok" or row.median_s is None:
            return
        floor = self.rows.get(row.floor)
        if not floor or floor.median_s is None:
            return
        row.floor_s = floor.median_s
        if j.get("over_ms") is not None:
            over = (row.median_s - floor.median_s) * 1000
            row.ratio = row.median_s / floor.median_s
            row.over_ms = round(over, 1)
            row.met = over <= j["over_ms"]
            row.target = None
        elif row.target:
            row.ratio = row.median_s / floor.median_s
            row.met = row.ratio <= row.target

    def _history_rows(self, jobs: list[dict]) -> None:
        """5 years against 1 year, per everyday command: the cost must follow the period asked for."""
        short, long_ = self.profile["short"], self.profile["long"]
        for j in jobs:
            if j.get("role") != ("long" if short != long_ else "short"):
                continue
            label = j["label"]
            a, b = self.rows.get(f"{label} [{short}]"), self.rows.get(f"{label} [{long_}]")
            row = self.add(Row(name=f"{label}: {long_} / {short}", group="history", data=f"{long_} vs {short}",
                               floor=f"{label} [{short}]", target=1.2, target_text="<= 1.2x the 1-year run"))
            if not a or not b or a.status != "ok" or b.status != "ok":
                row.status = b.status if b and b.status != "ok" else (a.status if a else "not available")
                continue
            if a.median_s and b.median_s:
                row.median_s, row.floor_s = b.median_s, a.median_s
                row.ratio = b.median_s / a.median_s
                row.met = row.ratio <= 1.2
                if short == long_:
                    row.note = "smoke: both sides are the same workspace"

    def _drop_caches(self, j: dict) -> list[tuple[Path, Path]]:
        """Move every cache file of the job's workspace aside (untimed): a cold start."""
        stash_dir = self.scratch / "cold-stash"
        shutil.rmtree(stash_dir, ignore_errors=True)
        stash_dir.mkdir(parents=True)
        moved = []
        root = Path(j["ws"])
        for n, path in enumerate(p for pattern in j.get("drop", CACHE_FILES) for p in root.glob(pattern)):
            aside = stash_dir / str(n)
            os.replace(path, aside)
            moved.append((path, aside))
        return moved

    def _restore_caches(self, moved: list[tuple[Path, Path]]) -> None:
        """Put the warm caches back, so the warm rows of the next round stay warm."""
        for path, aside in moved:
            os.replace(aside, path)

    # -------------------------------------------------------------- the agency over git
    def run_agency_git(self) -> None:
        """``peerkit agency pull`` of every peer's repository into an empty agency folder, then
        the review export of those clones: the supervisor's Monday after a week of syncs."""
        size = self.profile["agency"]
        pull_name, export_name = f"agency pull (clone all) [{size}]", f"note export of the clones [{size}]"
        pull_row = self.add(Row(name=pull_name, group="agency over git", data=size,
                                note="bare repositories on local disk; clones in parallel"))
        export_row = self.add(Row(name=export_name, group="agency over git", data=size,
                                  floor=f"note export to xlsx [{size}]", target=1.1,
                                  target_text="<= 1.1x the export of the same folders"))
        if not (self.wanted(pull_name) or self.wanted(export_name)):
            pull_row.status = export_row.status = "skipped (--only/--skip)"
            return
        if shutil.which("git") is None or not self.has_command("agency", "pull"):
            pull_row.status = export_row.status = "not available"
            return
        dirs = generate.peer_dirs(self.data, size)
        server = self.scratch / "server"
        server.mkdir(parents=True, exist_ok=True)
        self.say(f"agency over git: {len(dirs)} bare repositories (untimed) ...")
        peers = []
        for d in dirs:
            repo = server / f"{d.name}.git"
            if not repo.exists():
                env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
                       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}
                work = self.scratch / "stage" / d.name
                shutil.copytree(d, work, ignore=shutil.ignore_patterns("*cache*", "*.lock*", ".index*"))
                for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "history"],
                             ["clone", "-q", "--bare", str(work), str(repo)]):
                    subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)
                shutil.rmtree(work)
            peers.append(f'[[peer]]\nname = "{d.name}"\nremote = "{repo}"\n')
        for r in range(self.heavy_runs):
            agency = self.scratch / "agency"
            shutil.rmtree(agency, ignore_errors=True)
            agency.mkdir()
            (agency / "agency.toml").write_text("\n".join(peers))
            argv = self.peerkit + ["agency", "--agency", str(agency), "pull"]
            pull_row.command = " ".join(self._shown(argv))
            res = run_child(argv, env=self.env)
            if res.code != 0:
                pull_row.status = export_row.status = f"failed: exit {res.code}: {last_line(res.stderr)}"
                return
            pull_row.runs_s.append(res.seconds)
            start, end = self.span("agency")
            clones = [str(agency / d.name) for d in dirs]
            out = self.scratch / "clones.xlsx"
            argv = self.peerkit + ["--workspace", clones[0], "note", "export", "--from", start, "--to", end,
                                   "--status", "all", "--out", str(out), *clones]
            export_row.command = " ".join(self._shown(argv))
            res = run_child(argv, env=self.env, sample_tree=True)
            if res.code not in (0, 1):
                export_row.status = f"failed: exit {res.code}: {last_line(res.stderr)}"
                return
            export_row.runs_s.append(res.seconds)
            export_row.peak_mb = res.tree_mb
            self.say(f"  pull {pull_row.runs_s[-1]:.1f} s, export {res.seconds:.1f} s")
        for row in (pull_row, export_row):
            row.median_s = statistics.median(row.runs_s)
        base = self.rows.get(export_row.floor)
        if base and base.median_s:
            export_row.floor_s = base.median_s
            export_row.ratio = export_row.median_s / base.median_s
            export_row.met = export_row.ratio <= 1.1

    def _note_listing(self, j: dict) -> set[str]:
        folder = Path(j["ws"]) / "notes" / ADD_DATE[:4] / ADD_DATE[5:7]
        return set(os.listdir(folder)) if folder.is_dir() else set()

    def _remove_new_notes(self, j: dict, before: set[str]) -> None:
        folder = Path(j["ws"]) / "notes" / ADD_DATE[:4] / ADD_DATE[5:7]
        for name in self._note_listing(j) - before:
            (folder / name).unlink(missing_ok=True)

    def _shown(self, argv: list[str]) -> list[str]:
        out = []
        for a in argv:
            if a == sys.executable:
                a = "python"
            elif self.peerkit and a == self.peerkit[0]:
                a = "peerkit"
            elif a.startswith(str(self.data)):
                a = "$DATA" + a[len(str(self.data)):]
            elif a.startswith(str(HERE)):
                a = "benchmarks" + a[len(str(HERE)):]
            elif a.startswith(str(self.scratch)):
                a = "$TMP" + a[len(str(self.scratch)):]
            out.append(a)
        return out

    # -------------------------------------------------------------- the heavy jobs: export and its floors
    def run_export(self) -> None:
        size = self.profile["agency"]
        dirs = generate.peer_dirs(self.data, size)
        start, end = self.span("agency")
        name = f"note export to xlsx [{size}]"
        out = self.scratch / "export.xlsx"
        argv = self.peerkit + ["--workspace", str(dirs[0]), "note", "export", "--from", start, "--to", end, "--status", "all",
                               "--out", str(out), *map(str, dirs)]
        row = self.add(Row(name=name, group="export", data=size, command=" ".join(self._shown(argv)),
                           floor="floor: fastest xlsx writer", target=1.25, target_text="<= 1.25x floor"))
        again = self.add(Row(name=f"note export again, nothing changed [{size}]", group="export", data=size,
                             command="(same command)", floor="floor: fastest xlsx writer", target=1.25,
                             target_text="<= 1.25x floor",
                             note="the checks' findings kept by the export before (the row above removes "
                                  "them before each run: every note is checked, as after a change)"))
        mem = self.add(Row(name=f"note export peak memory (MB) [{size}]", group="export", data=size,
                           command="(same run)", target=250, target_text="<= 250 MB",
                           note="the sampled RSS sum of its process tree (every 50 ms)"))
        writers = [w for w in floors.WRITERS if floors.writer_available(w)]
        for w in floors.WRITERS:
            self.add(Row(name=f"floor: write rows, {w}", group="export", data=size,
                         status="ok" if w in writers else "not available",
                         note="" if w in writers else "library not installed (pip install -e '.[bench]')"))
        wanted = self.wanted(name)
        exported = False
        if not wanted:
            for r in (row, again, mem, *(self.rows[f"floor: write rows, {w}"] for w in floors.WRITERS)):
                r.status = "skipped (--only/--skip)"
            self.add(Row(name="floor: fastest xlsx writer", group="export", status="skipped (--only/--skip)"))
            return
        else:
            peaks = []
            for r in range(self.heavy_runs):
                out.unlink(missing_ok=True)
                forget_export_findings(dirs)   # untimed: every note is checked, as after a change
                self.say(f"export run {r + 1}/{self.heavy_runs} ({len(dirs)} workspaces) ...")
                res = run_child(argv, env=self.env, sample_tree=True)
                if self.missing(res, ("note", "export")):
                    row.status = mem.status = "not available"
                    break
                if res.code not in (0, 1) or not out.exists():
                    row.status = mem.status = f"failed: exit {res.code}: {last_line(res.stderr)}"
                    break
                row.runs_s.append(res.seconds)
                # the sampled process-tree figure: ru_maxrss of a child also counts the pre-exec
                # fork of this (large) runner, so it reads the runner's own size, not peerkit's
                peaks.append(res.tree_mb)
                self.say(f"  {res.seconds:.1f} s, peak {res.peak_mb:.0f} MB (tree {res.tree_mb:.0f} MB)")
            if row.runs_s:
                exported = True
                row.median_s = statistics.median(row.runs_s)
                row.peak_mb = max(peaks)
                mem.runs_s, mem.median_s = [], None
                mem.peak_mb = max(peaks)
                mem.ratio = mem.peak_mb / 250
                mem.met = mem.peak_mb <= 250
                for r in range(self.heavy_runs):   # the findings the last run kept are used
                    out.unlink(missing_ok=True)
                    self.say(f"export again run {r + 1}/{self.heavy_runs} ...")
                    res = run_child(argv, env=self.env, sample_tree=True)
                    if res.code not in (0, 1) or not out.exists():
                        again.status = f"failed: exit {res.code}: {last_line(res.stderr)}"
                        break
                    again.runs_s.append(res.seconds)
                    again.peak_mb = max(again.peak_mb or 0, res.tree_mb)
                    self.say(f"  {res.seconds:.1f} s, peak (tree) {res.tree_mb:.0f} MB")
                if again.runs_s:
                    again.median_s = statistics.median(again.runs_s)
        # the same rows, from memory
        pickled = self.scratch / "rows.pickle"
        if exported:
            res = run_child([sys.executable, str(HERE / "floors.py"), "rows-from-xlsx", str(out), str(pickled)],
                            env=self.env)
            source = "the cells of the workbook `note export` wrote (every sheet)"
        else:
            listing = self.scratch / "agency-files.txt"
            files = [p for d in dirs for p in sorted((d / "notes").rglob("*.toml"))]
            listing.write_text("\n".join(map(str, files)) + "\n")
            res = run_child([sys.executable, str(HERE / "floors.py"), "rows-from-notes", str(listing), str(pickled)],
                            env=self.env)
            source = "one row per note, 21 columns (there is no `note export` to copy yet)"
        if res.code != 0 or not res.inner:
            for w in writers:
                self.rows[f"floor: write rows, {w}"].status = f"failed: reading rows: {last_line(res.stderr)}"
            return
        nrows = res.inner["rows"]
        self.say(f"floor rows: {nrows} rows in {res.inner['sheets']} sheet(s), from {source}")
        for r in range(self.heavy_runs):
            for w in writers:
                frow = self.rows[f"floor: write rows, {w}"]
                if frow.status != "ok":
                    continue
                target = self.scratch / f"floor-{w}.xlsx"
                self.say(f"floor {w} run {r + 1}/{self.heavy_runs} ...")
                fr = run_child([sys.executable, str(HERE / "floors.py"), "write", w, str(pickled), str(target)],
                               env=self.env)
                target.unlink(missing_ok=True)
                if fr.code != 0 or not fr.inner:
                    frow.status = f"failed: exit {fr.code}: {last_line(fr.stderr)}"
                    continue
                frow.runs_s.append(fr.inner["seconds"])
                frow.peak_mb = max(frow.peak_mb or 0, fr.peak_mb)
                frow.command = f"python benchmarks/floors.py write {w} (rows loaded first, untimed)"
                self.say(f"  {fr.inner['seconds']:.1f} s")
        pickled.unlink(missing_ok=True)
        timed = []
        for w in writers:
            frow = self.rows[f"floor: write rows, {w}"]
            if frow.runs_s:
                frow.median_s = statistics.median(frow.runs_s)
                frow.note = f"{nrows} rows from {source}"
                timed.append(frow)
        if timed:
            best = min(timed, key=lambda r: r.median_s)
            self.add(Row(name="floor: fastest xlsx writer", group="export", data=size, command=best.command,
                         runs_s=best.runs_s, median_s=best.median_s, peak_mb=best.peak_mb,
                         note=best.name.split(", ", 1)[1]))
            for r in (row, again):
                if r.median_s:
                    r.floor_s = best.median_s
                    r.ratio = r.median_s / best.median_s
                    r.met = r.ratio <= 1.25
        else:
            self.add(Row(name="floor: fastest xlsx writer", group="export", status="not available"))

    # -------------------------------------------------------------- output
    ORDER = ("start-up", "everyday", "history", "note check", "resources", "export")

    def ordered(self) -> list[Row]:
        return sorted(self.rows.values(), key=lambda r: self.ORDER.index(r.group) if r.group in self.ORDER else 99)

    def table(self) -> str:
        head = ["benchmark", "median", "floor", "ratio", "target", "met", "peak MB"]
        lines = []
        for r in self.ordered():
            if r.status != "ok":
                status = r.status if len(r.status) <= 70 else r.status[:67] + "..."
                lines.append([r.name, status, "", "", r.target_text, "", ""])
                continue
            med = (f"{r.peak_mb:.0f} MB" if r.median_s is None and r.peak_mb and "memory" in r.name
                   else _fmt_s(r.median_s))
            floor = f"{_fmt_s(r.floor_s)}" if r.floor_s is not None else ""
            ratio = (f"+{r.over_ms:.0f} ms" if r.over_ms is not None
                     else f"{r.ratio:.2f}x" if r.ratio is not None else "")
            met = "" if r.met is None else ("yes" if r.met else "NO")
            # only the export rows: a small child's ru_maxrss reads as this runner's own size
            peak = f"{r.peak_mb:.0f}" if r.peak_mb and r.group == "export" else ""
            lines.append([r.name, med, floor, ratio, r.target_text, met, peak])
        widths = [max(len(str(x[i])) for x in [head, *lines]) for i in range(len(head))]
        out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
               "|" + "|".join(("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|"]
        for line in lines:
            out.append("| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                         for i, (c, w) in enumerate(zip(line, widths))) + " |")
        return "\n".join(out)

    def write_json(self, seconds: float) -> Path:
        results = Path(self.args.results)
        results.mkdir(parents=True, exist_ok=True)
        stamp = dt.date.today().isoformat() + ("-smoke" if self.size == "smoke" else "")
        path = results / f"{stamp}.json"
        doc = {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "size": self.size, "runs": self.runs, "heavy_runs": self.heavy_runs,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform(), "load_avg": os.getloadavg()},
            "peerkit": self.peerkit[0], "data": {k: v for k, v in self.profile.items()},
            "commit": _git_commit(),
            "seconds": round(seconds, 1),
            "rows": [asdict(r) for r in self.ordered()],
        }
        path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
        return path


def _git_commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain", "--untracked-files=no",
                                "src", "plugins"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + (" + uncommitted changes in src/ or plugins/" if dirty else "")


def _fmt_s(s: float | None) -> str:
    if s is None:
        return ""
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the peerkit benchmarks (see benchmarks/README.md).")
    ap.add_argument("--size", choices=sorted(PROFILES), default="full",
                    help="smoke: the smallest data, 1 run (CI); full: everything (default)")
    ap.add_argument("--runs", type=int, default=None,
                    help="timed runs per benchmark (default 5 full, 1 smoke; export rows use at most 3)")
    ap.add_argument("--heavy-runs", type=int, default=None,
                    help="timed runs of the export and its floors (default: --runs, at most 3)")
    ap.add_argument("--data", type=Path, default=generate.DEFAULT_DATA, help="generated data (default benchmarks/data)")
    ap.add_argument("--results", type=Path, default=HERE / "results", help="JSON output folder")
    ap.add_argument("--only", help="run only rows whose name matches this regex (floors always run)")
    ap.add_argument("--skip", help="leave out rows whose name matches this regex (e.g. 'export')")
    ap.add_argument("--show", type=Path, metavar="RESULTS.json", help="print the table of a results file and exit")
    args = ap.parse_args(argv)
    if args.show:
        doc = json.loads(args.show.read_text())
        shown = object.__new__(Bench)
        shown.rows = {r["name"]: Row(**r) for r in doc["rows"]}
        print(f"peerkit benchmarks, size {doc['size']}, median of {doc['runs']} run(s) (export rows: "
              f"{doc['heavy_runs']}); {doc['machine']['cpus']} CPUs, load at the end "
              f"{doc['machine']['load_avg'][0]:.1f}; {doc['date']}")
        print(shown.table())
        return 0
    if args.runs is None:
        args.runs = 1 if args.size == "smoke" else 5
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    t0 = time.perf_counter()
    bench = Bench(args)
    try:
        bench.prepare()
        bench.run_light()
        bench.write_json(time.perf_counter() - t0)     # the light rows are kept if the export is interrupted
        bench.run_export()
        bench.run_agency_git()
    finally:
        shutil.rmtree(bench.scratch, ignore_errors=True)
    elapsed = time.perf_counter() - t0
    path = bench.write_json(elapsed)
    print(f"peerkit benchmarks, size {args.size}, median of {args.runs} run(s) "
          f"(export rows: {bench.heavy_runs}); {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"took {elapsed:.0f} s")
    print(bench.table())
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
