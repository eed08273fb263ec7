"""Excel helpers: safe text cells, private atomic saves, and a guarded reader for imports.

Writing: every user string is stored as text with ``quotePrefix`` when it starts like a
formula, never cut at Excel's 32,767-character limit (an error names the cell instead),
and control characters never reach openpyxl (whose error text would contain the value).

Reading: a zip preflight (size, members, expansion ratio, macros, encryption), defusedxml
(a hard dependency), read-only mode with the declared dimensions reset, formulas refused
with their cell reference, and every parser failure turned into one clear DataError.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerkit.errors import DataError
from peerkit.storage import atomic_path, display_path

if TYPE_CHECKING:  # pragma: no cover - openpyxl is imported only where a workbook is used
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

MAX_CELL_CHARS = 32_767
MONEY_FORMAT = '"$"#,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Import limits (tunable by callers)
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_MEMBERS = 500
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100


class CellTooLong(DataError):
    pass


TEXT_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def apostrophe_if_formula(text: str) -> str:
    """For CSV and Markdown (no quotePrefix there): a leading ``'`` when text starts like a
    formula, as OWASP advises, so a spreadsheet that opens the file never evaluates it."""
    return "'" + text if text.startswith(TEXT_FORMULA_START) else text


def needs_quote_prefix(text: str) -> bool:
    return text.startswith(FORMULA_START) or text.lstrip(" ").startswith(("=", "+", "-", "@"))


def clean_cell_text(text: str) -> str:
    """Remove characters XML cannot hold (openpyxl would raise with the value in the message)."""
    return _ILLEGAL.sub("", text)


def check_length(text: str, where: str) -> None:
    if len(text) > MAX_CELL_CHARS:
        raise CellTooLong(where, f"is {len(text):,} characters; an Excel cell holds at most "
                                 f"{MAX_CELL_CHARS:,}, and peerkit never cuts text silently. "
                                 "Shorten it or split it with an addendum")


def set_text(cell: Cell | MergedCell, value: Any, where: str = "a cell") -> None:
    """Write user text into a (normal-mode) cell so a spreadsheet never evaluates it.

    ``cell``: what ``Worksheet.cell`` returns; a merged cell (not the first of its range)
    holds no value, so giving one is a bug (TypeError)."""
    from openpyxl.cell.cell import MergedCell

    if isinstance(cell, MergedCell):
        raise TypeError("set_text: a merged cell cannot hold a value")
    text = clean_cell_text("" if value is None else str(value))
    check_length(text, where)
    cell.value = text
    cell.data_type = "s"
    if needs_quote_prefix(text):
        cell.quotePrefix = True


def text_cell(ws: WriteOnlyWorksheet, value: Any, where: str = "a cell") -> Cell:
    """A write-only cell holding user text safely (for ``Workbook(write_only=True)``)."""
    from openpyxl.cell import WriteOnlyCell

    text = clean_cell_text("" if value is None else str(value))
    check_length(text, where)
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if needs_quote_prefix(text):
        cell.quotePrefix = True
    return cell


def neutral_properties(wb: Workbook) -> None:
    """Neutral document properties: no user name, a fixed timestamp (deterministic files)."""
    props = wb.properties
    props.creator = "peerkit"
    props.lastModifiedBy = "peerkit"
    fixed = dt.datetime(2000, 1, 1)
    props.created = fixed
    props.modified = fixed


def save_workbook(wb: Workbook, path: Path | str, *,
                  before_replace: Callable[[Path], None] | None = None) -> Path:
    """Save atomically with mode 0600; a disk-full error leaves no partial file behind.
    ``before_replace(path)``: see ``peerkit.storage.atomic_path`` (exports audit there)."""
    path = Path(path)
    neutral_properties(wb)
    with atomic_path(path, before_replace=before_replace) as tmp:
        wb.save(tmp)
    return path


# --------------------------------------------------------------------------- reading


def preflight(path: Path) -> None:
    """Refuse files openpyxl should never see: not a zip, too big, bombs, macros, encryption."""
    where = display_path(path)
    _check_size(path, where)
    _check_signature(path, where)
    try:
        with zipfile.ZipFile(path) as zf:
            _check_parts(zf.infolist(), where)
    except zipfile.BadZipFile:
        raise DataError(where, "is damaged or truncated (not a readable .xlsx)") from None
    except (OSError, EOFError, ValueError, NotImplementedError):
        raise DataError(where, "is damaged or truncated (not a readable .xlsx)") from None


def _check_size(path: Path, where: str) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(where, "file not found") from None
    if size == 0:
        raise DataError(where, "is empty (0 bytes); export it again from Excel")
    if size > MAX_FILE_BYTES:
        raise DataError(where, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; refusing to open it")


def _check_signature(path: Path, where: str) -> None:
    """The first bytes: a zip file, not an old .xls (or a password-protected workbook)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(where, "is an old .xls or a password-protected workbook; save it as an "
                               "unprotected .xlsx and try again")
    if not head.startswith(b"PK"):
        raise DataError(where, "is not an .xlsx workbook (save it as Excel .xlsx)")


