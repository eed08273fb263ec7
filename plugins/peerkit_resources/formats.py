"""Importers and exporters, registered through the ``resource_importers`` and
``resource_exporters`` hooks (the built-ins below use the same hooks as an agency plugin).

Importer protocol (an object, or a plain function used as ``read``):

* ``read(path) -> Source``  -- see :class:`peerkit_resources.hsds.Source`; put HSDS 3.0
  service objects in ``source.services`` (``add_service(where, obj)``) or ready peerkit records in
  ``source.raw`` (``(where, dict)``), and say what was skipped with ``source.skip(where, why)``.
  Raise ``peerkit.errors.DataError`` naming the file and row for bad input.
* ``detect(path) -> int`` (optional): 0 when the path is not this format, higher = surer.
  Autodetection takes the highest score; a tie is an error asking for ``--format``.
* ``description`` (optional): one line for ``--help`` and docs.

Exporter protocol: ``export(resources, workspace) -> bytes | str | dict[str, bytes]`` (a dict is
a set of files, written into a folder or a .zip), with optional ``default_name`` and
``description``.  ``resources`` are validated records (dicts, see docs/resources.md).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peerkit_resources.hsds as hsds
import peerkit_resources.model as model
import peerkit_resources.schedule as sched
from peerkit.errors import DataError
from peerkit.storage import display_path


class Importer:
    def __init__(self, read: Callable[[Path], Any], detect: Callable[[Path], int] | None = None,
                 description: str = ""):
        self.read = read
        self.detect = detect or (lambda path: 0)
        self.description = description


class Exporter:
    def __init__(self, export: Callable[[list[dict], Any], Any], default_name: str, description: str = ""):
        self.export = export
        self.default_name = default_name
        self.description = description


# ============================================================================ importers


def _csv_header(path: Path) -> list[str]:
    if not path.is_file():  # a pipe named services.csv would block the open; reading it reports it
        return []
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            return [h.strip() for h in fh.readline().strip().split(",")]
    except OSError:
        return []


def _folder(path: Path) -> Path:
    return path.parent if path.is_file() and path.name == "datapackage.json" else path


def detect_json(path: Path) -> int:
    if path.is_file():
        return 10 if path.suffix.lower() == ".json" and path.name != "datapackage.json" else 0
    if path.is_dir() and any(path.glob("*.json")) and not (path / "datapackage.json").exists() \
            and not (path / "services.csv").exists():
        return 5
    return 0


def read_json(path: Path) -> hsds.Source:
    src = hsds.Source(path, "hsds-json")
    files = [path] if path.is_file() else sorted(p for p in path.glob("*.json") if p.name != "datapackage.json")
    if not files:
        raise DataError(display_path(path), "holds no .json files")
    for f in files:
        hsds.read_json_obj(src, hsds.load_json_file(f), display_path(f))
    return src


MAX_ZIP_MEMBER_BYTES = 200 * 1024 * 1024   # per file inside a package .zip
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024   # all files of a package .zip together


def _is_zip(path: Path) -> bool:
    import zipfile

    return path.is_file() and path.suffix.lower() == ".zip" and zipfile.is_zipfile(path)


def _zip_package_names(path: Path, check_sizes: bool = True) -> dict[str, str]:
    """{file name: member name} of the package's CSVs and datapackage.json inside a .zip: at
    its top level, or inside one folder (as a zipped folder is).  Nothing else is read."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(display_path(path), f"is not a readable .zip file ({type(exc).__name__})") from None
    wanted = [i for i in infos if i.filename.lower().endswith((".csv", "datapackage.json"))
              and not i.filename.startswith(("__MACOSX/", "/")) and ".." not in i.filename.split("/")]
    folders = {i.filename.rsplit("/", 1)[0] if "/" in i.filename else "" for i in wanted}
    if len(folders) > 1:
        raise DataError(display_path(path), "holds CSV files in more than one folder: zip one data "
                        "package (its CSVs and datapackage.json) per file")
    total = sum(i.file_size for i in wanted)
    big = [i for i in wanted if i.file_size > MAX_ZIP_MEMBER_BYTES]
    if check_sizes and (big or total > MAX_ZIP_TOTAL_BYTES):
        raise DataError(display_path(path), "is too large to import (more than 200 MB in one file or "
                        "1 GB in all)")
    return {i.filename.rsplit("/", 1)[-1]: i.filename for i in wanted}


