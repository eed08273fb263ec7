"""Errors that peerkit reports as one clear line with a documented exit code."""
from __future__ import annotations

# Exit codes (DESIGN.md section 4)
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_SECRET = 4
EXIT_NOTHING = 5     # nothing to do: 'invoice' found nothing to bill (nothing was written)


class PeerkitError(Exception):
    """Base error: printed as ``Error: <message>`` with ``exit_code``; never a traceback.

    Messages must name files, fields and record ids only -- never names, narrative or secrets.
    """

    exit_code = EXIT_DATA

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self)


class DataError(PeerkitError):
    """Invalid workspace data or input file (exit 3).

    ``DataError(path, "field 'end': must be after 'start'", line=7)`` prints
    ``clients/C001.toml:7: field 'end': must be after 'start'``.
    """

    exit_code = EXIT_DATA

    def __init__(self, where: object, problem: str | None = None, *, line: int | None = None):
        if problem is None:
            text = str(where)
        else:
            loc = str(where)
            if line:
                loc = f"{loc}:{line}"
            text = f"{loc}: {problem}"
        super().__init__(text)


class SecretError(PeerkitError):
    """A needed secret or keyring backend is missing or unsafe (exit 4)."""

    exit_code = EXIT_SECRET


class UsageError(PeerkitError):
    """Wrong use of a command that click could not catch itself (exit 2)."""

    exit_code = EXIT_USAGE


class LockError(PeerkitError):
    """Another peerkit process holds the workspace lock."""

    exit_code = EXIT_DATA
