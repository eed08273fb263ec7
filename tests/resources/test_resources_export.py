"""Export: HSDS JSON/CSV validate against the bundled 3.0 schemas, keep ids; xlsx; printable HTML."""
import csv
import io
import json
import uuid
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).resolve().parents[2] / "plugins" / "peerkit_resources" / "data" / "hsds-3.0" / "schema"


def schema_validator(name):
    schemas = {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.json") if p.name != "openapi.json"}
    registry = Registry().with_resources((n, Resource.from_contents(s, default_specification=DRAFT202012))
                                         for n, s in schemas.items())
    cls = jsonschema.Draft202012Validator
    return cls(schemas[f"{name}.json"], registry=registry, format_checker=cls.FORMAT_CHECKER)


def export(run, fmt, out):
    result = run("resources", "export", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_schema_check_is_real():
    bad = {"id": "not-a-uuid", "name": "x", "status": "maybe"}
    errors = list(schema_validator("service").iter_errors(bad))
    assert {e.validator for e in errors} >= {"format", "enum"}


def test_round_trip_hsds_json_keeps_ids_names_phones_schedules(run_empty, fx, tmp_path):
    source = json.loads((fx / "openreferral-hsds-3.0/examples/service_full.json").read_text())
    assert run_empty("resources", "import", str(fx / "openreferral-hsds-3.0/examples/service_full.json")).exit_code == 0
    page = json.loads(export(run_empty, "hsds-json", tmp_path / "out.json").read_text())
    assert page["total_items"] == 1 and page["contents"]
    svc = page["contents"][0]
    v = schema_validator("service")
    assert list(v.iter_errors(svc)) == []
    assert svc["id"] == source["id"] and svc["name"] == source["name"]
    assert svc["organization"]["id"] == source["organization"]["id"]
    assert svc["organization"]["name"] == source["organization"]["name"]
    sal, src_sal = svc["service_at_locations"][0], source["service_at_locations"][0]
    assert sal["id"] == src_sal["id"] and sal["location"]["id"] == src_sal["location"]["id"]
    assert sal["location"]["addresses"][0]["id"] == src_sal["location"]["addresses"][0]["id"]
    assert [(p["id"], p["number"], p.get("extension")) for p in svc["phones"]] == \
        [(p["id"], p["number"], p["extension"]) for p in source["phones"]]
    want = source["schedules"][0]
    got = svc["schedules"][0]
    assert (got["id"], got["freq"], got["byday"], got["opens_at"], got["closes_at"], got["valid_from"],
            got["valid_to"]) == (want["id"], want["freq"], want["byday"], "10:00", "18:00",
                                 want["valid_from"], want["valid_to"])
    assert svc["assured_date"] == source["assured_date"]


def test_round_trip_through_peerkit_twice_is_stable(run_empty, empty_ws, fx, tmp_path, other_ws):
    run_empty("resources", "import", str(fx / "openreferral-sample-HSDS-datapackage-1.1/all_resources"))
    first = export(run_empty, "hsds-json", tmp_path / "a.json").read_text()
    # import our own export into a fresh workspace, export again: identical
    other, run2 = other_ws
    assert run2("resources", "import", str(tmp_path / "a.json")).exit_code == 0
    second = export(run2, "hsds-json", tmp_path / "b.json").read_text()
    assert json.loads(first) == json.loads(second)


def test_resources_without_ids_get_stable_uuid5(run, tmp_path):
    a = json.loads(export(run, "hsds-json", tmp_path / "a.json").read_text())
    b = json.loads(export(run, "hsds-json", tmp_path / "b.json").read_text())
    assert a == b
    ids = {s["name"]: s["id"] for s in a["contents"]}
    from peerkit_resources.model import NAMESPACE

    expected = uuid.uuid5(NAMESPACE, "millbrook-community-food-pantry:service")
    assert ids["Millbrook Community Food Pantry"] == str(expected)
    v = schema_validator("service")
    for svc in a["contents"]:
        assert list(v.iter_errors(svc)) == [], svc["name"]
    pantry = next(s for s in a["contents"] if s["name"] == "Millbrook Community Food Pantry")
    term = pantry["attributes"][0]["taxonomy_term"]
    assert term["name"] == "Food Pantry" and term["code"] == "1130" and term["taxonomy"] == "Open Eligibility"
    assert [r["byday"] for r in pantry["schedules"]] == ["TU", "TH"]
    crisis = next(s for s in a["contents"] if s["name"].startswith("Haw River Mobile Crisis"))
    assert (crisis["schedules"][0]["opens_at"], crisis["schedules"][0]["closes_at"]) == ("19:00", "07:00")


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_hsds_csv_package_validates_and_round_trips(run, ws_path, tmp_path, other_ws):
    out = export(run, "hsds-csv", tmp_path / "pkg")
    desc = json.loads((out / "datapackage.json").read_text())
    assert desc["profile"] == "tabular-data-package" and desc["version"] == "3.0.0"
    assert {Path(r["path"]).name for r in desc["resources"]} == {p.name for p in out.glob("*.csv")}
    services = read_csv(out / "services.csv")
    assert len(services) == 9
    for table, schema in (("services", "service"), ("organizations", "organization"), ("phones", "phone"),
                          ("schedules", "schedule"), ("addresses", "address"), ("locations", "location")):
        v = schema_validator(schema)
        for row in read_csv(out / f"{table}.csv"):
            obj = {k: val for k, val in row.items() if val != ""}
            if "extension" in obj:
                obj["extension"] = int(obj["extension"])
            if "interval" in obj:
                obj["interval"] = int(obj["interval"])
            assert list(v.iter_errors(obj)) == [], (table, row["id"])
    # the package imports back with the same ids
    other, run2 = other_ws
    report = json.loads(run2("resources", "import", str(out), "--json").output)
    assert len(report["added"]) == 9
    back = json.loads(run2("resources", "search", "pantry", "--json").output)
    assert back[0]["name"] == "Millbrook Community Food Pantry" and back[0]["phone"] == "919-555-0180"
    from peerkit_resources import model

    res = model.read_path(other / "resources" / "millbrook-community-food-pantry.toml")
    assert res["hsds"]["service"] == next(s["id"] for s in services if s["name"] == res["name"])
    orig = model.read_path(ws_path / "resources" / "millbrook-community-food-pantry.toml")
    assert [(r["freq"], r["byday"], r["opens_at"], r["closes_at"]) for r in res["schedules"]] == \
        [(r["freq"], r["byday"], r["opens_at"], r["closes_at"]) for r in orig["schedules"]]
    assert [(p["number"], p["type"]) for p in res["phones"]] == [(p["number"], p["type"]) for p in orig["phones"]]
    assert res["categories"] == orig["categories"] and res["county"] == orig["county"]
    assert res["address"] == orig["address"] and res["free"] is True


def test_csv_and_zip_neutralise_formulas(run, ws_path, tmp_path, other_ws):
    path = ws_path / "resources" / "millbrook-community-food-pantry.toml"
    path.write_text(path.read_text().replace('description = "Free groceries',
                                             'description = "=HYPERLINK(1)Free groceries'))
    out = export(run, "hsds-csv", tmp_path / "pkg")
    rows = read_csv(out / "services.csv")
    desc = next(r["description"] for r in rows if r["name"] == "Millbrook Community Food Pantry")
    assert desc.startswith("'=HYPERLINK")
    # our own CSV reads back without the apostrophe
    other, run2 = other_ws
    run2("resources", "import", str(out))
    from peerkit_resources import model

    res = model.read_path(other / "resources" / "millbrook-community-food-pantry.toml")
    assert res["description"].startswith("=HYPERLINK")
    zipped = export(run, "hsds-csv", tmp_path / "pkg.zip")
    import zipfile

    with zipfile.ZipFile(zipped) as zf:
        assert "datapackage.json" in zf.namelist() and "services.csv" in zf.namelist()


def test_xlsx_export_is_safe_and_reimports(run, ws_path, tmp_path, other_ws):
    import openpyxl

    path = ws_path / "resources" / "millbrook-public-library.toml"
    path.write_text(path.read_text().replace('notes = "Good meeting', 'notes = "@SUM(A1) Good meeting'))
    out = export(run, "xlsx", tmp_path / "dir.xlsx")
    wb = openpyxl.load_workbook(out)
    sheet = wb["Resources"]
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("slug")].value: r for r in sheet.iter_rows(min_row=2)}
    lib = rows["millbrook-public-library"]
    notes = lib[header.index("notes")]
    assert notes.value.startswith("@SUM") and notes.data_type == "s" and notes.quotePrefix
    assert lib[header.index("hours")].value == "MO-TH 09:00-20:00; FR,SA 09:00-17:00"
    assert lib[header.index("last_verified")].value.date().isoformat() == "2026-11-10"
    assert sheet.freeze_panes == "A2"
    other, run2 = other_ws
    report = json.loads(run2("resources", "import", str(out), "--json").output)
    assert len(report["added"]) == 9
    from peerkit_resources import model

    back = model.read_path(other / "resources" / "millbrook-public-library.toml")
    orig = model.read_path(path)
    for key in ("name", "organization", "categories", "languages", "address", "free", "last_verified"):
        assert back[key] == orig[key], key
    assert [(p["number"], p["type"]) for p in back["phones"]] == [(p["number"], p["type"]) for p in orig["phones"]]
    assert [(r["byday"], r["opens_at"], r["closes_at"]) for r in back["schedules"]] == \
        [(r["byday"], r["opens_at"], r["closes_at"]) for r in orig["schedules"]]


