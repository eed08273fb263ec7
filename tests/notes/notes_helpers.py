"""Helpers of the notes tests."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path


def change(note, **kw):
    new = dataclasses.replace(note, **kw)
    new.path = note.path
    return new


def findings_for(ws, note, rule=None, **kw):
    from peerkit_notes.checks import run_checks

    found = run_checks(ws, [note], **kw)
    return [f for f in found if rule is None or f.rule == rule]


def write_note(ws_path: Path, data: dict) -> Path:
    from peerkit import storage

    d = data["date"]
    path = ws_path / "notes" / f"{d.year:04d}" / f"{d.month:02d}" / f"{data['id']}.toml"
    storage.write_toml(path, data)
    return path


def note_dict(**kw) -> dict:
    base = dict(id="N-2026-11-24-C002-1", client="C002", date=dt.date(2026, 11, 24),
                start=dt.time(9, 0), end=dt.time(9, 45), code="H0038", modifier="", group_size=0,
                place="community", location="Workforce center", goals=["G1"],
                purpose="Work on the job search together.",
                intervention="Practised answers for an interview.",
                response="Riley said they felt ready for it.", plan="Apply to two jobs.",
                status="draft",
                late_entry=False)
    base.update(kw)
    return base


def editor_script(tmp_path: Path, body: str) -> str:
    """An $EDITOR that rewrites the file it is given with ``body(text) -> text``."""
    script = tmp_path / "fake_editor.py"
    script.write_text("import sys\n"
                      "p = sys.argv[-1]\n"
                      "text = open(p, encoding='utf-8').read()\n"
                      f"{body}\n"
                      "open(p, 'w', encoding='utf-8').write(text)\n")
    return f"{sys.executable} {script}"


def one_error_line(result):
    out = result.output
    assert "Traceback" not in out, out
    errors = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, out
    return errors[0]


def loads(result):
    return json.loads(result.stdout)


def set_setting(ws_path: Path, key: str, value: str, table: str = "notes") -> None:
    """Set ``key = value`` in a table of the workspace's peerkit.toml (a targeted text edit)."""
    import re

    cfg = ws_path / "peerkit.toml"
    text = cfg.read_text()
    start = text.index(f"[{table}]\n") + len(f"[{table}]\n")
    nxt = text.find("\n[", start)
    body = text[start:] if nxt < 0 else text[start:nxt + 1]
    pat = re.compile(rf"^{re.escape(key)}\s*=.*$", re.M)
    body = pat.sub(f"{key} = {value}", body, count=1) if pat.search(body) else f"{key} = {value}\n" + body
    cfg.write_text(text[:start] + body + ("" if nxt < 0 else text[nxt + 1:]))
