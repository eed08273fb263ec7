"""add, edit, show, list, remove, verify, stale, the status alert, categories and formats."""
import json
import subprocess
import sys

from peerkit_resources import model


def ok(result):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def test_add_show_list_remove(run, ws_path):
    ok(run("resources", "add", "--name", "Eastside Free Clinic", "--organization", "Eastside Health Collective",
           "--category", "counseling", "--category", "Peer Respite", "--address1", "5 Elm St", "--city", "Millbrook",
           "--state", "NC", "--zip", "27340", "--county", "Haw River County",
           "--phone", "919-555-0111 (voice: front desk)", "--phone", "919-555-0112 (fax)",
           "--hours", "MO-FR 08:00-17:00", "--hours", "1SA 09:00-12:00", "--language", "English",
           "--free", "--notes", "Ask for the peer navigator"))
    path = ws_path / "resources" / "eastside-free-clinic.toml"
    res = model.read_path(path)
    assert res["categories"] == ["Counseling", "Peer Respite"]  # canonical spelling of the term
    assert res["phones"][0] == {"number": "919-555-0111", "type": "voice", "description": "front desk"}
    assert res["phones"][1]["type"] == "fax"
    assert [r["byday"] for r in res["schedules"]] == ["MO,TU,WE,TH,FR", "1SA"]
    assert res["schedules"][1]["freq"] == "MONTHLY"
    assert str(res["last_verified"]) == "2026-11-25" and res["verified_by"] == "Jordan Rivera"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    shown = ok(run("resources", "show", "eastside-free-clinic"))
    assert "Eastside Free Clinic  [eastside-free-clinic]" in shown.output
    assert "Hours: MO-FR 08:00-17:00" in shown.output
    data = json.loads(ok(run("resources", "show", "eastside-free-clinic", "--json")).output)
    assert data["hours"] == "MO-FR 08:00-17:00; 1SA 09:00-12:00" and data["free"] is True
    listed = json.loads(ok(run("resources", "list", "--json")).output)
    assert len(listed) == 10 and "eastside-free-clinic" in [r["slug"] for r in listed]
    # the index was written by add and is used by search
    assert (ws_path / "resources" / ".index.sqlite").exists()
    found = json.loads(ok(run("resources", "search", "clinic", "--json")).output)
    assert found[0]["slug"] == "eastside-free-clinic"
    ok(run("resources", "remove", "eastside-free-clinic", "--yes"))
    assert not path.exists()
    assert json.loads(ok(run("resources", "search", "clinic", "--json")).output) == []


def test_add_refuses_bad_input(run, ws_path):
    r = run("resources", "add", "--name", "X", "--category", "Not A Term")
    assert r.exit_code == 2 and "unknown category" in r.output
    r = run("resources", "add", "--name", "X", "--hours", "sometimes")
    assert r.exit_code == 2 and "--hours" in r.output
    r = run("resources", "add", "--name", "X", "--address1", "1 Main St", "--city", "Millbrook")
    assert r.exit_code == 3 and "field 'address.state': is required but missing" in r.output
    r = run("resources", "add", "ssa-millbrook", "--name", "Duplicate")
    assert r.exit_code == 3 and "already exists" in r.output
    r = run("resources", "add", "../evil", "--name", "X")
    assert r.exit_code == 2
    assert len(list((ws_path / "resources").glob("*.toml"))) == 9


def test_add_from_file(run, ws_path, tmp_path):
    src = tmp_path / "r.json"
    src.write_text(json.dumps({"resources": [], "name": "Warm Meal Kitchen", "categories": ["Free Meals"],
                               "schedules": [{"freq": "WEEKLY", "byday": "SU", "opens_at": "12:00",
                                              "closes_at": "13:30"}], "last_verified": "2026-11-01"}))
    ok(run("resources", "add", "--from", str(src)))
    res = model.read_path(ws_path / "resources" / "warm-meal-kitchen.toml")
    assert res["schedules"][0]["closes_at"].isoformat() == "13:30:00"


