"""Import: every sample in fixtures/, counts, merging, and malformed input that writes nothing."""
import json
import shutil

import pytest

from peerkit_resources import model


def do_import(run, path, *extra):
    result = run("resources", "import", str(path), "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def resource_files(ws):
    return sorted(p.name for p in (ws / "resources").glob("*.toml"))


SAMPLES = [
    # path under fixtures, format, organizations, services, locations, resources added
    ("openreferral-hsds-3.0/examples", "hsds-json", 1, 1, 1, 1),
    ("openreferral-hsds-3.0/examples/csv", "hsds-csv", 1, 1, 1, 1),
    ("openreferral-hsds-3.0/examples/service_full.json", "hsds-json", 1, 1, 1, 1),
    ("openreferral-hsds-3.0/examples/organization_full.json", "hsds-json", 1, 1, 1, 1),
    ("openreferral-hsds-3.0/examples/service_at_location_full.json", "hsds-json", 1, 1, 1, 1),
    ("openreferral-hsds-3.0/examples/service_list.json", "hsds-json", 1, 1, 0, 1),
    ("openreferral-hsds-3.0/examples/service_at_location_list.json", "hsds-json", 1, 1, 1, 1),
    ("openreferral-hsds-3.0/examples/organization_list.json", "hsds-json", 1, 0, 0, 0),
    ("openreferral-hsds-3.0/examples/tabular.json", "hsds-json", 1, 1, 1, 1),
    ("openreferral-hsds-3.0/examples/location.json", "hsds-json", 0, 0, 1, 0),
    ("openreferral-hsds-3.0/field-guidance/schedules", "hsds-csv", 0, 1, 0, 1),
    ("openreferral-hsds-3.0/field-guidance/attributes", "hsds-csv", 0, 2, 0, 2),
    ("openreferral-hsds-3.0/field-guidance/metadata", "hsds-csv", 0, 1, 0, 1),
    ("openreferral-hsds-3.0/field-guidance/schedules/services.json", "hsds-json", 0, 1, 0, 1),
    ("openreferral-hsds-3.1-dev/examples", "hsds-json", 1, 1, 1, 1),
    ("openreferral-hsds-3.1-dev/examples/csv", "hsds-csv", 1, 1, 1, 1),
    ("openreferral-hsds-3.1-dev/field-guidance/attributes", "hsds-csv", 0, 2, 0, 2),
    ("openreferral-sample-HSDS-datapackage-1.1/all_resources", "hsds-csv (HSDS 1.1 layout)", 10, 13, 10, 13),
    ("ohana-api-san-mateo-sample-csv", "ohana-csv", 8, 23, 22, 23),
]


@pytest.mark.parametrize("rel,fmt,orgs,services,locations,added", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_every_sample_imports(run_empty, empty_ws, fx, rel, fmt, orgs, services, locations, added):
    report = do_import(run_empty, fx / rel)
    assert report["format"] == fmt
    assert (report["organizations"], report["services"], report["locations"]) == (orgs, services, locations)
    assert len(report["added"]) == added
    assert len(resource_files(empty_ws)) == added


def test_every_json_and_csv_folder_in_fixtures_imports(run_empty, fx):
    """Nothing in the sample folders fails: every .json file and every CSV folder."""
    for path in sorted(fx.rglob("*.json")):
        if path.name in ("datapackage.json", "openapi.json") or path.parent.name == "schema" \
                or path.parent.name == "open-eligibility-taxonomy":
            continue
        result = run_empty("resources", "import", str(path), "--dry-run", "--json")
        assert result.exit_code == 0, (path, result.output)
    for folder in sorted({p.parent for p in fx.rglob("services.csv")}):
        result = run_empty("resources", "import", str(folder), "--dry-run", "--json")
        assert result.exit_code == 0, (folder, result.output)


def test_hsds_30_service_fields(run_empty, empty_ws, fx):
    do_import(run_empty, fx / "openreferral-hsds-3.0/examples/service_full.json")
    res = model.read_path(empty_ws / "resources" / "community-counselling.toml")
    assert res["organization"] == "Example Organization Inc."
    assert res["hsds"] == {"organization": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
                           "service": "ac148810-d857-441c-9679-408f346de14b",
                           "location": "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
                           "service_at_location": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                           "address": "74706e55-df26-4b84-80fe-ecc30b5befb4",
                           "program": "e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42"}
    assert res["address"]["city"] == "MyCity" and res["address"]["state"] == "MyState"
    assert res["phones"][0]["id"] == "1554f2e2-a373-45db-a3fa-9fc48a61c15e"
    assert res["schedules"][0]["byday"] == "TH,FR"
    assert res["languages"] == ["Urdu"]
    assert str(res["last_verified"]) == "2005-01-01"


def test_legacy_11_schedules_and_languages(run_empty, empty_ws, fx):
    do_import(run_empty, fx / "openreferral-sample-HSDS-datapackage-1.1/all_resources")
    res = model.read_path(empty_ws / "resources" / "never-homeless-helpline.toml")
    assert [r["byday"] for r in res["schedules"]] == ["MO", "TU", "WE"]
    assert set(res["languages"]) == {"English", "Spanish"}
    assert res["address"]["postal_code"] == "10001"
    assert res["eligibility"] == "adult"


def test_ohana_real_listing_details(run_empty, empty_ws, fx):
    do_import(run_empty, fx / "ohana-api-san-mateo-sample-csv")
    res = model.read_path(empty_ws / "resources" / "fair-oaks-adult-activity-center.toml")
    assert res["organization"] == "Peninsula Family Service"
    assert res["address"]["city"] == "Redwood City"
    assert "650 780-7525" in [p["number"] for p in res["phones"]]
    assert {"number": "650 701-0856", "type": "fax", "description": ""} in res["phones"]
    assert res["hsds"]["foreign"] == {"location": "1", "organization": "1", "service": "1"}
    assert res["last_verified"] is None   # 2015 data: never shown as verified


def test_reimport_merges_instead_of_doubling(run_empty, empty_ws, fx):
    first = do_import(run_empty, fx / "ohana-api-san-mateo-sample-csv")
    again = do_import(run_empty, fx / "ohana-api-san-mateo-sample-csv")
    assert len(first["added"]) == 23 and again["added"] == [] and again["merged"] == []
    dupes = [s for s in again["skipped"] if s.get("into")]
    assert len(dupes) == 23 and "same source ids" in dupes[0]["reason"]
    assert len(resource_files(empty_ws)) == 23


def test_same_service_from_several_files_is_merged(run_empty, empty_ws, fx):
    report = do_import(run_empty, fx / "openreferral-hsds-3.0/examples")
    assert len(report["added"]) == 1
    reasons = {s["reason"] for s in report["skipped"]}
    assert any("same HSDS ids" in r for r in reasons)
    assert any("not a resource" in r for r in reasons)   # taxonomy files are skipped, with why


def _write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")


def test_duplicate_by_name_and_address_and_by_phone(run, ws_path, tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _write_csv(pkg / "services.csv", ["id", "name", "status"], [
        ["11111111-1111-4111-8111-111111111111", "Millbrook Community Food Pantry", "active"],
        ["22222222-2222-4222-8222-222222222222", "Millbrook Food Pantry", "active"],
        ["33333333-3333-4333-8333-333333333333", "Tax Help Clinic", "active"]])
    _write_csv(pkg / "locations.csv", ["id", "location_type"], [["44444444-4444-4444-8444-444444444444", "physical"]])
    _write_csv(pkg / "service_at_location.csv", ["id", "service_id", "location_id"],
               [["55555555-5555-4555-8555-555555555555", "11111111-1111-4111-8111-111111111111",
                 "44444444-4444-4444-8444-444444444444"]])
    _write_csv(pkg / "addresses.csv", ["id", "location_id", "address_1", "city", "state_province", "postal_code",
                                       "country", "address_type"],
               [["66666666-6666-4666-8666-666666666666", "44444444-4444-4444-8444-444444444444", "130 Depot St",
                 "Millbrook", "NC", "27340", "US", "physical"]])
    _write_csv(pkg / "phones.csv", ["id", "service_id", "number", "type"], [
        ["77777777-7777-4777-8777-777777777777", "22222222-2222-4222-8222-222222222222", "(919) 555-0180", "voice"],
        ["88888888-8888-4888-8888-888888888888", "33333333-3333-4333-8333-333333333333", "919.555.0180", "voice"]])
    report = do_import(run, pkg)
    merged = {m["where"].split()[-1]: (m["into"], m.get("match", m["reason"]))
              for m in report["merged"] + report["skipped"]}
    # row 2: same name and address (Depot St / Depot Street, same ZIP)
    assert merged["2"] == ("millbrook-community-food-pantry", "same name and address")
    # row 3: same phone and a similar name
    assert merged["3"] == ("millbrook-community-food-pantry", "same phone and a similar name")
    # row 4: same phone but a different service: not a duplicate (organisations share switchboards)
    assert [a["slug"] for a in report["added"]] == ["tax-help-clinic"]
    res = model.read_path(ws_path / "resources" / "millbrook-community-food-pantry.toml")
    assert res["hsds"]["service"] == "11111111-1111-4111-8111-111111111111"   # ids filled in by the merge
    assert "# Fictional example." in (ws_path / "resources" / "millbrook-community-food-pantry.toml").read_text()


# ---------------------------------------------------------------------------- malformed input


def assert_clean_failure(result, code=3):
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    return errors[0]


def test_csv_row_without_name_writes_nothing(run, ws_path, fx, tmp_path, snapshot):
    pkg = tmp_path / "pkg"
    shutil.copytree(fx / "ohana-api-san-mateo-sample-csv", pkg)
    lines = (pkg / "services.csv").read_text().splitlines(keepends=True)
    header = lines[0].split(",")
    import csv
    import io
    rows = list(csv.reader(io.StringIO("".join(lines))))
    rows[5][header.index("name")] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (pkg / "services.csv").write_text(buf.getvalue())
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(pkg)))
    assert "services.csv row 6" in error and "field 'name': is required but missing" in error
    assert snapshot(ws_path) == before


def test_missing_required_address_field_names_file_and_row(run, ws_path, fx, tmp_path, snapshot):
    pkg = tmp_path / "pkg"
    shutil.copytree(fx / "openreferral-hsds-3.0/examples/csv", pkg)
    text = (pkg / "addresses.csv").read_text().replace("MyCity,", ",", 1)
    (pkg / "addresses.csv").write_text(text)
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(pkg)))
    assert "addresses.csv row 2" in error and "field 'city'" in error
    assert snapshot(ws_path) == before


