"""Write realistic synthetic peerkit workspaces for the benchmarks (fictional people only).

    python benchmarks/generate.py SIZE [SIZE...] [--data DIR] [--force] [--jobs N]

Sizes (``--list`` prints them):

    month          one peer, 4 weeks, 10 people x 3 notes a week            (~120 notes)
    year           one peer, 52 weeks                                        (~1,560 notes)
    5years         one peer, 260 weeks, caseload turnover                    (~7,800 notes)
    agency         50 peers x 52 weeks, one workspace each                   (~78,000 notes)
    agency-smoke   2 peers x 4 weeks                                         (~240 notes)
    resources10k   a workspace holding 10,000 community resources
    resources200   the same with 200

Every history ends on Sunday 2026-11-22, the last day of ISO week 2026-W47, so
``--week 2026-W47`` always has data.  Output is deterministic: the same size and seed write
byte-identical files.  A finished workspace carries a stamp (``.bench-stamp.json`` beside
it); a later call with the same parameters reuses it instead of writing it again.

The record shapes follow DESIGN.md section 3 and the example workspace: peerkit.toml
(copied from examples/workspace with the provider renamed), clients with authorizations,
goals and a person-centered plan, notes/YYYY/MM/<id>.toml in every status (group notes with
modifier HQ, group_id and group_size), credentials.toml with CE hours and supervision, and
resources/<slug>.toml.  New files are written with tomli_w (fast); work is spread over
``--jobs`` processes (2 by default: this is a 2-core machine).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
import tomllib
from pathlib import Path

import tomli_w

GENERATOR_VERSION = 6
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_DATA = HERE / "data"
END = dt.date(2026, 11, 22)            # Sunday: the end of ISO week 2026-W47
SEED = 20261122
PEOPLE = 10
NOTES_PER_WEEK = 3

SIZES: dict[str, dict] = {
    "month": {"kind": "peer", "weeks": 4},
    "year": {"kind": "peer", "weeks": 52},
    "5years": {"kind": "peer", "weeks": 260},
    "agency": {"kind": "agency", "weeks": 52, "peers": 50},
    "agency-smoke": {"kind": "agency", "weeks": 4, "peers": 2},
    "resources10k": {"kind": "resources", "count": 10_000},
    "resources200": {"kind": "resources", "count": 200},
}

FILE_MODE = 0o600
DIR_MODE = 0o700

# ------------------------------------------------------------------ fictional vocabulary
# Made-up first and last names: combinations are fictional by construction.
FIRST = ["Arlo", "Brisa", "Calder", "Dessa", "Emrys", "Faye", "Gideon", "Halle", "Ivo", "Junie",
         "Kestrel", "Lark", "Merritt", "Nola", "Orin", "Posy", "Quill", "Rowan", "Sable", "Tamsin",
         "Ulla", "Vesper", "Wren", "Xanthe", "Yarrow", "Zephyr", "Abri", "Bastian", "Cleo", "Dorian",
         "Elowen", "Fenn", "Greer", "Hollis", "Isolde", "Jory", "Kit", "Linnea", "Marek", "Niamh",
         "Oakley", "Perrin", "Reza", "Soren", "Talia", "Umber", "Vale", "Wilder", "Yael", "Zinnia",
         "Auden", "Bexley", "Corin", "Delphine", "Ezra", "Flint", "Gwen", "Hart", "Indigo", "Juno"]
LAST = ["Ashdale", "Brackenridge", "Coldwater", "Dunmere", "Elderglen", "Fairholm", "Greyfield",
        "Hollowell", "Ironside", "Juniperhill", "Kettlewood", "Larkspur", "Mossgrove", "Nettlebrook",
        "Oakhaven", "Pinecrest", "Quarrybrook", "Ravensworth", "Stillwater", "Thornbury",
        "Underhill", "Vinehall", "Willowmere", "Yewdale", "Zellbrook", "Amberley", "Birchwood",
        "Copperfield", "Driftwood", "Emberton"]
PEER_CREDENTIALS = ["NC CPSS", "NC CPSS", "NC CPSS, CRSS", "NC CPSS"]

GOALS = ["Find and keep housing of my choice", "Build a daily routine that keeps me well",
         "Get back to part-time work", "Reconnect with my daughter", "Stay out of the hospital",
         "Manage my money so rent is paid on time", "Get my driving licence back",
         "Go to a mutual-support meeting every week", "Finish my GED", "Cook healthy meals at home",
         "Make two friends outside of treatment", "Keep my medical appointments",
         "Sleep through the night most nights", "Start volunteering at the animal shelter"]
STRENGTHS = ["Keeps appointments", "Good sense of humour", "Close to a sister", "Honest about setbacks",
             "Likes to help others", "Persistent", "Good with numbers", "Creative, draws and paints"]
NEEDS = ["Stable housing", "Transport to appointments", "A phone that works", "Food security",
         "Help with benefits paperwork", "A quiet place to sleep"]
ABILITIES = ["Cooks for self", "Uses the bus with a route map", "Reads well", "Can use email",
             "Manages own medication", "Walks daily"]
PREFERENCES = ["Meets in the afternoon", "Prefers text reminders", "Likes to meet outdoors",
               "Prefers a female peer", "Wants short meetings", "Likes to meet at the library"]

PLACES = [("community", 0.46), ("home", 0.2), ("office", 0.14), ("telephone", 0.1),
          ("telehealth", 0.08), ("emergency-department", 0.02)]
LOCATIONS = {
    "community": ["Public library, Main St", "Coffee shop on Elm Ave", "Community center, Room B",
                  "Food pantry on 3rd St", "Park bench at Riverside Park", "Department of Social Services lobby",
                  "Bus station, Oak St", "Laundromat on Pine Rd", "YMCA lobby"],
    "home": ["Person's home"],
    "office": ["Agency office, Room 2", "Agency office, meeting room"],
    "telephone": ["Phone call"],
    "telehealth": ["Video call"],
    "emergency-department": ["County hospital emergency department"],
}
TOPICS = ["the housing waiting list", "a rental application", "the food stamp renewal", "a job application",
          "the bus pass", "a doctor's appointment next week", "the landlord's letter", "a budget for the month",
          "the utility bill", "a court date", "getting a state ID", "the GED practice test",
          "a mutual-support meeting", "the Medicaid recertification", "a volunteer shift",
          "a call with family", "sleep and evening routines", "a cooking plan for the week"]
FEELINGS = ["calmer", "more hopeful", "tired but determined", "anxious at first", "relieved",
            "proud of the progress", "frustrated with the wait", "more confident", "a bit overwhelmed"]
SKILLS = ["breaking the task into small steps", "a grounding exercise", "a written checklist",
          "role-playing the phone call", "a calendar with reminders", "the WRAP daily maintenance list",
          "self-advocacy scripts", "problem-solving worksheet", "a list of questions to ask"]

PURPOSE = [
    "Continue work on {goal}, as set in {first}'s person-centered plan.",
    "{first} asked to meet about {topic} because it has been on their mind this week.",
    "Planned check-in to follow up on {topic} and on {goal}.",
    "Support {first} in taking the next step toward {goal}.",
    "Review how the past week went and what {first} wants to focus on next.",
    "Help {first} prepare for {topic}, which {first} named as a priority.",
    "Follow up on the plan made at our last meeting about {topic}.",
    "{first} wanted help to stay on track with daily routines while dealing with {topic}.",
]
INTERVENTION = [
    "Shared my own experience of waiting and setbacks, and how I kept going when progress was slow.",
    "Helped {first} use {skill} for {topic}; {first} did the writing and I asked questions.",
    "Modelled a phone call about {topic}, then {first} made the call while I sat beside them.",
    "Used active listening and reflected back what {first} said mattered most this week.",
    "Together we looked at three options for {topic} and listed the pros and cons of each.",
    "Encouraged {first} to name one small step toward {goal} and to pick a day for it.",
    "Walked with {first} to the office for {topic} and helped find the right desk and forms.",
    "Practised {skill} with {first} and talked about when it could help during a hard day.",
    "Connected {first} with a community resource for {topic} and shared the contact details.",
    "Talked through what worked and what did not since our last meeting, without judgement.",
]
RESPONSE = [
    "{first} said they felt {feeling} after we talked it through.",
    "{first} finished the first part of {topic} during the meeting and kept the copy.",
    "{first} named two people they can call if things get hard this week.",
    "{first} was quiet at first, then said the step felt manageable when broken into parts.",
    "{first} said it helped to hear that other people waited too; they sounded {feeling}.",
    "{first} set a reminder on the phone and wrote the next step on the calendar.",
    "{first} asked good questions and decided to try {skill} before our next meeting.",
    "{first} reported sleeping better and said the routine is easier to keep now.",
    "{first} felt {feeling} and said they want to keep going with {goal}.",
]
PLAN = [
    "Meet on {next_day} to follow up on {topic}.",
    "{first} will call the office about {topic} before our next meeting; I will check in by text.",
    "Next meeting on {next_day}: review progress toward {goal}.",
    "Bring the completed form on {next_day} and go over the next step together.",
    "Continue weekly meetings; {first} will try {skill} at least twice this week.",
    "Check in by phone in two days; meet in person on {next_day}.",
    "{first} will attend the mutual-support group on Thursday; we will debrief afterwards.",
]
GROUP_PURPOSE = [
    "Weekly mutual-support group on building daily routines that keep people well.",
    "Weekly recovery group: sharing tools for staying well through stressful weeks.",
    "Mutual-support group on wellness tools, with members choosing the week's topic.",
]
GROUP_INTERVENTION = [
    "Facilitated the group; led a discussion on getting back on track after a hard day and shared my own story.",
    "Facilitated the group; members shared one wellness tool each and I modelled how I use mine.",
    "Co-led the group check-in, kept time and made sure everyone who wanted to speak had the chance.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

RESOURCE_KINDS = [
    ("Social Security office", ["benefits", "government"], "Help with Social Security and SSI applications, appeals and replacement cards."),
    ("Department of Social Services", ["benefits", "family-services", "food"], "Food and Nutrition Services, Medicaid applications, child and family services."),
    ("YMCA", ["recreation", "health", "childcare"], "Gym, pool, classes and youth programs; membership assistance by income."),
    ("Public library", ["education", "internet-access"], "Free computers and internet, job-search help, GED study materials and quiet study rooms."),
    ("Housing Authority", ["housing"], "Public housing and Housing Choice Voucher waiting lists and applications."),
    ("Supportive housing provider", ["housing", "mental-health"], "Permanent supportive housing for people in recovery, with on-site case management."),
    ("Recovery community center", ["mutual-support", "recovery"], "Peer-run mutual-support groups, recovery coaching and social events, all free."),
    ("Food pantry", ["food"], "Free groceries once a week; fresh produce on Thursdays; no documents required."),
    ("Crisis line", ["crisis", "mental-health"], "24-hour phone and text line for people in emotional distress or a mental health crisis."),
    ("Community health clinic", ["health", "dental"], "Primary care and dental care on a sliding fee scale; same-day visits some mornings."),
    ("Legal aid office", ["legal"], "Free civil legal help with evictions, benefits denials and expungement."),
    ("Workforce center", ["employment"], "Job search help, resume workshops and training vouchers."),
]
TOWNS = [("Durham", "Durham", "277"), ("Raleigh", "Wake", "276"), ("Chapel Hill", "Orange", "275"),
         ("Burlington", "Alamance", "272"), ("Greensboro", "Guilford", "274"), ("Wilson", "Wilson", "278"),
         ("Sanford", "Lee", "273"), ("Oxford", "Granville", "275")]
STREETS = ["Main St", "Elm Ave", "Oak St", "Pine Rd", "Maple Dr", "Church St", "Market St", "Hillsborough Rd",
           "Chestnut Ln", "Willow Way", "Cedar Ct", "Lakeview Blvd"]
LANGS = [["English"], ["English", "Spanish"], ["English", "Spanish"], ["English"], ["English", "Vietnamese"],
         ["English", "Arabic"], ["English", "Spanish", "French"]]
WORDS = ["walk-in", "appointment", "bilingual", "wheelchair accessible", "near the bus line", "evening hours",
         "weekend hours", "free parking", "childcare on site", "interpreters available", "no ID required",
         "referral needed", "peer staff", "text line", "online application"]


# ------------------------------------------------------------------ helpers

def _rng(*parts) -> random.Random:
    h = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(h, "big"))


def _mkdir(path: Path) -> Path:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


# Every generated file gets this modification time (Sunday evening 2026-11-22, UTC): output is
# reproducible, and caches that trust only files older than themselves (the resources index's
# "racy" rule) see a settled workspace, as a real one is, not files written a second ago.
MTIME_NS = int(dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.timezone.utc).timestamp()) * 10**9


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.utime(path, ns=(MTIME_NS, MTIME_NS))


def _write_toml(path: Path, data: dict, header: str = "") -> None:
    _write(path, header + tomli_w.dumps(data))


def _weighted(rng: random.Random, pairs):
    r = rng.random()
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        if r < acc:
            return value
    return pairs[-1][0]


def _paragraph(rng: random.Random, pool: list[str], fill: dict, lo: int = 300, hi: int = 600) -> str:
    """3-7 varied sentences, 300-600 characters."""
    target = rng.randint(lo, hi)
    picks = rng.sample(pool, len(pool))
    out: list[str] = []
    size = 0
    i = 0
    while size < target:
        s = picks[i % len(picks)].format(**fill)
        if i >= len(picks):  # second pass: vary the fillers so sentences do not repeat verbatim
            fill = dict(fill, topic=rng.choice(TOPICS), skill=rng.choice(SKILLS), feeling=rng.choice(FEELINGS))
            s = picks[i % len(picks)].format(**fill)
        if size + len(s) + 1 > hi and size >= lo:
            break
        out.append(s)
        size += len(s) + 1
        i += 1
    text = " ".join(out)
    return text[:hi].rsplit(" ", 1)[0] + "." if len(text) > hi else text


def _example_config() -> dict:
    path = REPO / "examples" / "workspace" / "peerkit.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {
            "schema": 1,
            "provider": {"name": "", "credentials": "NC CPSS", "tax_id": "keyring:tax-id"},
            "agency": {"name": "Example Peer Services"},
            "billing": {"unit_minutes": 15, "rounding": "half-up", "units_per": "note", "week_start": "monday",
                        "invoice_prefix": "INV", "pay_schedule": "biweekly", "pay_anchor": dt.date(2026, 1, 2),
                        "note_deadline_hours": 24,
                        "rates": [{"code": "H0038", "modifier": "", "rate": "11.97", "from": dt.date(2019, 11, 1)},
                                  {"code": "H0038", "modifier": "", "rate": "11.61", "from": dt.date(2025, 10, 1)},
                                  {"code": "H0038", "modifier": "HQ", "rate": "2.88", "from": dt.date(2019, 11, 1)},
                                  {"code": "H0038", "modifier": "HQ", "rate": "2.79", "from": dt.date(2025, 10, 1)}]},
            "caseload": {"max_people": 10, "max_weekly_hours": 40},
        }


def peer_name(index: int) -> tuple[str, str]:
    rng = _rng("peer", index)
    first = FIRST[(index * 7 + 3) % len(FIRST)]
    return f"{first} {LAST[(index * 11 + 5) % len(LAST)]}", rng.choice(PEER_CREDENTIALS)


# ------------------------------------------------------------------ clients

def _clients(peer: int, weeks: int) -> list[dict]:
    """The people served over the history: 10 caseload slots with turnover, ids by admission."""
    rng = _rng("clients", peer, weeks)
    start = END - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)        # a Monday
    names = rng.sample(FIRST, len(FIRST))
    periods: list[tuple[dt.date, dt.date | None]] = []
    for slot in range(PEOPLE):
        admitted = start - dt.timedelta(days=rng.randint(7, 300))
        while True:
            stay = rng.randint(420, 900)
            discharged = admitted + dt.timedelta(days=stay)
            if discharged >= END:
                periods.append((admitted, None))
                break
            periods.append((admitted, discharged))
            admitted = discharged + dt.timedelta(days=rng.randint(3, 14))
    periods.sort(key=lambda p: p[0])
    out = []
    for i, (admitted, discharged) in enumerate(periods):
        cid = f"C{i + 1:03d}"
        first = names[i % len(names)]
        last = rng.choice(LAST)
        goals = []
        for g, text in enumerate(rng.sample(GOALS, rng.randint(2, 3)), 1):
            status = "active"
            if discharged is not None and g == 1:
                status = rng.choice(["met", "dropped", "met"])
            goals.append({"id": f"G{g}", "text": text, "status": status, "started": admitted})
        auths = []
        a_start = admitted
        horizon = discharged or (END + dt.timedelta(days=120))
        while a_start <= horizon:
            a_end = a_start + dt.timedelta(days=181)
            auths.append({"code": "H0038", "modifier": "", "number": f"PA-{peer:02d}{i + 1:03d}-{len(auths) + 1:02d}",
                          "units": rng.choice([480, 520, 560]), "start": a_start, "end": a_end, "hours_per_week": 5})
            auths.append({"code": "H0038", "modifier": "HQ", "number": f"PA-{peer:02d}{i + 1:03d}-{len(auths) + 1:02d}",
                          "units": 180, "start": a_start, "end": a_end, "hours_per_week": 2})
            a_start = a_end + dt.timedelta(days=1)
        rec = {
            "id": cid, "name": f"{first} {last}", "record_number": f"MR-{peer:02d}{1001 + i}",
            "medicaid_id": f"9{peer:02d}{rng.randint(0, 999999):06d}{'ABCDEFGH'[i % 8]}",
            "status": "discharged" if discharged else "active", "admitted": admitted,
        }
        if discharged:
            rec["discharged"] = discharged
        rec["plan"] = {"strengths": rng.sample(STRENGTHS, 3), "needs": rng.sample(NEEDS, 2),
                       "abilities": rng.sample(ABILITIES, 2), "preferences": rng.sample(PREFERENCES, 2)}
        rec["authorizations"] = auths
        rec["goals"] = goals
        out.append(rec)
    return out


def _active_on(c: dict, day: dt.date) -> bool:
    return c["admitted"] <= day and ("discharged" not in c or c["discharged"] >= day)


# ------------------------------------------------------------------ notes

SLOTS = [(8, 30), (10, 0), (11, 30), (13, 30), (15, 0), (16, 30)]


def _status(rng: random.Random, weeks_ago: int) -> str:
    if weeks_ago == 0:
        return _weighted(rng, [("approved", 0.5), ("submitted", 0.2), ("signed", 0.18), ("draft", 0.07),
                               ("denied", 0.03), ("void", 0.02)])
    if weeks_ago <= 2:
        return _weighted(rng, [("approved", 0.7), ("submitted", 0.22), ("denied", 0.04), ("void", 0.02),
                               ("signed", 0.02)])
    return _weighted(rng, [("approved", 0.94), ("denied", 0.03), ("void", 0.02), ("submitted", 0.01)])


def _note(rng, peer_name_, creds, client, day, start, minutes, weeks_ago, *, group=None) -> dict:
    first = client["name"].split()[0]
    goal_list = [g for g in client["goals"] if g["status"] == "active"] or client["goals"]
    goal = rng.choice(goal_list)
    fill = {"first": first, "goal": f'the goal "{goal["text"]}"', "topic": rng.choice(TOPICS),
            "skill": rng.choice(SKILLS), "feeling": rng.choice(FEELINGS),
            "next_day": rng.choice(DAYS)}
    st = dt.datetime.combine(day, dt.time(*start))
    en = st + dt.timedelta(minutes=minutes)
    status = _status(rng, weeks_ago)
    if group:
        place, location = "community", "Community center, Room B"
        purpose, intervention = group["purpose"], group["intervention"]
    else:
        place = _weighted(rng, PLACES)
        location = rng.choice(LOCATIONS[place])
        purpose = _paragraph(rng, PURPOSE, fill)
        intervention = _paragraph(rng, INTERVENTION, fill)
    note = {
        "id": "", "client": client["id"], "date": day, "start": st.time(), "end": en.time(),
        "code": "H0038", "modifier": "HQ" if group else "",
        "group_size": group["size"] if group else 0,
    }
    if group:
        note["group_id"] = group["id"]
    note.update({"place": place, "location": location, "goals": [goal["id"]], "purpose": purpose,
                 "intervention": intervention, "response": _paragraph(rng, RESPONSE, fill),
                 "plan": _paragraph(rng, PLAN, fill), "status": status})
    written = en + dt.timedelta(minutes=rng.randint(10, 90))
    note["written_at"] = written
    if status != "draft":
        late = rng.random() < 0.04
        signed = written + dt.timedelta(hours=rng.randint(26, 60) if late else rng.randint(0, 6),
                                        minutes=rng.randint(0, 59))
        note["author"] = peer_name_
        note["credentials"] = creds
        note["signed_at"] = signed
        note["late_entry"] = late
    else:
        note["late_entry"] = False
    if status == "void":
        note["void_reason"] = rng.choice(["Entered for the wrong person; re-entered.", "Duplicate of another note.",
                                          "Service did not take place: the person cancelled on arrival."])
    if status in ("approved", "denied"):
        monday_after = day + dt.timedelta(days=7 - day.weekday())
        note["review"] = {"decision": status, "reviewer": "Morgan Ashdale, LCSW (QP)",
                          "reason": "" if status == "approved" else rng.choice(
                              ["Goal not linked to the intervention.", "Response missing the person's own words.",
                               "Service time overlaps another note."]),
                          "at": dt.datetime.combine(monday_after, dt.time(9, 0))}
    return note


def _week_notes(peer: int, pname: str, creds: str, clients: list[dict], weeks: int, w: int) -> list[dict]:
    """The notes of week ``w`` (0 = oldest) of one peer's history."""
    rng = _rng("week", peer, weeks, w)
    monday = END - dt.timedelta(weeks=weeks - w) + dt.timedelta(days=1)
    friday = monday + dt.timedelta(days=4)
    weeks_ago = weeks - 1 - w
    active = [c for c in clients if _active_on(c, monday) and _active_on(c, friday)]
    notes: list[dict] = []
    # one mutual-support group a week (Thursday evening) for 3-6 of the people
    attendees = rng.sample(active, min(len(active), rng.randint(3, 6))) if len(active) >= 3 else []
    if attendees:
        thursday = monday + dt.timedelta(days=3)
        group = {"id": f"GRP-{thursday.isoformat()}", "size": len(attendees) + rng.randint(0, 4),
                 "purpose": rng.choice(GROUP_PURPOSE) + " " + _paragraph(rng, GROUP_PURPOSE, {}, 120, 300),
                 "intervention": rng.choice(GROUP_INTERVENTION) + " " + _paragraph(rng, GROUP_INTERVENTION, {}, 150, 350)}
        minutes = rng.randint(75, 95)
        for c in attendees:
            notes.append(_note(rng, pname, creds, c, thursday, (18, 0), minutes, weeks_ago, group=group))
    free = [(d, s) for d in range(5) for s in range(len(SLOTS))]
    rng.shuffle(free)
    for c in active:
        need = NOTES_PER_WEEK - (1 if c in attendees else 0)
        used_days: set[int] = set()
        for _ in range(need):
            pick = next((p for p in free if p[0] not in used_days), None)
            if pick is None:
                break
            free.remove(pick)
            used_days.add(pick[0])
            day = monday + dt.timedelta(days=pick[0])
            notes.append(_note(rng, pname, creds, c, day, SLOTS[pick[1]], rng.randint(25, 85), weeks_ago))
    # ids: N-<date>-<client>-<n>, n counting the person's notes that day in time order
    notes.sort(key=lambda n: (n["date"], n["start"], n["client"]))
    seen: dict[tuple, int] = {}
    for n in notes:
        key = (n["date"], n["client"])
        seen[key] = seen.get(key, 0) + 1
        n["id"] = f"N-{n['date'].isoformat()}-{n['client']}-{seen[key]}"
    return notes


