"""The keys of an encrypted workspace (issue 18) and the hooks storage calls.

One random data key per workspace (several only while a rotation runs), never written in
clear.  ``crypt/keys.toml`` holds it wrapped for each recipient:

* the peer: AES-256-GCM under a wrapping key kept in the OS keyring (``peerkit.secrets``,
  secret name in ``peer_secret``);
* every age X25519 recipient (``[crypt] recipients`` of peerkit.toml: a supervisor, an agency
  escrow key), through ``pyrage``; an identity file named by ``PEERKIT_AGE_IDENTITY`` opens it.

A wrapped key opens only to a key whose id (a hash of the key) is the id it is filed under, so
a swapped blob is refused.  The functions at the end (``open_data``, ``seal_bytes``...) are the
only entry points the storage layer and the caches use.
"""
from __future__ import annotations

import base64
import datetime as dt
import os
import secrets as pysecrets
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from peerkit import crypt, files, session
from peerkit.errors import DataError, SecretError

KEYS_FILE = ("crypt", "keys.toml")
CONFIG_NAME = "peerkit.toml"
IDENTITY_ENV = "PEERKIT_AGE_IDENTITY"
STATES = ("enabling", "on", "disabling")
HEADER = ("peerkit encryption keys (see docs/security.md): each data key is stored wrapped for\n"
          "the peer's keyring and for each age recipient, never in clear.  Do not edit.")

REMEDY = (f"restore the peer's keyring entry, or set {IDENTITY_ENV} to the age identity file of a "
          "recipient of this workspace (a supervisor or the agency escrow key); see docs/security.md")


def keys_path(root: Path) -> Path:
    return Path(root).joinpath(*KEYS_FILE)


# ----------------------------------------------------------------------------- wrapping


def wrap_for_peer(wrap_key: bytes, data_key: bytes, kid: str) -> str:
    nonce = os.urandom(12)
    blob = crypt.aead(wrap_key).encrypt(nonce, data_key, crypt.length_prefixed("peerkit-wrap", "1", kid))
    return base64.b64encode(nonce + blob).decode("ascii")


