"""Service-note checks: the rule type every plugin's ``note_checks`` hook returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.records import Client, Note
    from peerkit.workspace import Workspace

SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class NoteCheck:
    """A named rule.  ``check(note, ctx)`` returns None (pass), a message, or messages."""

    name: str
    severity: str
    check: Callable[["Note", "CheckContext"], Any]
    description: str = ""

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.name!r}: severity must be 'error' or 'warning'")


@dataclass
class Finding:
    note: str
    file: str
    rule: str
    severity: str
    message: str

    def as_json(self) -> dict:
        return {"note": self.note, "file": self.file, "rule": self.rule,
                "severity": self.severity, "message": self.message}


@dataclass
class CheckContext:
    """What a check may look at besides the note itself.

    ``workspace``; ``clients`` by id; ``notes``: the other notes considered together (for
    overlap and duplicate rules); ``today``; ``settings``: the workspace's ``[notes]`` table.
    """

    workspace: "Workspace"
    clients: dict[str, "Client"]
    notes: list["Note"] = field(default_factory=list)
    today: Any = None
    settings: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def client(self, client_id: str) -> "Client | None":
        return self.clients.get(client_id)


def as_messages(result: Any) -> list[str]:
    if result is None or result == "" or result == []:
        return []
    if isinstance(result, str):
        return [result]
    if isinstance(result, Iterable):
        return [str(r) for r in result if r]
    return [str(result)]
