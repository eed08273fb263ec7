"""Identifiers that do not belong in a record: in narrative text, or as keys of a file.

Narrative (a note's purpose, intervention, response and plan) describes a service; an SSN,
a Medicaid ID or another person's phone number typed into it is PHI in the wrong place.
:func:`find_in_text` says which kinds appear -- never the value -- for the warning at entry and
the ``identifier-in-narrative`` check at signing; :func:`narrative_warnings` gives the same
warning when an incident or a WRAP plan is written.

Some identifiers peerkit never stores at all (:data:`FORBIDDEN_KEYS`): a key naming one is
refused in every record file (exit 3 naming the file and the key), unless its value is a
``keyring:NAME`` reference (peerkit.toml's way to point at a secret in the OS keyring).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

SSN_RE = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
# NC Medicaid ID: nine digits and a letter (examples: 900000001A)
MEDICAID_RE = re.compile(r"(?<![A-Za-z0-9])\d{9}[A-Za-z](?![A-Za-z0-9])")
PHONE_RE = re.compile(r"(?<![\d-])(?:\+?1[-.\s]?)?\(?(\d{3})\)?[-.\s]?(\d{3})[-.\s]?(\d{4})(?![\d-])")
# Each of the three has three digits in a row: a text without them holds none (a quick look
# before the three searches, most narrative having no such digits)
THREE_DIGITS_RE = re.compile(r"\d\d\d")

FORBIDDEN_KEYS = frozenset({
    "ssn", "social_security", "social_security_number", "socialsecurity", "social_security_no",
    "password", "passwd", "passphrase", "credit_card", "credit_card_number", "card_number", "cvv",
})
_LABELS = {"ssn": "a Social Security number", "password": "a password", "card": "a payment card number"}


def phone_digits(text: str) -> set[str]:
    """The ten-digit numbers written in ``text`` like phone numbers."""
    return {"".join(m.groups()) for m in PHONE_RE.finditer(text)}


def find_in_text(text: str, other_phones: Iterable[str] = ()) -> list[str]:
    """What identifier-shaped text appears: "an SSN", "a Medicaid ID", "a phone number of
    another person served" -- descriptions only, never the value."""
    found: list[str] = []
    if not text or not THREE_DIGITS_RE.search(text):
        return found
    if SSN_RE.search(text):
        found.append("something shaped like a Social Security number (###-##-####)")
    if MEDICAID_RE.search(text):
        found.append("something shaped like a Medicaid ID (nine digits and a letter)")
    phones = set(other_phones)
    if phones and phone_digits(text) & phones:
        found.append("the phone number of another person served")
    return found


def find_in_fields(value: object, prefix: str = "") -> list[tuple[str, str]]:
    """``[(field, what), ...]`` for each text in a record's (nested) fields holding something
    shaped like an SSN or a Medicaid ID; ``field`` is the field's path (``what``,
    ``crisis.supporters[1].role``, ``toolbox.tools[2]``), never the value."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        found.extend((prefix, what) for what in find_in_text(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(find_in_fields(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found.extend(find_in_fields(item, f"{prefix}[{i + 1}]"))
    return found


def narrative_warnings(record: str, fields: object) -> list[str]:
    """The warnings at entry for a record other than a note (an incident, a WRAP plan): one
    line per field holding an identifier, naming ``record`` and the field, never the value."""
    return [f"Warning: {record}: the {name} contains {what}: narrative never holds "
            "identifiers; remove it" for name, what in find_in_fields(fields)]


def forbidden_key(key: str) -> str | None:
    """The kind of identifier a key names when peerkit never stores it, else None."""
    norm = key.strip().lower().replace("-", "_").replace(" ", "_")
    if norm not in FORBIDDEN_KEYS:
        return None
    if "pass" in norm:
        return _LABELS["password"]
    if "card" in norm or norm == "cvv":
        return _LABELS["card"]
    return _LABELS["ssn"]
