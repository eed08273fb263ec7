"""The workspace: a folder of TOML records found like git finds a repository."""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import time
from collections.abc import Callable, Collection, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from peerkit import session, storage
from peerkit.errors import DataError, LockError, PeerkitError, UsageError
from peerkit.notecache import CACHE_NAME, CLIENTS_CACHE_NAME
from peerkit.records import (
    Client,
    KnownClients,
    Note,
    NoteMemo,
    check_id,
    iter_notes,
    load_clients,
    load_note_by_id,
    refresh_client_cache,
    refresh_note_cache,
)

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.units import UnitRule

from peerkit.discovery import CONFIG_NAME as CONFIG_NAME  # re-exported
from peerkit.discovery import LOCK_NAME as LOCK_NAME  # re-exported
from peerkit.discovery import find_root

LOCK_TIMEOUT_ENV = "PEERKIT_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_SECONDS = 10.0
SCHEMA_VERSION = 1
T = TypeVar("T")


def lock_timeout() -> float:
    """Seconds a writer waits for the workspace lock: ``PEERKIT_LOCK_TIMEOUT`` (default 10),
    read when the lock is taken; a value that is not a number of seconds is a usage error."""
    import math

    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise UsageError(f"{LOCK_TIMEOUT_ENV} must be a number of seconds (0 or more), "
                         f"such as 10; unset it for the default ({DEFAULT_LOCK_TIMEOUT_SECONDS:g})")
    return seconds


