"""Billing integrity (issue 12): --reason, back to review, seals, signing only after the service."""
from __future__ import annotations

import datetime as dt

from notes_helpers import loads, note_dict, write_note

from peerkit import storage

NOTES = "notes/2026/11"
APPROVED = "N-2026-11-16-C001-1"
SIGNED = "N-2026-11-23-C001-1"


def _path(ws_path, nid):
    return ws_path / NOTES / f"{nid}.toml"


def _week_units(run):
    """Units of the approved notes the invoice preview of 2026-11-16..22 bills."""
    result = run("invoice", "--from", "2026-11-16", "--to", "2026-11-22", "--preview", "--format", "json")
    assert result.exit_code == 0, result.output
    return loads(result)


def test_edit_of_a_signed_note_needs_a_reason(run, ws_path):
    before = _path(ws_path, SIGNED).read_bytes()
    result = run("note", "edit", SIGNED, "--plan", "Another plan")
    assert result.exit_code == 2, result.output
    assert "--reason" in result.output
    assert _path(ws_path, SIGNED).read_bytes() == before


def test_edit_of_denied_and_approved_notes_needs_a_reason(run, ws_path):
    for nid in ("N-2026-11-20-C004-1", APPROVED):
        before = _path(ws_path, nid).read_bytes()
        result = run("note", "edit", nid, "--location", "Elsewhere")
        assert result.exit_code == 2, result.output
        assert "--reason" in result.output
        assert _path(ws_path, nid).read_bytes() == before


def test_editing_an_approved_note_sends_it_back_to_review(run, ws_path):
    before = _week_units(run)
    billed = [ln for ln in before["lines"] if APPROVED in ln["notes"]]
    assert billed, "the approved note is on the week's preview before the edit"
    result = run("note", "edit", APPROVED, "--end", "19:00", "--reason", "wrong end time")
    assert result.exit_code == 0, result.output
    data = storage.read_toml(_path(ws_path, APPROVED))
    assert data["status"] == "submitted"
    [add] = data["addenda"]
    assert add["fields"] == ["end"] and add["reason"] == "wrong end time"
    assert add["status"] == {"old": "approved", "new": "submitted"}
    assert data["review"]["decision"] == "approved"  # the old decision is kept as history
    after = _week_units(run)
    assert not [ln for ln in after["lines"] if APPROVED in ln["notes"]]
    assert after["total_units"] == before["total_units"] - sum(ln["units"] for ln in billed)


def test_place_change_of_an_approved_note_keeps_it_approved_with_an_addendum(run, ws_path):
    result = run("note", "edit", APPROVED, "--location", "Public library, 2nd floor",
                 "--reason", "more precise")
    assert result.exit_code == 0, result.output
    data = storage.read_toml(_path(ws_path, APPROVED))
    assert data["status"] == "approved" and len(data["addenda"]) == 1


def test_sign_seals_the_note_and_check_detects_a_hand_edit(run, ws_path):
    nid = "N-2026-11-24-C002-1"
    write_note(ws_path, note_dict())
    signed = run("note", "sign", nid)
    assert signed.exit_code == 0, signed.output
    p = _path(ws_path, nid)
    data = storage.read_toml(p)
    assert data["seal"].startswith("sha256:") and len(data["seal"]) == len("sha256:") + 64
    clean = run("note", "check", "--json")
    assert not [f for f in loads(clean) if f["rule"] == "seal-broken"]
    assert run("audit", "verify").exit_code == 0
    # a hand edit of the signed TOML: 09:00 -> 08:00
    data["start"] = dt.time(data["start"].hour - 1, data["start"].minute)
    storage.write_toml(p, data)
    result = run("note", "check", "--json")
    assert result.exit_code == 1
    broken = [f for f in loads(result) if f["rule"] == "seal-broken"]
    assert [(f["note"], f["severity"], f["file"]) for f in broken] == [(nid, "error", f"{NOTES}/{nid}.toml")]
    verify = run("audit", "verify")
    assert verify.exit_code == 1 and f"{NOTES}/{nid}.toml: seal-broken" in verify.output


def test_an_addendum_renews_the_seal(run, ws_path):
    nid = "N-2026-11-24-C002-1"
    write_note(ws_path, note_dict())
    signed = run("note", "sign", nid)
    assert signed.exit_code == 0, signed.output
    sealed = storage.read_toml(_path(ws_path, nid))["seal"]
    assert run("note", "edit", nid, "--plan", "Call Tuesday", "--reason", "detail").exit_code == 0
    data = storage.read_toml(_path(ws_path, nid))
    assert data["seal"] != sealed and data["addenda"][0]["seal"] == data["seal"]
    result = run("note", "check", "--json")
    assert not [f for f in loads(result) if f["rule"] == "seal-broken"]


def test_a_note_is_not_signed_before_its_service_ends(run, ws_path):
    # the clock says 2026-11-25 12:00; the service runs 22:00-23:30 that day
    write_note(ws_path, note_dict(id="N-2026-11-25-C002-1", date=dt.date(2026, 11, 25),
                                  start=dt.time(22, 0), end=dt.time(23, 30)))
    result = run("note", "sign", "N-2026-11-25-C002-1")
    assert result.exit_code == 1, result.output
    assert "service-not-ended" in result.output
    data = storage.read_toml(_path(ws_path, "N-2026-11-25-C002-1"))
    assert data["status"] == "draft" and "seal" not in data
    later = run("note", "sign", "N-2026-11-25-C002-1", env={"PEERKIT_NOW": "2026-11-25T23:45:00"})
    assert later.exit_code == 0, later.output
    assert storage.read_toml(_path(ws_path, "N-2026-11-25-C002-1"))["status"] == "signed"


def test_removing_the_seal_of_a_note_with_sealed_addenda_is_detected(run, ws_path):
    nid = "N-2026-11-24-C002-1"
    write_note(ws_path, note_dict())
    assert run("note", "sign", nid).exit_code == 0
    assert run("note", "edit", nid, "--plan", "Call Tuesday", "--reason", "detail").exit_code == 0
    p = _path(ws_path, nid)
    data = storage.read_toml(p)
    del data["seal"]
    data["plan"] = "Something else"
    storage.write_toml(p, data)
    result = run("note", "check", "--json")
    assert result.exit_code == 1
    assert [f["note"] for f in loads(result) if f["rule"] == "seal-broken"] == [nid]


def test_render_shows_that_the_change_sent_the_note_back_to_review(run, ws_path):
    assert run("note", "edit", APPROVED, "--end", "11:30", "--reason", "wrong end").exit_code == 0
    result = run("note", "render", APPROVED, "--format", "txt")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "wrong end" in text
    assert 'status: was "approved", now "submitted"' in text