def test_edit_keeps_comments_and_changes_lists(run, ws_path):
    path = ws_path / "resources" / "millbrook-community-food-pantry.toml"
    ok(run("resources", "edit", "millbrook-community-food-pantry", "--add-category", "Free Meals",
           "--add-hours", "SA 09:00-11:00", "--zip", "27341", "--description", "Groceries weekly"))
    text = path.read_text()
    assert "# Fictional example." in text
    res = model.read_path(path)
    assert res["categories"] == ["Food Pantry", "Emergency Food", "Free Meals"]
    assert [r["byday"] for r in res["schedules"]] == ["TU", "TH", "SA"]
    assert res["address"]["postal_code"] == "27341" and res["address"]["city"] == "Millbrook"
    assert res["description"] == "Groceries weekly"
    ok(run("resources", "edit", "millbrook-community-food-pantry", "--remove-category", "emergency food"))
    assert model.read_path(path)["categories"] == ["Food Pantry", "Free Meals"]


def test_edit_invalid_leaves_file(run, ws_path):
    path = ws_path / "resources" / "cedar-ford-ymca.toml"
    before = path.read_bytes()
    r = run("resources", "edit", "cedar-ford-ymca", "--country", "USA")
    assert r.exit_code == 3 and "address.country" in r.output
    assert path.read_bytes() == before
    r = run("resources", "show", "no-such-thing")
    assert r.exit_code == 3 and "unknown resource" in r.output


def test_verify_and_stale(run, ws_path):
    stale = run("resources", "stale", "--json")
    assert stale.exit_code == 1
    items = json.loads(stale.output)
    assert [i["slug"] for i in items] == ["cedar-ford-supportive-housing"]
    assert items[0]["days"] == 359
    sixty = [i["slug"] for i in json.loads(run("resources", "stale", "--days", "60", "--json").output)]
    assert sixty == ["cedar-ford-supportive-housing", "haw-river-housing-authority"]
    ok(run("resources", "verify", "cedar-ford-supportive-housing", "--by", "Pat Supervisor"))
    res = model.read_path(ws_path / "resources" / "cedar-ford-supportive-housing.toml")
    assert str(res["last_verified"]) == "2026-11-25" and res["verified_by"] == "Pat Supervisor"
    assert "Not verified for a long time" in (ws_path / "resources" / "cedar-ford-supportive-housing.toml").read_text()
    done = run("resources", "stale")
    assert done.exit_code == 0 and "Every resource was verified within 180 days" in done.output


def test_status_alert(run, ws_path):
    result = run("status", "--json")
    alerts = [a for a in json.loads(result.output) if a["source"] == "resources"]
    assert len(alerts) == 1
    assert alerts[0]["severity"] == "warning" and alerts[0]["due"] == "2026-05-30"
    assert "cedar-ford-supportive-housing" in alerts[0]["message"]
    ok(run("resources", "verify", "cedar-ford-supportive-housing"))
    result = run("status", "--json")
    assert not [a for a in json.loads(result.output) if a["source"] == "resources"]


def test_stale_days_setting(run, ws_path):
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text().replace("stale_days = 180", "stale_days = 30"))
    slugs = [i["slug"] for i in json.loads(run("resources", "stale", "--json").output)]
    assert "cedar-ford-ymca" in slugs and "ssa-millbrook" in slugs and "millbrook-public-library" not in slugs
    cfg.write_text(cfg.read_text().replace("stale_days = 30", 'stale_days = "often"'))
    r = run("resources", "stale")
    assert r.exit_code == 3 and "stale_days" in r.output


def test_categories_and_formats(run):
    out = ok(run("resources", "categories", "pantry")).output
    assert "Food Pantry" in out and "1130" in out
    assert "Warm Line" in ok(run("resources", "categories", "warm")).output
    formats = json.loads(ok(run("resources", "formats", "--json")).output)
    assert set(formats["import"]) == {"hsds-json", "hsds-csv", "ohana-csv", "xlsx"}
    assert set(formats["export"]) == {"hsds-json", "hsds-csv", "xlsx", "html"}


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from peerkit.cli import main\n"
            "try:\n    main(['resources', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('HEAVY=' + ','.join(m for m in ('openpyxl', 'jinja2', 'jsonschema', 'keyring') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "search" in out and "HEAVY=\n" in out
