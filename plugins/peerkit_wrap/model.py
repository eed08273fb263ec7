"""The wellness and crisis action plan record (``wrap/<client-id>.toml``): schema, reading,
validation, the skeleton for new plans, review dates and completeness checks.  No CLI here.

The plan belongs to the person and is written in their own words.  The section structure is
compatible with WRAP-style planning (see docs/wrap.md); every heading and prompt here is
peerkit's own neutral wording.

Errors name the file, line and field, never a value (a value may be a name or narrative).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerkit import storage
from peerkit.dates import add_months
from peerkit.errors import DataError
from peerkit.records import id_problem
from peerkit.validate import Fields, clean_text

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace

FOLDER = "wrap"
DEFAULT_REVIEW_MONTHS = 6
DEFAULT_WARN_DAYS = 30
DEFAULT_OVERDUE_SEVERITY = "error"

# ------------------------------------------------------------------------------ schema
# Sections made only of lists of text: (key, title, [(field, label), ...]).
# Titles and labels are peerkit's own neutral, first-person wording; the templates repeat
# them literally so an agency can reword its own copy.
TEXT_SECTIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("toolbox", "Things that help me stay well", [
        ("tools", "What I do to stay well or to feel better"),
        ("to_try", "Things I would like to try"),
    ]),
    ("daily", "Staying well, day to day", [
        ("when_well", "What I am like when I am well"),
        ("every_day", "What I do every day to stay well"),
        ("might_do", "What I might do on some days"),
    ]),
    ("triggers", "Things that can upset my balance", [
        ("items", "Events or situations that can upset me"),
        ("must", "What I will do if they happen"),
        ("might", "What else I might do"),
    ]),
    ("early_signs", "Early signs that I am struggling", [
        ("items", "Early signs I notice in myself"),
        ("must", "What I will do when I notice them"),
        ("might", "What else I might do"),
    ]),
    ("breaking_down", "When things are getting much worse", [
        ("items", "Signs that things are much worse"),
        ("must", "What I will do right away"),
        ("might", "What else might help"),
    ]),
]

POST_CRISIS: tuple[str, str, list[tuple[str, str]]] = ("post_crisis", "After a crisis", [
    ("feel", "How I want to feel when I have recovered"),
    ("support", "Who I want to support me, and how"),
    ("where", "Where I want to recover"),
    ("must_do", "What I need to do for myself every day"),
    ("can_wait", "What can wait until I feel better"),
    ("ready_signs", "Signs that I am ready to take up my responsibilities again"),
    ("lessons", "What I learned, and what to change in this plan"),
])

CRISIS_TITLE = "My crisis plan, for my supporters"
# Lists of text inside [crisis], in the order they are shown.
CRISIS_TEXT: list[tuple[str, str]] = [
    ("when_well", "What I am like when I am well"),
    ("takeover_signs", "Signs that others need to take over for me"),
    ("instead_of_hospital", "Care at home, in the community or in respite instead of hospital"),
    ("helps", "What helps me when I feel this bad"),
    ("does_not_help", "What does not help, please avoid"),
    ("danger", "If I am a danger to myself or others, please"),
    ("inactive_when", "Signs that my supporters no longer need to use this plan"),
]
CRISIS_TABLES = ("supporters", "not_involved", "medications", "treatments", "facilities", "tasks")
MEDICATION_LISTS = (("preferred", "Medications I prefer"), ("acceptable", "Medications that are acceptable"),
                    ("avoid", "Medications to avoid"))
TREATMENT_LISTS = (("acceptable", "Treatments that are acceptable"), ("avoid", "Treatments to avoid"))
FACILITY_LISTS = (("preferred", "Places I prefer for care"), ("avoid", "Places I want to avoid"))

ADVANCE_DIRECTIVE_TITLE = "Psychiatric advance directive"
TOP_KEYS = {"client", "written", "reviewed", "helped_by", "crisis", "advance_directive",
            POST_CRISIS[0], *(s[0] for s in TEXT_SECTIONS)}
AD_KEYS = {"exists", "original_location", "registered", "file_number", "agent", "notes"}

# Words that mean a secret: never stored in a plan (the NC registry password lives on the
# person's registry card, not in a file that gets printed and copied).
_SECRET_WORDS = re.compile(r"pass(word|code|phrase)?$|^pin$|_pin$|secret|token", re.IGNORECASE)
_PHONE_RE = re.compile(r"^[0-9+()./\s-]*((ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)


class PlanFields(Fields):
    """Fields with the plan's own readers: lists of text, text, unknown keys."""

    def texts(self, key: str) -> list[str]:
        """A list of text (a single text is accepted as a one-item list); blanks dropped."""
        value = self.opt(key, (list, str), [])
        if isinstance(value, str):
            value = [value]
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(key, f"item {i + 1} must be text in quotes")
            item = clean_text(item).strip()
            if item:
                out.append(item)
        return out

    def text(self, key: str) -> str:
        return (self.opt(key, str, "") or "").strip()

    def unknown(self, allowed: set[str] | tuple[str, ...]) -> list[str]:
        return [f"{self.prefix}{k}" for k in self.data if k not in allowed]