def unwrap_peer(wrap_key: bytes, wrapped: str, kid: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag

    try:
        raw = base64.b64decode(wrapped, validate=True)
        key = crypt.aead(wrap_key).decrypt(raw[:12], raw[12:], crypt.length_prefixed("peerkit-wrap", "1", kid))
    except (InvalidTag, ValueError):
        return None
    return key if crypt.key_id(key) == kid else None


def _pyrage() -> Any:  # pyrage ships no type information
    try:
        import pyrage
    except ImportError:  # pragma: no cover - a dependency; absent on some platforms (musl)
        raise SecretError("age recipients need the 'pyrage' package, which is not installed here: "
                          "pip install pyrage (the peer's keyring key works without it)") from None
    return pyrage


def check_recipient(recipient: str) -> str:
    """The canonical age1... string, or DataError (exit 3) when it is not one."""
    text = (recipient or "").strip()
    pyrage = _pyrage()
    if not text.startswith("age1"):
        raise DataError("recipient", "must be an age X25519 public key (age1...)")
    try:
        return str(pyrage.x25519.Recipient.from_str(text))
    except Exception:  # noqa: BLE001 - pyrage raises its own RecipientError / ValueError
        raise DataError("recipient", "is not a valid age X25519 public key (age1...)") from None


def wrap_for_age(recipient: str, data_key: bytes) -> str:
    pyrage = _pyrage()
    blob = pyrage.encrypt(data_key, [pyrage.x25519.Recipient.from_str(recipient)])
    return base64.b64encode(blob).decode("ascii")


def age_identities() -> list[Any]:
    """The identities of the file named by PEERKIT_AGE_IDENTITY ([] when unset)."""
    where = os.environ.get(IDENTITY_ENV)
    if not where:
        return []
    pyrage = _pyrage()
    try:
        text = Path(where).read_text(encoding="utf-8")
    except OSError:
        raise SecretError(f"{IDENTITY_ENV}: cannot read the identity file {where}; "
                          "point it at an age identity file (AGE-SECRET-KEY-1...)") from None
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-1"):
            try:
                out.append(pyrage.x25519.Identity.from_str(line))
            except Exception:  # noqa: BLE001
                raise SecretError(f"{IDENTITY_ENV}: {where} holds a malformed age identity") from None
    if not out:
        raise SecretError(f"{IDENTITY_ENV}: {where} holds no age identity (AGE-SECRET-KEY-1...)")
    return out


def unwrap_age(identities: list[Any], wrapped: str, kid: str) -> bytes | None:
    pyrage = _pyrage()
    try:
        key = pyrage.decrypt(base64.b64decode(wrapped, validate=True), identities)
    except Exception:  # noqa: BLE001 - DecryptError: no matching identity, or damaged
        return None
    return key if crypt.key_id(key) == kid else None


# ----------------------------------------------------------------------------- the keys file


def read_state(root: Path) -> dict[str, Any] | None:
    """crypt/keys.toml, or None when the workspace is not encrypted."""
    path = keys_path(root)
    if not path.is_file():
        return None
    data = files.read_plain_toml(path)  # never encrypted itself
    if data.get("state") not in STATES or not isinstance(data.get("keys"), list):
        raise DataError(files.display_path(path), "field 'state': not a peerkit keys file "
                                                    "(restore it from a backup or git)")
    return data


def write_state(root: Path, state: dict[str, Any]) -> None:
    files.ensure_dir(keys_path(root).parent)
    files.write_plain_toml(keys_path(root), state, header=HEADER)
    forget_keys(root)


def forget_keys(root: Path) -> None:
    """Drop the keys of one workspace this command opened (its keys file changed or went)."""
    session.current().crypt_states.pop(Path(root), None)


def forget() -> None:
    """Drop every key this process opened (as a new command does: a long-lived process, tests)."""
    session.current().crypt_states.clear()
    session.current().crypt_roots.clear()


def peer_wrap_key(state: dict[str, Any], *, create: bool = False) -> bytes | None:
    """The peer's wrapping key from the OS keyring (made and stored when ``create``)."""
    from peerkit import secrets

    name = state["peer_secret"]
    value = secrets.get_secret(name)
    if value is None and create:
        value = base64.b64encode(os.urandom(32)).decode("ascii")
        secrets.set_secret(name, value)
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SecretError(f"the keyring secret {name!r} is not a peerkit wrapping key; {REMEDY}")
    return raw


def new_state() -> dict[str, Any]:
    return {"version": 1, "state": "enabling", "current": "",
            "peer_secret": f"crypt-{pysecrets.token_hex(8)}", "keys": []}


def add_key(state: dict[str, Any], data_key: bytes, recipients: list[str], wrap_key: bytes) -> str:
    """File a new data key, wrapped for the peer and each recipient, and make it current."""
    kid = crypt.key_id(data_key)
    entry = {"id": kid, "created": dt.datetime.now().replace(microsecond=0),
             "peer": wrap_for_peer(wrap_key, data_key, kid),
             "age": {r: wrap_for_age(r, data_key) for r in recipients}}
    state["keys"] = [k for k in state["keys"] if k.get("id") != kid] + [entry]
    state["current"] = kid
    return kid


# ----------------------------------------------------------------------------- unlocking


class Keys(Mapping[str, Any]):
    """The data keys of one workspace, unwrapped on first use (a Mapping of key id -> key)."""

    def __init__(self, root: Path, state: dict[str, Any]):
        self.root = Path(root)
        self.state = state
        self.entries: dict[Any, dict[str, Any]] = {k.get("id"): k for k in state.get("keys", []) if isinstance(k, dict)}
        self.opened: dict[str, bytes] = {}
        self._identities: list[Any] | None = None
        self._wrap_key: bytes | None | bool = False

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, kid: object) -> bool:
        return kid in self.entries

    def __getitem__(self, kid: str) -> bytes:
        key = self.opened.get(kid)
        if key is not None:
            return key
        entry = self.entries.get(kid)
        where = "/".join(KEYS_FILE)
        if entry is None:
            raise KeyError(kid)  # open_value names the file and field
        key = self._unwrap(entry, kid)
        if key is None:
            raise SecretError(f"{where}: the data key {kid} cannot be opened here: {REMEDY}")
        self.opened[kid] = key
        return key

    def _unwrap(self, entry: dict[str, Any], kid: str) -> bytes | None:
        if self._identities is None:
            self._identities = age_identities()
        for wrapped in (entry.get("age") or {}).values():
            if self._identities and isinstance(wrapped, str):
                key = unwrap_age(self._identities, wrapped, kid)
                if key is not None:
                    return key
        if self._wrap_key is False:
            try:
                self._wrap_key = peer_wrap_key(self.state)
            except SecretError:
                if self._identities:
                    self._wrap_key = None  # an age identity was given: its failure is the story
                else:
                    raise
        if isinstance(self._wrap_key, bytes) and self._wrap_key and isinstance(entry.get("peer"), str):
            return unwrap_peer(self._wrap_key, entry["peer"], kid)
        return None


def find_root(folder: Path) -> Path | None:
    """The workspace folder holding ``folder`` (the nearest with a peerkit.toml), cached."""
    folder = Path(folder)
    known = session.current().crypt_roots
    if folder in known:
        return known[folder]
    root = None
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            root = candidate
            break
    if root is not None:  # "no workspace" is never remembered: one may be created later
        if len(known) > 4096:
            known.clear()
        known[folder] = root
    return root


