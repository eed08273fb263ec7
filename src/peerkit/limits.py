"""Bounds on input: how deep data may nest and how long one text field may be.

A file nested thousands of levels deep (``[[[[...]]]]``) would exhaust Python's recursion
(an internal error, exit 70) and a 50 MB "name" makes every later command slow, so both are
refused as invalid data (exit 3) naming the file and, for text, the field -- never the value.
"""
from __future__ import annotations

import json
from typing import Any

from peerkit.errors import DataError

MAX_DEPTH = 128  # a 100-deep array inside a table inside [[tables]] still reads
MAX_TEXT = 32_767  # the longest text an Excel cell holds; notes are refused beyond it on export


def depth_problem(where: object) -> DataError:
    return DataError(str(where), f"nested more than {MAX_DEPTH} levels deep; peerkit reads no "
                                 "data nested this deeply (fix or remove the file)")


def check_depth(data: Any, where: object) -> Any:
    """Raise DataError when lists/tables nest deeper than MAX_DEPTH, or a key names an
    identifier peerkit never stores (``ssn``, ``password``...); return ``data``."""
    from peerkit.identifiers import forbidden_key

    if not isinstance(data, (dict, list)):
        return data
    stack = [(data, 0, "")]
    while stack:
        value, level, path = stack.pop()
        if level >= MAX_DEPTH:
            raise depth_problem(where)
        if isinstance(value, dict):
            for key, child in value.items():
                if forbidden_key(key):
                    _refuse_key(f"{path}{key}", key, child, where)
                if isinstance(child, (dict, list)):
                    stack.append((child, level + 1, f"{path}{key}."))
        else:
            for i, child in enumerate(value):
                if isinstance(child, (dict, list)):
                    stack.append((child, level + 1, f"{path[:-1]}[{i + 1}]." if path else f"[{i + 1}]."))
    return data


def loads_json(text: str | bytes, where: object, **kwargs: Any) -> Any:
    """``json.loads`` that refuses deep nesting with a DataError (other errors propagate)."""
    try:
        data = json.loads(text, **kwargs)
    except RecursionError:
        raise depth_problem(where) from None
    return check_depth(data, where)


def check_text_lengths(data: Any, where: object, prefix: str = "") -> None:
    """Refuse any text longer than MAX_TEXT characters, naming its field."""
    stack = [(prefix, data)]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise DataError(str(where), f"field '{field or '(value)'}': longer than "
                                            f"{MAX_TEXT:,} characters ({len(value):,}); shorten it")
        elif isinstance(value, dict):
            stack.extend((f"{field}.{k}" if field else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{field}[{i + 1}]", v) for i, v in enumerate(value))


def _refuse_key(field: str, key: str, value: Any, where: object) -> None:
    from peerkit.identifiers import forbidden_key

    if isinstance(value, str) and value.startswith("keyring:"):
        return  # peerkit.toml names a secret kept in the OS keyring: allowed
    raise DataError(str(where), f"key '{field}': peerkit never stores {forbidden_key(key)} in a "
                                "file; remove the key (a secret of your own goes in the keyring: "
                                "'peerkit secret set NAME')")