def test_json_service_without_name(run, ws_path, tmp_path, snapshot):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"contents": [{"id": "11111111-1111-4111-8111-111111111111", "name": "Ok",
                                             "status": "active"},
                                            {"id": "22222222-2222-4222-8222-222222222222", "status": "active",
                                             "description": "no name", "organization": {"name": "Org"}}],
                               "total_items": 2}))
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(bad)))
    assert "bad.json contents[2]" in error and "field 'name'" in error
    assert snapshot(ws_path) == before


def test_broken_json(run, ws_path, tmp_path, snapshot):
    bad = tmp_path / "broken.json"
    bad.write_text('{"name": "Food pantry", "status": "active",\n  "phones": [\n')
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(bad)))
    assert "broken.json" in error and "not valid JSON" in error
    assert snapshot(ws_path) == before


def test_json_with_a_byte_order_mark_imports(run_empty, empty_ws, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"name": "Caf\u00e9 Meals", "status": "active"}).encode())
    do_import(run_empty, path)
    assert model.read_path(empty_ws / "resources" / "cafe-meals.toml")["name"] == "Caf\u00e9 Meals"


def test_json_not_utf8_names_the_file(run, ws_path, tmp_path, snapshot):
    bad = tmp_path / "latin.json"
    bad.write_bytes('{"name": "Caf\u00e9 Meals"}'.encode("latin-1"))
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(bad)))
    assert "latin.json" in error and "not UTF-8 text; save it as UTF-8" in error
    assert snapshot(ws_path) == before


