"""Reading records from a file or stdin (``--from FILE`` / ``--from -``), TOML or JSON."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from peerkit import storage
from peerkit.errors import DataError
from peerkit.limits import check_text_lengths, loads_json

_DATE_KEYS = {"date", "admitted", "discharged", "start", "end", "from", "to", "issued", "expires",
              "date_of_birth", "started", "last_verified", "written_at", "signed_at", "occurred_at",
              "learned_at", "reviewed", "written", "updates"}


def read_records(source: str, *, list_key: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Read one record or a list of records from a TOML/JSON file or ``-`` (stdin).

    TOML: a single table, or ``[[<list_key>]]`` tables.  JSON: an object or an array.
    JSON strings in date/time fields are converted (``"2026-11-23"``, ``"10:00"``).
    Returns (records, where) where ``where`` names the source for messages.
    """
    if source == "-":
        text, where = sys.stdin.read(), "<stdin>"
    else:
        path = Path(source)
        text, where = storage.read_text(path), storage.display_path(path)
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith(("{", "[")) and not stripped.startswith("[["):
        try:
            data = loads_json(stripped, where)
        except json.JSONDecodeError as exc:
            raise DataError(where, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise DataError(where, f"item {i + 1} must be an object")
            check_text_lengths(item, _item_where(where, i, len(items)))
        return [_convert_json(item) for item in items], where
    data = storage.parse_toml(text, where)
    items = list(data[list_key]) if list_key and isinstance(data.get(list_key), list) else [data]
    for i, item in enumerate(items):
        check_text_lengths(item, _item_where(where, i, len(items)))
    return items, where


def _item_where(where: str, i: int, n: int) -> str:
    return f"{where} (record {i + 1})" if n > 1 else where


def _convert_json(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _convert_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert_json(v, key) for v in value]
    if isinstance(value, str) and key is not None and (key in _DATE_KEYS or key.endswith("_at")):
        for parse in (dt.date.fromisoformat, _time, dt.datetime.fromisoformat):
            try:
                return parse(value)
            except ValueError:
                continue
    if isinstance(value, float) and key in ("rate", "amount"):
        raise DataError(f"field '{key}': write money as text (\"11.97\"), not a JSON number")
    return value


def _time(value: str) -> dt.time:
    if len(value) in (5, 8) and value[2] == ":":
        return dt.time.fromisoformat(value)
    raise ValueError
