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
    """Raise DataError when lists/tables nest deeper than MAX_DEPTH; return ``data``."""
    stack = [(data, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if level >= MAX_DEPTH:
            raise depth_problem(where)
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return data


def loads_json(text: str | bytes, where: object, **kwargs) -> Any:
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