def test_csv_saved_as_windows_1252_imports(run_empty, empty_ws, tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "services.csv").write_bytes("id,name,status\r\n1,Caf\u00e9 Meals \u2013 Eastside,active\r\n"
                                       .encode("cp1252"))
    do_import(run_empty, pkg)
    res = model.read_path(empty_ws / "resources" / "cafe-meals-eastside.toml")
    assert res["name"] == "Caf\u00e9 Meals \u2013 Eastside"


def test_csv_in_neither_utf8_nor_windows_1252(run, ws_path, tmp_path, snapshot):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "services.csv").write_bytes(b"id,name,status\r\n1,Meals \x81\xff,active\r\n")
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(pkg)))
    assert "services.csv" in error and "not UTF-8 text; save it as UTF-8 CSV" in error
    assert snapshot(ws_path) == before


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_pipe_named_like_a_table_never_blocks(run, ws_path, tmp_path, snapshot):
    """Regression: detection opened services.csv and waited forever when it was a named pipe."""
    import os

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    os.mkfifo(pkg / "services.csv")
    before = snapshot(ws_path)
    assert "format not recognised" in assert_clean_failure(run("resources", "import", str(pkg)), code=2)
    error = assert_clean_failure(run("resources", "import", str(pkg), "--format", "hsds-csv"))
    assert "services.csv" in error and "is not a regular file" in error
    assert snapshot(ws_path) == before


