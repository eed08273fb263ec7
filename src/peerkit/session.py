"""What this process's peerkit has learnt and changed, held by one object instead of module globals.

There is one :class:`Session` per process (:func:`current`).  The CLI calls
:meth:`Session.new_command` as each command starts (``cli._new_command``): what an earlier
command of the same process (a test, an embedding program) learnt about folders and keys is
dropped, so every command looks at the files afresh.  What must outlive a command -- the
workspace folders opened (their write guards) and how the keyring backend was chosen -- is
kept.  Nothing else in peerkit keeps mutable state at module level (see docs/design.md).

This module imports nothing from peerkit: every layer may use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Session:
    """The state of this process's running command.

    Attributes:
        touched: files replaced (or removed) since the workspace lock was taken; the lock
            refreshes the caches of their folders when it is released (``Workspace.lock``).
        generation: incremented by every file this process replaces: in-process memos (the
            notes a workspace read) compare it to stay exact.
        roots: every workspace folder this process opened, absolute path -> real path (the
            write guards of ``peerkit.storage``); kept across commands.
        real_dirs: folder -> real path, looked up once per command (``storage.guard_read``).
        crypt_roots: folder -> the workspace holding it (``cryptkeys.find_root``).
        crypt_states: workspace root -> (keys file signature, its state, its opened keys).
        plugins: the ``peerkit.plugins.Plugins`` of the running command (None: not built yet).
        warm_formats: template formats whose Jinja caches this process filled.
        code_identities: ``peerkit.derived``: the source files' signatures of peerkit and of
            each plugin computing a kept answer, looked at once per process.
        recordings: ``peerkit.derived``: the kept answers being computed, innermost last.
        plugin_factory: what builds the ``Plugins`` of a run (None: ``Plugins`` itself;
            ``plugins.set_factory``: the ``peerkit`` pytest plugin installs its own).
        ciphers: ``peerkit.crypt``: AES-GCM objects by key, dropped when a command starts.
        aad_records, aad_paths: ``peerkit.crypt``: the associated data built so far.
        keyring_detected: the keyring backend came from keyring's own detection (so
            ``secrets`` records it once it holds a secret); kept across commands.
        listings: ``peerkit.derived``: the signatures listed per workspace in this command
            (see :meth:`listed`).
        remember_entry_points: the plugins' entry points come from the user's cache
            (``peerkit.entrypoints.remembered``): set by the ``peerkit`` program itself, not
            by tests or programs embedding peerkit; kept across commands.
    """

    touched: set[Path] = field(default_factory=set)
    generation: int = 0
    roots: dict[str, str] = field(default_factory=dict)
    real_dirs: dict[str, str] = field(default_factory=dict)
    crypt_roots: dict[Path, Path | None] = field(default_factory=dict)
    crypt_states: dict[Path, tuple[tuple[int, ...], Any, Any]] = field(default_factory=dict)
    plugins: Any = None
    warm_formats: set[str] = field(default_factory=set)
    keyring_detected: bool = False
    code_identities: dict[tuple[str, ...], Any] = field(default_factory=dict)
    plugin_factory: Any = None
    ciphers: dict[bytes, Any] = field(default_factory=dict)
    aad_records: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    aad_paths: dict[tuple[str, ...], bytes] = field(default_factory=dict)
    recordings: list[Any] = field(default_factory=list)
    remember_entry_points: bool = False
    listings: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def listed(self, root: str) -> dict[str, Any]:
        """``peerkit.derived.listing``'s signatures of workspace ``root`` looked at so far in this
        command: dropped when this process writes a file (``generation``) or a command starts."""
        found = self.listings.get(root)
        if found is None or found[0] != self.generation:
            found = self.listings[root] = (self.generation, {})
        return found[1]

    def wrote(self, path: Path) -> None:
        """Record that ``path`` was replaced or removed by this process."""
        self.touched.add(Path(path))
        self.generation += 1

    def take_touched(self) -> set[Path]:
        """The files touched so far, forgetting them (the caller refreshes their caches)."""
        touched, self.touched = self.touched, set()
        return touched

    def new_command(self) -> None:
        """A command starts: drop what was learnt about folders and keys (see the module)."""
        self.real_dirs.clear()
        self.crypt_roots.clear()
        self.crypt_states.clear()
        self.ciphers.clear()
        self.listings.clear()


_SESSION = Session()


def current() -> Session:
    """The session of this process (one object; its contents change, the object does not)."""
    return _SESSION
