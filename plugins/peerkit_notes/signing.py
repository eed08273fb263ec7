"""``note sign``: stamp drafts as signed, each checked first as it will be once signed.

Apart from the note model because signing runs the checks (``checks`` reads the model).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from peerkit import dates, storage
from peerkit.records import Note, note_from_dict, note_seal
from peerkit_notes import model
from peerkit_notes.checks import run_checks


@dataclass
class SignResult:
    signed: list[Note]
    refused: dict[str, list]  # note id -> findings
    skipped: list[tuple[str, str]]  # (note id, why)


def sign_notes(ws, note_ids: Iterable[str], *, when: dt.datetime | None = None) -> SignResult:
    """Sign drafts: stamp status, author, credentials, signed_at and late_entry.

    Each note is checked as it would be once signed; one failing an error-level check is
    refused (with its findings) and the others are still signed.
    """
    note_ids = list(dict.fromkeys(note_ids))
    for nid in note_ids:
        ws.note(nid)  # unknown ids stop everything before anything is signed
    name, cred = model.signer(ws)
    hours = model.settings(ws).deadline_hours
    result = SignResult([], {}, [])
    with ws.lock():
        for nid in note_ids:
            note = ws.note(nid)
            if note.status != "draft":
                result.skipped.append((nid, f"is {note.status}, not a draft"))
                continue
            stamp = when or dates.now()
            if model.service_end(note) > stamp:
                from peerkit.checks import Finding

                result.refused[nid] = [Finding(
                    nid, ws.rel(note.path), "service-not-ended", "error",
                    f"the service ends at {model.service_end(note).isoformat(' ', 'minutes')}, after now "
                    f"({stamp.isoformat(' ', 'minutes')}): sign a note once the service is over")]
                continue
            late = model.is_late(note, stamp, hours)
            candidate = dataclasses.replace(note, status="signed", author=name, credentials=cred,
                                            signed_at=stamp, late_entry=late)
            findings = run_checks(ws, [candidate], signing=True)
            errors = [f for f in findings if f.severity == "error"]
            if errors:
                result.refused[nid] = errors
                continue
            with storage.edit_toml(note.path) as doc:
                doc["status"] = "signed"
                doc["author"] = name
                doc["credentials"] = cred
                doc["signed_at"] = stamp
                doc["late_entry"] = late
                doc["seal"] = note_seal(note)
                note_from_dict(doc.unwrap(), note.path, expect_id=nid, clients=ws.clients())
            result.signed.append(candidate)
    return result
