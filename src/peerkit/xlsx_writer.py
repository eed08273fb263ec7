"""Streaming .xlsx writing with xlsxwriter in ``constant_memory`` mode (rows go to disk as they
are written, so memory stays flat however many rows).  openpyxl stays for reading and editing
workbooks; this is only for large workbooks written once, row by row (the review export).

Cells are plain Python values, written by type -- never guessed from text:

* ``str`` -- always a text cell (``write_string``: a spreadsheet never evaluates it as a
  formula); cleaned of characters XML cannot hold, never cut (an over-long text is a
  :class:`peerkit.excel.CellTooLong` naming ``where``), and marked ``quotePrefix`` when it starts
  like a formula, exactly as :func:`peerkit.excel.text_cell` does for openpyxl;
* ``datetime.date`` / ``datetime.time`` -- a date (``yyyy-mm-dd``) or time (``hh:mm``) value;
* ``int`` / ``float`` / ``Decimal`` -- a number; ``None`` -- nothing;
* :class:`Formula` -- a live formula with its value precomputed (xlsxwriter would otherwise
  store 0, which LibreOffice shows until it recalculates).

The temporary files xlsxwriter streams rows into (they hold the cell text) live in a private
folder that is removed whatever happens; the workbook itself is written to a temporary file
renamed over the target (:func:`peerkit.storage.atomic_path`), mode 0600.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from peerkit.excel import DATE_FORMAT, TIME_FORMAT, check_length, clean_cell_text, needs_quote_prefix
from peerkit.storage import atomic_path

PIXELS_PER_CHARACTER = 7  # Calibri 11's digit width: a width of w characters is 7 w pixels


@dataclass(frozen=True)
class Formula:
    text: str            # "=SUM(C2:C3)"
    value: Any = None    # what it computes to (stored as the cached result)


def checked_text(value: str, where: str) -> str:
    """Text as a cell stores it: without characters XML cannot hold, never over-long."""
    text = clean_cell_text(value)
    check_length(text, where)
    return text


_PLAIN_TYPES = (str, int, float, Decimal, dt.date, dt.time, type(None))
_INTERNALS = ("_write_single_row", "_check_dimensions", "_write_row", "_escape_control_characters",
              "_convert_date_time", "_xml_end_tag")
# What xlsxwriter's _escape_control_characters changes: control characters, "_xHHHH_" and the
# two non-characters; and what its _escape_data changes (a double quote is left as it is).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")   # either
# needs_quote_prefix is only true of a text starting with one of these
_MAY_START_FORMULA = frozenset("=+-@\t\r\n\0 ")


def _plain(cells: Sequence[Any]) -> bool:
    """Only values :meth:`Sheet._append_plain` writes (not a bool, which is an int; not an
    infinite or NaN float, which xlsxwriter refuses)."""
    for v in cells:
        if not isinstance(v, _PLAIN_TYPES) or isinstance(v, bool) \
                or (isinstance(v, float) and not math.isfinite(v)):
            return False
    return True


@functools.lru_cache(maxsize=1024)
def _column_name(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (xlsxwriter's ``xl_col_to_name``, remembered)."""
    from xlsxwriter.utility import xl_col_to_name

    name: str = xl_col_to_name(col)
    return name


def _preserve_whitespace(text: str) -> bool:
    """xlsxwriter's rule (``utility._preserve_whitespace``: ``^\\s`` or ``\\s$``): white space
    first or last."""
    return text[:1].isspace() or text[-1:].isspace()


