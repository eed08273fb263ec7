"""Service-note checks: the rule type every plugin's ``note_checks`` hook returns."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.records import Client, Note
    from peerkit.workspace import Workspace

SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class NoteCheck:
    """A named rule.  ``check(note, ctx)`` returns None (pass), a message, or messages.

    Attributes:
        name: the rule's name, shown in findings (``agency-location-detail``); unique.
        severity: ``error`` (``note check`` exits 1; signing is refused) or ``warning``.
        check: ``check(note, ctx) -> None | str | list[str]``; a message says how to fix it
            and names fields, never PHI.
        description: one line saying what the rule wants (for documentation).
    """

    name: str
    severity: str
    check: Callable[[Note, CheckContext], Any]
    description: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.name!r}: severity must be 'error' or 'warning'")


@dataclass
class Finding:
    note: str
    file: str
    rule: str
    severity: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"note": self.note, "file": self.file, "rule": self.rule,
                "severity": self.severity, "message": self.message}


@dataclass
class CheckContext:
    """What a check may look at besides the note itself.

    Attributes:
        workspace: the ``Workspace``.
        clients: every ``Client`` by id.
        notes: the other notes considered together (for overlap and duplicate rules).
        today: today's date (``PEERKIT_TODAY`` in tests).
        settings: the workspace's ``[notes]`` table.
        cache: a dict shared by all checks of one run, to compute something once.
    """

    workspace: Workspace
    clients: dict[str, Client]
    notes: list[Note] = field(default_factory=list)
    today: Any = None
    settings: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def client(self, client_id: str) -> Client | None:
        """The ``Client`` with this id, or ``None``."""
        return self.clients.get(client_id)


def as_messages(result: Any) -> list[str]:
    if result is None or result == "" or result == []:
        return []
    if isinstance(result, str):
        return [result]
    if isinstance(result, Iterable):
        return [str(r) for r in result if r]
    return [str(result)]
