"""peerkit's merge driver, on its own (git calls it as a program: tested that way too)."""
import subprocess
import sys
import tomllib

import pytest

from peerkit_sync.merge import Conflict, merge_note, merge_values

NOTE = {"id": "N-1", "client": "C001", "date": "2026-11-23", "start": "10:00", "end": "11:00",
        "purpose": "p", "response": "r", "plan": "x", "status": "submitted"}


def test_one_side_changes_win_field_by_field():
    ours = {**NOTE, "plan": "call on Thursday"}
    theirs = {**NOTE, "response": "said it helped"}
    assert merge_values(NOTE, ours, theirs) == {**NOTE, "plan": "call on Thursday", "response": "said it helped"}


def test_same_change_on_both_sides_is_taken_once():
    both = {**NOTE, "plan": "same"}
    assert merge_values(NOTE, both, dict(both)) == both


def test_different_changes_to_one_field_conflict():
    with pytest.raises(Conflict) as info:
        merge_values(NOTE, {**NOTE, "plan": "a"}, {**NOTE, "plan": "b"})
    assert info.value.field == "plan"


def test_nested_tables_merge_and_name_the_field():
    base = {"review": {"decision": "approved", "reason": ""}}
    with pytest.raises(Conflict) as info:
        merge_values(base, {"review": {"decision": "denied", "reason": ""}},
                     {"review": {"decision": "void", "reason": ""}})
    assert info.value.field == "review.decision"


def test_lists_both_appended_keep_both():
    base = {"addenda": [{"text": "a"}]}
    ours = {"addenda": [{"text": "a"}, {"text": "b"}]}
    theirs = {"addenda": [{"text": "a"}, {"text": "c"}]}
    assert merge_values(base, ours, theirs)["addenda"] == [{"text": "a"}, {"text": "b"}, {"text": "c"}]


def test_a_decision_on_a_changed_note_is_not_applied():
    decided = {**NOTE, "status": "approved", "review": {"decision": "approved", "reviewer": "Pat"}}
    changed = {**NOTE, "end": "11:30"}
    for merged in (merge_note(NOTE, changed, decided), merge_note(NOTE, decided, changed)):
        assert merged["end"] == "11:30"
        assert merged["status"] == "submitted"
        assert "review" not in merged


def test_a_decision_merges_with_an_unrelated_note_change():
    decided = {**NOTE, "status": "approved", "review": {"decision": "approved"}}
    other = {**NOTE, "seal_note": "x"}          # not content: a field peerkit adds
    merged = merge_note(NOTE, other, decided)
    assert merged["status"] == "approved" and merged["seal_note"] == "x"


def _driver(tmp_path, base, ours, theirs, path="notes/2026/11/N-1.toml"):
    files = []
    for name, text in (("O", base), ("A", ours), ("B", theirs)):
        f = tmp_path / name
        f.write_text(text, encoding="utf-8")
        files.append(str(f))
    proc = subprocess.run([sys.executable, "-m", "peerkit_sync.merge", *files, path],
                          capture_output=True, text=True)
    return proc, (tmp_path / "A").read_text(encoding="utf-8")


def test_driver_program_merges_and_keeps_comments(tmp_path):
    base = '# a note\nid = "N-1"\nplan = "x"\nresponse = "r"\nstatus = "submitted"\n'
    ours = base.replace('plan = "x"', 'plan = "call Thursday"')
    theirs = base.replace('response = "r"', 'response = "said it helped"')
    proc, merged = _driver(tmp_path, base, ours, theirs)
    assert proc.returncode == 0, proc.stderr
    assert merged.startswith("# a note\n")
    assert tomllib.loads(merged) == {"id": "N-1", "plan": "call Thursday", "response": "said it helped",
                                      "status": "submitted"}


def test_driver_program_conflict_names_field_never_value(tmp_path):
    base = 'id = "N-1"\nplan = "x"\n'
    ours = 'id = "N-1"\nplan = "Secret Sentinel One"\n'
    proc, merged = _driver(tmp_path, base, ours, 'id = "N-1"\nplan = "Secret Sentinel Two"\n')
    assert proc.returncode == 1
    assert "plan" in proc.stderr and "Sentinel" not in proc.stderr
    assert merged == ours                    # %A left as it was


def test_driver_program_refuses_conflict_markers(tmp_path):
    proc, _ = _driver(tmp_path, 'id = "N-1"\n', '<<<<<<< HEAD\nid = "N-1"\n', 'id = "N-2"\n')
    assert proc.returncode == 1