# ------------------------------------------------------------------------------ the record


@dataclass
class Plan:
    """One person's plan as read and validated.

    ``data`` holds every section with every key present (empty lists and texts when not
    filled in), in the same shape as the TOML file: this is what templates, ``wrap show
    --json`` and plugins' formats receive.  ``unknown`` lists fields peerkit does not use
    (a typo would otherwise hide part of the plan from every export).
    """

    client_id: str
    client_name: str
    path: Path
    data: dict
    unknown: list[str] = field(default_factory=list)

    @property
    def written(self) -> dt.date | None:
        return self.data["written"]

    @property
    def reviewed(self) -> dt.date | None:
        return self.data["reviewed"]

    @property
    def last_reviewed(self) -> dt.date | None:
        return self.data["reviewed"] or self.data["written"]

    def review_due(self, months: int) -> dt.date | None:
        last = self.last_reviewed
        return add_months(last, months) if last else None


def _person(f: PlanFields, name_key: str, extra: tuple[str, ...], unknown: list[str]) -> dict:
    out = {name_key: f.text(name_key)}
    for k in extra:
        out[k] = f.text(k)
    if not out[name_key]:
        f.fail(name_key, "is required but missing or empty")
    unknown.extend(f.unknown({name_key, *extra}))
    return out


def _named_items(parent: PlanFields, key: str, extra: tuple[str, ...], unknown: list[str]) -> list[dict]:
    """A list whose items are tables ({name, ...}) or plain text (the name only)."""
    value = parent.opt(key, list, [])
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            text = clean_text(item).strip()
            if text:
                out.append({"name": text, **{k: "" for k in extra}})
            continue
        if not isinstance(item, dict):
            parent.fail(key, f"item {i + 1} must be text in quotes or a table")
        sub = parent.sub(key, i)
        entry = _person(sub, "name", extra, unknown)
        if "phone" in extra:
            entry["phone"] = check_phone(sub, "phone")
        out.append(entry)
    return out


def check_phone(f: PlanFields, key: str) -> str:
    phone = f.text(key)
    if phone and (not _PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 3):
        f.fail(key, "is not a phone number (digits, spaces, + ( ) - . and 'ext' only)")
    return phone


