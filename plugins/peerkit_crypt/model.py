"""Turning encryption on and off, rotating the data key, managing age recipients.

Every operation is crash-safe and resumable: the keys file says what is under way
(``state = "enabling" | "on" | "disabling"``, several keys while a rotation runs), each record
file is rewritten on its own with an atomic replace, every value names its key id, and an old
key is dropped only when no value references it.  Running the same command again finishes it.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from peerkit import crypt, cryptkeys, session, storage
from peerkit.errors import DataError, SecretError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace


def record_files(ws: Workspace) -> Iterator[Path]:
    """Every record file whose fields may be encrypted, in a stable order."""
    for kind, depth in crypt.KIND_FOLDERS.items():
        base = ws.path(kind)
        if not base.is_dir():
            continue
        pattern = "/".join(["*"] * depth) + ".toml" if depth > 1 else "*.toml"
        for path in sorted(base.glob(pattern)):
            if path.is_file() and not path.name.startswith(".") and storage.TMP_MARK not in path.name:
                yield path


def recipients(ws: Workspace) -> list[str]:
    """The age recipients listed in ``[crypt] recipients`` of peerkit.toml, canonical."""
    value = ws.section("crypt").get("recipients", [])
    where = ws.rel(ws.path("peerkit.toml"))
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise DataError(where, "field 'crypt.recipients': must be a list of age public keys (age1...)")
    out = []
    for r in value:
        try:
            canonical = cryptkeys.check_recipient(r)
        except DataError:
            raise DataError(where, "field 'crypt.recipients': holds something that is not an age "
                                   "X25519 public key (age1...)") from None
        if canonical not in out:
            out.append(canonical)
    return out


def _set_recipients(ws: Workspace, values: list[str]) -> None:
    import tomlkit

    with storage.edit_toml(ws.path("peerkit.toml")) as doc:
        if "crypt" not in doc:
            doc.add("crypt", tomlkit.table())
        array = tomlkit.array()
        array.extend(values)
        array.multiline(len(values) > 1)
        doc["crypt"]["recipients"] = array
    ws.forget_config()


@dataclass
class Report:
    state: str = "off"
    current: str = ""
    keys: list[str] = field(default_factory=list)
    files: int = 0
    rewritten: int = 0
    values: dict[str, int] = field(default_factory=dict)  # key id -> encrypted values
    plain: list[str] = field(default_factory=list)        # "file: field" in clear
    recipients: list[str] = field(default_factory=list)   # configured in peerkit.toml
    wrapped_for: list[str] = field(default_factory=list)  # the current key is wrapped for
    can_open: bool = False
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"state": self.state, "current_key": self.current, "keys": self.keys,
                "files": self.files, "rewritten": self.rewritten, "values_by_key": self.values,
                "plain_fields": self.plain, "recipients": self.recipients,
                "wrapped_for": self.wrapped_for, "can_open": self.can_open,
                "problems": self.problems}


def _raw(path: Path) -> dict:
    import tomllib

    try:
        return tomllib.loads(storage.read_text(path).lstrip("\ufeff"))
    except tomllib.TOMLDecodeError:
        return storage.read_toml(path)  # raises the DataError naming file and line


def _needs_rewrite(path: Path, state: dict | None, ws: Workspace) -> bool:
    kind = crypt.record_kind(path.relative_to(ws.root))
    assert kind is not None  # record_files() yields record files only
    data = _raw(path)
    used = crypt.key_ids_used(data)
    if state is None or state["state"] == "disabling":
        return bool(used)
    return bool(set(used) - {state["current"]}) or bool(crypt.plain_fields(data, kind))


def _sweep(ws: Workspace, state: dict | None) -> tuple[int, int]:
    """Rewrite every record file not yet in the wanted form (resumable: one file at a time)."""
    files = rewritten = 0
    for path in record_files(ws):
        files += 1
        if _needs_rewrite(path, state, ws):
            with storage.edit_toml(path):
                pass  # opened in clear, sealed again (or left in clear) by the storage layer
            rewritten += 1
    return files, rewritten


def _rebuild_caches(ws: Workspace) -> None:
    """Drop and rebuild every cache, so none keeps a value in an old form."""
    from peerkit.notecache import CACHE_NAME, CLIENTS_CACHE_NAME
    from peerkit.records import refresh_all_note_caches, refresh_client_cache

    for cache in [*ws.path("notes").glob(f"*/*/{CACHE_NAME}"), ws.path("clients", CLIENTS_CACHE_NAME)]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(cache)
    refresh_all_note_caches(ws.path("notes"))
    if ws.path("clients").is_dir():
        refresh_client_cache(ws.path("clients"))
    session.current().take_touched()  # every cache is rebuilt: the lock need not refresh them again
    ws.forget_clients()
    ws.forget_notes()


def _peer_key(state: dict, create: bool = False) -> bytes:
    key = cryptkeys.peer_wrap_key(state, create=create)
    if key is None:
        raise SecretError(f"the keyring has no entry {state['peer_secret']!r} for this workspace, "
                          "so a new data key could not be kept for the peer: run this on the peer's "
                          "own computer (a recipient can read but not re-key)")
    return key


def enable(ws: Workspace) -> Report:
    """Turn encryption on (or finish an interrupted enable/rotation)."""
    with ws.lock():
        state = cryptkeys.read_state(ws.root)
        if state is not None and state["state"] == "disabling":
            raise UsageError("'peerkit crypt disable' was interrupted: run it again to finish, "
                             "then enable")
        if state is None:
            state = cryptkeys.new_state()
            wanted = recipients(ws)
            cryptkeys.add_key(state, crypt.new_key(), wanted, _peer_key(state, create=True))
            cryptkeys.write_state(ws.root, state)
        files, rewritten = _sweep(ws, state)
        _drop_unused_keys(ws, state)
        _rebuild_caches(ws)
        if state["state"] != "on":
            state["state"] = "on"
            cryptkeys.write_state(ws.root, state)
        ws.audit("crypt enable", action="enable")
    report = status(ws)
    report.rewritten = rewritten
    return report


def _drop_unused_keys(ws: Workspace, state: dict) -> None:
    """Forget every key but the current one, once no record value references it."""
    if len(state["keys"]) <= 1:
        return
    used: set[str] = set()
    for path in record_files(ws):
        used |= set(crypt.key_ids_used(_raw(path)))
    if used - {state["current"]}:
        raise DataError("/".join(cryptkeys.KEYS_FILE), "some values still use an old key; run the "
                                                "command again to finish")
    state["keys"] = [k for k in state["keys"] if k.get("id") == state["current"]]
    cryptkeys.write_state(ws.root, state)


def _require_on(ws: Workspace) -> dict:
    state = cryptkeys.read_state(ws.root)
    if state is None:
        raise UsageError("encryption is off in this workspace: run 'peerkit crypt enable' first")
    if state["state"] == "disabling":
        raise UsageError("'peerkit crypt disable' was interrupted: run it again to finish")
    return state


def rotate(ws: Workspace, *, drop_recipient: str | None = None) -> Report:
    """A new data key, every value re-encrypted, the old key forgotten (resumable)."""
    with ws.lock():
        state = _require_on(ws)
        if drop_recipient:
            for entry in state["keys"]:
                (entry.get("age") or {}).pop(drop_recipient, None)
        if len(state["keys"]) <= 1:  # else a rotation is under way: finish it
            cryptkeys.add_key(state, crypt.new_key(), recipients(ws), _peer_key(state))
        cryptkeys.write_state(ws.root, state)
        files, rewritten = _sweep(ws, state)
        _drop_unused_keys(ws, state)
        _rebuild_caches(ws)
        ws.audit("crypt rotate", action="rotate")
    report = status(ws)
    report.rewritten = rewritten
    return report


def disable(ws: Workspace) -> Report:
    """Store every value in clear again and remove the keys file (resumable)."""
    with ws.lock():
        state = cryptkeys.read_state(ws.root)
        if state is None:
            return status(ws)
        if state["state"] != "disabling":
            state["state"] = "disabling"
            cryptkeys.write_state(ws.root, state)
        files, rewritten = _sweep(ws, state)
        _rebuild_caches(ws)
        os.unlink(cryptkeys.keys_path(ws.root))
        cryptkeys.forget_keys(ws.root)
        ws.audit("crypt disable", action="disable")
    report = status(ws)
    report.rewritten = rewritten
    return report


def add_recipient(ws: Workspace, recipient: str) -> str:
    canonical = cryptkeys.check_recipient(recipient)
    with ws.lock():
        wanted = recipients(ws)
        if canonical not in wanted:
            _set_recipients(ws, wanted + [canonical])
        state = cryptkeys.read_state(ws.root)
        if state is not None:
            _, keys = cryptkeys.workspace_keys(ws.root)
            if keys is None:  # crypt/keys.toml went away since read_state
                raise DataError(ws.rel(cryptkeys.keys_path(ws.root)), "disappeared while peerkit read it; "
                                "nothing was changed: run the command again")
            for entry in state["keys"]:
                entry.setdefault("age", {})[canonical] = cryptkeys.wrap_for_age(canonical, keys[entry["id"]])
            cryptkeys.write_state(ws.root, state)
        ws.audit("crypt add-recipient", action="add-recipient")
    return canonical


def remove_recipient(ws: Workspace, recipient: str) -> Report:
    canonical = cryptkeys.check_recipient(recipient)
    with ws.lock():
        wanted = recipients(ws)
        if canonical not in wanted:
            state = cryptkeys.read_state(ws.root)
            wrapped = state is not None and any(canonical in (k.get("age") or {}) for k in state["keys"])
            if not wrapped:
                raise UsageError("that recipient is not listed in [crypt] recipients of peerkit.toml")
        else:
            _set_recipients(ws, [r for r in wanted if r != canonical])
        ws.audit("crypt remove-recipient", action="remove-recipient")
    if cryptkeys.read_state(ws.root) is None:
        return status(ws)
    return rotate(ws, drop_recipient=canonical)


def status(ws: Workspace) -> Report:
    report = Report()
    state = cryptkeys.read_state(ws.root)
    report.recipients = recipients(ws)
    for path in record_files(ws):
        report.files += 1
        data = _raw(path)
        for kid, n in crypt.key_ids_used(data).items():
            report.values[kid] = report.values.get(kid, 0) + n
        if state is not None:
            kind = crypt.record_kind(path.relative_to(ws.root))
            assert kind is not None  # record_files() yields record files only
            report.plain += [f"{ws.rel(path)}: {f}" for f in crypt.plain_fields(data, kind)]
    if state is None:
        if report.values:
            report.problems.append("records hold encrypted values but crypt/keys.toml is missing: "
                                   "restore it from git or a backup")
        return report
    report.state = state["state"]
    report.current = state["current"]
    report.keys = [k.get("id", "") for k in state["keys"]]
    current: dict = next((k for k in state["keys"] if k.get("id") == state["current"]), {})
    report.wrapped_for = sorted((current.get("age") or {}).keys())
    try:
        _, keys = cryptkeys.workspace_keys(ws.root)
        if keys is not None:  # None: crypt/keys.toml went away since read_state
            keys[state["current"]]  # raises when the current key cannot be opened here
        report.can_open = keys is not None
    except (SecretError, DataError):
        report.can_open = False
    if report.state != "on":
        report.problems.append(f"'crypt {'disable' if report.state == 'disabling' else 'enable'}' "
                               "was interrupted: run it again to finish")
    if len(report.keys) > 1:
        report.problems.append("a key rotation is unfinished: run 'peerkit crypt rotate' to finish it")
    if report.plain:
        report.problems.append(f"{len(report.plain)} value(s) of encrypted fields are in clear: "
                               "run 'peerkit crypt enable' to encrypt them")
    missing = sorted(set(report.recipients) - set(report.wrapped_for))
    extra = sorted(set(report.wrapped_for) - set(report.recipients))
    if missing:
        report.problems.append(f"{len(missing)} recipient(s) of peerkit.toml cannot open the data key "
                               "yet: run 'peerkit crypt add-recipient' for each")
    if extra:
        report.problems.append(f"the data key is wrapped for {len(extra)} recipient(s) no longer in "
                               "peerkit.toml: run 'peerkit crypt remove-recipient' for each")
    if not report.can_open:
        report.problems.append("the data key cannot be opened on this computer: " + cryptkeys.REMEDY)
    return report
