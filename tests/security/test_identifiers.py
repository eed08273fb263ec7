"""Issue 13: identifiers where they do not belong -- in narrative, or as keys of a record."""
from __future__ import annotations

import json

import pytest

SSN = "123-45-6789"
MEDICAID = "900000002B"


def flags(**narrative):
    base = {"purpose": "Weekly check-in on the housing search",
            "intervention": "Compared listings together and shared my own experience",
            "response": "Sam chose one listing to apply for", "plan": "Apply Friday"}
    base.update(narrative)
    out = ["--client", "C001", "--date", "2026-11-25", "--start", "09:00", "--end", "09:40",
           "--place", "community", "--location", "Public library", "--goal", "G1"]
    for k, v in base.items():
        out += [f"--{k}", v]
    return out


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")


def test_an_ssn_in_the_purpose_is_a_warning_at_entry_and_an_error_at_signing(run):
    result = run("note", "add", *flags(purpose=f"SSN {SSN} needed for the housing form"))
    assert result.exit_code == 0, result.output
    assert ("Warning: N-2026-11-25-C001-1: the purpose contains something shaped like a "
            "Social Security number") in result.output
    assert SSN not in result.output
    result = run("note", "sign", "N-2026-11-25-C001-1")
    assert result.exit_code != 0
    assert "identifier-in-narrative: the purpose contains" in result.output
    assert SSN not in result.output
    check = run("note", "check", "--json")
    found = [f for f in json.loads(check.stdout) if f["rule"] == "identifier-in-narrative"]
    assert [f["severity"] for f in found] == ["warning"]  # a draft: a warning until signing


def test_a_clean_note_signs(run):
    result = run("note", "add", *flags())
    assert "Warning" not in result.output
    assert run("note", "sign", "N-2026-11-25-C001-1").exit_code == 0


def test_a_medicaid_id_in_the_response_is_named_by_field(run):
    result = run("note", "add", *flags(response=f"Gave ID {MEDICAID} to the clerk"))
    assert result.exit_code == 0
    assert "the response contains something shaped like a Medicaid ID" in result.output
    assert MEDICAID not in result.output


def test_another_clients_phone_is_flagged_but_not_the_clients_own(run, ws_path):
    for cid, phone in (("C002", "919-555-0142"), ("C001", "919-555-0100")):
        path = ws_path / "clients" / f"{cid}.toml"
        text = path.read_text()
        head, sep, rest = text.partition("\n[")
        path.write_text(head + f'\nphone = "{phone}"\n' + sep + rest)
    result = run("note", "add", *flags(plan="Call (919) 555-0142 and 919.555.0100 on Friday"))
    assert result.exit_code == 0, result.output
    assert "the plan contains the phone number of another person served" in result.output
    assert "555-0142" not in result.output and result.output.count("Warning") == 1


def test_note_edit_warns_too(run):
    run("note", "add", *flags())
    result = run("note", "edit", "N-2026-11-25-C001-1", "--plan", f"Bring card {SSN}")
    assert result.exit_code == 0, result.output
    assert "Warning: N-2026-11-25-C001-1: the plan contains something shaped like a Social" in result.output
    assert SSN not in result.output


@pytest.mark.parametrize("key", ["ssn", "social_security", "Password", "social-security-number"])
def test_forbidden_keys_are_refused_in_client_files(run, ws_path, key):
    path = ws_path / "clients" / "C003.toml"
    text = path.read_text()
    head, sep, rest = text.partition("\n[")
    path.write_text(head + f'\n"{key}" = "{SSN}"\n' + sep + rest)
    result = run("client", "list")
    assert result.exit_code == 3, result.output
    assert "C003.toml" in result.output and f"key '{key}'" in result.output
    assert SSN not in result.output