def _guard_secrets(value: Any, f: PlanFields, prefix: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if _SECRET_WORDS.search(str(k)):
                PlanFields(value, f.path, prefix).fail(
                    k, "never store a password or PIN in the plan (it is printed and copied); "
                       "the NC registry password stays on the person's registry card. Remove this line")
            _guard_secrets(v, f, f"{prefix}{k}.")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _guard_secrets(v, f, f"{prefix[:-1]}[{i + 1}]." if prefix else prefix)


def plan_from_dict(data: dict, path: Path | str, *, expect_id: str | None = None,
                   client_name: str = "") -> Plan:
    """Validate a parsed plan file; DataError (file:line, field) on the first problem."""
    path = Path(path)
    f = PlanFields(data, path)
    _guard_secrets(data, f)
    cid = f.record_id("client", expect_id)
    unknown: list[str] = f.unknown(TOP_KEYS)
    written = f.opt("written", dt.date)
    reviewed = f.opt("reviewed", dt.date)
    if written and reviewed and reviewed < written:
        f.fail("reviewed", "is before 'written'")
    out: dict[str, Any] = {"client": cid, "written": written, "reviewed": reviewed,
                           "helped_by": f.texts("helped_by")}
    for key, _title, parts in [*TEXT_SECTIONS, POST_CRISIS]:
        s = f.sub(key)
        out[key] = {k: s.texts(k) for k, _label in parts}
        unknown.extend(s.unknown({k for k, _ in parts}))
    out["crisis"] = _crisis(f.sub("crisis"), unknown)
    out["advance_directive"] = _advance_directive(f.sub("advance_directive"), unknown)
    return Plan(client_id=cid, client_name=client_name, path=path, data=out, unknown=unknown)


def _crisis(c: PlanFields, unknown: list[str]) -> dict:
    out: dict[str, Any] = {k: c.texts(k) for k, _ in CRISIS_TEXT}
    out["disputes"] = c.text("disputes")
    unknown.extend(c.unknown({*(k for k, _ in CRISIS_TEXT), *CRISIS_TABLES, "disputes"}))
    supporters = []
    for s in c.table_list("supporters"):
        name = s.text("name")
        if not name:
            s.fail("name", "is required but missing or empty")
        supporters.append({"name": name, "relationship": s.text("relationship"),
                           "phone": check_phone(s, "phone"), "role": s.text("role"),
                           "may_decide": s.opt("may_decide", bool, False)})
        unknown.extend(s.unknown({"name", "relationship", "phone", "role", "may_decide"}))
    out["supporters"] = supporters
    out["not_involved"] = _named_items(c, "not_involved", ("reason",), unknown)
    meds = c.sub("medications")
    out["medications"] = {k: _named_items(meds, k, ("dose", "why"), unknown) for k, _ in MEDICATION_LISTS}
    out["medications"]["allergies"] = meds.texts("allergies")
    unknown.extend(meds.unknown({*(k for k, _ in MEDICATION_LISTS), "allergies"}))
    treatments = c.sub("treatments")
    out["treatments"] = {k: treatments.texts(k) for k, _ in TREATMENT_LISTS}
    unknown.extend(treatments.unknown({k for k, _ in TREATMENT_LISTS}))
    facilities = c.sub("facilities")
    out["facilities"] = {}
    for k, _ in FACILITY_LISTS:
        out["facilities"][k] = _named_items(facilities, k, ("phone", "why"), unknown)
    unknown.extend(facilities.unknown({k for k, _ in FACILITY_LISTS}))
    tasks = []
    for t in c.table_list("tasks"):
        task = {"task": t.text("task"), "who": t.text("who")}
        if not task["task"]:
            t.fail("task", "is required but missing or empty")
        unknown.extend(t.unknown({"task", "who"}))
        tasks.append(task)
    out["tasks"] = tasks
    return out


def _advance_directive(a: PlanFields, unknown: list[str]) -> dict:
    unknown.extend(a.unknown(AD_KEYS))
    return {
        "exists": a.opt("exists", bool, False),
        "original_location": a.text("original_location"),
        "registered": a.opt("registered", bool, False),
        "file_number": a.text("file_number"),
        "agent": a.text("agent"),
        "notes": a.text("notes"),
    }


# ------------------------------------------------------------------------------ workspace access


def plan_path(ws: Workspace, client_id: str) -> Path:
    from peerkit.records import check_id

    return ws.path(FOLDER, f"{check_id(client_id, 'client id')}.toml")


def missing_plan_error(ws: Workspace, client_id: str) -> DataError:
    return DataError(ws.rel(plan_path(ws, client_id)),
                     f"no wellness and crisis plan for client {client_id} yet; "
                     f"start one with 'peerkit wrap new {client_id}'")


def load_plan(ws: Workspace, client_id: str) -> Plan:
    """The plan of an existing client; exit 3 with the remedy when there is none."""
    client = ws.client(client_id)  # refuses unknown ids and unsafe names
    path = plan_path(ws, client_id)
    if not path.is_file():
        raise missing_plan_error(ws, client_id)
    data = storage.read_toml(path)
    return plan_from_dict(data, path, expect_id=client_id, client_name=client.name)


def plan_files(ws: Workspace) -> list[Path]:
    folder = ws.path(FOLDER)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if p.is_file())


@dataclass(frozen=True)
class Settings:
    review_months: int = DEFAULT_REVIEW_MONTHS
    warn_days: int = DEFAULT_WARN_DAYS
    overdue_severity: str = DEFAULT_OVERDUE_SEVERITY


