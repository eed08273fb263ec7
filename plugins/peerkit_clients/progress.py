"""Goal progress over time: each goal's notes and their progress ratings (no CLI here)."""
from __future__ import annotations

from typing import Any

from peerkit_clients import settings as settings_mod


def goal_progress(ws, client_id: str) -> list[dict]:
    """For each goal of the client's plan: the non-void notes that address it, oldest first,
    each with its ``[progress]`` rating (or None) and the rating's label."""
    client = ws.client(client_id)
    scale = settings_mod.load(ws).progress_scale
    notes = [n for n in ws.notes(client=client_id) if n.client == client_id and n.status != "void"]
    notes.sort(key=lambda n: (n.date, n.start, n.id))
    out = []
    for g in client.goals:
        entries = []
        for n in notes:
            if g.id not in n.goals:
                continue
            progress = n.extra.get("progress")
            rating: Any = progress.get(g.id) if isinstance(progress, dict) else None
            ok = isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= len(scale)
            entries.append({"note": n.id, "date": n.date, "status": n.status,
                            "rating": rating if ok else None,
                            "label": scale[rating - 1] if ok else None})
        rated = [e["rating"] for e in entries if e["rating"] is not None]
        out.append({"goal": g.id, "text": g.text, "status": g.status, "started": g.started,
                    "notes": entries, "first_rating": rated[0] if rated else None,
                    "latest_rating": rated[-1] if rated else None, "scale": list(scale)})
    return out


def progress_text(client_id: str, goals: list[dict]) -> str:
    lines = [f"Goal progress of client {client_id}"]
    for g in goals:
        started = f", started {g['started'].isoformat()}" if g["started"] else ""
        lines.append(f"  {g['goal']} [{g['status']}{started}] {g['text']}")
        if not g["notes"]:
            lines.append("    no notes yet")
        for e in g["notes"]:
            rating = f"{e['rating']} ({e['label']})" if e["rating"] is not None else "-"
            lines.append(f"    {e['date'].isoformat()}  {e['note']:<24} {rating}")
    return "\n".join(lines)