def _read_zipped_package(path: Path, read_folder: Callable[[Path], hsds.Source]) -> hsds.Source:
    """Unpack a package .zip's CSVs into a private temporary folder and read that folder;
    errors name ``pkg.zip:phones.csv``, never the temporary folder."""
    import shutil
    import tempfile
    import zipfile

    names = _zip_package_names(path)
    shown = display_path(path)
    tmp = Path(tempfile.mkdtemp(prefix="peerkit-import-"))
    try:
        folder = tmp / path.stem
        folder.mkdir()
        with zipfile.ZipFile(path) as zf:
            total = 0
            for name, member in names.items():
                with zf.open(member) as src, (folder / name).open("wb") as dst:
                    written = 0
                    while chunk := src.read(1 << 20):  # the sizes a zip declares can lie
                        written += len(chunk)
                        total += len(chunk)
                        if written > MAX_ZIP_MEMBER_BYTES or total > MAX_ZIP_TOTAL_BYTES:
                            raise DataError(shown, "is too large to import (more than 200 MB in "
                                            "one file or 1 GB in all)")
                        dst.write(chunk)
        def inside(text: str) -> str:  # tmp/.../pkg/phones.csv -> pkg.zip:phones.csv
            for prefix in (str(folder), display_path(folder)):
                text = text.replace(prefix + "/", shown + ":").replace(prefix, shown)
            return text

        try:
            src_obj = read_folder(folder)
            src_obj.records()  # validate (and so report) while the files exist
        except DataError as exc:
            raise DataError(inside(str(exc))) from None
        src_obj.path = path
        src_obj.services = [(inside(w), svc) for w, svc in src_obj.services]
        src_obj.raw = [(inside(w), raw) for w, raw in src_obj.raw]
        src_obj.skipped = [{**item, "where": inside(str(item.get("where", "")))} for item in src_obj.skipped]
        return src_obj
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def detect_tabular(path: Path) -> int:
    if _is_zip(path):
        try:
            names = _zip_package_names(path, check_sizes=False)  # reading checks the sizes
        except DataError:
            return 0
        return 10 if "datapackage.json" in names else (6 if "services.csv" in names else 0)
    folder = _folder(path)
    if not folder.is_dir():
        return 0
    if (folder / "datapackage.json").exists():
        return 10
    header = _csv_header(folder / "services.csv")
    if header and "location_id" not in header and "name" in header:
        return 6
    return 0


def _is_legacy(folder: Path, tables: dict) -> bool:
    names = set(tables)
    if names & {"regular_schedules", "physical_addresses", "postal_addresses", "services_at_location",
                "services_taxonomy", "accessibility_for_disabilities", "payments_accepted", "eligibility"}:
        return True
    try:
        version = str(json.loads((folder / "datapackage.json").read_text(encoding="utf-8")).get("version", ""))
        return version.startswith(("1.", "2."))
    except (OSError, ValueError):
        return False


def read_tabular(path: Path) -> hsds.Source:
    if _is_zip(path):
        return _read_zipped_package(path, read_tabular)
    folder = _folder(path)
    if not folder.is_dir():
        raise DataError(display_path(path), "is not a folder of CSV files with datapackage.json")
    if (folder / "datapackage.json").exists():
        hsds.load_json_file(folder / "datapackage.json")  # a broken descriptor is a clear error
    tables = hsds.read_tables(folder)
    if "services" not in tables:
        raise DataError(display_path(folder), "has no services.csv: not an HSDS data package")
    legacy = _is_legacy(folder, tables)
    src = hsds.Source(folder, "hsds-csv (HSDS 1.1 layout)" if legacy else "hsds-csv")
    hsds.tabular_to_services(src, hsds.legacy_to_v3(tables) if legacy else tables, folder)
    return src