def _check_parts(infos: list[zipfile.ZipInfo], where: str) -> None:
    """The zip's parts: not too many, none unsafe, not too big once expanded, an .xlsx's names."""
    if len(infos) > MAX_MEMBERS:
        raise DataError(where, f"has {len(infos)} parts; refusing an unusual workbook")
    for info in infos:
        _check_part(info, where)
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
        raise DataError(where, "expands to more than "
                               f"{MAX_UNCOMPRESSED // (1024 * 1024)} MB; refusing it")
    names = {info.filename for info in infos}
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise DataError(where, "contains macros (.xlsm); save it as a plain .xlsx without macros")
    if "mimetype" in names and "content.xml" in names:
        raise DataError(where, "is an OpenDocument (.ods) file; save it as .xlsx")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise DataError(where, "is a zip file but not an .xlsx workbook")


def _check_part(info: zipfile.ZipInfo, where: str) -> None:
    if info.flag_bits & 0x1:
        raise DataError(where, "is encrypted; save an unprotected copy and try again")
    if info.filename.startswith("/") or ".." in info.filename.split("/"):
        raise DataError(where, "contains unsafe part names; refusing it")
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO \
            and info.file_size > 1024 * 1024:
        raise DataError(where, "expands to far more than its size (a zip bomb?); refusing it")


def open_workbook(path: Path | str) -> Workbook:
    """Open an .xlsx for reading safely (read-only, no macros, no external links)."""
    import openpyxl

    path = Path(path)
    preflight(path)
    if not getattr(openpyxl, "DEFUSEDXML", False):  # pragma: no cover - defusedxml is required
        raise DataError("defusedxml is not installed; reinstall peerkit")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=False, keep_vba=False,
                                      keep_links=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types; the text may hold PHI
        raise DataError(display_path(path), _read_failure(exc)) from None


def _read_failure(exc: Exception) -> str:
    name = type(exc).__name__
    chain: BaseException | None = exc  # openpyxl wraps defusedxml's EntitiesForbidden in a ValueError
    while chain is not None:
        if "Entit" in type(chain).__name__ or "Entit" in repr(chain) or "DTD" in repr(chain):
            return "unsafe spreadsheet (it declares XML entities); refusing it"
        chain = chain.__cause__ or chain.__context__
    return f"could not read this spreadsheet ({name}); open it in Excel and save it again as .xlsx"


def iter_rows(path: Path | str, ws: Worksheet | ReadOnlyWorksheet, *, max_rows: int = 1_000_000, max_cols: int = 200,
              allow_formulas: bool = False) -> Iterator[tuple[int, list[Any]]]:
    """(row_number, values) for each row; formulas refused with their cell reference."""
    from openpyxl.utils import get_column_letter

    where = display_path(Path(path))
    try:
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # never trust the declared size: rows would be dropped silently
        for r_index, row in enumerate(ws.rows, start=1):  # .rows is iter_rows()
            if r_index > max_rows:
                raise DataError(where, f"sheet '{ws.title}' has more than {max_rows:,} rows; refusing it")
            if len(row) > max_cols:
                raise DataError(where, f"sheet '{ws.title}' row {r_index} has more than {max_cols} columns")
            values: list[Any] = []
            for c_index, cell in enumerate(row, start=1):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f" and not allow_formulas:
                    raise DataError(where, f"sheet '{ws.title}' cell {get_column_letter(c_index)}{r_index} "
                                           "holds a formula; type the value instead")
                if isinstance(value, str):
                    from peerkit.validate import clean_text

                    value = clean_text(value)
                values.append(value)
            while values and values[-1] is None:
                values.pop()
            yield r_index, values
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DataError(where, _read_failure(exc)) from None