def test_html_directory_grouped_by_category_and_escaped(run, ws_path, tmp_path):
    path = ws_path / "resources" / "millbrook-community-food-pantry.toml"
    path.write_text(path.read_text()
                    .replace('notes = "Thursday', 'how_to_apply = "<script>x</script>"\nnotes = "Thursday')
                    .replace('how_to_apply = "Bring any ID; first visit takes 10 minutes to register."\n', ''))
    html = export(run, "html", tmp_path / "dir.html").read_text()
    assert "Content-Security-Policy" in html
    assert "<script>x" not in html and "&lt;script&gt;" in html
    assert html.index("<h2>Food Pantry</h2>") < html.index("<h2>Support Groups</h2>")
    section = html.split("<h2>Food Pantry</h2>")[1].split("<h2>")[0]
    assert "Millbrook Community Food Pantry" in section and "919-555-0180" in section
    assert "TU 10:00-13:00" in section
    assert "Call before you go" in html


def test_unknown_export_format(run):
    result = run("resources", "export", "--format", "pdf")
    assert result.exit_code == 2 and "unknown export format" in result.output


def test_hook_resource_exporters(run, register_plugin, tmp_path):
    from peerkit import hookimpl

    class Plugin:
        @hookimpl
        def resource_exporters(self):
            return {"names": lambda resources, ws: "\n".join(sorted(r["name"] for r in resources)) + "\n"}

    register_plugin(Plugin(), name="names_plugin")
    out = export(run, "names", tmp_path / "names.txt")
    assert out.read_text().splitlines()[0] == "Bridgeway Supportive Housing"