def test_forbidden_keys_are_refused_in_notes_and_imports(run, ws_path, tmp_path):
    note = ws_path / "notes" / "2026" / "11" / "N-2026-11-16-C001-1.toml"
    note.write_text(note.read_text() + '\n[extra]\npassword = "hunter2"\n')
    result = run("note", "show", "N-2026-11-16-C001-1")
    assert result.exit_code == 3 and "key 'extra.password'" in result.output and "hunter2" not in result.output
    src = tmp_path / "client.json"
    src.write_text(json.dumps({"id": "C009", "name": "Pat Example", "ssn": SSN}))
    result = run("client", "add", "--from", src)
    assert result.exit_code == 3 and "client.json" in result.output and "key 'ssn'" in result.output
    assert not (ws_path / "clients" / "C009.toml").exists()


def test_a_keyring_reference_in_peerkit_toml_is_still_allowed(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace("[provider]", '[provider]\nssn = "keyring:ssn"', 1))
    assert run("status").exit_code in (0, 1)
    assert run("client", "list").exit_code == 0


# ---------------------------------------------------------------- incidents and WRAP plans

def _incident(run, what="Generic fictional event", actions="Called the supervisor"):
    return run("incident", "add", "--level", "II", "--occurred-at", "2026-11-24T08:30",
               "--learned-at", "2026-11-24T09:00", "--client", "C001", "--what", what,
               "--actions", actions)


def test_an_ssn_in_an_incident_is_a_warning_naming_the_field(run, ws_path):
    result = _incident(run, what=f"The form showed {SSN} on the desk")
    assert result.exit_code == 0, result.output
    assert ("Warning: INC-2026-11-24-1: the what contains something shaped like a Social "
            "Security number") in result.stderr
    assert SSN not in result.output
    assert (ws_path / "incidents" / "INC-2026-11-24-1.toml").is_file()  # a warning: it is stored


def test_a_medicaid_id_in_an_incident_file_is_named_by_field(run, tmp_path):
    source = tmp_path / "inc.toml"
    source.write_text('level = "I"\noccurred_at = 2026-11-24T08:30:00\nlearned_at = 2026-11-24T09:00:00\n'
                      f'client = "C001"\nwhat = "Generic fictional event"\nactions = "Read {MEDICAID} aloud"\n')
    result = run("incident", "add", "--from", str(source))
    assert result.exit_code == 0, result.output
    assert "the actions contains something shaped like a Medicaid ID" in result.stderr
    assert "the what contains" not in result.output
    assert MEDICAID not in result.output


def test_a_clean_incident_has_no_warning(run):
    result = _incident(run)
    assert result.exit_code == 0 and "Warning" not in result.output


def _editor(tmp_path, monkeypatch, old: str, new: str):
    import sys

    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                      f"p.write_text(p.read_text().replace({old!r}, {new!r}, 1))\n")
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{script}"')


def test_an_identifier_in_a_wrap_plan_is_a_warning_naming_the_field(run, ws_path, tmp_path, monkeypatch):
    text = (ws_path / "wrap" / "C001.toml").read_text()
    assert "[toolbox]\ntools = [\n" in text
    _editor(tmp_path, monkeypatch, "[toolbox]\ntools = [\n", f'[toolbox]\ntools = [\n  "SSN {SSN}",\n')
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 0, result.output
    assert ("Warning: wrap/C001.toml: the toolbox.tools[1] contains something shaped like a "
            "Social Security number") in result.stderr
    assert SSN not in result.output
    assert SSN in (ws_path / "wrap" / "C001.toml").read_text()  # a warning: saved as written


def test_a_wrap_plan_with_phone_numbers_only_has_no_warning(run, tmp_path, monkeypatch):
    """The example plan's supporters have phone numbers: not identifiers of this kind."""
    _editor(tmp_path, monkeypatch, 'written = ', 'written =  ')
    result = run("wrap", "edit", "C001")
    assert result.exit_code == 0, result.output
    assert "Saved." in result.output and "Warning" not in result.output
