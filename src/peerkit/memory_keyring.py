"""An in-memory keyring backend, so tests never touch the machine's real keyring.

Imported by :func:`peerkit.testing.memory_keyring` only when a test asks for it (importing
``peerkit.testing``, a pytest plugin, imports nothing of peerkit or keyring).
"""
from __future__ import annotations

import keyring.backend


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring; ``.store`` is ``{(service, name): value}``."""

    priority = 1

    def __init__(self) -> None:
        # keyring's KeyringBackend.__init__ has no annotations (untyped_calls_exclude does not
        # reach a super() call)
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)
