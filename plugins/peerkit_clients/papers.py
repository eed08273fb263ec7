"""Documents and authorizations of a client, edited from the command line (no CLI here).

Every change is made under the workspace lock with a tomlkit round trip (comments kept), and
the whole client record is validated before it is saved: an invalid change leaves the file
as it was.
"""
from __future__ import annotations

import datetime as dt

import peerkit_clients.settings as settings_mod
from peerkit import storage
from peerkit.dates import add_months
from peerkit.errors import DataError
from peerkit.records import Document, client_from_dict, client_path
from peerkit.validate import clean_text


def _edit(ws, client_id: str):
    ws.client(client_id)  # refuses unknown ids with a clear message
    return client_path(ws, client_id)


def add_document(ws, client_id: str, data: dict) -> str:
    """Add a ``[[documents]]`` table; returns its id (``D1``, ``D2``... unless given)."""
    import tomlkit

    path = _edit(ws, client_id)
    data = {k: (clean_text(v) if isinstance(v, str) else v) for k, v in data.items()
            if v not in (None, "", [], ())}
    with ws.lock(), storage.edit_toml(path) as doc:
        docs = doc.get("documents")
        if docs is None:
            docs = tomlkit.aot()
            doc["documents"] = docs
        taken = {d.get("id") for d in docs}
        if "id" not in data:
            n = 1
            while f"D{n}" in taken:
                n += 1
            data["id"] = f"D{n}"
        elif data["id"] in taken:
            raise DataError(ws.rel(path), f"a document with id {data['id']!r} already exists")
        if "recipients" in data:
            data["recipients"] = list(data["recipients"])
        docs.append({k: data[k] for k in ("id", "kind", "signed", "signer", "expires", "review_due",
                                            "recipients") if k in data})
        client_from_dict(doc.unwrap(), ws.rel(path), expect_id=client_id)
    ws.forget_clients()
    return data["id"]


def add_authorization(ws, client_id: str, data: dict) -> int:
    """Append an ``[[authorizations]]`` table; returns its position (1-based)."""
    import tomlkit

    path = _edit(ws, client_id)
    data = {k: v for k, v in data.items() if v is not None and not (k == "number" and v == "")}
    with ws.lock(), storage.edit_toml(path) as doc:
        auths = doc.get("authorizations")
        if auths is None:
            auths = tomlkit.aot()
            doc["authorizations"] = auths
        if data.get("number") and any(a.get("number") == data["number"] for a in auths):
            raise DataError(ws.rel(path), f"an authorization numbered {data['number']!r} already exists")
        auths.append(data)
        client_from_dict(doc.unwrap(), ws.rel(path), expect_id=client_id)
        position = len(auths)
    ws.forget_clients()
    return position


def find_authorization(client, ref: str) -> int:
    """The 0-based index of the authorization numbered ``ref``, or at position ``ref`` (1-based)."""
    for i, a in enumerate(client.authorizations):
        if a.number and a.number == ref:
            return i
    if ref.isdigit() and 1 <= int(ref) <= len(client.authorizations):
        return int(ref) - 1
    raise DataError(f"client {client.id} has no authorization {ref!r}: give its number or its "
                    "position in 'peerkit client auth list'")


def end_authorization(ws, client_id: str, ref: str, day: dt.date) -> None:
    """End an authorization early: its ``end`` becomes ``day`` (not before its start)."""
    path = _edit(ws, client_id)
    with ws.lock(), storage.edit_toml(path) as doc:
        index = find_authorization(client_from_dict(doc.unwrap(), ws.rel(path), expect_id=client_id), ref)
        auth = doc["authorizations"][index]
        if day > auth["end"]:
            raise DataError(ws.rel(path), f"authorizations[{index + 1}].end is already "
                            f"{auth['end'].isoformat()}, before {day.isoformat()}")
        auth["end"] = day
        client_from_dict(doc.unwrap(), ws.rel(path), expect_id=client_id)
    ws.forget_clients()


def plan_review_due(doc: Document, s: settings_mod.Settings) -> dt.date:
    """When a person-centered plan is due for review: ``review_due``, else signed + months."""
    return doc.review_due or add_months(doc.signed, s.plan_review_months)


def alerts(ws, today: dt.date) -> list:
    """Person-centered plans due for review (within review_warn_days) or overdue, and service
    orders or plans expiring within that window or expired, for active clients."""
    from peerkit.alerts import Alert

    s = settings_mod.load(ws)
    warn = dt.timedelta(days=s.review_warn_days)
    out = []
    for c in ws.clients().values():
        if c.status != "active":
            continue
        plan = c.latest_document("person-centered-plan", today)
        if plan is not None:
            due = plan_review_due(plan, s)
            if due < today:
                out.append(Alert("clients", c.id, "error", due,
                                 f"person-centered plan review overdue since {due.isoformat()}: review "
                                 f"the plan and record it ('peerkit client doc add {c.id} "
                                 "--kind person-centered-plan ...')"))
            elif due - today <= warn:
                out.append(Alert("clients", c.id, "warning", due,
                                 f"person-centered plan review due {due.isoformat()}"))
        for kind in ("service-order", "person-centered-plan"):
            doc = c.latest_document(kind, today)
            if doc is None or doc.expires is None:
                continue
            if doc.expires < today:
                out.append(Alert("clients", c.id, "error", doc.expires,
                                 f"{kind} expired on {doc.expires.isoformat()}: services after it fail "
                                 "'note check' until the renewed one is recorded"))
            elif doc.expires - today <= warn:
                out.append(Alert("clients", c.id, "warning", doc.expires,
                                 f"{kind} expires on {doc.expires.isoformat()}"))
    return out