class Workspace:
    """One peer's workspace.  Reading never changes a record (it may refresh a stale cache, see
    ``peerkit.notecache``); writers take :meth:`lock`.

    Attributes:
        root: the workspace folder (the one holding peerkit.toml), a ``Path``.
        note_memo: the notes of whole months read so far (``records.NoteMemo``), for the rest
            of the command or until it writes a file.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        # peerkit.derived: what this object reads or memoises is no older than this moment
        self.opened_ns = time.time_ns()
        storage.register_root(self.root)
        self._clients: dict[str, Client] | None = None
        self._known: KnownClients | None = None
        self._memos: dict[str, object] = {}
        self.note_memo = NoteMemo()
        self._read_watchers: list[Callable[[dt.date | None, dt.date | None], None]] = []

    @classmethod
    def open(cls, explicit: str | Path | None = None, start: Path | None = None) -> Workspace:
        """The workspace at ``explicit``, else $PEERKIT_WORKSPACE, else the nearest parent of
        ``start`` (default: the current folder) holding peerkit.toml; exit 2 when none."""
        root = find_root(start, explicit)
        if root is None:
            raise UsageError(
                "no workspace here: run 'peerkit init DIR', pass --workspace DIR, "
                "or set PEERKIT_WORKSPACE")
        if not (root / CONFIG_NAME).is_file():
            raise DataError(storage.display_path(root / CONFIG_NAME),
                            "not found: this folder is not a peerkit workspace (run 'peerkit init')")
        return cls(root)

    # ------------------------------------------------------------ paths and config
    def path(self, *parts: str) -> Path:
        """A path inside the workspace: ``ws.path("clients", "C001.toml")``."""
        return self.root.joinpath(*parts)

    def rel(self, path: Path) -> str:
        """A path relative to the workspace, for messages."""
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    @cached_property
    def config(self) -> dict[str, Any]:
        """peerkit.toml, read and validated once (plain dicts and lists)."""
        from peerkit.config import validate_config

        path = self.path(CONFIG_NAME)
        data = storage.read_toml(path)
        validate_config(data, path)
        return data

    def config_for_report(self) -> list[DataError]:
        """Read peerkit.toml for a read-only report (``status``) even when it holds a secret
        typed in plain text: that problem is returned (for the report to show, exit 3) rather
        than stopping every feature from reading the rest.  Other problems still raise."""
        from peerkit.config import check_no_plain_secrets, validate_config

        if "config" in self.__dict__:
            return []
        path = self.path(CONFIG_NAME)
        data = storage.read_toml(path)
        try:
            validate_config(data, path)
            problems: list[DataError] = []
        except DataError as exc:
            try:
                check_no_plain_secrets(data, path)
            except DataError as secret:
                # validate_config checks secrets last: the same message means all else is valid
                if secret.message != exc.message:
                    raise exc from None
                problems = [secret]
            else:
                raise
        self.__dict__["config"] = data  # what the cached property would hold
        return problems

    def forget_config(self) -> None:
        """Drop peerkit.toml as read so far, and what was computed from it (after a command
        changed the file): the next use reads it again."""
        for name in ("config", "unit_rule", "timezone"):
            self.__dict__.pop(name, None)
        self._memos.clear()

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table of peerkit.toml (``[caseload]``, ``[wrap]``...), or ``{}``."""
        value = self.config.get(name, {})
        if not isinstance(value, dict):
            raise DataError(self.rel(self.path(CONFIG_NAME)), f"[{name}] must be a table")
        return value

    @cached_property
    def unit_rule(self) -> UnitRule:
        """The billing-unit rule of ``[billing]`` (unit minutes, rounding, per note or per day)."""
        from peerkit.units import UnitRule

        return UnitRule.from_config(self.section("billing"), self.path(CONFIG_NAME))

    @property
    def provider(self) -> dict[str, Any]:
        """The ``[provider]`` table (name, credentials; secrets only as ``keyring:`` references)."""
        return self.section("provider")

    @cached_property
    def timezone(self) -> str:
        """The workspace's IANA time zone: ``[provider] timezone`` (validated with the
        config), America/New_York when it is not set."""
        from peerkit.dates import DEFAULT_TIMEZONE

        return self.provider.get("timezone") or DEFAULT_TIMEZONE

    # ------------------------------------------------------------ records
    def clients(self) -> dict[str, Client]:
        """Every client record, by id (read once per command)."""
        if self._clients is None:
            self._clients = load_clients(self)
        return self._clients

    def client(self, client_id: str) -> Client:
        """One client by id; an unknown id is a DataError (exit 3)."""
        check_id(client_id, "client id")
        found = self.clients().get(client_id)
        if found is None:
            raise DataError(f"unknown client id {client_id!r}: no clients/{client_id}.toml "
                            "(see 'peerkit client list')")
        return found

    def forget_notes(self) -> None:
        """Drop the notes this process memoised (a long export does, workspace by workspace)."""
        self.note_memo.clear()

    def forget_clients(self) -> None:
        """Drop the clients read so far (after a command changed a client file)."""
        self._clients = None
        self._known = None

    def clients_read(self) -> dict[str, Client] | None:
        """The clients :meth:`clients` has read so far, or None when it has not (reads nothing)."""
        return self._clients

    def known_clients(self) -> KnownClients:
        """Client ids that exist (``"C001" in ws.known_clients()``), checked by file without
        parsing every client."""
        if self._known is None:
            self._known = KnownClients(self.path("clients"), self.clients_read)
        return self._known

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """``make()``, computed once for this workspace object and kept under ``key`` (a
        plugin's settings parsed from peerkit.toml: use the plugin's name as the key)."""
        if key not in self._memos:
            self._memos[key] = make()
        return cast(T, self._memos[key])

    def notes(self, start: dt.date | None = None, end: dt.date | None = None,
              *, client: str | None = None, skip_ids: Collection[str] | None = None) -> Iterator[Note]:
        """Service notes whose date is in [start, end] (``None``: open-ended), read from
        notes/YYYY/MM only; ``client``: only this client's notes.

        ``skip_ids``: optional set of note ids whose files are not read at all."""
        for watch in self._read_watchers:
            watch(start, end)
        return iter_notes(self, start, end, client=client, skip_ids=skip_ids)

    def note(self, note_id: str) -> Note:
        """One note by id (its file is found from the date in the id); unknown: DataError."""
        for watch in self._read_watchers:
            watch(None, None)   # it may look in any month folder
        return load_note_by_id(self, note_id)

    @contextlib.contextmanager
    def watching_reads(self, watch: Callable[[dt.date | None, dt.date | None], None]) -> Iterator[None]:
        """While the block runs, ``watch(start, end)`` is called before each read of notes through
        :meth:`notes` (its period) and :meth:`note` (``None, None``: any month).
        ``peerkit.derived`` lists this way the files a kept answer depends on."""
        self._read_watchers.append(watch)
        try:
            yield
        finally:
            self._read_watchers.remove(watch)

    # ------------------------------------------------------------ writing
    @contextlib.contextmanager
    def lock(self) -> Iterator[Workspace]:
        """Serialise every mutating command on this workspace (flock on .peerkit.lock).

        A second writer waits up to PEERKIT_LOCK_TIMEOUT seconds, then stops naming the
        holder.  Temporary files left by an interrupted run are removed once the lock is held.
        """
        from peerkit.locking import FileLock, LockTimeout
        from peerkit.trust import check_writable

        timeout = lock_timeout()  # before anything is touched: a bad value is exit 2
        check_writable(self.root)  # another user's or a read-only workspace: exit 3, one line
        lock_path = self.path(LOCK_NAME)
        owner_path = self.path(LOCK_NAME + ".owner")
        for p in (lock_path, owner_path):
            storage.guard_write(p)  # a link here would be truncated or overwritten
        lock = FileLock(lock_path, timeout=timeout, mode=storage.FILE_MODE)
        try:
            lock.acquire()
        except LockTimeout:
            holder = ""
            with contextlib.suppress(OSError):
                holder = owner_path.read_text().strip()
            raise LockError(f"{self.rel(lock_path)}: another peerkit is changing this workspace"
                            + (f" ({holder})" if holder else "")
                            + "; try again when it has finished") from None
        except PermissionError:
            raise PeerkitError(f"{lock_path}: permission denied: this workspace is read-only "
                               "for you, so nothing can be changed") from None
        wrote_owner = False
        try:
            with contextlib.suppress(OSError):
                if not lock_path.is_symlink():
                    os.chmod(lock_path, storage.FILE_MODE)
            wrote_owner = self._write_owner(owner_path)
            storage.sweep_temp_files(self.root, record=lock)
            storage.sweep_pending_exports()
            session.current().take_touched()
            yield self
        finally:
            try:
                self._refresh_note_caches()
            finally:
                if wrote_owner:
                    with contextlib.suppress(OSError):
                        owner_path.unlink()
                lock.release()

    def _write_owner(self, owner_path: Path) -> bool:
        """Write who holds the lock, never through a link (exit 3 naming the path)."""
        import errno

        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(owner_path, flags, storage.FILE_MODE)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise DataError(self.rel(owner_path), "is a symbolic link; peerkit does not write "
                                "through links (remove it and run again)") from None
            return False
        try:
            if hasattr(os, "fchmod"):  # not on Windows
                os.fchmod(fd, storage.FILE_MODE)
            os.write(fd, f"pid {os.getpid()}, user {getpass.getuser()}\n".encode())
        except OSError:
            pass
        finally:
            os.close(fd)
        return True

    def _refresh_note_caches(self) -> None:
        """Bring the caches of every folder this command wrote a note or client in up to date."""
        notes, clients = self.path("notes"), self.path("clients")
        touched = [p for p in session.current().take_touched()
                   if p.name not in (CACHE_NAME, CLIENTS_CACHE_NAME)]
        for folder in sorted({p.parent for p in touched if p.parent.parent.parent == notes}):
            refresh_note_cache(folder)
        if any(p.parent == clients for p in touched):
            refresh_client_cache(clients)

    def audit(self, command: str, *, records: list[str] | tuple[str, ...] = (),
              output: str | Path | None = None, action: str = "") -> None:
        """Append one line to the hash-chained audit log (ids and paths only, never PHI)."""
        from peerkit.audit import append
        from peerkit.trust import check_writable

        check_writable(self.root)  # exit 3, one line: never an OS error from a read-only folder

        append(self, command=command, records=list(records), output=output, action=action)
