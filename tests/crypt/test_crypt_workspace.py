"""peerkit crypt on a whole workspace: the sentinel proof, key lifecycle, failures."""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import tomlkit

from peerkit.cryptkeys import forget
from tests.conftest import assert_no_traceback

NAME = "Quorra Zembla-Vantwick"
STORY = "XYZZY sentinel narrative about the porch swing"
MCD = "SENTINEL-MCD-4242"
SENTINELS = (NAME, STORY, MCD, "Vantwick", "porch swing")


def _edit(path: Path, change) -> None:
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _plant(ws: Path) -> None:
    """A sentinel name and narrative in every kind of record (written in clear, as today)."""
    def client(doc):
        doc["name"] = NAME
        doc["medicaid_id"] = MCD
        doc["goals"][0]["text"] = STORY
        doc["plan"]["needs"] = [STORY]
        doc["date_of_birth"] = tomlkit.date("1980-02-29")
    _edit(ws / "clients" / "C001.toml", client)

    def note(doc):
        doc["purpose"] = f"Met {NAME}. {STORY}"
        doc["location"] = "The porch swing on Elm St"
        doc["review"]["reason"] = STORY
    _edit(ws / "notes" / "2026" / "11" / "N-2026-11-02-C001-1.toml", note)

    def plan(doc):
        doc["toolbox"]["tools"].append(STORY)
        doc["helped_by"] = [NAME]
    _edit(ws / "wrap" / "C001.toml", plan)

    def incident(doc):
        doc["what"] = STORY
        doc["actions"] = f"Called {NAME}"
    _edit(ws / "incidents" / "INC-2026-11-10-1.toml", incident)

    def activity(doc):
        doc["note"] = f"Called {NAME} back"
    _edit(ws / "activities" / "2026" / "11" / "A-2026-11-16-1.toml", activity)

    def trip(doc):
        doc["to"] = "The porch swing house, 12 Elm St"
    _edit(ws / "trips" / "2026" / "11" / "T-2026-11-16-1.toml", trip)


def _every_byte(root: Path) -> bytes:
    out = bytearray()
    for dirpath, _, names in os.walk(root):
        for name in names:
            out += (Path(dirpath) / name).read_bytes()
    return bytes(out)


def _assert_no_sentinel(root: Path) -> None:
    blob = _every_byte(root)
    for s in SENTINELS:
        assert s.encode() not in blob, s
        assert json.dumps(s)[1:-1].encode() not in blob, s  # also as escaped JSON (caches)


READS = [
    ("client", "show", "C001", "--json"),
    ("client", "list", "--json", "--status", "all"),
    ("note", "render", "N-2026-11-02-C001-1"),
    ("note", "show", "N-2026-11-02-C001-1", "--json"),
    ("note", "list", "--json"),
    ("note", "check", "--json"),
    ("wrap", "show", "C001"),
    ("incident", "list", "--json"),
    ("invoice", "--from", "2026-11-01", "--to", "2026-11-30", "--preview", "--format", "json"),
    ("status",),
    ("activity", "list", "--from", "2026-11-16", "--to", "2026-11-22", "--json"),
    ("trip", "list", "--json"),
]


def _reads(run) -> dict:
    out = {}
    for args in READS:
        r = run(*args)
        assert_no_traceback(r)
        assert r.exit_code in (0, 1), (args, r.output)   # every read really ran (1: findings)
        out[args] = (r.exit_code, r.stdout)
    return out


