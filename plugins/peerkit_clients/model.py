"""Client records: adding, editing and showing them (no CLI here)."""
from __future__ import annotations

import datetime as dt

from peerkit import storage
from peerkit.errors import DataError
from peerkit.inputs import read_records
from peerkit.records import GOAL_STATUSES, Client, check_id, client_from_dict, client_path
from peerkit.validate import clean_text

HEADER = "A person receiving peer support.  Edit with care: ids are referenced by notes."


def add_from_source(ws, source: str) -> list[str]:
    records, where = read_records(source, list_key="clients")
    return add_clients(ws, records, where)


def add_clients(ws, records: list[dict], where: str) -> list[str]:
    """Validate every record first; write none unless all are valid and new."""
    clients = []
    for i, data in enumerate(records):
        data = {k: v for k, v in data.items() if v not in (None, "")}
        data.setdefault("status", "active")
        label = where if len(records) == 1 else f"{where} (record {i + 1})"
        clients.append(client_from_dict(data, label))
    ids = [c.id for c in clients]
    if len(set(ids)) != len(ids):
        raise DataError(where, "the same client id appears twice")
    with ws.lock():
        for c in clients:
            if client_path(ws, c.id).exists():
                raise DataError(ws.rel(client_path(ws, c.id)), "already exists; use 'peerkit client edit'")
        for c in clients:
            storage.write_toml(client_path(ws, c.id), c.to_dict(), header=HEADER)
    ws.forget_clients()
    return ids


def _validate_file(data: dict, path) -> None:
    client_from_dict(data, path)


def edit_interactively(ws, client_id: str) -> bool:
    from peerkit.editing import edit_in_editor

    path = client_path(ws, client_id)
    ws.client(client_id)
    with ws.lock():
        changed = edit_in_editor(path, lambda data, p: client_from_dict(data, p, expect_id=client_id))
    ws.forget_clients()  # as after every other change: the next read sees the edit
    return changed


def edit_client(ws, client_id: str, changes: dict, add_goals=(), goal_status=(),
                started: dt.date | None = None) -> None:
    import tomlkit

    from peerkit import dates

    path = client_path(ws, client_id)
    ws.client(client_id)  # refuses unknown ids with a clear message
    with ws.lock(), storage.edit_toml(path) as doc:
        for key, value in changes.items():
            doc[key] = clean_text(value) if isinstance(value, str) else value
        goals = doc.get("goals")
        for spec in add_goals:
            gid, _, text = spec.partition(":")
            check_id(gid.strip(), "goal id")
            if not text.strip():
                raise DataError("--add-goal needs ID:TEXT (for example G3:Get a library card)")
            if goals is None:
                goals = tomlkit.aot()
                doc["goals"] = goals
            if any(g.get("id") == gid.strip() for g in goals):
                raise DataError(ws.rel(path), f"goal {gid.strip()!r} already exists")
            goals.append({"id": gid.strip(), "text": clean_text(text.strip()), "status": "active",
                          "started": started or dates.today()})
        for spec in goal_status:
            gid, _, status = spec.partition(":")
            if status not in GOAL_STATUSES:
                raise DataError(f"--goal-status needs ID:STATUS with STATUS one of {', '.join(GOAL_STATUSES)}")
            match = [g for g in (goals or []) if g.get("id") == gid]
            if not match:
                raise DataError(ws.rel(path), f"no goal {gid!r} in this client's plan")
            match[0]["status"] = status
        client_from_dict(doc.unwrap(), path, expect_id=client_id)  # validate before saving
    ws.forget_clients()


def discharge(ws, client_id: str, day: dt.date) -> None:
    c = ws.client(client_id)
    if c.admitted and day < c.admitted:
        raise DataError(ws.rel(client_path(ws, client_id)), "the discharge date is before 'admitted'")
    path = client_path(ws, client_id)
    with ws.lock(), storage.edit_toml(path) as doc:
        doc["status"] = "discharged"
        doc["discharged"] = day
    ws.forget_clients()


def client_json(c: Client) -> dict:
    d = c.to_dict()
    d["authorizations"] = d.get("authorizations", [])
    d["goals"] = d.get("goals", [])
    return d


def client_text(c: Client) -> str:
    lines = [f"{c.id}  {c.name}  ({c.status})"]
    for label, value in (("Record number", c.record_number), ("Medicaid ID", c.medicaid_id),
                         ("Admitted", c.admitted), ("Discharged", c.discharged)):
        if value:
            lines.append(f"  {label}: {value}")
    if c.authorizations:
        lines.append("  Authorizations:")
        for a in c.authorizations:
            mod = f" {a.modifier}" if a.modifier else ""
            lines.append(f"    {a.code}{mod}: {a.units} units, {a.start} to {a.end}, {a.hours_per_week:g} h/week")
    for part, items in c.plan.items():
        if items:
            lines.append(f"  {part.capitalize()}: " + "; ".join(items))
    if c.documents:
        lines.append("  Documents:")
        for d in sorted(c.documents, key=lambda d: (d.signed, d.id)):
            until = f", expires {d.expires}" if d.expires else ""
            lines.append(f"    {d.id} {d.kind}: signed {d.signed} by {d.signer}{until}")
    if c.goals:
        lines.append("  Goals:")
        for g in c.goals:
            lines.append(f"    {g.id} [{g.status}] {g.text}")
    return "\n".join(lines)
