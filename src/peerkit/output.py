"""Output helpers: data to stdout (JSON or a table), messages to stderr."""
from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

import click

T = TypeVar("T")
R = TypeVar("R")


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


def emit(as_json: bool, data: Any, text: Callable[[], str]) -> None:
    """What a ``show``/``list`` command prints: ``data`` as JSON with ``--json``, otherwise
    the text ``text()`` makes (called only then)."""
    click.echo(to_json(data) if as_json else text())


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

    def line(vals: Sequence[str]) -> str:
        return "  ".join(v.ljust(widths[i]) for i, v in enumerate(vals)).rstrip()

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


def progress(items: Iterable[T], *, length: int | None = None, label: str = "",
             enabled: bool = True) -> AbstractContextManager[Iterable[T]]:
    """A progress bar on stderr when stderr is a terminal; the plain iterable otherwise.

    Use as ``with progress(items, label="Exporting") as bar: for item in bar: ...``.  The bar
    never touches stdout, so piped data stays clean; it is off under ``TERM=dumb``.
    """
    if show_progress(enabled):
        return click.progressbar(items, length=length, label=label, file=sys.stderr)
    return _Plain(items)


def show_progress(enabled: bool = True, stream: IO[Any] | None = None) -> bool:
    """Whether a progress bar is drawn: ``enabled``, stderr is a terminal, TERM is not dumb."""
    stream = stream if stream is not None else sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return bool(enabled and tty and os.environ.get("TERM") != "dumb")


class _Plain(Generic[T]):
    def __init__(self, items: Iterable[T]) -> None:
        self.items = items

    def __enter__(self) -> Iterable[T]:
        return self.items

    def __exit__(self, *exc: object) -> Literal[False]:
        return False


def write_output(out: str | None, data: str | bytes, default_name: str | None = None, *,
                 audit: Callable[[Path | None], None] | None = None,
                 announce: bool = True) -> Path | None:
    """Write text/bytes to ``out`` (atomic, 0600), or stdout for ``-``/None text.

    ``out`` may name a folder (see :func:`out_target`): the file ``default_name`` is written
    inside it and its path printed on stdout.  An ``out`` that cannot be written is a
    PeerkitError naming it (exit 3).  ``audit(path)`` -- for exports -- appends the audit
    entry once the content is complete and before it takes its name (``audit(None)`` before
    printing to stdout): if it fails, nothing is written.  ``announce=False``: the caller
    prints the path itself."""
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
    target = out_target(out, default_name)
    assert target.path is not None
    atomic_write_bytes(target.path, data.encode("utf-8") if isinstance(data, str) else data,
                       before_replace=audit)
    if announce:
        target.announce()
    return target.path


# ------------------------------------------------------------------ --out: where and which format

class OutTarget:
    """Where an ``--out`` writes: ``path`` (None for stdout) and whether ``--out`` named a
    folder (then the written path is printed on stdout: ``announce()``)."""

    def __init__(self, path: Path | None, into_folder: bool = False):
        self.path = path
        self.into_folder = into_folder

    def announce(self) -> None:
        if self.into_folder and self.path is not None:
            from peerkit.storage import display_path

            click.echo(display_path(self.path))


def names_folder(out: str | None) -> bool:
    """``--out`` names a folder: an existing one, or a path ending in ``/``."""
    if not out or out == "-":
        return False
    return out.endswith(("/", "\\")) or Path(out).is_dir()


def out_target(out: str | None, default_name: str | None) -> OutTarget:
    """The file an ``--out`` writes, checked before any work is done.

    ``None`` or ``-``: stdout (``path`` None) unless ``out`` is None and there is a
    ``default_name``.  A folder: ``default_name`` inside it (``--out new/`` with a trailing
    slash is created when its parent exists).  Refused with a PeerkitError
    (exit 3) naming the path: a missing folder, a folder that is a file, a folder we may not
    write in, an existing folder where a file is meant."""
    from peerkit.errors import DataError, UsageError
    from peerkit.storage import display_path

    if out == "-" or (out is None and default_name is None):
        return OutTarget(None)
    into_folder = names_folder(out)
    if into_folder:
        if default_name is None:
            raise UsageError(f"--out {out}: give a file name, not a folder")
        path = Path(out or "") / Path(default_name).name  # into_folder: out is a folder name
    else:
        path = Path(out or default_name or "")  # one of them is given (checked above)
    folder = path.parent
    if into_folder and not folder.exists():  # "--out new/" is created, inside an existing folder
        folder = folder.parent
    if not folder.exists():
        raise DataError(display_path(folder), "folder does not exist: create it, or choose "
                                               "another --out")
    if not folder.is_dir():
        raise DataError(display_path(folder), "is not a folder: choose another --out")
    try:  # the only sure test: create (and remove) a file there, before any work is done
        import tempfile

        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DataError(display_path(path), f"cannot be written ({exc.strerror or type(exc).__name__}): "
                                            "choose another --out") from None
    if path.is_dir():
        raise DataError(display_path(path), "is a folder: give a file name")
    return OutTarget(path, into_folder)


def resolves_out(formats: Iterable[str] | Callable[[], Iterable[str]], *, default: str,
                 aliases: dict[str, str] | None = None,
                 file_name: Callable[[dict[str, Any]], str] | None = None,
                 ) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorator for a command taking ``fmt`` and ``out`` (put it among the click options):
    before the command runs, ``fmt`` becomes ``--format``, else what ``--out``'s suffix names
    (:func:`format_for_out`: refused with exit 2 when it names no known format), else
    ``default``; an ``--out`` that cannot be written stops it (exit 3, :func:`out_target`);
    an ``--out`` naming a folder becomes the file ``file_name(params)`` inside it, and its path
    is printed on stdout after the command.  ``formats``: names, or a function returning
    them (plugins' formats)."""
    def decorate(f: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(f)
        def command(*args: Any, **params: Any) -> R:
            names = formats() if callable(formats) else formats
            params["fmt"] = format_for_out(params.get("out"), params.get("fmt"), names,
                                           default=default, aliases=aliases)
            target = None
            if params.get("out") not in (None, "-"):
                target = out_target(params["out"], file_name(params) if file_name else None)
                params["out"] = str(target.path)
            result = f(*args, **params)
            if target is not None:
                target.announce()
            return result

        return command

    return decorate


def format_for_out(out: str | None, fmt: str | None, formats: Iterable[str], *, default: str,
                   aliases: dict[str, str] | None = None) -> str:
    """The format to write: ``--format`` when given, else the one ``--out``'s suffix names
    (a format's own name, plugins' formats included, or an alias such as ``htm``), else
    ``default``.  A suffix that names no known format is refused (exit 2) with the list."""
    from peerkit.errors import UsageError

    if fmt is not None:
        return fmt
    if out in (None, "-") or names_folder(out):
        return default
    suffix = Path(out).suffix.lower().lstrip(".")
    if not suffix:
        return default
    known = set(formats)
    aliases = {k: v for k, v in (aliases or {}).items() if v in known}
    if suffix in known:
        return suffix
    if suffix in aliases:
        return aliases[suffix]
    listed = ", ".join(f".{k}" for k in sorted(known | set(aliases)))
    raise UsageError(f"--out {out}: the suffix '.{suffix}' names no known format ({listed}); "
                     "rename the file or give --format")