def test_sentinel_nowhere_after_enable_and_everything_reads_back(run, ws_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-28")
    _plant(ws_path)
    assert run("reindex").exit_code == 0  # caches with plaintext, as a real workspace has
    assert NAME.encode() in (ws_path / "clients" / ".clients-cache.json").read_bytes()
    before = _reads(run)
    assert NAME in before[READS[0]][1] and STORY in before[READS[2]][1]
    assert STORY in before[READS[6]][1]

    r = run("crypt", "enable")
    assert r.exit_code == 0, r.output
    _assert_no_sentinel(ws_path)
    assert _reads(run) == before
    _assert_no_sentinel(ws_path)  # reading wrote no plaintext cache

    # new records and edits on an encrypted workspace are stored encrypted too
    r = run("client", "add", "C009", "--name", NAME + " Jr", "--medicaid-id", MCD + "9",
            "--admitted", "2026-11-01")
    assert r.exit_code == 0, r.output
    r = run("note", "add", "--client", "C009", "--date", "2026-11-20", "--start", "10:00",
            "--end", "10:30", "--place", "community", "--location", "porch swing",
            "--purpose", STORY, "--intervention", "i", "--response", "r", "--plan", "p")
    assert r.exit_code == 0, r.output
    r = run("note", "edit", "N-2026-11-02-C001-1", "--response", STORY + " again", "--reason", "late detail")
    assert r.exit_code == 0, r.output
    r = run("incident", "add", "--level", "I", "--occurred-at", "2026-11-20T10:00",
            "--learned-at", "2026-11-20T10:00", "--client", "C009", "--what", STORY, "--actions", NAME)
    assert r.exit_code == 0, r.output
    _assert_no_sentinel(ws_path)
    assert NAME + " Jr" in run("client", "show", "C009").stdout
    rendered = run("note", "render", "N-2026-11-02-C001-1").stdout
    assert STORY + " again" in rendered
    assert any(STORY in json.dumps(i) for i in json.loads(run("incident", "list", "--json").stdout))

    # disable: every file reads back as the data it holds, in clear
    mid = _reads(run)
    r = run("crypt", "disable")
    assert r.exit_code == 0, r.output
    assert not (ws_path / "crypt" / "keys.toml").exists()
    assert NAME.encode() in (ws_path / "clients" / "C001.toml").read_bytes()
    assert "enc:v1:" not in _every_byte(ws_path).decode("utf-8", "replace")
    assert _reads(run) == mid


def test_cli_status_json_and_exit_codes(run, ws_path):
    r = run("crypt", "status", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["state"] == "off"
    assert run("crypt", "enable").exit_code == 0
    data = json.loads(run("crypt", "status", "--json").stdout)
    assert data["state"] == "on" and data["can_open"] and not data["plain_fields"]
    assert set(data["values_by_key"]) == {data["current_key"]}
    # a value typed in clear into an encrypted field is a finding until enable runs again
    _edit(ws_path / "clients" / "C002.toml", lambda d: d.__setitem__("record_number", "MR-77"))
    r = run("crypt", "status", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["plain_fields"] == ["clients/C002.toml: record_number"]
    assert run("crypt", "enable").exit_code == 0
    assert b"MR-77" not in (ws_path / "clients" / "C002.toml").read_bytes()
    assert run("client", "show", "C002", "--json").stdout.count("MR-77") == 1


def test_unchanged_values_keep_their_ciphertext(run, ws_path):
    assert run("crypt", "enable").exit_code == 0
    path = ws_path / "notes" / "2026" / "11" / "N-2026-11-03-C002-1.toml"
    before = path.read_text().splitlines()
    r = run("note", "edit", "N-2026-11-03-C002-1", "--plan", "A new plan", "--reason", "update")
    assert r.exit_code == 0, r.output
    after = path.read_text().splitlines()
    changed = [line.split(" = ")[0] for line in after if line not in before]
    assert "plan" in changed and "purpose" not in changed and "intervention" not in changed


def _tamper(path: Path, change):
    data = path.read_text()
    path.write_text(change(data))


def test_tampered_moved_and_wrong_key_values_are_exit_3_naming_file_and_field(run, ws_path):
    assert run("crypt", "enable").exit_code == 0
    c1, c2 = ws_path / "clients" / "C001.toml", ws_path / "clients" / "C002.toml"
    name1 = tomllib.loads(c1.read_text())["name"]
    name2 = tomllib.loads(c2.read_text())["name"]
    # swapped between records
    original = c1.read_text()
    _tamper(c1, lambda t: t.replace(name1, name2))
    r = run("client", "show", "C001")
    assert r.exit_code == 3 and "clients/C001.toml" in r.output and "'name'" in r.output
    assert_no_traceback(r)
    c1.write_text(original)
    # moved to another field of the same record
    mcd = tomllib.loads(c2.read_text())["medicaid_id"]
    _tamper(c2, lambda t: t.replace(mcd, name2))
    r = run("client", "show", "C002")
    assert r.exit_code == 3 and "'medicaid_id'" in r.output
    # truncated
    _tamper(c2, lambda t: t.replace(name2, name2[:-12]))
    r = run("client", "list")
    assert r.exit_code == 3 and "clients/C002.toml" in r.output
    # a key id the workspace does not hold
    note = ws_path / "notes" / "2026" / "11" / "N-2026-11-03-C002-1.toml"
    kid = tomllib.loads((ws_path / "crypt" / "keys.toml").read_text())["current"]
    _tamper(note, lambda t: t.replace(f"enc:v1:{kid}:", "enc:v1:0123456789abcdef:", 1))
    r = run("note", "render", "N-2026-11-03-C002-1")
    assert r.exit_code == 3 and "N-2026-11-03-C002-1.toml" in r.output
    assert_no_traceback(r)


def test_missing_key_is_exit_4_with_remedy(run, ws_path, memory_keyring):
    assert run("crypt", "enable").exit_code == 0
    memory_keyring.store.clear()
    forget()  # a new process: nothing opened yet
    r = run("client", "show", "C001")
    assert r.exit_code == 4 and "PEERKIT_AGE_IDENTITY" in r.output and "keyring" in r.output
    assert_no_traceback(r)
    (ws_path / "crypt" / "keys.toml").unlink()
    r = run("client", "show", "C001")
    assert r.exit_code == 4 and "crypt/keys.toml" in r.output


def _age_pair(tmp_path: Path, name: str) -> tuple[str, Path]:
    from pyrage import x25519

    ident = x25519.Identity.generate()
    path = tmp_path / f"{name}.key"
    path.write_text(str(ident) + "\n")
    return str(ident.to_public()), path


def test_escrow_recipient_reads_without_the_keyring_and_removal_rotates(run, ws_path, tmp_path,
                                                                        memory_keyring, monkeypatch):
    escrow, escrow_file = _age_pair(tmp_path, "escrow")
    supervisor, supervisor_file = _age_pair(tmp_path, "supervisor")
    assert run("crypt", "add-recipient", escrow).exit_code == 0   # before enable: config only
    assert run("crypt", "enable").exit_code == 0
    assert run("crypt", "add-recipient", supervisor).exit_code == 0  # after: wrapped at once
    status = json.loads(run("crypt", "status", "--json").stdout)
    assert status["wrapped_for"] == sorted([escrow, supervisor]) and not status["problems"]
    plain = run("client", "show", "C001").stdout

    saved = dict(memory_keyring.store)
    memory_keyring.store.clear()  # the peer's laptop is gone: the agency recovers with escrow
    monkeypatch.setenv("PEERKIT_AGE_IDENTITY", str(escrow_file))
    forget()
    assert run("client", "show", "C001").stdout == plain
    monkeypatch.setenv("PEERKIT_AGE_IDENTITY", str(supervisor_file))
    forget()
    assert run("client", "show", "C001").stdout == plain

    memory_keyring.store.update(saved)
    monkeypatch.delenv("PEERKIT_AGE_IDENTITY")
    forget()
    old_kid = status["current_key"]
    r = run("crypt", "remove-recipient", supervisor)
    assert r.exit_code == 0, r.output
    status = json.loads(run("crypt", "status", "--json").stdout)
    assert status["current_key"] != old_kid and status["keys"] == [status["current_key"]]
    assert status["wrapped_for"] == [escrow] and set(status["values_by_key"]) == {status["current_key"]}
    memory_keyring.store.clear()
    monkeypatch.setenv("PEERKIT_AGE_IDENTITY", str(supervisor_file))
    forget()
    r = run("client", "show", "C001")
    assert r.exit_code == 4
    monkeypatch.setenv("PEERKIT_AGE_IDENTITY", str(escrow_file))
    forget()
    assert run("client", "show", "C001").stdout == plain


def test_bad_recipient_is_exit_3(run):
    r = run("crypt", "add-recipient", "age1notakey")
    assert r.exit_code == 3 and "age" in r.output
    assert_no_traceback(r)


def test_swapped_wrapped_key_is_refused(run, ws_path, tmp_path, memory_keyring, monkeypatch):
    """A wrapped key opens only to the key its id names (age has no sender authentication)."""
    from peerkit import crypt, cryptkeys

    escrow, escrow_file = _age_pair(tmp_path, "escrow")
    assert run("crypt", "add-recipient", escrow).exit_code == 0
    assert run("crypt", "enable").exit_code == 0
    keys_file = ws_path / "crypt" / "keys.toml"
    doc = tomlkit.parse(keys_file.read_text())
    doc["keys"][0]["age"][escrow] = cryptkeys.wrap_for_age(escrow, crypt.new_key())  # attacker's key
    keys_file.write_text(tomlkit.dumps(doc))
    memory_keyring.store.clear()
    monkeypatch.setenv("PEERKIT_AGE_IDENTITY", str(escrow_file))
    forget()
    r = run("client", "show", "C001")
    assert r.exit_code == 4


def test_rotate_is_resumable_after_a_crash(run, ws_path, monkeypatch):
    """Kill a rotation half-way: every file still reads; running it again finishes it."""
    from peerkit import storage
    from peerkit_crypt import model

    assert run("crypt", "enable").exit_code == 0
    plain = {a: run(*a).stdout for a in READS[:4]}
    real = storage.edit_toml
    calls = {"n": 0}

    def crashing(path):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt  # the power goes off
        return real(path)

    monkeypatch.setattr(model.storage, "edit_toml", crashing)
    r = run("crypt", "rotate")
    assert r.exit_code != 0
    monkeypatch.setattr(model.storage, "edit_toml", real)
    status = json.loads(run("crypt", "status", "--json").stdout)
    assert len(status["keys"]) == 2 and len(status["values_by_key"]) == 2
    assert {a: run(*a).stdout for a in READS[:4]} == plain
    assert run("crypt", "rotate").exit_code == 0
    status = json.loads(run("crypt", "status", "--json").stdout)
    assert status["keys"] == [status["current_key"]] and list(status["values_by_key"]) == [status["current_key"]]
    assert {a: run(*a).stdout for a in READS[:4]} == plain


def test_enable_and_disable_are_resumable(run, ws_path, monkeypatch):
    from peerkit import storage
    from peerkit_crypt import model

    plain = {a: run(*a).stdout for a in READS[:4]}
    real = storage.edit_toml
    calls = {"n": 0}

    def crashing(path):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(path)

    monkeypatch.setattr(model.storage, "edit_toml", crashing)
    assert run("crypt", "enable").exit_code != 0
    assert {a: run(*a).stdout for a in READS[:4]} == plain  # half-encrypted reads the same
    assert json.loads(run("crypt", "status", "--json").stdout)["state"] == "enabling"
    monkeypatch.setattr(model.storage, "edit_toml", real)
    assert run("crypt", "enable").exit_code == 0
    calls["n"] = 0
    monkeypatch.setattr(model.storage, "edit_toml", crashing)
    assert run("crypt", "disable").exit_code != 0
    assert {a: run(*a).stdout for a in READS[:4]} == plain
    monkeypatch.setattr(model.storage, "edit_toml", real)
    assert run("crypt", "enable").exit_code == 2  # must finish the disable first
    assert run("crypt", "disable").exit_code == 0
    assert {a: run(*a).stdout for a in READS[:4]} == plain
    assert "enc:v1:" not in _every_byte(ws_path).decode("utf-8", "replace")


def test_a_workspace_made_in_the_same_process_is_encrypted(tmp_path):
    """Looking a folder up before its peerkit.toml exists must not leave writes in clear."""
    from click.testing import CliRunner

    from peerkit.cli import cli

    runner = CliRunner()
    target = tmp_path / "fresh"
    assert runner.invoke(cli, ["init", str(target), "--example"]).exit_code == 0
    r = runner.invoke(cli, ["--workspace", str(target), "crypt", "enable"])
    assert r.exit_code == 0, r.output
    assert b"Sam Example" not in (target / "clients" / "C001.toml").read_bytes()
    r = runner.invoke(cli, ["--workspace", str(target), "client", "add", "C777", "--name", NAME,
                            "--admitted", "2026-11-01"])
    assert r.exit_code == 0, r.output
    _assert_no_sentinel(target)


def test_no_workspace_is_never_remembered(tmp_path):
    """A folder looked up before its peerkit.toml exists is found once it does (else the
    records written there afterwards would be stored in clear)."""
    from peerkit import cryptkeys

    (tmp_path / "clients").mkdir()
    assert cryptkeys.find_root(tmp_path / "clients") is None
    (tmp_path / "peerkit.toml").write_text("")
    assert cryptkeys.find_root(tmp_path / "clients") == tmp_path


def test_caches_refreshed_again_keep_their_entries(run, ws_path):
    """A refresh that reuses current entries of an encrypted cache writes them back (dates
    included) instead of failing; readers still get the values."""
    import time

    from peerkit import notecache
    from peerkit.records import refresh_note_cache

    assert run("crypt", "enable").exit_code == 0
    folder = ws_path / "notes" / "2026" / "11"
    cache = notecache.MonthCache(folder)
    assert cache.entries and all(e.get("sealed", "").startswith("enc:v1:") and e["note"] == {}
                                 for e in cache.entries.values())
    time.sleep(notecache.RACY_NS / 1e9 + 0.2)  # files older than the racy margin: entries current
    refresh_note_cache(folder)
    refresh_note_cache(folder)  # reuses entries: must write dates back as JSON
    again = notecache.MonthCache(folder)
    assert set(again.entries) == set(cache.entries)
    assert b"Public library" not in (folder / notecache.CACHE_NAME).read_bytes()
    name = "N-2026-11-02-C001-1.toml"
    got = again.get(name, (folder / name).stat())
    assert got is not None and got["location"] == "Public library, Main St"


def test_editor_sees_clear_text_and_the_file_stays_encrypted(run, ws_path, tmp_path, monkeypatch):
    import sys

    script = tmp_path / "ed.py"
    script.write_text("import sys\np = sys.argv[1]\nt = open(p).read()\n"
                      "assert 'enc:v1:' not in t and 'Sam Example' in t\n"
                      "open(p, 'w').write(t.replace('Sam Example', 'Sam Changed'))\n")
    assert run("crypt", "enable").exit_code == 0
    path = ws_path / "clients" / "C001.toml"
    before = tomllib.loads(path.read_text())
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    from peerkit.editing import edit_in_editor
    from peerkit.records import client_from_dict

    assert edit_in_editor(path, lambda data, where: client_from_dict(data, where, expect_id="C001"))
    after = tomllib.loads(path.read_text())
    assert b"Sam" not in path.read_bytes()
    assert after["name"] != before["name"] and after["medicaid_id"] == before["medicaid_id"]
    assert json.loads(run("client", "show", "C001", "--json").stdout)["name"] == "Sam Changed"


def test_status_when_keys_file_goes_away_while_read(run, ws_path, monkeypatch):
    """Found by mypy: crypt status indexed ``None`` (exit 70) when crypt/keys.toml vanished
    between reading its state and opening its keys; now it says the key cannot be opened."""
    from peerkit import cryptkeys
    from peerkit.workspace import Workspace
    from peerkit_crypt import model

    assert run("crypt", "enable").exit_code == 0
    monkeypatch.setattr(cryptkeys, "workspace_keys", lambda root: (None, None))
    report = model.status(Workspace(ws_path))
    assert report.state == "on" and report.can_open is False
