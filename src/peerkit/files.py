"""Files as they are on disk: guarded reads, atomic verified writes, private modes.

The layer under :mod:`peerkit.storage`, which adds the encryption of an encrypted workspace's
records (issue 18) and is what features use.  This module knows nothing of encryption: the
keys file, the trust list and the user's own files are written with it directly.

Reads use ``tomllib`` (fast, never changes a file).  Every write is atomic: a temporary file
in the same folder, fsync, ``os.replace`` (retried briefly), fsync of the folder.  TOML is
parsed back and compared with what we meant to write before it replaces anything.  Workspace
files are never written through a symbolic link, nor read through one leading outside.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from peerkit import session
from peerkit.errors import DataError, PeerkitError

TMP_MARK = ".peerkit-tmp-"
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


# ---------------------------------------------------------------- staying inside the workspace

# The workspaces this process opened (absolute path -> real path) and the real paths of the
# folders read are kept by the session (peerkit.session): Workspace.__init__ registers its root.


def register_root(root: Path | str) -> None:
    roots = session.current().roots
    real = os.path.realpath(root)
    roots[os.path.abspath(root)] = real
    roots[real] = real


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _root_of(path: Path | str) -> str | None:
    """The real path of the workspace ``path`` lies in (by its spelling), or None."""
    roots = session.current().roots
    if not roots:
        return None
    current = os.path.abspath(path)
    while True:
        real = roots.get(current)
        if real is not None:
            return real
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def guard_write(path: Path | str) -> None:
    """Refuse to create or replace a workspace file that is a symbolic link, or whose folder
    leads outside the workspace through a link (exit 3 naming the path)."""
    real_root = _root_of(path)
    if real_root is None or os.path.abspath(path) in session.current().roots:
        return  # not in a workspace, or the workspace folder itself (made again by init)
    if os.path.islink(path):
        raise DataError(display_path(path), "is a symbolic link; peerkit does not write through "
                                            "links (remove the link and run again; nothing was written)")
    parent = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    if not _inside(parent, real_root):
        raise DataError(display_path(path), "its folder is a link leading outside the workspace; "
                                            "nothing was written (replace the link with a real folder)")


def guard_read(path: Path | str) -> None:
    """Refuse to read a workspace record that resolves outside the workspace (a link)."""
    real_root = _root_of(path)
    if real_root is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    real_dirs = session.current().real_dirs
    real_dir = real_dirs.get(folder)
    if real_dir is None:
        real_dir = real_dirs[folder] = os.path.realpath(folder)
    real = os.path.realpath(path) if os.path.islink(path) else os.path.join(real_dir, os.path.basename(path))
    if not _inside(real, real_root):
        raise DataError(display_path(path), "leads outside the workspace (a symbolic link); "
                                            "it was not read")


# ---------------------------------------------------------------- reading

_LINE_RE = re.compile(r"at line (\d+)")


def parse_toml(text: str, where: Path | str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a DataError naming the file and line."""
    if text.startswith("\ufeff"):  # a BOM from a Windows editor: keep the meaning
        text = text[1:]
    from peerkit.limits import check_depth, depth_problem

    try:
        data = tomllib.loads(text)
        check_depth(data, display_path(where))
        return data
    except RecursionError:
        raise depth_problem(display_path(where)) from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _LINE_RE.search(msg)
        reason = msg.split(" (at ")[0]
        raise DataError(display_path(where), f"not valid TOML: {reason}",
                        line=int(m.group(1)) if m else None) from None


def read_text(path: Path) -> str:
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(display_path(path), "not UTF-8 text; save it as UTF-8") from None


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file; a missing file, folder, pipe or unreadable file is a
    DataError naming the path."""
    guard_read(path)
    try:
        # O_NONBLOCK: a FIFO planted where a record should be must not hang the command
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DataError(display_path(path), "file not found") from None
    except IsADirectoryError:
        raise DataError(display_path(path), "is a folder, not a file") from None
    except PermissionError:
        raise DataError(display_path(path), "permission denied reading the file") from None
    try:
        mode = os.fstat(fd).st_mode   # before fdopen, which refuses a folder with its own error
        if stat.S_ISDIR(mode):
            raise DataError(display_path(path), "is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise DataError(display_path(path), "is not a regular file (a device or pipe); "
                                                "it was not read")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def read_plain_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file as it is on disk (an encrypted value stays ciphertext)."""
    return parse_toml(read_text(path), path)