def workspace_keys(root: Path) -> tuple[dict[str, Any] | None, Keys | None]:
    """(keys-file state, keys) of a workspace, re-read when crypt/keys.toml changes."""
    root = Path(root)
    sig: tuple[int, ...]
    try:
        st = keys_path(root).stat()
        sig = (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        sig = ()
    states = session.current().crypt_states
    cached = states.get(root)
    if cached is not None and cached[0] == sig:
        return cached[1], cached[2]
    state = read_state(root) if sig else None
    keys = Keys(root, state) if state is not None else None
    states[root] = (sig, state, keys)
    return state, keys


def locate(path: Path) -> tuple[Path, str, str] | None:
    """(workspace root, record kind, record id) of a record file, else None."""
    path = Path(path)
    root = find_root(path.parent)
    if root is None:
        return None
    try:
        rel = path.relative_to(root)
    except ValueError:
        return None
    kind = crypt.record_kind(rel)
    return (root, kind, path.stem) if kind else None


# ----------------------------------------------------------------------------- storage hooks


def _where(path: Path) -> str:
    return files.display_path(path)


def open_data(path: Path, data: Any) -> Any:
    """Decrypt, in place, the values of a record read from ``path`` (dict or tomlkit doc)."""
    found = locate(path)
    if found is None:
        return data
    root, kind, record = found
    state, keys = workspace_keys(root)
    if keys is None:
        if crypt.has_tokens(data):
            raise SecretError(f"{_where(path)}: holds encrypted values but {'/'.join(KEYS_FILE)} "
                              "is missing from the workspace; restore it from git or a backup")
        return data
    return crypt.open_record(data, kind, record, keys, _where(path))


def seal_bytes(path: Path, data: bytes) -> bytes | None:
    """The bytes to store for a record file of an encrypted workspace (None: store ``data``).

    The TOML is re-written with tomlkit (comments and layout kept); values equal to those of
    the file on disk keep their ciphertext."""
    found = locate(path)
    if found is None:
        return None
    root, kind, record = found
    state, keys = workspace_keys(root)
    if state is None or keys is None:
        return None
    import tomlkit

    try:
        doc = tomlkit.parse(data.decode("utf-8").lstrip("\ufeff"))
    except Exception:  # noqa: BLE001 - never store a record of an encrypted workspace in clear
        raise DataError(_where(path), "not valid TOML, so it cannot be encrypted; nothing was "
                                      "changed") from None
    previous = None
    if path.is_file():
        try:
            previous = tomllib.loads(files.read_text(path))
        except (DataError, tomllib.TOMLDecodeError):
            previous = None
    current = None if state["state"] == "disabling" else state["current"]
    crypt.seal_record(doc, kind, record, keys, current, _where(path), previous)
    return tomlkit.dumps(doc).encode("utf-8")


def check_sealed(path: Path, plain: bytes, written: bytes) -> None:
    """Raise unless ``written`` decrypts to exactly the data of ``plain``."""
    from peerkit.errors import PeerkitError

    try:
        back = open_data(path, tomllib.loads(written.decode("utf-8")))
        ok = back == tomllib.loads(plain.decode("utf-8").lstrip("\ufeff"))
    except (ValueError, UnicodeDecodeError):
        ok = False
    if not ok:
        raise PeerkitError(f"{_where(path)}: internal error: the encrypted record did not read "
                           "back as the data meant; nothing was changed (please report this)")


def plain_text(path: Path, text: str) -> str:
    """The TOML text of a record with its values decrypted (for $EDITOR)."""
    if crypt.PREFIX not in text:
        return text
    import tomlkit

    doc = tomlkit.parse(text.lstrip("\ufeff"))
    return tomlkit.dumps(open_data(path, doc))


CACHE_FIELD = ("$cache",)  # the field path of a cached record's one ciphertext


def seal_for_cache(path: Path, data: dict[str, Any]) -> str | None:
    """What a cache may hold of a record of an encrypted workspace: all its values as one
    ciphertext (bound to the record like any value), so no cache holds plaintext of an
    encrypted field and a reader decrypts once per record.  None: not encrypted here."""
    found = locate(path)
    if found is None:
        return None
    root, kind, record = found
    state, keys = workspace_keys(root)
    if state is None or keys is None or state["state"] == "disabling":
        return None
    kid = state["current"]
    return crypt.seal_value(keys[kid], kid, kind, record, CACHE_FIELD, data)


def encrypted_workspace(path: Path) -> bool:
    """Whether the workspace holding ``path`` has encryption on (or being turned on or off)."""
    root = find_root(Path(path))
    return root is not None and workspace_keys(root)[0] is not None


def cache_sealing(folder: Path) -> bool:
    """Whether caches of ``folder`` must hold encrypted fields as ciphertext."""
    root = find_root(Path(folder))
    if root is None:
        return False
    state = workspace_keys(root)[0]
    return state is not None and state["state"] != "disabling"


def opener(folder: Path) -> Callable[[str, str], Any] | None:
    """For a cache of ``folder``: ``open(file_name, token)`` -> the record's cached values, with
    the workspace, kind and keys looked up once (None: not an encrypted folder)."""
    sample = locate(Path(folder) / "x.toml")
    if sample is None:
        return None
    root, kind, _ = sample
    keys = workspace_keys(root)[1]
    if keys is None:
        return None

    def open_(name: str, token: str) -> Any:
        record = name[:-5] if name.endswith(".toml") else name
        return crypt.open_value(keys, kind, record, CACHE_FIELD, token,
                                lambda: _where(Path(folder) / name))
    return open_