def detect_ohana(path: Path) -> int:
    if not path.is_dir() or (path / "datapackage.json").exists():
        return 0
    header = _csv_header(path / "services.csv")
    return 8 if "location_id" in header and (path / "locations.csv").exists() else 0


def read_ohana(path: Path) -> hsds.Source:
    if not path.is_dir():
        raise DataError(display_path(path), "the Ohana format is a folder of CSV files")
    tables = hsds.read_tables(path)
    if "services" not in tables or "locations" not in tables:
        raise DataError(display_path(path), "needs services.csv and locations.csv (Ohana CSV set)")
    src = hsds.Source(path, "ohana-csv")
    hsds.ohana_to_services(src, path, tables)
    return src


# ---------------------------------------------------------------------------- xlsx layout

XLSX_SHEET = "Resources"
_YES_NO: dict[Any, str] = {True: "yes", False: "no"}  # anything else (unknown): empty cell
XLSX_COLUMNS = ("slug", "name", "organization", "description", "categories", "status", "address_1",
                "address_2", "city", "state", "postal_code", "country", "county", "phones", "email",
                "url", "hours", "languages", "eligibility", "fees", "free", "accessibility",
                "how_to_apply", "notes", "last_verified", "verified_by", "hsds_organization",
                "hsds_service", "hsds_location", "hsds_service_at_location")
_PHONE_RE = __import__("re").compile(r"^(.*?)\s*\((\w+)(?::\s*(.*))?\)\s*$")


def phones_text(phones: list[dict]) -> str:
    parts = []
    for p in phones:
        num = p["number"] + (f" x{p['extension']}" if p.get("extension") else "")
        extra = p.get("type", "voice") + (f": {p['description']}" if p.get("description") else "")
        parts.append(f"{num} ({extra})")
    return "; ".join(parts)


def parse_phones(text: str) -> list[dict]:
    out = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        m = _PHONE_RE.match(part)
        number, ptype, desc = (m.group(1), m.group(2).lower(), m.group(3) or "") if m else (part, "voice", "")
        ext = ""
        mx = __import__("re").match(r"^(.*?)\s+x(\d+)$", number)
        if mx:
            number, ext = mx.group(1), mx.group(2)
        phone = {"number": number.strip(), "type": ptype if ptype in model.PHONE_TYPES else "voice",
                 "description": desc.strip()}
        if ext:
            phone["extension"] = ext
        out.append(phone)
    return out


def detect_xlsx(path: Path) -> int:
    return 10 if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm") else 0


def read_xlsx(path: Path) -> hsds.Source:
    from peerkit.excel import iter_rows, open_workbook

    wb = open_workbook(path)
    where = display_path(path)
    try:
        ws = wb[XLSX_SHEET] if XLSX_SHEET in wb.sheetnames else wb.worksheets[0]
        src = hsds.Source(path, "xlsx")
        header: list[str] = []
        for n, values in iter_rows(path, ws):
            if not header:
                header = [str(v or "").strip().lower() for v in values]
                if "name" not in header:
                    raise DataError(where, f"sheet '{ws.title}' row 1 must be a header with a 'name' column")
                continue
            row = {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]}
            if not any(v not in (None, "") for v in row.values()):
                continue
            rwhere = f"{where} sheet '{ws.title}' row {n}"
            src.raw.append((rwhere, _xlsx_raw(row, rwhere)))
            src.service_ids.add(str(row.get("hsds_service") or rwhere))
            if row.get("organization") or row.get("hsds_organization"):
                src.organizations.add(str(row.get("hsds_organization") or row.get("organization")))
            if row.get("address_1") or row.get("hsds_location"):
                src.locations.add(str(row.get("hsds_location") or rwhere))
        return src
    finally:
        wb.close()