class Sheet:
    """One worksheet, written row by row (each row once, in order)."""

    def __init__(self, book: StreamingWorkbook, ws: Any) -> None:  # ws: an xlsxwriter Worksheet (untyped)
        self._book = book
        self._ws = ws
        self.rows = 0
        # the plain-row path uses xlsxwriter's constant-memory internals: only where they are
        # there as 3.x has them (a test keeps its XML equal to xlsxwriter's own rows)
        self._fast = getattr(ws, "constant_memory", False) and hasattr(ws, "fh") and all(
            callable(getattr(ws, name, None)) for name in _INTERNALS)

    def set_widths(self, widths: Sequence[float], hidden: Sequence[int] = ()) -> None:
        """Column widths in characters (stored exactly as given, as openpyxl stores them) and
        the 0-based columns to hide."""
        for i, width in enumerate(widths):
            self._ws.set_column_pixels(i, i, round(width * PIXELS_PER_CHARACTER), None,
                                       {"hidden": True} if i in hidden else None)

    def freeze_header(self) -> None:
        self._ws.freeze_panes(1, 0)

    def hide(self) -> None:
        self._ws.hide()

    def append(self, cells: Sequence[Any], *, bold: bool = False,
               where: Callable[[int], str] | None = None, checked: bool = False) -> None:
        """Write the next row; ``where(column index)`` names a cell in errors.  ``checked``:
        its text was already passed through :func:`checked_text` (e.g. in a worker process)."""
        if not bold and _plain(cells) and self._unformatted(self.rows):
            self._append_plain(cells, where, checked)
            return
        row = self.rows
        ws, fmt = self._ws, self._book.formats
        for c, value in enumerate(cells):
            if value is None:
                if bold:
                    ws.write_blank(row, c, None, fmt["bold"])
                continue
            if isinstance(value, str):
                text = value if checked else checked_text(value, where(c) if where else "a cell")
                if needs_quote_prefix(text):
                    ws.write_string(row, c, text, fmt["bold_quote" if bold else "quote"])
                elif bold:
                    ws.write_string(row, c, text, fmt["bold"])
                else:
                    ws.write_string(row, c, text)
            elif isinstance(value, bool):
                ws.write_boolean(row, c, value)
            elif isinstance(value, (int, float, Decimal)):
                ws.write_number(row, c, float(value) if isinstance(value, Decimal) else value)
            elif isinstance(value, dt.datetime):
                ws.write_datetime(row, c, value, fmt["datetime"])
            elif isinstance(value, dt.date):
                ws.write_datetime(row, c, value, fmt["date"])
            elif isinstance(value, dt.time):
                ws.write_datetime(row, c, value, fmt["time"])
            elif isinstance(value, Formula):
                ws.write_formula(row, c, value.text, None, value.value if value.value is not None else 0)
            else:
                raise TypeError(f"cannot write a {type(value).__name__} to a cell")
        self.rows += 1

    def _unformatted(self, row: int) -> bool:
        """No row or column format that xlsxwriter would give the cells of ``row`` (and the
        internals the plain-row path needs are there)."""
        ws = self._ws
        return self._fast and row not in ws.row_info and not any(i.column_format for i in ws.col_info.values())

    def _append_plain(self, cells: Sequence[Any], where: Callable[[int], str] | None,
                      checked: bool) -> None:
        """A row of text, numbers, dates and times (no bold, no formula), its XML written here
        as xlsxwriter's constant-memory mode writes it (``Worksheet._write_cell``) -- without
        its per-cell layers (argument conversion, the row table, attribute lists), which cost
        several times the XML itself on a large export (issue 19).  Equal byte for byte to
        xlsxwriter's own row (tests/notes/test_review_xlsxwriter.py), but for one case: a text
        that reads ``<r>...</r>`` is escaped like any text (xlsxwriter would write it unescaped,
        as rich-text XML)."""
        row = self.rows
        self.rows += 1
        used = [c for c, value in enumerate(cells) if value is not None]
        if not used:
            return
        ws, fmt = self._ws, self._book.formats
        if row > ws.previous_row:       # the row before, if xlsxwriter still holds it
            ws._write_single_row(row)
        ws._check_dimensions(row, used[0])
        ws._check_dimensions(row, used[-1])
        ws._write_row(row, None, ws.row_info.get(row))
        number = str(row + 1)
        out: list[str] = []
        for c in used:
            value = cells[c]
            ref = _column_name(c) + number
            if isinstance(value, str):
                text = value if checked else checked_text(value, where(c) if where else "a cell")
                style = (f' s="{fmt["quote"]._get_xf_index()}"'
                         if text[:1] in _MAY_START_FORMULA and needs_quote_prefix(text) else "")
                if _SPECIAL.search(text):
                    if _CONTROL.search(text):
                        text = ws._escape_control_characters(text)
                    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
                out.append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(value, (int, float, Decimal)):
                out.append(f'<c r="{ref}"><v>{float(value) if isinstance(value, Decimal) else value:.16G}</v></c>')
            else:   # a date, time or datetime (_plain let nothing else through)
                kind = ("datetime" if isinstance(value, dt.datetime)
                        else "date" if isinstance(value, dt.date) else "time")
                serial = ws._convert_date_time(value)
                out.append(f'<c r="{ref}" s="{fmt[kind]._get_xf_index()}"><v>{serial:.16G}</v></c>')
        ws.fh.write("".join(out))
        ws._xml_end_tag("row")

    def autofilter(self, last_row: int, last_col: int) -> None:
        """Filter buttons on the header over rows 1..last_row (1-based, as Excel shows them)."""
        self._ws.autofilter(0, 0, max(last_row, 1) - 1, last_col - 1)

    def list_validation(self, col: int, first_row: int, last_row: int, choices: Sequence[str], *,
                        title: str, error: str, prompt: str) -> None:
        """Only ``choices`` (or blank) in column ``col`` (0-based), rows 1-based inclusive."""
        self._ws.data_validation(first_row - 1, col, last_row - 1, col, {
            "validate": "list", "source": list(choices), "ignore_blank": True,
            "show_error": True, "error_type": "stop", "error_title": title, "error_message": error,
            "show_input": True, "input_title": title, "input_message": prompt})


class StreamingWorkbook:
    """``with StreamingWorkbook(path) as wb: sheet = wb.add_sheet("Notes"); sheet.append([...])``
    -- on success the file appears atomically; on any error nothing (and no temporary file)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def __enter__(self) -> StreamingWorkbook:
        import xlsxwriter

        self._tmpdir = tempfile.mkdtemp(prefix="peerkit-xlsx-")   # 0700: only the user reads it
        self._atomic = atomic_path(self.path)
        target = self._atomic.__enter__()
        try:
            self._wb = xlsxwriter.Workbook(str(target), {"constant_memory": True,
                                                         "tmpdir": self._tmpdir})
            self._wb.set_properties({"author": "peerkit", "created": dt.datetime(2000, 1, 1)})
            add = self._wb.add_format
            self.formats = {
                "bold": add({"bold": True}), "bold_quote": add({"bold": True, "quote_prefix": True}),
                "quote": add({"quote_prefix": True}), "date": add({"num_format": DATE_FORMAT}),
                "time": add({"num_format": TIME_FORMAT}), "datetime": add({"num_format": "yyyy-mm-dd hh:mm"}),
            }
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            raise
        return self

    def add_sheet(self, name: str) -> Sheet:
        return Sheet(self, self._wb.add_worksheet(name))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        try:
            if exc_type is None:
                try:
                    self._wb.close()
                except BaseException as error:
                    self._atomic.__exit__(type(error), error, error.__traceback__)
                    raise
                self._atomic.__exit__(None, None, None)
            else:
                self._close_quietly()
                self._atomic.__exit__(exc_type, exc, tb)
        finally:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        return False

    def _close_quietly(self) -> None:
        """Close the sheets' row files (the folder holding them is removed by __exit__)."""
        for ws in self._wb.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None:
                with contextlib.suppress(Exception):
                    fh.close()
