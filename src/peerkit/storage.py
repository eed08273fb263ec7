"""Reading and writing workspace records: fast reads, atomic verified writes, private modes.

Reads use ``tomllib`` (fast, never changes a file).  New files are written with
``tomli_w``; edits of existing files go through ``tomlkit`` so the user's comments and
layout survive.  Every write is atomic: a temporary file in the same folder, fsync,
``os.replace`` (retried briefly), fsync of the folder.  TOML is parsed back and compared
with what we meant to write before it replaces anything (see :mod:`peerkit.files`).

On top of :mod:`peerkit.files`, this module keeps the records of an encrypted workspace
encrypted (issue 18, :mod:`peerkit.cryptkeys`): their values are opened when read and sealed
when written.  Features read and write through here.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from peerkit.files import (
    DIR_MODE,
    FILE_MODE,
    PENDING_DIR,
    TMP_MARK,
    atomic_path,
    atomic_write_plain,
    display_path,
    dumps_toml,
    ensure_dir,
    guard_read,
    guard_write,
    key_line,
    parse_toml,
    read_bytes,
    read_text,
    register_root,
    sweep_pending_exports,
    sweep_temp_files,
    toml_verifier,
    without_none,
)

# What features use of peerkit.files, re-exported, and this module's own functions.
__all__ = ["DIR_MODE", "ENC_MARK", "FILE_MODE", "PENDING_DIR", "TMP_MARK", "atomic_path",
           "atomic_write_bytes", "atomic_write_text", "display_path", "dumps_toml", "edit_toml",
           "ensure_dir", "guard_read", "guard_write", "key_line", "parse_record", "parse_toml", "read_bytes",
           "read_text",
           "read_toml", "register_root", "sweep_pending_exports", "sweep_temp_files", "write_toml"]

ENC_MARK = "enc:v1:"  # issue 18: an encrypted value (peerkit.crypt.PREFIX); cheap test on raw text


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file into plain Python values (dates as ``datetime.date``)."""
    return parse_record(read_text(path), path)


def parse_record(text: str, path: Path) -> dict[str, Any]:
    """The values of record file ``path`` whose text (read through :func:`read_text`) is
    ``text``: what :func:`read_toml` gives, for a caller that has the text already."""
    data = parse_toml(text, path)
    if ENC_MARK in text:  # issue 18 (encryption at rest): the values come back decrypted
        from peerkit.cryptkeys import open_data

        data = open_data(path, data)
    return data


def atomic_write_bytes(path: Path, data: bytes, *, verify: Callable[[bytes], None] | None = None,
                       before_replace: Callable[[Path], None] | None = None) -> None:
    """Write ``data`` to ``path`` atomically, 0600.  ``verify`` may raise to abort;
    ``before_replace``: see :func:`peerkit.files.atomic_path`."""
    # issue 18 (encryption at rest): a record of an encrypted workspace is stored with its
    # health information encrypted, and verified by decrypting what was written
    from peerkit import cryptkeys

    sealed = cryptkeys.seal_bytes(Path(path), data)
    if sealed is not None:
        plain, check_plain = data, verify

        def verify(written: bytes) -> None:
            cryptkeys.check_sealed(Path(path), plain, written)
            if check_plain is not None:
                check_plain(plain)
        data = sealed
    atomic_write_plain(path, data, verify=verify, before_replace=before_replace)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_toml(path: Path, data: dict[str, Any], *, header: str | None = None) -> None:
    """Write a new TOML file (or replace one wholesale) atomically, verified."""
    path = Path(path)
    intended = without_none(data)
    text = dumps_toml(intended, header)
    atomic_write_bytes(path, text.encode("utf-8"), verify=toml_verifier(path, intended))


@contextlib.contextmanager
def edit_toml(path: Path) -> Iterator[Any]:
    """Edit an existing TOML file keeping its comments and layout (tomlkit round trip).

    ``with edit_toml(p) as doc: doc["status"] = "signed"`` -- the file is replaced
    atomically when the block ends without error, after verifying it re-reads as intended.
    """
    import tomlkit

    path = Path(path)
    text = read_text(path)
    parse_toml(text, path)  # a clear file:line (or too-deep) error before tomlkit sees it
    doc = tomlkit.parse(text.lstrip("\ufeff"))
    if ENC_MARK in text:  # issue 18: edited in clear, sealed again by atomic_write_bytes
        from peerkit.cryptkeys import open_data

        open_data(path, doc)
    yield doc
    new_text = tomlkit.dumps(doc)
    intended = without_none(doc.unwrap())
    atomic_write_bytes(path, new_text.encode("utf-8"), verify=toml_verifier(path, intended))