def _cell(row: dict, key: str) -> str:
    v = row.get(key)
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _xlsx_raw(row: dict, where: str) -> dict:
    raw: dict[str, Any] = {k: _cell(row, k) for k in ("name", "organization", "description", "county",
                                                        "email", "url", "eligibility", "fees",
                                                        "accessibility", "how_to_apply", "notes",
                                                        "verified_by")}
    raw["status"] = _cell(row, "status") or "active"
    raw["categories"] = [c.strip() for c in _cell(row, "categories").split(";") if c.strip()]
    raw["languages"] = [c.strip() for c in _cell(row, "languages").replace(";", ",").split(",") if c.strip()]
    if _cell(row, "last_verified"):
        raw["last_verified"] = _cell(row, "last_verified")
    free = _cell(row, "free").lower()
    if free in ("yes", "true", "1", "y"):
        raw["free"] = True
    elif free in ("no", "false", "0", "n"):
        raw["free"] = False
    if any(_cell(row, k) for k in ("address_1", "city", "postal_code")):
        raw["address"] = {k: _cell(row, k) for k in ("address_1", "address_2", "city", "state",
                                                      "postal_code", "country")}
    raw["phones"] = parse_phones(_cell(row, "phones"))
    try:
        raw["schedules"] = sched.parse_hours(_cell(row, "hours"))
    except ValueError as exc:
        raise DataError(where, f"column 'hours': {exc}") from None
    hsds_ids = {k[5:]: _cell(row, k) for k in ("hsds_organization", "hsds_service", "hsds_location",
                                               "hsds_service_at_location") if _cell(row, k)}
    if hsds_ids:
        raw["hsds"] = hsds_ids
    return raw


# ============================================================================ exporters