def key_line(path: Path, key: str, prefix: str = "") -> int | None:
    """Best-effort line number of ``key = ...`` in a TOML file, for error messages.

    ``prefix`` is a ``Fields`` prefix naming the table the key is in: ``"crisis.supporters[2]."``
    finds the key inside the second ``[[crisis.supporters]]`` table, not the first one with that
    name anywhere in the file.  A key in an inline table or array (``supporters = [{...}]``)
    gives the line of the enclosing key; a missing key the line of its table's header; a key
    not found where the prefix says, the first ``key =`` anywhere.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    line = _line_in_table(lines, prefix, key)
    inner = prefix
    while line is None and inner:
        parent, _, last = inner[:-1].rpartition(".")
        inner = f"{parent}." if parent else ""
        line = _line_in_table(lines, inner, re.sub(r"\[\d+\]$", "", last))
    if line is None and key:  # a Fields whose prefix does not name its table
        line = _line_in_table(lines, "*", key)
    return line


_HEADER_RE = re.compile(r"^\s*(\[\[|\[)\s*([^\[\]#]+?)\s*\]\]?\s*(#.*)?$")


def _line_in_table(lines: list[str], prefix: str, key: str) -> int | None:
    """The line of ``key`` inside the table ``prefix`` names (``"*"``: in any table); the
    table's header line when the key is not in it (or ``key`` is "")."""
    table = prefix[:-1] if prefix.endswith(".") else prefix
    index = None
    m = re.fullmatch(r"(.*)\[(\d+)\]", table)
    if m:
        table, index = m.group(1), int(m.group(2))
    key_re = re.compile(rf"^\s*([\"']?){re.escape(key)}\1\s*=") if key else None
    seen: dict[str, int] = {}
    header_line = None
    inside = table in ("", "*")
    for n, line in enumerate(lines, 1):
        h = _HEADER_RE.match(line)
        if h and not line.lstrip().startswith("#"):
            current = ".".join(part.strip().strip('"').strip("'") for part in h.group(2).split("."))
            if h.group(1) == "[[":
                seen[current] = seen.get(current, 0) + 1
            inside = table == "*" or (current == table and (index is None or seen[current] == index))
            if inside and table != "*":
                header_line = n
                if not key_re:
                    return n
            continue
        if inside and key_re and key_re.match(line):
            return n
    return header_line


# ---------------------------------------------------------------- writing


def ensure_dir(path: Path) -> Path:
    """Create a folder (and parents) private to the user (0700)."""
    path = Path(path)
    if not path.is_dir():
        guard_write(path)
        try:
            path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        except FileExistsError:
            raise DataError(display_path(path), "exists and is not a folder") from None
        except PermissionError:
            raise PeerkitError(f"{display_path(path)}: permission denied creating the folder") from None
        except OSError as exc:  # a read-only file system, /proc, a name too long...
            raise PeerkitError(f"{display_path(path)}: could not create the folder "
                               f"({exc.strerror or type(exc).__name__})") from None
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


DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def _os_error_message(path: Path, exc: OSError) -> str:
    if exc.errno in DISK_FULL:
        return (f"disk full writing {display_path(path)}: free space and run again "
                "(the file was left as it was)")
    if exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif exc.errno == errno.EROFS:
        why = "the file system is read-only"
    else:
        why = exc.strerror or type(exc).__name__
    return f"{display_path(path)}: could not write ({why}); the file was left as it was"