def settings(ws: Workspace) -> Settings:
    """The ``[wrap]`` table of peerkit.toml, validated (errors name ``wrap.<field>``)."""
    from peerkit.workspace import CONFIG_NAME

    f = Fields(ws.section("wrap"), ws.path(CONFIG_NAME), prefix="wrap.")
    months = f.opt("review_months", int, DEFAULT_REVIEW_MONTHS)
    if not 1 <= months <= 120:
        f.fail("review_months", "must be a whole number of months from 1 to 120")
    warn = f.opt("warn_days", int, DEFAULT_WARN_DAYS)
    if not 0 <= warn <= 365:
        f.fail("warn_days", "must be a whole number of days from 0 to 365")
    severity = f.choice("overdue_severity", ("error", "warning"), DEFAULT_OVERDUE_SEVERITY)
    return Settings(months, warn, severity)


# ------------------------------------------------------------------------------ new plans

SKELETON = '''\
# Wellness and crisis action plan for client {client_id}
#
# This plan belongs to the person. It is written in their own words ("I ..."): they decide
# what goes in, who gets a copy, and when it changes. The peer helps with the writing.
# The sections are compatible with WRAP-style planning; the wording here is peerkit's own.
#
# How to fill it in: write each item in quotes inside the [ ] lists, one item per line,
# each followed by a comma. Leave a list empty ([]) when it does not apply yet:
#   tools = [
#     "Walk to the park with my dog",
#     "Call my sister",
#   ]
# Check it:  peerkit wrap check {client_id}
# Print it:  peerkit wrap export {client_id} --format html --out plan.html
#            peerkit wrap export {client_id} --card --out card.html   (a wallet card)

client = "{client_id}"
written = {today}                 # the date the plan was written (YYYY-MM-DD)
# reviewed = {today}              # the last date the person went over the plan and agreed it
helped_by = [{helpers}]           # who helped write it (for example the peer)

# ---------------------------------------------------------------------------------------
# Things that help me stay well: simple, safe, low-cost things that help me stay well or
# feel better. The other parts of the plan draw on this list.
[toolbox]
tools = []
to_try = []                       # things I would like to try

# ---------------------------------------------------------------------------------------
# Staying well, day to day.
[daily]
when_well = []                    # what I am like when I am well (in my own words)
every_day = []                    # what I do every day to stay well
might_do = []                     # what I might do on some days (a reminder list)

# ---------------------------------------------------------------------------------------
# Things that can upset my balance: events or situations outside me that can make me
# feel worse, and what I will do when they happen.
[triggers]
items = []                        # events or situations that can upset me
must = []                         # what I will do if they happen
might = []                        # what else I might do

# ---------------------------------------------------------------------------------------
# Early signs that I am struggling: small changes inside me that I (or people close to
# me) notice first, and what I will do about them.
[early_signs]
items = []                        # early signs I notice in myself
must = []                         # what I will do when I notice them
might = []                        # what else I might do

# ---------------------------------------------------------------------------------------
# When things are getting much worse, but I can still act for myself: clear steps, few
# choices.
[breaking_down]
items = []                        # signs that things are much worse
must = []                         # what I will do right away
might = []                        # what else might help

# ---------------------------------------------------------------------------------------
# My crisis plan. This part is for my supporters: it tells them what to do when I cannot
# make decisions for myself. Give them a copy. A plan with a later date replaces this one.
# It is not a legal document; a psychiatric advance directive is (see the last section).
[crisis]
when_well = []                    # what I am like when I am well, so others can tell
takeover_signs = []               # signs that others need to take over for me
disputes = ""                     # what to do if my supporters disagree
instead_of_hospital = []          # care at home, in the community or in respite instead of hospital
helps = []                        # what helps me when I feel this bad
does_not_help = []                # what does not help: please avoid
danger = []                       # what I want my supporters to do if I am a danger to myself or others
inactive_when = []                # signs that my supporters no longer need to use this plan

# The people I want to help me. Copy the block below once for each person and remove the
# "# " at the start of its lines. Every supporter needs a phone number.
# Set may_decide to true for each person I want to make decisions for me while I cannot.
# [[crisis.supporters]]
# name = ""
# relationship = ""               # for example sister, friend, peer specialist
# phone = ""
# role = ""                       # what I want them to do, for example "looks after my dog"
# may_decide = false

# People I do NOT want involved in my care in any way (the reason is optional).
# [[crisis.not_involved]]
# name = ""
# reason = ""

# Things I need others to take care of, and who I want to do each one (children, pets,
# bills, work, my home...).
# [[crisis.tasks]]
# task = ""
# who = ""

# Medications: the ones I prefer, the ones that are acceptable and the ones to avoid, each
# with the dose if I know it and why. Allergies and bad reactions go in "allergies".
[crisis.medications]
allergies = []
# [[crisis.medications.preferred]]
# name = ""
# dose = ""
# why = ""
# [[crisis.medications.acceptable]]
# name = ""
# dose = ""
# why = ""
# [[crisis.medications.avoid]]
# name = ""
# dose = ""
# why = ""

# Treatments (other than medication) that are acceptable to me, and those to avoid, and why.
[crisis.treatments]
acceptable = []
avoid = []

# Places for care (hospitals, crisis centres, respite) I prefer, and those I want to avoid.
[crisis.facilities]
# [[crisis.facilities.preferred]]
# name = ""
# phone = ""
# why = ""
# [[crisis.facilities.avoid]]
# name = ""
# why = ""

# ---------------------------------------------------------------------------------------
# After a crisis: what I need to get back to feeling like myself.
[post_crisis]
feel = []                         # how I want to feel when I have recovered
support = []                      # who I want to support me, and how
where = []                        # where I want to recover
must_do = []                      # what I need to do for myself every day
can_wait = []                     # what can wait until I feel better
ready_signs = []                  # signs that I am ready to take up my responsibilities again
lessons = []                      # what I learned, and what to change in this plan

# ---------------------------------------------------------------------------------------
# Psychiatric advance directive (in North Carolina an "advance instruction for mental health
# treatment"). Only record WHERE it is. Never write the registry password here: it stays on
# the person's registry card.
[advance_directive]
exists = false
original_location = ""            # where the signed original is kept
registered = false                # filed with the NC Advance Health Care Directive Registry
file_number = ""                  # the registry file number (never the password)
agent = ""                        # health care agent named in it, if any
'''