def test_unknown_format_and_missing_path(run, tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    assert_clean_failure(run("resources", "import", str(odd)), code=2)
    assert "format not recognised" in run("resources", "import", str(odd)).output
    assert_clean_failure(run("resources", "import", str(tmp_path / "nope")))
    assert_clean_failure(run("resources", "import", str(odd), "--format", "nope"), code=2)


def test_corrupt_xlsx(run, ws_path, tmp_path, snapshot):
    bad = tmp_path / "dir.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(bad)))
    assert "dir.xlsx" in error
    assert snapshot(ws_path) == before


def test_dry_run_writes_nothing(run, ws_path, fx, snapshot):
    before = snapshot(ws_path)
    report = do_import(run, fx / "ohana-api-san-mateo-sample-csv", "--dry-run")
    assert len(report["added"]) == 23
    assert snapshot(ws_path) == before


def test_text_report(run, fx):
    result = run("resources", "import", str(fx / "openreferral-sample-HSDS-datapackage-1.1/all_resources"))
    assert result.exit_code == 0
    assert "10 organizations, 13 services, 10 locations -> 13 records: 13 added, 0 merged, 0 skipped" in result.output


def test_hook_resource_importers(run, register_plugin, tmp_path):
    from peerkit import hookimpl
    from peerkit_resources.hsds import Source

    class LinesFormat:
        description = "one resource name per line"

        @staticmethod
        def detect(path):
            return 20 if path.suffix == ".lines" else 0

        @staticmethod
        def read(path):
            src = Source(path, "lines")
            for n, line in enumerate(path.read_text().splitlines(), 1):
                src.raw.append((f"{path.name} line {n}", {"name": line, "categories": ["Food Pantry"]}))
            return src

    class Plugin:
        @hookimpl
        def resource_importers(self):
            return {"lines": LinesFormat()}

    register_plugin(Plugin(), name="lines_plugin")
    f = tmp_path / "x.lines"
    f.write_text("Eastside Pantry\nWestside Pantry\n")
    report = do_import(run, f)
    assert report["format"] == "lines" and [a["slug"] for a in report["added"]] == ["eastside-pantry",
                                                                                     "westside-pantry"]


def test_xlsx_row_without_name(run, ws_path, tmp_path, snapshot):
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Resources"
    sheet.append(["name", "county", "phones", "hours"])
    sheet.append(["Eastside Pantry", "Haw River County", "919-555-0101 (voice)", "TU 10:00-12:00"])
    sheet.append([None, "Haw River County", "919-555-0102", "WE 10:00-12:00"])
    path = tmp_path / "dir.xlsx"
    wb.save(path)
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(path)))
    assert "dir.xlsx sheet 'Resources' row 3" in error and "field 'name'" in error
    assert snapshot(ws_path) == before


def test_xlsx_formula_refused(run, ws_path, tmp_path, snapshot):
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.append(["name", "notes"])
    sheet.append(["Eastside Pantry", "=1+1"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    before = snapshot(ws_path)
    error = assert_clean_failure(run("resources", "import", str(path)))
    assert "B2" in error and "formula" in error
    assert snapshot(ws_path) == before