@contextlib.contextmanager
def atomic_path(path: Path, *, before_replace: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    For producers that write a file themselves (``workbook.save(tmp)``).  On any error the
    temporary file is removed and the target is untouched.  A workspace file that is a
    symbolic link is refused; outside a workspace a link at ``path`` is replaced, never
    written through.

    ``before_replace(path)`` runs after the content is complete and before it takes the
    name (exports append their audit entry there: no exported file without its entry).  Such
    temp files are listed in the user's folder while they exist, so that one left by a
    killed process is removed next time (:func:`sweep_pending_exports`).
    """
    path = Path(path)
    guard_write(path)
    ensure_dir(path.parent)
    import tempfile

    marker = None
    if before_replace is not None:
        sweep_pending_exports()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", suffix=path.suffix,
                                   dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise PeerkitError(_os_error_message(path, exc)) from None
    if before_replace is not None:
        marker = _track_pending(tmp)
    try:
        yield Path(tmp)
        os.chmod(tmp, FILE_MODE)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if before_replace is not None:
            before_replace(path)
        _replace(tmp, path)
        _fsync_dir(path.parent)
        session.current().wrote(path)
    except OSError as exc:
        _silent_unlink(tmp)
        raise PeerkitError(_os_error_message(path, exc)) from None
    except BaseException:
        _silent_unlink(tmp)
        raise
    finally:
        if marker is not None:
            _silent_unlink(marker)


PENDING_DIR = "pending-exports"


def _track_pending(tmp: str) -> Path | None:
    """Note an export temp file in the user's folder (``<pid>-<random>`` holding its path)."""
    import secrets

    from peerkit.userconfig import ensure_config_dir

    try:
        folder = ensure_config_dir() / PENDING_DIR
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        marker = folder / f"{os.getpid()}-{secrets.token_hex(8)}"
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        try:
            os.write(fd, os.fsencode(os.path.abspath(tmp)))
        finally:
            os.close(fd)
        return marker
    except OSError:
        return None  # then only a later sweep of that folder's workspace could find it


def _alive(pid: int, marker: str) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would signal it there: trust a marker for a day
        try:
            return time.time() - os.stat(marker).st_mtime < 86400
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _pending_markers() -> list[tuple[os.DirEntry[str], int]]:
    from peerkit.userconfig import config_dir

    try:
        entries = list(os.scandir(config_dir() / PENDING_DIR))
    except OSError:
        return []
    out = []
    for entry in entries:
        pid_text = entry.name.split("-", 1)[0]
        if pid_text.isdigit():
            out.append((entry, int(pid_text)))
    return out


def _live_pending() -> set[str]:
    """The export temp files of processes still running (other than finished ones)."""
    live = set()
    for entry, pid in _pending_markers():
        if pid != os.getpid() and _alive(pid, entry.path):
            try:
                live.add(os.fsdecode(Path(entry.path).read_bytes()))
            except OSError:
                continue
    return live


def sweep_pending_exports() -> int:
    """Remove export temp files whose process is gone (wherever they are); return how many."""
    n = 0
    for entry, pid in _pending_markers():
        if _alive(pid, entry.path):
            continue
        try:
            tmp = os.fsdecode(Path(entry.path).read_bytes())
        except OSError:
            continue
        if TMP_MARK in os.path.basename(tmp) and os.path.lexists(tmp):
            _silent_unlink(tmp)  # a link is removed itself, never followed
            n += 1
        _silent_unlink(entry.path)
    return n


def _silent_unlink(p: str | Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(p)


def atomic_write_plain(path: Path, data: bytes, *, verify: Callable[[bytes], None] | None = None,
                       before_replace: Callable[[Path], None] | None = None) -> None:
    """Write ``data`` to ``path`` atomically, 0600, as given (never encrypted: records go
    through ``storage.atomic_write_bytes``).  ``verify`` may raise to abort;
    ``before_replace``: see :func:`atomic_path`."""
    with atomic_path(Path(path), before_replace=before_replace) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                if n <= 0:
                    raise OSError(errno.ENOSPC, "short write")
                view = view[n:]
        finally:
            os.close(fd)
        if verify is not None:
            verify(tmp.read_bytes())


def without_none(value: Any) -> Any:
    """Drop None values (TOML has no null) so data compares equal after a round trip."""
    if isinstance(value, dict):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [without_none(v) for v in value if v is not None]
    return value


def toml_verifier(path: Path, intended: dict[str, Any]) -> Callable[[bytes], None]:
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


def dumps_toml(data: dict[str, Any], header: str | None = None) -> str:
    import tomli_w

    text = tomli_w.dumps(without_none(data), multiline_strings=True)
    if header:
        comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
        text = comment + text
    return text


def write_plain_toml(path: Path, data: dict[str, Any], *, header: str | None = None) -> None:
    """Write a TOML file atomically, verified, as given (never encrypted)."""
    path = Path(path)
    intended = without_none(data)
    text = dumps_toml(intended, header)
    atomic_write_plain(path, text.encode("utf-8"), verify=toml_verifier(path, intended))


# The "racily clean" margin of every record cache peerkit keeps (git's rule): what changed less
# than 2 s before a cache (or a sweep's record) was started is looked at again.  The note and
# client caches and the kept answers use it as ``notecache.RACY_NS``.
RACY_NS = 2_000_000_000


def sweep_temp_files(root: Path, record: Any = None) -> int:
    """Remove temporary files left by an interrupted run (call while holding the lock).
    An export in flight in another process (listed in ``pending-exports/``) is left alone.

    Every folder of the workspace is looked at (``.git*`` folders aside, links not followed).
    With a ``record`` (the held workspace lock: ``peerkit.locking.FileLock``, whose
    ``read_data``/``write_data`` keep a few bytes in the lock file) a folder is listed only when
    it may have changed since the last sweep: the record holds each folder's ctime and
    subfolders.  A folder whose ctime is the one recorded, and older than that sweep's start by
    2 s (the racy margin of the note caches), has had no entry added or removed since it was
    listed with no temporary file in it; its recorded subfolders are looked at in turn.
    Creating, renaming or removing an entry always changes a folder's ctime, which no program
    can set back.  No record, or a damaged one, means every folder is listed."""
    root = Path(root)
    live = _live_pending()
    seen, seen_ns = _read_sweep_record(record)
    started = time.time_ns()
    folders: dict[str, list[Any]] = {}
    n, listed = 0, False
    todo = [""]
    while todo:
        rel = todo.pop()
        path = os.path.join(root, rel) if rel else os.fspath(root)
        try:
            st = os.stat(path, follow_symlinks=not rel)  # the workspace folder itself may be a link
        except OSError:
            continue
        if rel and not stat.S_ISDIR(st.st_mode):
            continue  # never through a link
        known = seen.get(rel)
        if (known is not None and known[0] == st.st_ctime_ns
                and st.st_ctime_ns < seen_ns - RACY_NS and st.st_mtime_ns < seen_ns - RACY_NS):
            folders[rel] = known  # listed before with no temporary file, unchanged since
            todo.extend(os.path.join(rel, d) for d in known[1])
            continue
        listed = True
        try:
            subfolders, removed, clean = _sweep_folder(path, live)
        except OSError:
            continue
        n += removed
        if clean:  # (a folder a temporary file was removed from has a new ctime: listed again)
            folders[rel] = [st.st_ctime_ns, sorted(subfolders)]
        todo.extend(os.path.join(rel, d) for d in subfolders)
    if record is not None and listed:
        import json

        data = json.dumps({"version": 1, "started_ns": started, "folders": folders},
                          separators=(",", ":")).encode()
        with contextlib.suppress(OSError):  # losing it only means the next sweep lists everything
            record.write_data(data)
    return n


def _sweep_folder(path: str, live: set[str]) -> tuple[list[str], int, bool]:
    """List one folder, removing its temporary files: (subfolders, how many removed, whether
    no live export's file was left in it)."""
    subfolders: list[str] = []
    removed, clean = 0, True
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith(".git"):
                    subfolders.append(entry.name)
            elif TMP_MARK in entry.name:
                if os.path.abspath(entry.path) in live:
                    clean = False  # listed again next time: its export may be gone by then
                    continue
                _silent_unlink(entry.path)
                removed += 1
    return subfolders, removed, clean


def _read_sweep_record(record: Any) -> tuple[dict[str, list[Any]], int]:
    """The folders the last sweep listed: {relative path: [ctime_ns, [subfolders]]}, its start."""
    import json

    try:
        raw = record.read_data() if record is not None else None
        if not raw:
            return {}, 0
        data = json.loads(raw)
        folders, started = data["folders"], int(data["started_ns"])
        if data.get("version") == 1 and isinstance(folders, dict) and all(
                isinstance(v, list) and len(v) == 2 and isinstance(v[0], int) and isinstance(v[1], list)
                and all(_plain_name(d) for d in v[1]) for v in folders.values()):
            return folders, started
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        pass
    return {}, 0


def _plain_name(name: object) -> bool:
    """A folder name that stays inside its parent (a damaged record never leads elsewhere)."""
    return (isinstance(name, str) and name not in ("", ".", "..") and os.sep not in name
            and (os.altsep is None or os.altsep not in name))
