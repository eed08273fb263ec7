"""Reading and writing workspace files: fast reads, atomic verified writes, private modes.

Reads use ``tomllib`` (fast, never changes a file).  New files are written with
``tomli_w``; edits of existing files go through ``tomlkit`` so the user's comments and
layout survive.  Every write is atomic: a temporary file in the same folder, fsync,
``os.replace`` (retried briefly), fsync of the folder.  TOML is parsed back and compared
with what we meant to write before it replaces anything.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import time
import tomllib
from pathlib import Path
from typing import Any, Callable, Iterator

from peerkit.errors import DataError, PeerkitError

TMP_MARK = ".peerkit-tmp-"
# Files replaced by this process since the workspace lock was taken (see Workspace.lock).
TOUCHED: set[Path] = set()
# Incremented by every file this process replaces: in-process memos compare it to stay exact.
GENERATION = [0]
ENC_MARK = "enc:v1:"  # issue 18: an encrypted value (peerkit.crypt.PREFIX); cheap test on raw text
FILE_MODE = 0o600
DIR_MODE = 0o700


def display_path(path: Path | str) -> str:
    """The path as shown to users: relative to the current folder when shorter."""
    p = Path(path)
    try:
        rel = os.path.relpath(p)
        return rel if len(rel) < len(str(p)) else str(p)
    except ValueError:
        return str(p)


# ---------------------------------------------------------------- reading

_LINE_RE = re.compile(r"at line (\d+)")


def parse_toml(text: str, where: Path | str) -> dict:
    """Parse TOML text; a syntax error becomes a DataError naming the file and line."""
    if text.startswith("\ufeff"):  # a BOM from a Windows editor: keep the meaning
        text = text[1:]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _LINE_RE.search(msg)
        reason = msg.split(" (at ")[0]
        raise DataError(display_path(where), f"not valid TOML: {reason}",
                        line=int(m.group(1)) if m else None) from None


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(display_path(path), "file not found") from None
    except IsADirectoryError:
        raise DataError(display_path(path), "is a folder, not a file") from None
    except PermissionError:
        raise DataError(display_path(path), "permission denied reading the file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(display_path(path), "not UTF-8 text; save it as UTF-8") from None


def read_toml(path: Path) -> dict:
    """Read a TOML file into plain Python values (dates as ``datetime.date``)."""
    text = read_text(path)
    data = parse_toml(text, path)
    if ENC_MARK in text:  # issue 18 (encryption at rest): the values come back decrypted
        from peerkit.cryptkeys import open_data

        data = open_data(path, data)
    return data


def key_line(path: Path, key: str) -> int | None:
    """Best-effort line number of ``key = ...`` in a TOML file, for error messages."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    pat = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
    for i, line in enumerate(lines, 1):
        if pat.match(line):
            return i
    return None


# ---------------------------------------------------------------- writing


def ensure_dir(path: Path) -> Path:
    """Create a folder (and parents) private to the user (0700)."""
    path = Path(path)
    if not path.is_dir():
        try:
            path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        except FileExistsError:
            raise DataError(display_path(path), "exists and is not a folder") from None
        except PermissionError:
            raise PeerkitError(f"{display_path(path)}: permission denied creating the folder") from None
        os.chmod(path, DIR_MODE)
    return path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(src: str, dst: Path) -> None:
    """os.replace, retried for about a second (virus scanners on Windows lock files)."""
    deadline = time.monotonic() + 1.0
    while True:
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _os_error_message(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif exc.errno == errno.EROFS:
        why = "the file system is read-only"
    else:
        why = exc.strerror or type(exc).__name__
    return f"{display_path(path)}: could not write ({why}); the file was left as it was"


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    For producers that write a file themselves (``workbook.save(tmp)``).  On any error the
    temporary file is removed and the target is untouched.
    """
    path = Path(path)
    ensure_dir(path.parent)
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, FILE_MODE)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _replace(tmp, path)
        _fsync_dir(path.parent)
        TOUCHED.add(path)
        GENERATION[0] += 1
    except OSError as exc:
        _silent_unlink(tmp)
        raise PeerkitError(_os_error_message(path, exc)) from None
    except BaseException:
        _silent_unlink(tmp)
        raise


def _silent_unlink(p: str | Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def atomic_write_bytes(path: Path, data: bytes, *, verify: Callable[[bytes], None] | None = None) -> None:
    """Write ``data`` to ``path`` atomically, 0600.  ``verify`` may raise to abort."""
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
    with atomic_path(Path(path)) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        finally:
            os.close(fd)
        if verify is not None:
            verify(tmp.read_bytes())


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _plain(value: Any) -> Any:
    """Drop None values (TOML has no null) so data compares equal after a round trip."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value if v is not None]
    return value


def _verifier(path: Path, intended: dict) -> Callable[[bytes], None]:
    def verify(written: bytes) -> None:
        try:
            back = tomllib.loads(written.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            back = None
        if back != intended:
            raise PeerkitError(
                f"{display_path(path)}: internal error: the TOML written did not read back as "
                "the data meant; nothing was changed (please report this)")
    return verify


def dumps_toml(data: dict, header: str | None = None) -> str:
    import tomli_w

    text = tomli_w.dumps(_plain(data), multiline_strings=True)
    if header:
        comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
        text = comment + text
    return text


def write_toml(path: Path, data: dict, *, header: str | None = None) -> None:
    """Write a new TOML file (or replace one wholesale) atomically, verified."""
    path = Path(path)
    intended = _plain(data)
    text = dumps_toml(intended, header)
    atomic_write_bytes(path, text.encode("utf-8"), verify=_verifier(path, intended))


@contextlib.contextmanager
def edit_toml(path: Path) -> Iterator[Any]:
    """Edit an existing TOML file keeping its comments and layout (tomlkit round trip).

    ``with edit_toml(p) as doc: doc["status"] = "signed"`` -- the file is replaced
    atomically when the block ends without error, after verifying it re-reads as intended.
    """
    import tomlkit

    path = Path(path)
    text = read_text(path)
    parse_toml(text, path)  # a clear file:line error before tomlkit sees it
    doc = tomlkit.parse(text.lstrip("\ufeff"))
    if ENC_MARK in text:  # issue 18: edited in clear, sealed again by atomic_write_bytes
        from peerkit.cryptkeys import open_data

        open_data(path, doc)
    yield doc
    new_text = tomlkit.dumps(doc)
    intended = _plain(doc.unwrap())
    atomic_write_bytes(path, new_text.encode("utf-8"), verify=_verifier(path, intended))


def sweep_temp_files(root: Path) -> int:
    """Remove temporary files left by an interrupted run (call while holding the lock)."""
    n = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".git")]
        for name in filenames:
            if TMP_MARK in name:
                _silent_unlink(os.path.join(dirpath, name))
                n += 1
    return n
