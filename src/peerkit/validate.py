"""Small helpers to validate records read from TOML, with messages that name file and field.

Messages never contain the value that was wrong (it may be a name or narrative): only the
file, the line when known, the field, what was expected and how to fix it.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, NoReturn, Self, overload

from peerkit.errors import DataError
from peerkit.storage import display_path, key_line

_TYPE_NAMES = {
    str: "text in quotes",
    int: "a whole number",
    bool: "true or false",
    list: "a list [..]",
    dict: "a table",
    dt.date: "a date (YYYY-MM-DD, no quotes)",
    dt.time: "a time (HH:MM:SS, no quotes)",
    dt.datetime: "a date and time (YYYY-MM-DDTHH:MM:SS)",
}

_CONTROL = re.compile(r"[\ud800-\udfff\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f"
                      r"\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(value: str) -> str:
    """NFC-normalise and drop control, zero-width and bidi-override characters.

    Newlines and tabs are kept; CRLF becomes LF (documented: notes store LF line ends).
    """
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def id_problem(value: object) -> str | None:
    """Why ``value`` is not a safe record id, or None when it is."""
    if not isinstance(value, str) or not value:
        return "must be non-empty text"
    if len(value) > 64:
        return "is longer than 64 characters"
    if ".." in value or not _ID_RE.match(value):
        return "may use only letters, digits, '.', '_' and '-' (no spaces, '/' or '..')"
    if value.split(".")[0].lower() in _RESERVED:
        return "is a reserved device name on Windows; choose another"
    return None


class Fields:
    """Typed access to one record's table with errors naming the file, line and field.

    ``f = Fields(data, path, prefix="authorizations[1].")``; ``f.req("code", str)``.
    """

    def __init__(self, data: Any, path: Path | str, prefix: str = ""):
        self.path = Path(path)
        self.prefix = prefix
        if not isinstance(data, dict):
            self.fail("", "must be a table")
        self.data = data

    def where(self) -> str:
        return display_path(self.path)

    def fail(self, key: str, problem: str) -> NoReturn:
        line = key_line(self.path, key, self.prefix) if key or self.prefix else None
        field = f"{self.prefix}{key}"
        label = f"field '{field}': " if field else ""
        raise DataError(self.where(), f"{label}{problem}", line=line)

    def _check_type(self, key: str, value: Any, kind: type[Any] | tuple[type[Any], ...]) -> Any:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = False
        for k in kinds:
            if k is int and isinstance(value, bool):
                continue
            if k is dt.date and isinstance(value, dt.datetime):
                continue
            if isinstance(value, k):
                ok = True
                break
        if not ok:
            expected = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(key, f"expected {expected}, found {_describe(value)}")
        if isinstance(value, str):
            value = clean_text(value)
        return value

    def record_id(self, key: str = "id", expect: str | None = None) -> str:
        """A required id that is a safe file name and, when ``expect`` is given, matches it."""
        value: str = self.req(key, str)
        problem = id_problem(value)
        if problem:
            self.fail(key, problem)
        if expect is not None and value != expect:
            self.fail(key, f"must match the file name ({expect}.toml)")
        return value

    def req(self, key: str, kind: type[Any] | tuple[type[Any], ...]) -> Any:
        if key not in self.data:
            self.fail(key, "is required but missing")
        return self._check_type(key, self.data[key], kind)

    def opt(self, key: str, kind: type[Any] | tuple[type[Any], ...], default: Any = None) -> Any:
        if key not in self.data:
            return default
        return self._check_type(key, self.data[key], kind)

    def text_list(self, key: str, required: bool = False) -> list[str]:
        value = self.req(key, list) if required else self.opt(key, list, [])
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(key, f"item {i + 1} must be text in quotes")
        return [clean_text(v) for v in value]

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str:
        choices = list(choices)
        value: str = self.opt(key, str, default) if default is not None else self.req(key, str)
        if value not in choices:
            self.fail(key, f"must be one of {', '.join(repr(c) for c in choices)}")
        return value

    @overload
    def money(self, key: str, required: Literal[True] = ...) -> Decimal: ...
    @overload
    def money(self, key: str, required: bool) -> Decimal | None: ...
    def money(self, key: str, required: bool = True) -> Decimal | None:
        if key not in self.data:
            if required:
                self.fail(key, "is required but missing")
            return None
        value = self.data[key]
        if isinstance(value, float):
            self.fail(key, "write money as text in quotes (\"11.97\"), not a float")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail(key, f"expected an amount in quotes like \"11.97\", found {_describe(value)}")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(key, "expected an amount like \"11.97\"")
        if not amount.is_finite() or amount < 0:
            self.fail(key, "must be a positive amount like \"11.97\"")
        return amount

    # Tables inside this one are read with the same class (a subclass keeps its own readers).
    def sub(self, key: str, index: int | None = None) -> Self:
        """The table ``key`` (empty when missing), or item ``index`` of the list ``key``."""
        value = self.opt(key, dict, {}) if index is None else self.data[key][index]
        label = f"{key}[{index + 1}]." if index is not None else f"{key}."
        return type(self)(value, self.path, self.prefix + label)

    def table_list(self, key: str) -> list[Self]:
        """An optional array of tables (``[[key]]``)."""
        value = self.opt(key, list, [])
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail(key, f"item {i + 1} must be a table ([[{self.prefix}{key}]])")
            out.append(type(self)(item, self.path, f"{self.prefix}{key}[{i + 1}]."))
        return out


def _describe(value: Any) -> str:
    """Name the type found, never the value itself (it may be PHI)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.time):
        return "a time"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