def _toml_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def skeleton(client_id: str, today: dt.date, helpers: list[str]) -> str:
    return SKELETON.format(client_id=client_id, today=today.isoformat(),
                           helpers=", ".join(_toml_string(h) for h in helpers))


def new_plan(ws: Workspace, client_id: str, today: dt.date) -> Path:
    """Write the commented skeleton for a client; refuses to overwrite an existing plan."""
    client = ws.client(client_id)
    path = plan_path(ws, client_id)
    provider = ws.provider
    helpers = []
    if isinstance(provider.get("name"), str) and provider["name"].strip():
        who = clean_text(provider["name"].strip())
        cred = provider.get("credentials")
        helpers.append(f"{who}, {cred}" if isinstance(cred, str) and cred.strip() else who)
    text = skeleton(client_id, today, helpers)
    plan_from_dict(storage.parse_toml(text, path), path, expect_id=client_id, client_name=client.name)
    with ws.lock():
        if path.exists():
            raise DataError(ws.rel(path), "already exists; change it with "
                                          f"'peerkit wrap edit {client_id}' (nothing was overwritten)")
        storage.ensure_dir(path.parent)
        storage.atomic_write_text(path, text)
    return path


def edit_plan(ws: Workspace, client_id: str) -> tuple[bool, list[str]]:
    """Open the plan in $EDITOR; saved only when valid.  Returns (changed, unknown fields)."""
    from peerkit.editing import edit_in_editor

    client = ws.client(client_id)
    path = plan_path(ws, client_id)
    if not path.is_file():
        raise missing_plan_error(ws, client_id)
    result: dict[str, Plan] = {}

    def validate(data: dict, where: Path) -> None:
        result["plan"] = plan_from_dict(data, where, expect_id=client_id, client_name=client.name)

    with ws.lock():
        changed = edit_in_editor(path, validate)
    unknown = result["plan"].unknown if changed and "plan" in result else []
    return changed, unknown


# ------------------------------------------------------------------------------ checks


@dataclass
class Finding:
    client: str
    file: str
    rule: str
    severity: str  # error | warning
    message: str
    due: dt.date | None = None

    def as_json(self) -> dict:
        return {"client": self.client, "file": self.file, "rule": self.rule,
                "severity": self.severity, "message": self.message,
                "due": self.due.isoformat() if self.due else None}


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def review_state(plan: Plan, today: dt.date, cfg: Settings) -> tuple[str, dt.date | None]:
    """("undated" | "overdue" | "due-soon" | "ok", due date)."""
    due = plan.review_due(cfg.review_months)
    if due is None:
        return "undated", None
    if due < today:
        return "overdue", due
    if (due - today).days <= cfg.warn_days:
        return "due-soon", due
    return "ok", due


