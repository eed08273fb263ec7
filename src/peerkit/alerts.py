"""Alerts: things needing attention, contributed by plugins through the ``alerts`` hook."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Alert:
    """One line of ``peerkit status``.

    Attributes:
        source: the plugin or feature ("notes", "certs").
        subject: a record id or path (never a name).
        severity: ``error`` (overdue or broken: status exits 1), ``warning`` (due soon) or ``info``.
        due: the date it is due, or ``None``.
        message: what to do.
    """

    source: str
    subject: str
    severity: str
    due: dt.date | None
    message: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")

    def as_json(self) -> dict[str, str | None]:
        """``{"source", "subject", "severity", "due" (ISO date or null), "message"}``."""
        return {"source": self.source, "subject": self.subject, "severity": self.severity,
                "due": self.due.isoformat() if self.due else None, "message": self.message}

    @classmethod
    def from_json(cls, data: Any) -> Alert:
        """The alert :meth:`as_json` gave; KeyError, TypeError or ValueError for anything else."""
        due = data["due"]
        return cls(data["source"], data["subject"], data["severity"],
                   dt.date.fromisoformat(due) if due else None, data["message"])


def sort_alerts(alerts: list[Alert]) -> list[Alert]:
    """Grouped by severity (errors first), then by due date (undated last), then subject."""
    return sorted(alerts, key=lambda a: (SEVERITIES.index(a.severity),
                                         a.due or dt.date.max, a.source, a.subject, a.message))