def export_hsds_json(resources: list[dict], ws) -> bytes:
    services = hsds.resources_to_services(resources)
    problems = hsds.validate_services(services)
    if problems:
        raise DataError("HSDS export does not validate: " + "; ".join(problems[:5]))
    return (json.dumps(hsds.page(services), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def export_hsds_csv(resources: list[dict], ws) -> dict[str, bytes]:
    tables = hsds.flatten(hsds.resources_to_services(resources))
    problems = hsds.validate_tables(tables)
    if problems:
        raise DataError("HSDS export does not validate: " + "; ".join(problems[:5]))
    return hsds.tables_to_csv(tables)


def export_xlsx(resources: list[dict], ws) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from peerkit.excel import DATE_FORMAT, neutral_properties, set_text

    wb = Workbook()
    sheet = wb.worksheets[0]  # a new workbook has one sheet (wb.active, typed Optional)
    sheet.title = XLSX_SHEET
    for c, name in enumerate(XLSX_COLUMNS, 1):
        set_text(sheet.cell(row=1, column=c), name, f"header {name}")
    for r, res in enumerate(sorted(resources, key=lambda x: x["slug"]), 2):
        address = res.get("address") or {}
        h = res.get("hsds") or {}
        values = {
            "slug": res["slug"], "name": res["name"], "organization": res.get("organization"),
            "description": res.get("description"), "categories": "; ".join(res.get("categories", [])),
            "status": res.get("status"), **{k: address.get(k) for k in ("address_1", "address_2", "city",
                                                                        "state", "postal_code", "country")},
            "county": res.get("county"), "phones": phones_text(res.get("phones", [])),
            "email": res.get("email"), "url": res.get("url"),
            "hours": sched.format_rows(res.get("schedules", [])),
            "languages": ", ".join(res.get("languages", [])), "eligibility": res.get("eligibility"),
            "fees": res.get("fees"), "free": _YES_NO.get(res.get("free"), ""),
            "accessibility": res.get("accessibility"), "how_to_apply": res.get("how_to_apply"),
            "notes": res.get("notes"), "verified_by": res.get("verified_by"),
            **{f"hsds_{k}": h.get(k) for k in ("organization", "service", "location", "service_at_location")},
        }
        for c, name in enumerate(XLSX_COLUMNS, 1):
            cell = sheet.cell(row=r, column=c)
            if name == "last_verified":
                if res.get("last_verified"):
                    cell.value = res["last_verified"]
                    cell.number_format = DATE_FORMAT
                continue
            if values.get(name) not in (None, ""):
                set_text(cell, values[name], f"{res['slug']} column {name}")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(XLSX_COLUMNS))}{max(1, len(resources) + 1)}"
    for c, name in enumerate(XLSX_COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(c)].width = 40 if name in ("description", "notes") else 18
    neutral_properties(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_html(resources: list[dict], ws) -> str:
    from peerkit import dates
    from peerkit.templating import render

    groups: dict[str, list[dict]] = {}
    for res in sorted(resources, key=lambda r: r["name"].casefold()):
        if res.get("status") in ("inactive", "defunct"):
            continue
        view = view_of(res)
        for cat in res.get("categories") or ["Other"]:
            groups.setdefault(cat, []).append(view)
    ordered = [{"category": c, "resources": groups[c]} for c in sorted(groups, key=str.casefold)]
    agency = ws.section("agency").get("name", "") if ws is not None else ""
    context = {"groups": ordered, "agency": agency, "generated": dates.today(),
               "count": sum(1 for r in resources if r.get("status") not in ("inactive", "defunct"))}
    return render(ws, "resources/directory.html.j2", context, fmt="html")


def view_of(res: dict) -> dict:
    """A template-friendly view of a record (every key present)."""
    address = res.get("address") or {}
    line = ", ".join(x for x in (address.get("address_1"), address.get("address_2"), address.get("city"))
                     if x)
    if address:
        line += f", {address.get('state', '')} {address.get('postal_code', '')}".rstrip()
    return {
        "slug": res["slug"], "name": res["name"], "organization": res.get("organization", ""),
        "description": res.get("description", ""), "address": line, "county": res.get("county", ""),
        "phones": [{"number": p["number"], "type": p.get("type", "voice"),
                    "description": p.get("description", ""), "extension": p.get("extension", "")}
                   for p in res.get("phones", [])],
        "hours": [sched.format_row(r) + (f" ({r['description']})" if r.get("description") else "")
                  for r in res.get("schedules", [])],
        "languages": res.get("languages", []), "eligibility": res.get("eligibility", ""),
        "fees": res.get("fees", "") or ("Free" if res.get("free") else ""),
        "accessibility": res.get("accessibility", ""), "how_to_apply": res.get("how_to_apply", ""),
        "email": res.get("email", ""), "url": res.get("url", ""), "status": res.get("status", "active"),
        "last_verified": res["last_verified"].isoformat() if res.get("last_verified") else "",
        "categories": res.get("categories", []),
    }


def builtin_importers() -> dict[str, Importer]:
    return {
        "hsds-json": Importer(read_json, detect_json,
                              "HSDS 3.0 JSON: a service, an organization, a service_at_location, a list "
                              "page, or a folder of them"),
        "hsds-csv": Importer(read_tabular, detect_tabular,
                             "HSDS tabular data package: folder (or .zip) with datapackage.json and "
                             "CSVs (3.0 layout or the legacy 1.1 layout)"),
        "ohana-csv": Importer(read_ohana, detect_ohana, "Ohana API CSV set (organizations, locations, "
                                                         "services, addresses, phones, regular_schedules)"),
        "xlsx": Importer(read_xlsx, detect_xlsx, "peerkit's own spreadsheet layout (resources export --format xlsx)"),
    }


def builtin_exporters() -> dict[str, Exporter]:
    return {
        "hsds-json": Exporter(export_hsds_json, "resources-hsds.json",
                              "HSDS 3.0 JSON list page of nested services (validated)"),
        "hsds-csv": Exporter(export_hsds_csv, "resources-hsds",
                             "HSDS 3.0 tabular data package: a folder (or .zip) of CSVs + datapackage.json"),
        "xlsx": Exporter(export_xlsx, "resources.xlsx", "spreadsheet, one row per resource (re-importable)"),
        "html": Exporter(export_html, "resources.html", "printable directory grouped by category"),
    }