def _write_weeks(args) -> int:
    root, peer, pname, creds, clients, weeks, w_from, w_to = args
    root = Path(root)
    count = 0
    made: set[Path] = set()
    for w in range(w_from, w_to):
        for n in _week_notes(peer, pname, creds, clients, weeks, w):
            folder = root / "notes" / f"{n['date'].year:04d}" / f"{n['date'].month:02d}"
            if folder not in made:
                _mkdir(folder)
                made.add(folder)
            _write_toml(folder / f"{n['id']}.toml", n)
            count += 1
    return count


def _credentials(peer: int, pname: str, weeks: int) -> dict:
    rng = _rng("creds", peer, weeks)
    start = END - dt.timedelta(weeks=weeks)
    issued = dt.date(2025, 3, 1) + dt.timedelta(days=rng.randint(0, 200))
    creds = [
        {"id": "nc-cpss", "kind": "certification", "name": "NC Certified Peer Support Specialist",
         "number": f"NCCPSS-{peer:04d}", "issuer": "NC Certified Peer Support Specialist Program",
         "issued": issued, "expires": issued.replace(year=issued.year + 2), "renewal_hours": 20,
         "category_hours": {"ethics": 3}},
        {"id": "drivers-licence", "kind": "licence", "name": "Driver licence", "number": f"DL-{peer:04d}",
         "issuer": "NC DMV", "issued": dt.date(2022, 6, 1), "expires": dt.date(2027, 1, 10 + peer % 15)},
        {"id": "auto-insurance", "kind": "insurance", "name": "Auto liability insurance",
         "number": f"POL-{peer:04d}", "issuer": "Example Mutual", "issued": dt.date(2026, 6, 1),
         "expires": dt.date(2026, 12, 1 + peer % 20)},
        {"id": "cpr", "kind": "training", "name": "CPR and first aid", "issuer": "Example Red Cross chapter",
         "issued": dt.date(2025, 2, 1), "expires": dt.date(2027, 2, 1)},
        {"id": "background", "kind": "background-check", "name": "Criminal background check",
         "issuer": "Example Peer Services", "issued": dt.date(2024, 8, 1), "expires": dt.date(2027, 8, 1)},
    ]
    titles = [("ethics", "Boundaries and ethics in peer work"), ("recovery", "Recovery-oriented language"),
              ("trauma", "Trauma-informed peer support"), ("wellness", "WRAP facilitator refresher"),
              ("cultural", "Cultural humility in peer support"), ("crisis", "Crisis de-escalation basics")]
    ce = []
    day = start + dt.timedelta(days=rng.randint(5, 30))
    while day <= END:
        cat, title = rng.choice(titles)
        ce.append({"date": day, "hours": rng.choice([1, 2, 3, 3, 6]), "category": cat, "title": title,
                   "credential": "nc-cpss"})
        day += dt.timedelta(days=rng.randint(30, 60))
    sup = []
    day = start + dt.timedelta(days=3)
    while day <= END:
        sup.append({"date": day, "minutes": rng.choice([45, 60, 60, 90]),
                    "kind": "individual" if rng.random() < 0.7 else "group",
                    "supervisor": "Morgan Ashdale, LCSW (QP)"})
        day += dt.timedelta(days=rng.randint(12, 18))
    return {"credential": creds, "ce": ce, "supervision": sup}