def check_plan(plan: Plan, rel: str, today: dt.date, cfg: Settings) -> list[Finding]:
    cid = plan.client_id
    out: list[Finding] = []

    def add(rule: str, severity: str, message: str, due: dt.date | None = None) -> None:
        out.append(Finding(cid, rel, rule, severity, message, due))

    supporters = plan.data["crisis"]["supporters"]
    if not supporters:
        add("supporters", "error", "the crisis plan names no supporters: add at least one "
                                   "[[crisis.supporters]] with a name and phone number")
    for i, s in enumerate(supporters, 1):
        if not s["phone"]:
            add("supporter-phone", "error", f"crisis.supporters[{i}] has no phone number: add "
                                            "'phone' so supporters can be reached in a crisis")
    state, due = review_state(plan, today, cfg)
    if due is None:  # "undated"
        add("review", "error", "the plan has no 'written' or 'reviewed' date: add the date it "
                               "was written")
    elif state == "overdue":
        add("review", "error", f"not reviewed within {cfg.review_months} months (last "
                               f"{_iso(plan.last_reviewed)}); go over it with the person and "
                               "set 'reviewed'", due)
    elif state == "due-soon":
        add("review", "warning", f"review due on {due.isoformat()}; plan a review with the person", due)
    ad = plan.data["advance_directive"]
    if ad["exists"] and not ad["original_location"]:
        add("advance-directive", "warning", "advance_directive.exists is true but "
                                            "'original_location' is empty: say where the original is")
    if ad["registered"] and not ad["exists"]:
        add("advance-directive", "warning", "advance_directive.registered is true but 'exists' is false")
    for name in plan.unknown:
        add("unknown-field", "warning", f"field '{name}' is not part of the plan and appears in no "
                                        "export (a typo?)")
    return out


def check_all(ws: Workspace, today: dt.date, client_id: str | None = None) -> list[Finding]:
    """Findings for one client's plan (exit 3 when there is none) or for every plan file."""
    cfg = settings(ws)
    if client_id is not None:
        plan = load_plan(ws, client_id)
        return check_plan(plan, ws.rel(plan.path), today, cfg)
    findings: list[Finding] = []
    clients = ws.clients()
    for path in plan_files(ws):
        rel = ws.rel(path)
        cid = path.stem
        if id_problem(cid) or cid not in clients:
            findings.append(Finding(cid, rel, "client", "error",
                                    "no client with this id in clients/; rename the file to "
                                    "<client-id>.toml or add the client"))
            continue
        try:
            plan = plan_from_dict(storage.read_toml(path), path, expect_id=cid,
                                  client_name=clients[cid].name)
        except DataError as exc:
            findings.append(Finding(cid, rel, "invalid", "error",
                                    exc.message.replace(storage.display_path(path), rel, 1)))
            continue
        findings.extend(check_plan(plan, rel, today, cfg))
    return findings


def alerts(ws: Workspace, today: dt.date) -> list:
    """Review dates for ``peerkit status``: due soon (warning), overdue (configurable,
    error by default); a plan file that does not validate is returned as its DataError
    (``status`` shows it and exits 3).  Plans of discharged
    clients are skipped.  Reads only wrap/*.toml (one small file per person)."""
    from peerkit.alerts import Alert

    files = plan_files(ws)
    if not files:
        return []
    cfg = settings(ws)  # a bad [wrap] table raises: status shows it and exits 3
    clients = ws.clients()
    out: list[Alert | DataError] = []
    for path in files:
        cid = path.stem
        client = clients.get(cid)
        if client is None or client.status != "active":
            continue
        try:
            plan = plan_from_dict(storage.read_toml(path), path, expect_id=cid, client_name=client.name)
        except DataError as exc:  # reported by status (exit 3); the other plans still count
            out.append(exc)
            continue
        state, due = review_state(plan, today, cfg)
        if due is None:  # "undated"
            out.append(Alert("wrap", cid, "warning", None,
                             f"{ws.rel(path)} has no 'written' or 'reviewed' date"))
        elif state == "overdue":
            out.append(Alert("wrap", cid, cfg.overdue_severity, due,
                             f"wellness and crisis plan review overdue (due {due.isoformat()}); "
                             f"review it with the person, then set 'reviewed' in {ws.rel(path)}"))
        elif state == "due-soon":
            out.append(Alert("wrap", cid, "warning", due,
                             f"wellness and crisis plan review due {due.isoformat()}"))
    return out
