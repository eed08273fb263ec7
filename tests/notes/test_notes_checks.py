"""Every built-in rule with a passing and a failing note (plain-function tests of run_checks)."""
from __future__ import annotations

import datetime as dt

import pytest
from notes_helpers import change, findings_for, note_dict, set_setting, write_note

from peerkit.checks import Finding


def _rules(found):
    return {f.rule for f in found}


def test_base_note_passes_every_rule(ws, base_note):
    found = findings_for(ws, base_note)
    assert found == []


def test_example_workspace_has_no_error(ws):
    from peerkit_notes.checks import run_checks

    found = run_checks(ws, list(ws.notes()))
    assert all(isinstance(f, Finding) for f in found)
    assert [f for f in found if f.severity == "error"] == []
    # the late example note is reported as a warning, the incomplete draft too
    assert ("N-2026-11-12-C003-2", "signed-late", "warning") in {(f.note, f.rule, f.severity) for f in found}
    assert ("N-2026-11-24-C004-1", "required-elements", "warning") in {(f.note, f.rule, f.severity) for f in found}
    # void notes are skipped
    assert "N-2026-11-11-C003-1" not in {f.note for f in found}


@pytest.mark.parametrize("rule, changes", [
    ("required-elements", {"purpose": ""}),
    ("required-elements", {"location": "  "}),
    ("required-elements", {"goals": []}),
    ("required-elements", {"place": ""}),
    ("signature", {"author": "J. Rivera"}),
    ("signature", {"author": "Jordan"}),
    ("signature", {"credentials": ""}),
    ("signature", {"signed_at": None}),
    ("goal-in-plan", {"goals": ["G9"]}),
    ("client-active", {"client": "C004", "date": dt.date(2026, 11, 1), "goals": ["G1"]}),
    ("future-date", {"date": dt.date(2026, 11, 26)}),
    ("group-size", {"modifier": "HQ", "group_size": 13}),
    ("group-size", {"modifier": "HQ", "group_size": 0}),
    ("place-allowed", {"place": "peer-residence"}),
    ("place-allowed", {"place": "moon-base"}),
    ("other-client-name", {"response": "Sam talked about riley   SAMPLE at length."}),
    ("other-client-name", {"location": "Casey Placeholder's flat"}),
    ("signed-late", {"signed_at": dt.datetime(2026, 11, 27, 9, 0), "late_entry": True,
                     "date": dt.date(2026, 11, 24)}),
    ("late-entry-label", {"signed_at": dt.datetime(2026, 11, 27, 9, 0), "late_entry": False,
                          "date": dt.date(2026, 11, 24)}),
])
def test_rule_fails(ws, base_note, rule, changes):
    found = findings_for(ws, change(base_note, **changes), rule)
    assert found, f"{rule} should fail"
    f = found[0]
    assert f.note == base_note.id and f.file == "notes/2026/11/N-2026-11-25-C001-1.toml"
    assert f.message and f.severity in ("error", "warning")
    # messages name fields and ids, never a person's name
    assert "Riley" not in f.message and "Casey" not in f.message and "Sam " not in f.message


@pytest.mark.parametrize("rule, changes", [
    ("signature", {"author": "Jordan M. Rivera"}),
    ("signature", {"status": "draft", "author": "", "signed_at": None, "credentials": ""}),
    ("goal-in-plan", {"goals": ["G1", "G2"]}),
    ("client-active", {"client": "C004", "date": dt.date(2026, 11, 2), "goals": ["G1"]}),
    ("future-date", {"date": dt.date(2026, 11, 24)}),
    ("group-size", {"modifier": "HQ", "group_size": 12}),
    ("place-allowed", {"place": "telehealth"}),
    ("other-client-name", {"response": "Riley and Casey were mentioned by first name only; Sam Example smiled."}),
    ("signed-late", {"signed_at": dt.datetime(2026, 11, 25, 9, 49)}),
    ("late-entry-label", {"signed_at": dt.datetime(2026, 11, 27, 9, 0), "late_entry": True,
                          "date": dt.date(2026, 11, 24)}),
])
def test_rule_passes(ws, base_note, rule, changes):
    assert findings_for(ws, change(base_note, **changes), rule) == []


def test_severities(ws, base_note):
    late = findings_for(ws, change(base_note, date=dt.date(2026, 11, 23), signed_at=dt.datetime(2026, 11, 25, 9, 0),
                                   late_entry=True), "signed-late")
    assert late[0].severity == "warning"
    assert findings_for(ws, change(base_note, purpose=""), "required-elements")[0].severity == "error"


def test_times_rule(ws, base_note):
    bad = change(base_note, start=dt.time(11, 0), end=dt.time(10, 0))
    found = findings_for(ws, bad, "times")
    assert found and found[0].severity == "error" and "--start/--end" in found[0].message
    assert findings_for(ws, base_note, "times") == []


def test_draft_elements_are_warnings_but_errors_when_signing(ws, base_note):
    draft = change(base_note, status="draft", author="", credentials="", signed_at=None, response="")
    found = findings_for(ws, draft, "required-elements")
    assert [f.severity for f in found] == ["warning"]
    found = findings_for(ws, draft, "required-elements", signing=True)
    assert [f.severity for f in found] == ["error"]