def _peer_root_files(root: Path, peer: int, weeks: int) -> tuple[str, str, list[dict]]:
    pname, creds = peer_name(peer)
    for sub in ("clients", "notes", "invoices", "resources", "wrap", "incidents", "templates", "plugins"):
        _mkdir(root / sub)
    config = _example_config()
    config["provider"] = dict(config.get("provider", {}), name=pname, credentials=creds)
    _write_toml(root / "peerkit.toml", config,
                header="# Synthetic benchmark workspace (benchmarks/generate.py): every person is fictional.\n")
    clients = _clients(peer, weeks)
    for c in clients:
        _write_toml(root / "clients" / f"{c['id']}.toml", c, header="# A person receiving peer support (fictional).\n")
    _write_toml(root / "credentials.toml", _credentials(peer, pname, weeks))
    # a handful of resources, as a real workspace has
    write_resources(root, 12, seed_key=("peer-res", peer))
    write_resource_index(root)
    return pname, creds, clients


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    parts = max(1, min(parts, n))
    step = -(-n // parts)
    return [(a, min(n, a + step)) for a in range(0, n, step)]


def write_peer(root: Path, peer: int, weeks: int, jobs: int = 1, pool=None) -> int:
    pname, creds, clients = _peer_root_files(root, peer, weeks)
    tasks = [(str(root), peer, pname, creds, clients, weeks, a, b) for a, b in _chunks(weeks, jobs * 2)]
    if pool is not None and jobs > 1:
        return sum(pool.map(_write_weeks, tasks))
    return sum(_write_weeks(t) for t in tasks)


def _invoice_weeks(args) -> list:
    """The invoices (unnumbered) of weeks [w_from, w_to): approved notes of each week."""
    root, weeks, w_from, w_to = args
    from peerkit.workspace import Workspace
    from peerkit_invoice import issuing, model

    ws = Workspace(Path(root))
    settings = model.load_settings(ws)
    provider = {k: v for k, v in ws.provider.items() if k in ("name", "credentials") and isinstance(v, str)}
    agency = {k: v for k, v in ws.section("agency").items() if k in ("name", "address") and isinstance(v, str)}
    out = []
    for w in range(w_from, w_to):
        monday = END - dt.timedelta(weeks=weeks - w) + dt.timedelta(days=1)
        sunday = monday + dt.timedelta(days=6)
        notes = [n for n in ws.notes(monday, sunday) if n.status == "approved"]
        if not notes:
            continue
        inv = model.Invoice(number="", start=monday, end=sunday, pay_date=model.pay_date(settings, sunday),
                            issued=sunday + dt.timedelta(days=5), status="issued", provider=dict(provider),
                            agency=dict(agency))
        inv.lines = issuing._service_lines(ws, settings, notes, late=False)
        inv.sort_lines()
        out.append(inv)
    return out


def refresh_invoice_index(root: Path) -> bool:
    """Have the invoice plugin (as installed now) rebuild and save its index of the snapshots,
    as issuing an invoice leaves it.  False when the plugin is missing or has changed shape."""
    try:
        from peerkit.workspace import Workspace
        from peerkit_invoice import model
    except Exception:  # noqa: BLE001 - not installed, or broken: the benchmarks go on without it
        return False
    try:
        ws = Workspace(Path(root))
        if not (ws.root / model.INVOICE_DIR).is_dir():
            return False
        with ws.lock():
            model.Index.load(ws).save(ws)
        for name in (".peerkit.lock", ".peerkit.lock.owner"):
            (ws.root / name).unlink(missing_ok=True)
        return True
    except Exception as exc:  # noqa: BLE001
        print(f"generate: invoice index not refreshed ({type(exc).__name__}: {exc})", file=sys.stderr)
        return False


def refresh_note_cache(root: Path) -> bool:
    """Rebuild the core's per-month note caches and the client cache, as ``peerkit reindex`` (and
    every command that writes notes or clients) leaves them; False when this peerkit has no such cache."""
    try:
        from peerkit.records import refresh_all_note_caches, refresh_client_cache
        from peerkit.workspace import Workspace
    except Exception:  # noqa: BLE001 - not installed, or broken: the benchmarks go on without it
        return False
    try:
        ws = Workspace(Path(root))
        with ws.lock():
            refresh_all_note_caches(ws.path("notes"))
            if ws.path("clients").is_dir():
                refresh_client_cache(ws.path("clients"))   # real workspaces have it: every client write refreshes it
        for name in (".peerkit.lock", ".peerkit.lock.owner"):
            (ws.root / name).unlink(missing_ok=True)
        return True
    except Exception as exc:  # noqa: BLE001
        print(f"generate: note cache not refreshed ({type(exc).__name__}: {exc})", file=sys.stderr)
        return False


def refresh_caches(root: Path) -> None:
    """Bring peerkit's own caches (note cache, invoice index, resources index) up to date with
    the installed peerkit, untimed: the state any writing command leaves a workspace in."""
    refresh_note_cache(root)
    refresh_invoice_index(root)
    write_resource_index(root)


def write_invoice_history(root: Path, weeks: int, pool=None, jobs: int = 1) -> int:
    """An issued invoice for every week of the history but the last (W47 is billed on Friday
    2026-11-27, after the benchmarks' "today").  Built with the invoice plugin's own model, and
    the index saved by the plugin itself, as ``peerkit invoice`` leaves them; skipped (0)
    when the plugin is not there or its model has changed shape."""
    try:
        from peerkit import storage
        from peerkit_invoice import model
    except Exception:  # noqa: BLE001 - not installed, or broken: no invoice history
        return 0
    try:
        tasks = [(str(root), weeks, a, b) for a, b in _chunks(weeks - 1, jobs * 2)]
        parts = pool.map(_invoice_weeks, tasks) if pool is not None and jobs > 1 else map(_invoice_weeks, tasks)
        invoices = [inv for part in parts for inv in part]
        from peerkit.workspace import Workspace

        settings = model.load_settings(Workspace(root))
        folder = _mkdir(root / model.INVOICE_DIR)
        seq: dict[int, int] = {}
        for inv in invoices:
            seq[inv.issued.year] = seq.get(inv.issued.year, 0) + 1
            inv.number = f"{settings.prefix}-{inv.issued.year}-{seq[inv.issued.year]:04d}"
            _write(folder / f"{inv.number}.toml", storage.dumps_toml(inv.to_snapshot(), model.SNAPSHOT_HEADER))
        refresh_invoice_index(root)
        return len(invoices)
    except Exception as exc:  # noqa: BLE001 - the plugin's internals moved: no history, say so
        print(f"generate: invoice history skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 0


def _agency_peer(args) -> int:
    root, peer, weeks = args
    return write_peer(Path(root), peer, weeks, jobs=1)


# ------------------------------------------------------------------ resources

def _schedules(rng: random.Random) -> list[dict]:
    """HSDS-style weekly schedule rows (byday, opens_at, closes_at)."""
    kind = rng.random()
    if kind < 0.1:
        return [{"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": dt.time(0, 0),
                 "closes_at": dt.time(23, 59), "description": "Open 24 hours"}]
    opens = rng.choice([dt.time(8, 0), dt.time(8, 30), dt.time(9, 0), dt.time(10, 0)])
    closes = rng.choice([dt.time(16, 30), dt.time(17, 0), dt.time(18, 0), dt.time(20, 0)])
    out = [{"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": opens, "closes_at": closes}]
    if rng.random() < 0.3:
        out.append({"freq": "WEEKLY", "byday": "SA", "opens_at": dt.time(9, 0), "closes_at": dt.time(13, 0)})
    if rng.random() < 0.15:  # a late-night group that crosses midnight
        out.append({"freq": "WEEKLY", "byday": "FR", "opens_at": dt.time(22, 0), "closes_at": dt.time(2, 0),
                    "description": "Late-night support group"})
    if rng.random() < 0.1:
        out.append({"freq": "MONTHLY", "byday": "1SA", "opens_at": dt.time(10, 0), "closes_at": dt.time(14, 0),
                    "description": "Monthly community day"})
    return out


def _uuid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def resource_record(rng: random.Random, i: int) -> tuple[str, dict]:
    """(slug, record) in the resources plugin's shape (resources/<slug>.toml)."""
    kind, cats, desc = rng.choice(RESOURCE_KINDS)
    town, county, zip3 = rng.choice(TOWNS)
    org = f"{rng.choice(LAST)} {rng.choice(['Community', 'County', 'Regional', 'Neighborhood', 'Family'])}"
    name = f"{town} {kind}" if rng.random() < 0.5 else f"{org} {kind}"
    slug = f"{name.lower().replace(' ', '-').replace(',', '')}-{i:05d}"
    free = rng.random() < 0.6
    extra = ", ".join(rng.sample(WORDS, 3))
    rec = {
        "name": name,
        "organization": f"{org} Services",
        "organization_description": f"A nonprofit serving {county} County since {rng.randint(1950, 2015)}.",
        "description": f"{desc} {rng.choice(['Staff are friendly and patient.', 'Call ahead on busy days.', 'Bring a photo ID if you have one.', 'Peers say the wait is usually short.'])} Also: {extra}.",
        "categories": cats + ([rng.choice(["transportation", "clothing", "utilities"])] if rng.random() < 0.2 else []),
        "county": county,
        "email": f"info{i}@example.org",
        "url": f"https://example.org/{slug}",
        "languages": rng.choice(LANGS),
        "eligibility": rng.choice(["Anyone", "Adults 18 and over", "Residents of the county",
                                   "Income under 200% of the federal poverty level", "People in recovery"]),
        "fees": "Free" if free else rng.choice(["Sliding scale by income", "$5 per visit", "Medicaid accepted"]),
        "free": free,
        "accessibility": rng.choice(["Wheelchair accessible entrance", "Elevator to all floors",
                                     "Ground floor; accessible restroom", "Phone service only"]),
        "how_to_apply": rng.choice(["Walk in", "Call for an appointment", "Apply online",
                                    "Referral from a case manager"]),
        "notes": rng.choice(["Ask for the front-desk navigator.", "Mornings are quieter.",
                             "The bus 4 stops right outside.", "Good first stop for people new to town."]),
        "last_verified": END - dt.timedelta(days=rng.randint(0, 400)),
        "verified_by": "Morgan Ashdale",
        "address": {"address_1": f"{rng.randint(10, 4999)} {rng.choice(STREETS)}", "city": town, "state": "NC",
                    "postal_code": f"{zip3}{rng.randint(0, 99):02d}", "country": "US"},
        "phones": [{"number": f"919-555-{rng.randint(0, 9999):04d}", "type": "voice", "description": "Main line"}]
                  + ([{"number": f"919-555-{rng.randint(0, 9999):04d}", "type": "text"}] if rng.random() < 0.2 else []),
        "schedules": _schedules(rng),
        "hsds": {"organization": _uuid(rng), "service": _uuid(rng), "location": _uuid(rng)},
    }
    return slug, rec


RESOURCE_HEADER = ("# A community resource (Open Referral HSDS compatible). See docs/resources.md.\n"
                   "# Synthetic benchmark record (benchmarks/generate.py): fictional.\n")


def _write_resource_range(args) -> int:
    root, a, b, seed_key = args
    folder = _mkdir(Path(root) / "resources")
    for i in range(a, b):
        slug, rec = resource_record(_rng(*seed_key, i), i)
        _write_toml(folder / f"{slug}.toml", rec, header=RESOURCE_HEADER)
    return b - a


def write_resources(root: Path, count: int, seed_key=("res",), pool=None, jobs: int = 1) -> int:
    tasks = [(str(root), a, b, seed_key) for a, b in _chunks(count, jobs * 2)]
    if pool is not None and jobs > 1:
        return sum(pool.map(_write_resource_range, tasks))
    return sum(_write_resource_range(t) for t in tasks)


def write_resource_index(root: Path) -> bool:
    """Write resources/.index.json as `peerkit resources add/import/reindex` leave it (through the
    resources plugin's own code); False when the plugin is not there or has changed shape."""
    try:
        from peerkit.workspace import Workspace
        from peerkit_resources import search
    except Exception:  # noqa: BLE001 - not installed, or broken: the benchmarks go on without it
        return False
    try:
        ws = Workspace(root)
        with ws.lock():
            search.write_index(ws)
        for name in (".peerkit.lock", ".peerkit.lock.owner"):
            (root / name).unlink(missing_ok=True)
        return True
    except Exception as exc:  # noqa: BLE001
        print(f"generate: resources index skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
        return False


def write_resources_workspace(root: Path, count: int, pool=None, jobs: int = 1) -> int:
    pname, creds = peer_name(0)
    for sub in ("clients", "notes", "resources"):
        _mkdir(root / sub)
    config = _example_config()
    config["provider"] = dict(config.get("provider", {}), name=pname, credentials=creds)
    _write_toml(root / "peerkit.toml", config, header="# Synthetic benchmark workspace: resources only.\n")
    n = write_resources(root, count, seed_key=("res", count), pool=pool, jobs=jobs)
    write_resource_index(root)
    return n


# ------------------------------------------------------------------ driver

def stamp_of(size: str) -> dict:
    return {"generator": GENERATOR_VERSION, "size": size, "params": SIZES[size], "seed": SEED,
            "end": END.isoformat()}


def _stamp_path(data: Path, size: str) -> Path:
    return data / f".{size}.bench-stamp.json"


def is_current(data: Path, size: str) -> bool:
    p = _stamp_path(data, size)
    try:
        return json.loads(p.read_text()) == stamp_of(size) and (data / size).is_dir()
    except (OSError, ValueError):
        return False


def peer_dirs(data: Path, size: str) -> list[Path]:
    spec = SIZES[size]
    if spec["kind"] == "agency":
        return [data / size / f"peer-{p:02d}" for p in range(1, spec["peers"] + 1)]
    return [data / size]


def generate(size: str, data: Path = DEFAULT_DATA, *, force: bool = False, jobs: int = 2,
             quiet: bool = False) -> dict:
    """Write one size (unless a current copy exists).  Returns what was written."""
    spec = SIZES[size]
    data = Path(data)
    _mkdir(data)
    if not force and is_current(data, size):
        return {"size": size, "reused": True}
    t0 = time.perf_counter()
    target = data / size
    if target.exists():
        shutil.rmtree(target)
    _stamp_path(data, size).unlink(missing_ok=True)
    tmp = data / f".{size}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    _mkdir(tmp)
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(jobs) if jobs > 1 else None
    try:
        if spec["kind"] == "peer":
            notes = write_peer(tmp, 1, spec["weeks"], jobs=jobs, pool=pool)
            written = {"notes": notes, "invoices": write_invoice_history(tmp, spec["weeks"], pool, jobs)}
        elif spec["kind"] == "agency":
            tasks = [(str(tmp / f"peer-{p:02d}"), p, spec["weeks"]) for p in range(1, spec["peers"] + 1)]
            for t in tasks:
                _mkdir(Path(t[0]))
            counts = pool.map(_agency_peer, tasks, chunksize=1) if pool else [_agency_peer(t) for t in tasks]
            written = {"notes": sum(counts), "workspaces": len(tasks)}
        else:
            written = {"resources": write_resources_workspace(tmp, spec["count"], pool=pool, jobs=jobs)}
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    os.replace(tmp, target)
    _stamp_path(data, size).write_text(json.dumps(stamp_of(size)))
    info = {"size": size, "reused": False, "seconds": round(time.perf_counter() - t0, 2), **written}
    if not quiet:
        print(f"generated {size}: {info}", file=sys.stderr)
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", help="sizes to write (default: all)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="output folder (default benchmarks/data)")
    ap.add_argument("--force", action="store_true", help="write again even if a current copy exists")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--list", action="store_true", help="list the sizes and exit")
    args = ap.parse_args(argv)
    if args.list:
        for name, spec in SIZES.items():
            print(name, spec)
        return 0
    for size in args.sizes or list(SIZES):
        if size not in SIZES:
            ap.error(f"unknown size {size!r}; choose from {', '.join(SIZES)}")
        info = generate(size, args.data, force=args.force, jobs=args.jobs)
        print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
