"""Output helpers: data to stdout (JSON or a table), messages to stderr."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

import click


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "as_json"):
        return value.as_json()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, indent=2, ensure_ascii=False, sort_keys=False)


def emit_json(data: Any) -> None:
    """Print JSON to stdout (dates ISO, Decimal as strings)."""
    click.echo(to_json(data))


def message(text: str) -> None:
    """A message for the person (stderr), never data."""
    click.echo(text, err=True)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned text table."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    line = lambda vals: "  ".join(v.ljust(widths[i]) for i, v in enumerate(vals)).rstrip()  # noqa: E731
    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    text = str(v).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def echo_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    click.echo(table(rows, headers))


def progress(items: Iterable, *, length: int | None = None, label: str = "", enabled: bool = True):
    """A progress bar on stderr when stderr is a terminal; the plain iterable otherwise.

    Use as ``with progress(items, label="Exporting") as bar: for item in bar: ...``.  The bar
    never touches stdout, so piped data stays clean; it is off under ``TERM=dumb``.
    """
    if show_progress(enabled):
        return click.progressbar(items, length=length, label=label, file=sys.stderr)
    return _Plain(items)


def show_progress(enabled: bool = True, stream=None) -> bool:
    """Whether a progress bar is drawn: ``enabled``, stderr is a terminal, TERM is not dumb."""
    stream = stream if stream is not None else sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return bool(enabled and tty and os.environ.get("TERM") != "dumb")


class _Plain:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


def write_output(out: str | None, data: str | bytes, default_name: str | None = None, *,
                 audit=None) -> Path | None:
    """Write text/bytes to ``out`` (atomic, 0600), or stdout for ``-``/None text.

    ``audit(path)`` -- for exports -- appends the audit entry once the content is complete
    and before it takes its name (``audit(None)`` before printing to stdout): if it fails,
    nothing is written."""
    from peerkit.storage import atomic_write_bytes

    if out in (None, "-") and (default_name is None or out == "-"):
        if audit is not None:
            audit(None)
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            click.echo(data, nl=not data.endswith("\n"))
        return None
    path = Path(out or default_name)
    atomic_write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data,
                       before_replace=audit)
    return path