def test_void_notes_are_skipped(ws, base_note):
    assert findings_for(ws, change(base_note, status="void", purpose="", goals=["G9"])) == []


def test_goal_active_is_a_signing_gate(ws, base_note):
    # C002's goal G3 is met
    met = change(base_note, client="C002", goals=["G3"], response="Riley got the card.")
    assert findings_for(ws, change(met, status="draft", signed_at=None), "goal-active")
    assert findings_for(ws, met, "goal-active", signing=True)
    # a note signed before the goal was met does not become an error later
    assert findings_for(ws, met, "goal-active") == []
    assert findings_for(ws, change(met, goals=["G1"], status="draft", signed_at=None), "goal-active") == []


def test_client_discharged(ws_path):
    from peerkit.workspace import Workspace
    from peerkit_notes.checks import run_checks

    p = ws_path / "clients" / "C003.toml"
    p.write_text(p.read_text().replace('status = "active"\nadmitted',
                                       'status = "discharged"\ndischarged = 2026-11-15\nadmitted', 1))
    ws = Workspace(ws_path)
    found = {(f.note, f.rule) for f in run_checks(ws, list(ws.notes()))}
    assert ("N-2026-11-18-C003-1", "client-active") in found
    assert ("N-2026-11-12-C003-2", "client-active") not in found


def test_authorization_units_counting_this_note(ws_path, base_note):
    from peerkit.workspace import Workspace

    ws = Workspace(ws_path)
    assert findings_for(ws, base_note, "authorization") == []
    # C001 used 22 units of H0038 in November before this note (50 min, 3 units): 25 counting it
    p = ws_path / "clients" / "C001.toml"
    p.write_text(p.read_text().replace("units = 240", "units = 24", 1))
    ws = Workspace(ws_path)
    found = findings_for(ws, base_note, "authorization")
    assert len(found) == 1 and "allows 24 units; 25 are used" in found[0].message
    # earlier notes stay inside the authorization (running total, not the grand total)
    from peerkit_notes.checks import run_checks

    earlier = [n for n in ws.notes() if n.client == "C001" and not n.modifier]
    assert [f for f in run_checks(ws, earlier) if f.rule == "authorization"] == []
    p.write_text(p.read_text().replace("units = 24", "units = 25", 1))
    assert findings_for(Workspace(ws_path), base_note, "authorization") == []


def test_authorization_outside_its_window_uses_unmanaged_units(ws_path, base_note):
    from peerkit.workspace import Workspace

    # C004 has no authorization: 12 unmanaged units already counted (denied notes are not)
    note = change(base_note, client="C004", goals=["G1"], response="Morgan finished the form.")
    ws = Workspace(ws_path)
    assert findings_for(ws, note, "authorization") == []
    # signed notes claim units before drafts: 3 + 6 approved + this signed note's 3 = 12
    # (the unsigned draft of 11-24 comes after it)
    set_setting(ws_path, "unmanaged_units", "11", table="billing")
    found = findings_for(Workspace(ws_path), note, "authorization")
    assert len(found) == 1 and "12 unmanaged units" in found[0].message and "at most 11" in found[0].message
    set_setting(ws_path, "unmanaged_units", "0", table="billing")
    found = findings_for(Workspace(ws_path), note, "authorization")
    assert found and "unmanaged units are off" in found[0].message


def test_unmanaged_units_reset_each_state_fiscal_year(ws_path, base_note):
    from peerkit.workspace import Workspace

    set_setting(ws_path, "unmanaged_units", "4", table="billing")
    for day in (dt.date(2026, 6, 10), dt.date(2026, 6, 11)):
        write_note(ws_path, note_dict(id=f"N-{day.isoformat()}-C001-1", client="C001", date=day,
                                      goals=["G1"], response="Sam came.", status="signed"))
    # admitted 2026-09-01: the June notes are outside the authorization, in SFY 2025-26
    ws = Workspace(ws_path)
    notes = [n for n in ws.notes(dt.date(2026, 6, 1), dt.date(2026, 6, 30))]
    from peerkit_notes.checks import run_checks

    found = [f for f in run_checks(ws, notes) if f.rule == "authorization"]
    assert [f.note for f in found] == ["N-2026-06-11-C001-1"]  # 3 + 3 > 4 only counting the second
    # a note of the next fiscal year starts again from zero
    july = change(base_note, date=dt.date(2026, 7, 2), id="N-2026-07-02-C001-1")
    assert findings_for(ws, july, "authorization") == []


def test_group_size_configurable(ws_path, base_note):
    from peerkit.workspace import Workspace

    set_setting(ws_path, "max_group_size", "8")
    found = findings_for(Workspace(ws_path), change(base_note, modifier="HQ", group_size=9), "group-size")
    assert found and "at most 8" in found[0].message


