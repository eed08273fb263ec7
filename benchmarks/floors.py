"""The floors: what the libraries underneath cost on the same data (run as child processes).

    python benchmarks/floors.py parse PARSER FILELIST        read + parse every file in FILELIST
    python benchmarks/floors.py rows-from-xlsx XLSX PICKLE    the cells of every sheet of a workbook
    python benchmarks/floors.py rows-from-notes FILELIST PICKLE   note rows when there is no export yet
    python benchmarks/floors.py write WRITER PICKLE OUT.xlsx  write those rows from memory

Each prints one JSON line: ``{"seconds": <time of the measured part only>, ...}``.  The
parent (run.py) also times the whole process and reads its peak memory.
This file imports nothing at module level beyond the standard library, so the ``parse``
floor pays only for Python's start-up and the parser's own import.
"""
from __future__ import annotations

import json
import sys
import time

PARSERS = ("rtoml", "toml_rs", "tomli", "tomllib")
WRITERS = ("openpyxl-write-only", "xlsxwriter", "xlsxwriter-constant-memory")


def loader(name: str):
    """A ``bytes -> dict`` function for the parser ``name`` (ImportError if not installed)."""
    if name == "tomllib":
        import tomllib
        return lambda b: tomllib.loads(b.decode("utf-8"))
    if name == "tomli":
        import tomli
        return lambda b: tomli.loads(b.decode("utf-8"))
    if name == "rtoml":
        import rtoml
        return lambda b: rtoml.loads(b.decode("utf-8"))
    if name == "toml_rs":
        import toml_rs
        return lambda b: toml_rs.loads(b.decode("utf-8"))
    raise ValueError(f"unknown parser {name}")


def writer_available(name: str) -> bool:
    try:
        if name.startswith("xlsxwriter"):
            import xlsxwriter  # noqa: F401
        else:
            import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def parse(parser: str, filelist: str) -> dict:
    load = loader(parser)
    with open(filelist, encoding="utf-8") as fh:
        files = [line for line in fh.read().splitlines() if line]
    t0 = time.perf_counter()
    total = 0
    for path in files:
        with open(path, "rb") as fh:
            data = fh.read()
        total += len(data)
        load(data)
    return {"seconds": time.perf_counter() - t0, "files": len(files), "bytes": total}


def rows_from_xlsx(xlsx: str, out: str) -> dict:
    """Every sheet's cells as Python values (calamine when installed: much faster to read)."""
    import pickle

    t0 = time.perf_counter()
    sheets: list[tuple[str, list[list]]] = []
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(xlsx)
        for name in wb.sheet_names:
            sheets.append((name, [list(r) for r in wb.get_sheet_by_name(name).to_python()]))
        reader = "calamine"
    except ImportError:
        import openpyxl

        wb = openpyxl.load_workbook(xlsx, read_only=True)
        for ws in wb.worksheets:
            sheets.append((ws.title, [list(r) for r in ws.iter_rows(values_only=True)]))
        wb.close()
        reader = "openpyxl"
    with open(out, "wb") as fh:
        pickle.dump(sheets, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {"seconds": time.perf_counter() - t0, "reader": reader,
            "rows": sum(len(r) for _, r in sheets), "sheets": len(sheets)}


NOTE_COLUMNS = ("workspace", "id", "client", "date", "start", "end", "minutes", "code", "modifier",
                "group_size", "place", "location", "goals", "purpose", "intervention", "response", "plan",
                "status", "author", "signed_at", "late_entry")


def rows_from_notes(filelist: str, out: str) -> dict:
    """Rows like a note export's (one per note), when `note export` does not exist yet."""
    import pickle
    from pathlib import Path

    load = None
    for name in PARSERS:
        try:
            load = loader(name)
            break
        except ImportError:
            continue
    t0 = time.perf_counter()
    rows: list[list] = [list(NOTE_COLUMNS)]
    with open(filelist, encoding="utf-8") as fh:
        files = [line for line in fh.read().splitlines() if line]
    for path in files:
        with open(path, "rb") as fh:
            n = load(fh.read())
        ws = Path(path).parents[3].name
        start, end = n["start"], n["end"]
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        rows.append([ws, n["id"], n["client"], n["date"], start.strftime("%H:%M"), end.strftime("%H:%M"),
                     minutes, n["code"], n.get("modifier", ""), n.get("group_size", 0), n.get("place", ""),
                     n.get("location", ""), ", ".join(n.get("goals", [])), n.get("purpose", ""),
                     n.get("intervention", ""), n.get("response", ""), n.get("plan", ""), n["status"],
                     n.get("author", ""), n.get("signed_at") or "", n.get("late_entry", False)])
    with open(out, "wb") as fh:
        pickle.dump([("notes", rows)], fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {"seconds": time.perf_counter() - t0, "rows": len(rows), "sheets": 1}


def write(writer: str, pickled: str, out: str) -> dict:
    """Write the pickled rows (loaded first, untimed) as an xlsx; time the writing only."""
    import gc
    import pickle

    with open(pickled, "rb") as fh:
        sheets = pickle.load(fh)
    gc.collect()
    t0 = time.perf_counter()
    if writer == "openpyxl-write-only":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        for name, rows in sheets:
            ws = wb.create_sheet(name)
            for r in rows:
                ws.append(r)
        wb.save(out)
    elif writer.startswith("xlsxwriter"):
        import xlsxwriter

        opts = {"default_date_format": "yyyy-mm-dd", "constant_memory": writer.endswith("constant-memory")}
        wb = xlsxwriter.Workbook(out, opts)
        for name, rows in sheets:
            ws = wb.add_worksheet(name[:31])
            for i, r in enumerate(rows):
                for j, v in enumerate(r):
                    if v is None:
                        continue
                    ws.write(i, j, v)
        wb.close()
    else:
        raise ValueError(f"unknown writer {writer}")
    seconds = time.perf_counter() - t0
    import resource

    return {"seconds": seconds, "rows": sum(len(r) for _, r in sheets),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str]) -> int:
    cmd, *args = argv
    fn = {"parse": parse, "rows-from-xlsx": rows_from_xlsx, "rows-from-notes": rows_from_notes,
          "write": write}[cmd]
    print(json.dumps(fn(*args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
