"""Issue 20: [notes] min_words makes a one-letter narrative an error at check and signing."""
from __future__ import annotations

import json

from notes_helpers import change, findings_for, note_dict, set_setting, write_note


def test_one_letter_narrative_is_an_error_on_a_signed_note(ws, base_note):
    note = change(base_note, purpose="p", intervention="i", response="r")
    found = findings_for(ws, note, "narrative-too-short")
    assert len(found) == 1 and found[0].severity == "error"
    assert "purpose (1 word(s)), intervention (1 word(s)), response (1 word(s))" in found[0].message
    assert "at least 5 words" in found[0].message and "[notes] min_words" in found[0].message
    # counts only: the narrative itself never appears in a message
    secret = change(base_note, response="Zanzibar")
    assert "Zanzibar" not in findings_for(ws, secret, "narrative-too-short")[0].message


def test_five_words_each_pass_and_four_do_not(ws, base_note):
    ok = change(base_note, purpose="Look for a new apartment.",
                intervention="Compared two listings together today.",
                response="Sam chose one to visit.")
    assert findings_for(ws, ok, "narrative-too-short") == []
    short = change(ok, response="Sam chose one.")
    found = findings_for(ws, short, "narrative-too-short")
    assert len(found) == 1 and "response (3 word(s))" in found[0].message
    assert "purpose" not in found[0].message


def test_draft_gets_a_warning_and_signing_is_refused(run, ws_path):
    write_note(ws_path, note_dict(purpose="p", intervention="i", response="r"))
    checked = run("note", "check", "--client", "C002", "--from", "2026-11-24", "--to", "2026-11-24", "--json")
    rules = {(f["rule"], f["severity"]) for f in json.loads(checked.stdout)}
    assert ("narrative-too-short", "warning") in rules
    signed = run("note", "sign", "N-2026-11-24-C002-1")
    assert signed.exit_code != 0 and "narrative-too-short" in signed.output
    text = (ws_path / "notes/2026/11/N-2026-11-24-C002-1.toml").read_text()
    assert 'status = "draft"' in text


def test_min_words_is_configurable_and_zero_turns_it_off(ws_path, base_note):
    from peerkit.workspace import Workspace

    note = change(base_note, purpose="p", intervention="i", response="r")
    set_setting(ws_path, "min_words", "0")
    assert findings_for(Workspace(ws_path), note, "narrative-too-short") == []
    set_setting(ws_path, "min_words", "8")
    found = findings_for(Workspace(ws_path), base_note, "narrative-too-short")
    assert found and "at least 8 words" in found[0].message


def test_bad_min_words_names_file_and_field(run, ws_path):
    set_setting(ws_path, "min_words", "-1")
    result = run("note", "check")
    assert result.exit_code == 3 and "peerkit.toml" in result.output and "notes.min_words" in result.output


def test_word_count_counts_contractions_and_hyphenated_words_once():
    """The docs' rule: "person's" and "follow-up" are one word each (the name matcher of
    other-client-name once shadowed this pattern with a plainer one)."""
    from peerkit_notes.checks import word_count

    assert word_count("person's follow-up") == 2
    assert word_count("Sam’s check-in went well") == 4
