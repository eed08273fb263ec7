"""Notices on exports that disclose protected information, and the Part 2 consent gate.

Every export of a person's records (rendered notes, the review workbook, WRAP exports)
carries the agency's confidentiality notice (``[agency] confidentiality_notice``, else
:data:`DEFAULT_NOTICE`).  A program covered by 42 CFR Part 2 (``[agency] part2 = true``)
must name, for each export of a client's records, the consent it relies on
(``--consent ID --recipient NAME``): an unexpired ``consent`` or ``release-of-information``
document of that client listing the recipient.  Such exports also carry the notice of
42 CFR 2.32 (``[agency] part2_notice`` overrides the text).
"""
from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

from peerkit.errors import DataError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.records import Document
    from peerkit.validate import Fields
    from peerkit.workspace import Workspace

DEFAULT_NOTICE = (
    "CONFIDENTIAL: this document holds protected health information about a person receiving "
    "services, protected by federal and state law (HIPAA, 45 CFR Parts 160 and 164; N.C. Gen. "
    "Stat. 122C-52). Do not share it further except as the law allows. If you received it in "
    "error, tell the sender and destroy it.")

# 42 CFR 2.32(a)(1), as amended by the final rule of 16 February 2024 (89 FR 12472).
PART2_NOTICE = (
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records. This record which "
    "has been disclosed to you is protected by federal confidentiality rules (42 CFR part 2). "
    "These rules prohibit you from using or disclosing this record, or testimony that describes "
    "the information contained in this record, in any civil, criminal, administrative, or "
    "legislative proceedings by any Federal, State, or local authority, against the patient, "
    "unless authorized by the consent of the patient, except as provided at 42 CFR 2.12(c)(5) or "
    "as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, the Federal "
    "rules prohibit you from making any other use or disclosure of this record unless at least "
    "one of the following applies: (i) Further use or disclosure is expressly permitted by the "
    "written consent of the individual whose information is being disclosed in this record or as "
    "otherwise permitted by 42 CFR part 2. (ii) You are a covered entity or business associate "
    "and have received the record for treatment, payment, or health care operations, or (iii) You "
    "have received the record from a covered entity or business associate as permitted by 45 CFR "
    "part 164, subparts A and E. A general authorization for the release of medical or other "
    "information is NOT sufficient to meet the required elements of written consent to further "
    "use or redisclose the record (see 42 CFR 2.31).")



def _agency(ws: Workspace) -> Fields:
    from peerkit.validate import Fields

    return Fields(ws.section("agency"), ws.path("peerkit.toml"), prefix="agency.")


def part2(ws: Workspace) -> bool:
    """``[agency] part2``: the program is covered by 42 CFR Part 2 (default false)."""
    return bool(_agency(ws).opt("part2", bool, False))


def confidentiality_notice(ws: Workspace) -> str:
    text = _agency(ws).opt("confidentiality_notice", str, "").strip()
    return text or DEFAULT_NOTICE


def notices_for(ws: Workspace) -> list[str]:
    """The notices an export of a client's records carries, in order."""
    out = [confidentiality_notice(ws)]
    if part2(ws):
        out.append(_agency(ws).opt("part2_notice", str, "").strip() or PART2_NOTICE)
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_consent(ws: Workspace, client_id: str, consent_id: str | None, recipient: str | None,
                  today: dt.date | None = None) -> Document | None:
    """The consent an export relies on, checked; None when none is needed and none was given.

    Under ``[agency] part2 = true`` both ``consent_id`` and ``recipient`` are required
    (UsageError, exit 2).  A given consent must be a consent or release of this client,
    signed by today, with an ``expires`` date not passed, listing the recipient (DataError,
    exit 3; the message names ids and fields only).
    """
    from peerkit import dates

    if not consent_id and not recipient:
        if part2(ws):
            raise UsageError("this program is covered by 42 CFR Part 2 ([agency] part2 = true): an "
                             "export of a client's records needs --consent ID (a consent document of "
                             "that client, see 'peerkit client doc list') and --recipient NAME")
        return None
    if not consent_id or not recipient:
        raise UsageError("give --consent ID and --recipient NAME together")
    from peerkit.records import DISCLOSURE_KINDS

    today = today or dates.today()
    client = ws.client(client_id)
    doc = client.document(consent_id)
    where = ws.rel(client.path) if client.path else f"client {client_id}"
    if doc is None:
        raise DataError(where, f"no document {consent_id!r} in this client's [[documents]]")
    if doc.kind not in DISCLOSURE_KINDS:
        raise DataError(where, f"document {consent_id!r} is a {doc.kind}, not a consent or release")
    if doc.signed > today:
        raise DataError(where, f"consent {consent_id!r} is signed {doc.signed.isoformat()}, after today")
    if doc.expires is None:
        raise DataError(where, f"consent {consent_id!r} has no 'expires' date: a written consent "
                               "must say when it ends (42 CFR 2.31); record it with --expires")
    if doc.expires < today:
        raise DataError(where, f"consent {consent_id!r} expired on {doc.expires.isoformat()}")
    if _norm(recipient) not in {_norm(r) for r in doc.recipients}:
        raise DataError(where, f"consent {consent_id!r} does not list that recipient in 'recipients'")
    return doc


def add_to_text(text: str, fmt: str, notices: list[str]) -> str:
    """Put the notices at the top of a rendered text: after ``<body>`` in HTML, under the
    title (or first) in Markdown, first in plain text."""
    if not notices:
        return text
    if fmt == "html":
        block = ('<aside class="peerkit-notice" aria-label="Confidentiality notice" style="border:1px solid #000;'
                 'padding:4px 8px;margin:0 0 8px;font-size:9pt">'
                 + "".join(f"<p>{html.escape(n)}</p>" for n in notices) + "</aside>\n")
        lower = text.lower()
        at = lower.find("<body")
        if at != -1:
            end = lower.find(">", at)
            if end != -1:
                return text[:end + 1] + "\n" + block + text[end + 1:]
        return block + text
    if fmt == "md":
        block = "".join(f"> {n}\n>\n" for n in notices).rstrip(">\n") + "\n\n"
        if text.startswith("# "):  # keep the document's title first: the notice right under it
            title, _, rest = text.partition("\n")
            return title + "\n\n" + block + rest.lstrip("\n")
        return block + text
    return "\n\n".join(notices) + "\n\n" + text


def audit_action(action: str, consent: Document | None) -> str:
    """The audit entry's action with the consent it relied on (``format=md consent=D4``)."""
    return f"{action} consent={consent.id}" if consent is not None else action
