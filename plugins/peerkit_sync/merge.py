"""peerkit's git merge driver: merges a TOML record field by field, knowing peerkit's rules.

git calls it as ``python -m peerkit_sync.merge %O %A %B %P`` (ancestor, ours, theirs, path)
when both sides changed the same record.  The merged record is written into ``%A`` and the
exit status is 0; a change it cannot reconcile leaves ``%A`` as it was and exits 1 (git then
reports a conflict and ``peerkit sync`` puts the repository back as it was).  It never prints
a value: only the path and the field names.

The rules:

* a field changed on one side only takes that side's value; the same change on both sides is
  taken once; different changes to one field are a conflict;
* tables merge field by field; a list (addenda, goals, authorizations...) to which both sides
  only appended keeps the common part, then ours, then theirs' new items;
* a service note whose content (billable facts or narrative) one side changed while the other
  side recorded a review decision: the decision was made on a version that no longer exists, so
  it is not applied -- the content side wins and the note goes back to review (``submitted``),
  the same rule as a stale review workbook.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

CONTENT = ("client", "date", "start", "end", "code", "modifier", "group_size", "place", "location",
           "goals", "purpose", "intervention", "response", "plan", "addenda")
DECISION = ("review",)
MISSING = object()


class Conflict(Exception):
    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def merge_values(base: Any, ours: Any, theirs: Any, path: str = "") -> Any:
    """Three-way merge of plain TOML values; :class:`Conflict` names the first field in dispute."""
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        base_d = base if isinstance(base, dict) else {}
        out: dict = {}
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            value = merge_values(base_d.get(key, MISSING), ours.get(key, MISSING),
                                 theirs.get(key, MISSING), f"{path}.{key}" if path else key)
            if value is not MISSING:
                out[key] = value
        return out
    if isinstance(ours, list) and isinstance(theirs, list):
        base_l = base if isinstance(base, list) else []
        n = len(base_l)
        if ours[:n] == base_l and theirs[:n] == base_l:
            added = ours[n:]
            return [*ours, *(item for item in theirs[n:] if item not in added)]
    raise Conflict(path or "(whole record)")


def _changed(base: dict, side: dict, keys: tuple[str, ...]) -> bool:
    return any(base.get(k, MISSING) != side.get(k, MISSING) for k in keys)


def merge_note(base: dict, ours: dict, theirs: dict) -> dict:
    """A note: field by field, except that a decision on a changed note is not applied."""
    ours_content, theirs_content = _changed(base, ours, CONTENT), _changed(base, theirs, CONTENT)
    ours_decided, theirs_decided = _changed(base, ours, DECISION), _changed(base, theirs, DECISION)
    if ours_content and theirs_decided and not theirs_content:
        return _back_to_review(ours)
    if theirs_content and ours_decided and not ours_content:
        return _back_to_review(theirs)
    return merge_values(base, ours, theirs)


def _back_to_review(content_side: dict) -> dict:
    out = dict(content_side)
    if out.get("status") in ("approved", "denied", "signed", "submitted"):
        out["status"] = "submitted"
        out.pop("review", None)
    return out


def merge_record(base: dict, ours: dict, theirs: dict, path: str) -> dict:
    if path.startswith("notes/"):
        return merge_note(base, ours, theirs)
    return merge_values(base, ours, theirs)


def render(ours_text: str, merged: dict) -> str:
    """The merged record as TOML, keeping ours' layout and comments where unchanged."""
    import tomlkit

    doc = tomlkit.parse(ours_text)
    current = doc.unwrap()
    for key in list(doc.keys()):
        if key not in merged:
            del doc[key]
    for key, value in merged.items():
        if current.get(key, MISSING) != value:
            doc[key] = value
    return tomlkit.dumps(doc)


def _read(path: str) -> tuple[str, dict]:
    text = Path(path).read_text(encoding="utf-8")
    if "\n<<<<<<< " in f"\n{text}" or "\n>>>>>>> " in f"\n{text}":
        raise ValueError("conflict markers")
    return text, tomllib.loads(text)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: python -m peerkit_sync.merge ANCESTOR OURS THEIRS PATH", file=sys.stderr)
        return 2
    ancestor, ours_path, theirs_path, record = argv
    try:
        base = _read(ancestor)[1] if Path(ancestor).stat().st_size else {}
        ours_text, ours = _read(ours_path)
        _, theirs = _read(theirs_path)
    except (OSError, ValueError, UnicodeDecodeError):
        print(f"peerkit merge: {record}: not a readable TOML record on every side", file=sys.stderr)
        return 1
    try:
        merged = merge_record(base, ours, theirs, record)
    except Conflict as exc:
        print(f"peerkit merge: {record}: field '{exc.field}' was changed differently on both sides",
              file=sys.stderr)
        return 1
    try:
        text = render(ours_text, merged)
        tomllib.loads(text)
    except Exception:  # noqa: BLE001 - never a traceback with values from a git subprocess
        print(f"peerkit merge: {record}: the merged record could not be written", file=sys.stderr)
        return 1
    Path(ours_path).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - run by git
    sys.exit(main(sys.argv[1:]))
