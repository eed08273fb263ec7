"""Per-value encryption of health information at rest (issue 18): the scheme, no I/O.

Every value that identifies a person or tells their story is stored as one string::

    enc:v1:<key-id>:<base64(nonce || AES-256-GCM ciphertext || tag)>

* a fresh random 12-byte nonce for every value that is (re-)encrypted;
* the associated data is a length-prefixed encoding of (format version, key id, record kind,
  record id, field path), so a value moved to another record, another field or another key
  id does not open (docs/security.md);
* the plaintext is the value's typed JSON (strings, dates, times, numbers, booleans and lists
  keep their type) padded into length buckets (32, 64, ... 4096 bytes, then multiples of
  4096), so the ciphertext length tells little (empty strings are encrypted too);
* re-sealing a record keeps the previous ciphertext of every value that did not change, so
  diffs and git merges stay per field.

Which fields are encrypted is the table :data:`FIELDS` per record kind; ids, dates, times,
codes, units, statuses and review decisions stay readable.  Errors name the file and field,
never a value.  Key management (wrapping, the keyring, age recipients) is ``peerkit.cryptkeys``.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypeGuard

from peerkit import session
from peerkit.errors import DataError

if TYPE_CHECKING:  # pragma: no cover - cryptography is imported when a value is sealed or opened
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc:v1:"
FORMAT = "1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_CHARS = 16

# Encrypted field paths per record kind: a pattern is a dotted path, "*" matches one
# segment (an item of an array of tables is named by its "id", else by its index), and a
# pattern that names a table or list covers everything inside it.  ALL_BUT lists the
# top-level keys that stay plain in kinds whose whole content is encrypted.
FIELDS: dict[str, tuple[str, ...]] = {
    "clients": ("name", "preferred_name", "date_of_birth", "medicaid_id", "record_number",
                "ssn_last4", "phone", "phones", "email", "address", "addresses",
                "emergency_contact", "contacts", "guardian", "notes", "plan", "goals.*.text",
                "authorizations.*.number", "documents.*.signer", "documents.*.signed_by",
                "documents.*.notes"),
    "notes": ("location", "purpose", "intervention", "response", "plan", "void_reason",
              "addenda.*.reason", "addenda.*.old", "addenda.*.new", "addenda.*.text",
              "review.reason", "review.comment"),
    "wrap": ("*",),
    "incidents": ("what", "actions", "description", "narrative", "details", "witnesses",
                  "follow_up"),
    "activities": ("note", "void_reason"),
    "trips": ("from", "to", "purpose"),      # a place can be a person's home
}
ALL_BUT: dict[str, frozenset[str]] = {
    "wrap": frozenset({"client", "written", "reviewed"}),
}
# Where each kind lives, relative to the workspace root: (first folder, depth below it).
KIND_FOLDERS = {"clients": 1, "notes": 3, "wrap": 1, "incidents": 1, "activities": 3, "trips": 3}


class CryptError(DataError):
    """A value that does not open (exit 3): tampered, moved, truncated or another key."""


def record_kind(rel: PurePath | str) -> str | None:
    """The record kind of a workspace-relative path (``notes/2026/11/N-1.toml`` -> "notes")."""
    parts = PurePath(rel).parts
    if not parts or not parts[-1].endswith(".toml") or parts[-1].startswith("."):
        return None
    depth = KIND_FOLDERS.get(parts[0])
    if depth is None or len(parts) != depth + 1:
        return None
    return parts[0]


def key_id(key: bytes) -> str:
    """A short public name of a data key, derived from it (binds a wrapped key to its id)."""
    return hashlib.sha256(b"peerkit data key id\0" + key).hexdigest()[:KEY_ID_CHARS]


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


# ----------------------------------------------------------------------------- encoding


def length_prefixed(*parts: str) -> bytes:
    """Each part as its UTF-8 length (4 bytes, big-endian) then its bytes: associated data that
    no two different lists of parts can share."""
    out = []
    for part in parts:
        raw = part.encode("utf-8")
        out.append(len(raw).to_bytes(4, "big"))
        out.append(raw)
    return b"".join(out)


_AAD_HEAD = length_prefixed("peerkit-enc", FORMAT)


def associated_data(kid: str, kind: str, record: str, path: tuple[str, ...]) -> bytes:
    """Length-prefixed (version, key id, kind, record id, number of segments, segments...)."""
    state = session.current()
    records, paths = state.aad_records, state.aad_paths
    head = records.get((kid, kind, record))
    if head is None:
        if len(records) > 4096:
            records.clear()
        head = records[(kid, kind, record)] = _AAD_HEAD + length_prefixed(kid, kind, record)
    tail = paths.get(path)
    if tail is None:
        if len(paths) > 4096:
            paths.clear()
        tail = paths[path] = length_prefixed(str(len(path)), *path)
    return head + tail


def _to_json(value: Any) -> Any:
    if hasattr(value, "unwrap"):  # tomlkit items
        value = value.unwrap()
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$t": value.isoformat()}
    return value


def _from_json(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "$dt":
            return dt.datetime.fromisoformat(value)
        if key == "$d":
            return dt.date.fromisoformat(value)
        if key == "$t":
            return dt.time.fromisoformat(value)
    return obj


def encode_plain(value: Any) -> bytes:
    return json.dumps(_to_json(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_DECODER = json.JSONDecoder(object_hook=_from_json)


def decode_plain(raw: bytes) -> Any:
    return _DECODER.decode(raw.decode("utf-8"))


def bucket(n: int) -> int:
    """The padded length for ``n`` bytes: 32, 64, ..., 4096, then multiples of 4096."""
    size = 32
    while size < n and size < 4096:
        size *= 2
    if n > size:
        size = -(-n // 4096) * 4096
    return size


def pad(raw: bytes) -> bytes:
    body = raw + b"\x80"
    return body + b"\0" * (bucket(len(body)) - len(body))


def unpad(padded: bytes) -> bytes:
    body = padded.rstrip(b"\0")
    if not body.endswith(b"\x80"):
        raise ValueError("bad padding")
    return body[:-1]


# ----------------------------------------------------------------------------- one value


def is_token(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(PREFIX)


def token_key_id(token: str) -> str | None:
    """The key id of a token, or None when it is not well formed."""
    rest = token[len(PREFIX):]
    kid, sep, _ = rest.partition(":")
    return kid if sep and len(kid) == KEY_ID_CHARS else None


def aead(key: bytes) -> AESGCM:
    """The AES-GCM cipher of ``key`` (kept on the session until the next command starts)."""
    ciphers = session.current().ciphers   # dropped when a command starts
    cipher: AESGCM | None = ciphers.get(key)
    if cipher is None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(ciphers) > 16:
            ciphers.clear()
        cipher = ciphers[key] = AESGCM(key)
    return cipher


def _invalid_tag() -> type[InvalidTag]:
    from cryptography.exceptions import InvalidTag

    return InvalidTag


def seal_value(key: bytes, kid: str, kind: str, record: str, path: tuple[str, ...], value: Any) -> str:
    nonce = os.urandom(NONCE_BYTES)
    blob = aead(key).encrypt(nonce, pad(encode_plain(value)), associated_data(kid, kind, record, path))
    return f"{PREFIX}{kid}:{base64.b64encode(nonce + blob).decode('ascii')}"


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def open_value(keys: Mapping[str, bytes], kind: str, record: str, path: tuple[str, ...], token: str,
               where: str | Callable[[], str]) -> Any:
    """The value of ``token``; CryptError naming ``where`` (a str, or a callable giving it)
    and the field when it does not open."""
    try:
        return _open_value(keys, kind, record, path, token)
    except CryptError as exc:
        text = where() if callable(where) else where
        raise CryptError(text, exc.message) from None


def _open_value(keys: Mapping[str, bytes], kind: str, record: str, path: tuple[str, ...], token: str,
                ) -> Any:
    """The value of ``token``; CryptError naming the field (not yet the file) when it does not open.

    ``keys`` maps key ids to data keys; a key id it does not hold is looked up with
    ``keys[kid]`` so a lazy mapping may raise a SecretError (exit 4) instead."""
    kid = token_key_id(token)
    if kid is None:
        raise CryptError(f"field '{dotted(path)}': not a well-formed encrypted value "
                         "(truncated or edited by hand); restore it from a backup or git")
    try:
        key = keys[kid]
    except KeyError:
        raise CryptError(f"field '{dotted(path)}': encrypted with key {kid}, which this workspace "
                         "does not hold (copied from another workspace?); restore it from git") from None
    try:
        raw = base64.b64decode(token[len(PREFIX) + len(kid) + 1:], validate=True)
    except (binascii.Error, ValueError):
        raise CryptError(f"field '{dotted(path)}': the encrypted value is damaged (not base64); "
                         "restore it from a backup or git") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES + 32:
        raise CryptError(f"field '{dotted(path)}': the encrypted value is truncated; "
                         "restore it from a backup or git")
    try:
        padded = aead(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                    associated_data(kid, kind, record, path))
        return decode_plain(unpad(padded))
    except _invalid_tag():
        raise CryptError(f"field '{dotted(path)}': the encrypted value does not open: it was "
                         "changed, moved from another record or field, or made with "
                         "another key; restore it from a backup or git") from None
    except (ValueError, UnicodeDecodeError):
        raise CryptError(f"field '{dotted(path)}': the encrypted value opens to something that "
                         "is not peerkit data; restore it from a backup or git") from None


# ----------------------------------------------------------------------------- records


def _patterns(kind: str) -> list[tuple[str, ...]]:
    return [tuple(p.split(".")) for p in FIELDS.get(kind, ())]


def is_encrypted_field(kind: str, path: tuple[str, ...]) -> bool:
    """Whether the value at ``path`` (or a table/list containing it) is encrypted in ``kind``."""
    if kind in ALL_BUT:
        return bool(path) and path[0] not in ALL_BUT[kind]
    for pattern in _patterns(kind):
        prefix = path[:len(pattern)]
        if len(prefix) == len(pattern) and all(p == "*" or p == s for p, s in zip(pattern, prefix, strict=True)):
            return True
    return False


def _item_name(item: Mapping[str, Any], index: int) -> str:
    name: Any = item.get("id")
    if hasattr(name, "unwrap"):
        name = name.unwrap()
    return name if isinstance(name, str) and name else str(index)


def leaves(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any, Any, Any]]:
    """(path, value, container, key) for every leaf: a value that is not a table and not a
    list holding tables.  Items of arrays of tables are named by their id, else their index."""
    for key, value in list(data.items()):  # dict: also tomlkit's tables and documents
        path = prefix + (str(key),)
        if isinstance(value, dict):
            yield from leaves(value, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                yield from leaves(item, path + (_item_name(item, i),))
        else:
            yield path, value, data, key


def _leaf_map(data: Mapping[str, Any] | None) -> dict[tuple[str, ...], Any]:
    if not data:
        return {}
    return {path: value for path, value, _, _ in leaves(data)}


def open_record(data: Any, kind: str, record: str, keys: Mapping[str, bytes],
                where: str | Callable[[], str]) -> Any:
    """Replace every token in ``data`` (a dict or a tomlkit document) by its value, in place."""
    for path, value, container, key in leaves(data):
        if is_token(value):
            container[key] = open_value(keys, kind, record, path, str(value), where)
    return data


def has_tokens(data: Mapping[str, Any]) -> bool:
    return any(is_token(v) for _, v, _, _ in leaves(data))


def seal_record(data: Any, kind: str, record: str, keys: Mapping[str, bytes], current: str | None,
                where: str, previous: Mapping[str, Any] | None = None) -> Any:
    """Encrypt, in place, every value of an encrypted field with the key ``current``.

    Values already tokens are opened first; a value equal to the one the ``previous`` version
    of the record holds under the current key keeps that ciphertext.  ``current=None`` means
    encryption is being turned off: every value is written in clear."""
    before = _leaf_map(previous)
    for path, value, container, key in leaves(data):
        if is_token(value):
            value = open_value(keys, kind, record, path, str(value), where)
            container[key] = value
        if current is None or not is_encrypted_field(kind, path):
            continue
        old = before.get(path)
        if is_token(old) and token_key_id(old) == current:
            try:
                if encode_plain(open_value(keys, kind, record, path, old, where)) == encode_plain(value):
                    container[key] = old
                    continue
            except DataError:
                pass  # a damaged previous value is simply replaced
        container[key] = seal_value(keys[current], current, kind, record, path, value)
    return data


def key_ids_used(data: Mapping[str, Any]) -> dict[str, int]:
    """How many values of ``data`` each key id encrypts."""
    out: dict[str, int] = {}
    for _, value, _, _ in leaves(data):
        if is_token(value):
            kid = token_key_id(value) or "?"
            out[kid] = out.get(kid, 0) + 1
    return out


def plain_fields(data: Mapping[str, Any], kind: str) -> list[str]:
    """Fields that should be encrypted in ``kind`` but are in clear."""
    return [dotted(p) for p, v, _, _ in leaves(data) if is_encrypted_field(kind, p) and not is_token(v)]