def test_place_allowed_is_configurable_but_never_the_peers_home(ws_path, base_note):
    from peerkit.workspace import Workspace

    cfg = ws_path / "peerkit.toml"
    text = cfg.read_text()
    cfg.write_text(text.replace('allowed_places = ["home", "community", "office", "emergency-department", '
                                '"telehealth", "telephone"]',
                                'allowed_places = ["community", "office", "peer-residence"]'))
    ws = Workspace(ws_path)
    assert findings_for(ws, change(base_note, place="office"), "place-allowed") == []
    assert findings_for(ws, change(base_note, place="telephone"), "place-allowed")
    found = findings_for(ws, change(base_note, place="peer-residence"), "place-allowed")
    assert found and "own residence" in found[0].message


def test_other_client_first_and_last_name(ws_path, base_note):
    from peerkit import storage
    from peerkit.workspace import Workspace

    storage.write_toml(ws_path / "clients" / "C009.toml",
                       {"id": "C009", "name": "Taylor Quinn Doe", "status": "active", "admitted": dt.date(2026, 1, 1)})
    ws = Workspace(ws_path)
    assert findings_for(ws, change(base_note, plan="Call taylor doe's sister."), "other-client-name")
    assert findings_for(ws, change(base_note, plan="Call Taylor Quinn Doe."), "other-client-name")
    assert findings_for(ws, change(base_note, plan="Call Taylor about the doe."), "other-client-name") == []
    assert findings_for(ws, change(base_note, plan="Call Taylor Doering."), "other-client-name") == []


def test_overlap_and_group_sessions(ws, base_note):
    # N-2026-11-23-C001-1 runs 10:00-11:00
    other = change(base_note, id="N-2026-11-23-C002-9", client="C002", date=dt.date(2026, 11, 23),
                   start=dt.time(10, 30), end=dt.time(11, 15), response="Riley came.")
    found = findings_for(ws, other, "overlap")
    assert found and "N-2026-11-23-C001-1" in found[0].message
    touching = change(other, start=dt.time(11, 0), end=dt.time(11, 30))
    assert findings_for(ws, touching, "overlap") == []
    # the three notes of one group session do not overlap each other
    group = [n for n in ws.notes(dt.date(2026, 11, 19), dt.date(2026, 11, 19)) if n.is_group]
    from peerkit_notes.checks import run_checks

    assert len(group) == 3
    assert [f for f in run_checks(ws, group) if f.rule == "overlap"] == []
    # but another group at the same time does
    other_group = change(group[0], id="N-2026-11-19-C004-9", client="C004", goals=["G1"],
                         group_id="GRP-OTHER", response="Morgan came.")
    assert findings_for(ws, other_group, "overlap")


def test_duplicate(ws, base_note):
    dup = change(base_note, id="N-2026-11-23-C001-9", date=dt.date(2026, 11, 23), start=dt.time(10, 0),
                 end=dt.time(10, 30))
    found = findings_for(ws, dup, "duplicate")
    assert found and "N-2026-11-23-C001-1" in found[0].message
    assert findings_for(ws, dup, "overlap") == []  # reported once, as a duplicate
    assert findings_for(ws, change(dup, start=dt.time(11, 0), end=dt.time(11, 30)), "duplicate") == []
    assert findings_for(ws, change(dup, code="H0039"), "duplicate") == []


def test_unsigned_draft_past_deadline(ws, base_note):
    draft = change(base_note, status="draft", signed_at=None, date=dt.date(2026, 11, 23))
    found = findings_for(ws, draft, "signed-late")
    assert found and "sign it now" in found[0].message
    assert findings_for(ws, change(draft, date=dt.date(2026, 11, 25)), "signed-late") == []


def test_a_plugin_check_runs_and_a_broken_one_is_reported(ws, base_note, register_plugin):
    from peerkit import hookimpl
    from peerkit import plugins as plugin_mod
    from peerkit.checks import NoteCheck

    class House:
        @hookimpl
        def note_checks(self):
            return [NoteCheck("house-rule", "warning", lambda n, c: "say more" if len(n.plan) < 50 else None),
                    NoteCheck("house-broken", "error", lambda n, c: 1 / 0)]

    register_plugin(House(), name="house")
    assert "house" in plugin_mod.get_plugins().info
    found = {f.rule: f for f in findings_for(ws, base_note)}
    assert found["house-rule"].severity == "warning" and found["house-rule"].message == "say more"
    # an error-level rule that fails to run is an error finding (it blocks signing), not a warning
    assert found["house-broken"].severity == "error" and "ZeroDivisionError" in found["house-broken"].message


def test_today_argument(ws, base_note):
    assert findings_for(ws, base_note, "future-date", today=dt.date(2026, 11, 24))
    assert findings_for(ws, base_note, "future-date", today=dt.date(2026, 11, 25)) == []


def test_findings_are_sorted_and_json_shaped(ws, base_note):
    from peerkit_notes.checks import run_checks

    a = change(base_note, purpose="", goals=["G9"])
    b = change(base_note, id="N-2026-11-24-C001-9", date=dt.date(2026, 11, 24), plan="")
    found = run_checks(ws, [a, b])
    assert [f.note for f in found] == sorted([f.note for f in found], key=lambda i: i[2:12])
    assert found[0].as_json().keys() == {"note", "file", "rule", "severity", "message"}