# ---------------------------------------------------------------------------- issue 20


def _resources(folder):
    from peerkit_resources import model

    return {p.stem: model.read_path(p) for p in sorted((folder / "resources").glob("*.toml"))}


def test_hsds_csv_zip_round_trip_keeps_organization_phones(run_empty, empty_ws, fx, tmp_path, other_ws):
    # the HSDS 1.1 sample gives two phones at organization level (ids shared by its services)
    src = fx / "openreferral-sample-HSDS-datapackage-1.1" / "all_resources"
    assert run_empty("resources", "import", str(src)).exit_code == 0
    before = _resources(empty_ws)
    shared = [slug for slug, r in before.items()
              if {p.get("id") for p in r.get("phones", [])} >= {"7ed24899-52fb-4e7b-9e25-8d665bec23ea",
                                                                 "83c0ec7b-7d81-4371-b25a-037c006d33a0"}]
    assert len(shared) >= 2, shared  # the case of the issue: phone ids shared across services

    pkg = export(run_empty, "hsds-csv", tmp_path / "pkg.zip")
    import zipfile

    assert {"datapackage.json", "phones.csv", "services.csv"} <= set(zipfile.ZipFile(pkg).namelist())
    rows = list(csv.DictReader(io.StringIO(zipfile.ZipFile(pkg).read("phones.csv").decode())))
    org_rows = [r for r in rows if r["id"] in ("7ed24899-52fb-4e7b-9e25-8d665bec23ea",
                                               "83c0ec7b-7d81-4371-b25a-037c006d33a0")]
    assert len(org_rows) == 2 and all(r["organization_id"] and not r["service_id"] for r in org_rows)

    other, run2 = other_ws
    result = run2("resources", "import", str(pkg), "--json")
    assert result.exit_code == 0, result.output
    assert _resources(other) == before


def test_hsds_csv_zip_errors_name_the_zip_not_a_temporary_folder(run, ws_path, tmp_path, other_ws):
    import zipfile

    pkg = export(run, "hsds-csv", tmp_path / "pkg.zip")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(pkg) as zin, zipfile.ZipFile(broken, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "datapackage.json":
                data = b"{not json"
            zout.writestr(name, data)
    other, run2 = other_ws
    result = run2("resources", "import", str(broken))
    assert result.exit_code == 3, result.output
    assert "broken.zip:datapackage.json" in result.output and "peerkit-import-" not in result.output
    assert "Traceback" not in result.output
    assert list((other / "resources").glob("*.toml")) == []


def test_zip_member_larger_than_declared_limit_is_refused(run, ws_path, tmp_path, other_ws, monkeypatch):
    from peerkit_resources import formats

    pkg = export(run, "hsds-csv", tmp_path / "pkg.zip")
    monkeypatch.setattr(formats, "MAX_ZIP_MEMBER_BYTES", 64)  # a small limit stands in for 200 MB
    other, run2 = other_ws
    result = run2("resources", "import", str(pkg))
    assert result.exit_code == 3 and "pkg.zip: is too large to import" in result.output
    assert list((other / "resources").glob("*.toml")) == []



def test_zip_member_that_grows_past_its_declared_size_is_refused(run, ws_path, tmp_path, other_ws,
                                                                  monkeypatch):
    from peerkit_resources import formats

    pkg = export(run, "hsds-csv", tmp_path / "pkg.zip")
    real = formats._zip_package_names
    monkeypatch.setattr(formats, "_zip_package_names",
                        lambda path, check_sizes=True: real(path, check_sizes=False))  # sizes "lie"
    monkeypatch.setattr(formats, "MAX_ZIP_MEMBER_BYTES", 64)
    other, run2 = other_ws
    result = run2("resources", "import", str(pkg))
    assert result.exit_code == 3 and "pkg.zip: is too large to import" in result.output
    assert list((other / "resources").glob("*.toml")) == []
