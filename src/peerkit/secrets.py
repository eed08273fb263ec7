"""Secrets in the OS keyring (service ``peerkit``), never in TOML, logs or exports.

peerkit refuses keyring backends that store secrets in plain text or drop them
(keyrings.alt's PlaintextKeyring, the null backend) unless
``PEERKIT_ALLOW_INSECURE_KEYRING=1``; a missing backend is exit code 4 with the remedy.

Choosing a backend the way keyring does imports every installed backend (and on Linux spawns
processes to find libraries), which costs most of a short command.  So once a secret has been
stored in (or read from) a backend keyring detected by itself, its ``module.Class`` is recorded in
the user's config folder (``keyring-backend`` beside the trust list) and later processes load only
that backend.  ``PYTHON_KEYRING_BACKEND`` and keyring's own ``keyringrc.cfg`` still win; a
recorded backend that no longer starts falls back to keyring's detection; every backend, recorded
or detected, passes the same checks below.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from peerkit import session
from peerkit.errors import DataError, SecretError

if TYPE_CHECKING:  # pragma: no cover
    from keyring.backend import KeyringBackend

T = TypeVar("T")

SERVICE = "peerkit"
INDEX_KEY = ".peerkit-secret-names"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

REMEDY = ("install and unlock an OS keyring (macOS Keychain, Windows Credential Manager, or "
          "GNOME Keyring/KWallet via Secret Service on Linux), or select one with "
          "PYTHON_KEYRING_BACKEND")

_INSECURE = ("PlaintextKeyring", "null.Keyring", "fail.Keyring")


def _backend_names(kr: KeyringBackend) -> list[str]:
    backends = getattr(kr, "backends", None)
    items = backends if backends else [kr]
    return [f"{type(b).__module__}.{type(b).__name__}" for b in items]


REMEMBERED_NAME = "keyring-backend"
_CLASS_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def remembered_file() -> Path:
    from peerkit.userconfig import config_dir

    return config_dir() / REMEMBERED_NAME


def _remembered() -> str:
    """The recorded ``module.Class`` ('' when none, unreadable, or changeable by others)."""
    from peerkit.errors import PeerkitError
    from peerkit.trust import _unsafe_reason

    try:
        path = remembered_file()
        if _unsafe_reason(path):
            return ""
        name = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError, PeerkitError):
        return ""
    return name if _CLASS_RE.match(name) else ""


def _configured_elsewhere() -> bool:
    """PYTHON_KEYRING_BACKEND or keyring's own config file choose the backend: keyring decides."""
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    try:
        from keyring.core import _config_path

        return bool(_config_path().exists())  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - keyring's internals moved: let keyring decide
        return True


def _choose() -> KeyringBackend:
    """The process's keyring: one set already (tests, callers), the recorded one, or detected."""
    import keyring.core

    if keyring.core._keyring_backend is not None or _configured_elsewhere():
        return keyring.get_keyring()
    name = _remembered()
    if name:
        try:
            kr = keyring.core.load_keyring(name)
        except Exception:  # noqa: BLE001 - gone or no longer viable: detect as keyring does
            pass
        else:
            keyring.core.set_keyring(kr)
            return kr
    kr = keyring.get_keyring()
    session.current().keyring_detected = True  # recorded by _remember once it holds a secret
    return kr


def _remember(kr: KeyringBackend) -> None:
    """Record a detected backend that holds the user's secrets (never a chain of backends)."""
    if not session.current().keyring_detected or getattr(kr, "backends", None) is not None:
        return
    session.current().keyring_detected = False
    name = f"{type(kr).__module__}.{type(kr).__name__}"
    if not _CLASS_RE.match(name) or _remembered() == name:
        return
    try:
        from peerkit import files

        path = remembered_file()
        files.ensure_dir(path.parent)
        files.atomic_write_plain(path, (name + "\n").encode("utf-8"))
    except Exception:  # noqa: BLE001 - only a speed-up: an unwritable config folder is fine
        pass


def backend() -> KeyringBackend:
    """The keyring backend, checked: refuses missing and plaintext backends."""
    try:
        import keyring  # noqa: F401
        from keyring.backends import fail, null
    except ImportError:  # pragma: no cover - keyring is a dependency
        raise SecretError(f"the keyring package is missing; reinstall peerkit ({REMEDY})") from None
    try:
        kr = _choose()
    except Exception as exc:  # noqa: BLE001 - e.g. Secret Service chosen but no D-Bus session
        raise _failure(exc, "could not start") from None
    names = _backend_names(kr)
    if isinstance(kr, fail.Keyring) or not names or all(n.endswith("fail.Keyring") for n in names):
        raise SecretError(f"no keyring backend is available: {REMEDY}")
    if isinstance(kr, null.Keyring) or any("null.Keyring" in n for n in names):
        raise SecretError("the keyring backend is the null backend, which silently loses secrets: " + REMEDY)
    insecure = [n for n in names if "Plaintext" in n or "Uncrypted" in n]
    if insecure and os.environ.get("PEERKIT_ALLOW_INSECURE_KEYRING") != "1":
        raise SecretError(f"the keyring backend stores secrets in plain text ({insecure[0]}); "
                          f"{REMEDY}, or set PEERKIT_ALLOW_INSECURE_KEYRING=1 to accept the risk")
    return kr


DBUS_REMEDY = ("the Secret Service keyring needs a D-Bus session with an unlocked keyring: run "
               "peerkit inside your desktop session (or 'dbus-run-session' after "
               "'gnome-keyring-daemon --unlock'), or choose another backend with PYTHON_KEYRING_BACKEND")


def _failure(exc: BaseException, what: str) -> SecretError:
    """One line for a keyring backend that raised; its own text is never shown."""
    import traceback

    # where it came from: the exception's type and text, and the modules it was raised in
    clues = [f"{type(exc).__module__}.{type(exc).__name__}", str(exc),
             os.environ.get("PYTHON_KEYRING_BACKEND", "")]
    clues += [frame.f_code.co_filename for frame, _ in traceback.walk_tb(exc.__traceback__)]
    joined = " ".join(clues).lower()
    if any(w in joined for w in ("dbus", "secretservice", "secretstorage", "jeepney")):
        return SecretError(f"the keyring {what} ({type(exc).__name__}): {DBUS_REMEDY}")
    return SecretError(f"the keyring {what} ({type(exc).__name__}): {REMEDY}")


def insecure_backend() -> str:
    """The plaintext backend in use ('' when none) -- also when PEERKIT_ALLOW_INSECURE_KEYRING
    allows it, so ``doctor`` can say so."""
    try:
        names = _backend_names(_choose())
    except Exception:  # noqa: BLE001 - backend() reports a broken keyring
        return ""
    return next((n for n in names if "Plaintext" in n or "Uncrypted" in n), "")


def check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        raise DataError(f"secret name {name!r} must be lower-case letters, digits, '.', '_' or '-'")
    return name


def _call(fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except SecretError:
        raise
    except Exception as exc:  # noqa: BLE001 - keyring errors vary by platform; never echo values
        raise _failure(exc, "refused the request") from None


def _names(kr: KeyringBackend) -> list[str]:
    raw: str | None = _call(kr.get_password, SERVICE, INDEX_KEY)
    try:
        names = json.loads(raw) if raw else []
    except ValueError:
        names = []
    return sorted({n for n in names if isinstance(n, str)})


def set_secret(name: str, value: str) -> None:
    check_name(name)
    if not value:
        raise DataError("a secret must not be empty")
    kr = backend()
    _call(kr.set_password, SERVICE, name, value)
    names = set(_names(kr)) | {name}
    _call(kr.set_password, SERVICE, INDEX_KEY, json.dumps(sorted(names)))
    _remember(kr)


def get_secret(name: str) -> str | None:
    check_name(name)
    kr = backend()
    value: str | None = _call(kr.get_password, SERVICE, name)
    if value is not None:
        _remember(kr)
    return value


def require_secret(name: str, purpose: str = "") -> str:
    value = get_secret(name)
    if value is None:
        raise SecretError(f"secret {name!r} is not set{(' (needed for ' + purpose + ')') if purpose else ''}: "
                          f"run 'peerkit secret set {name}'")
    return value


def delete_secret(name: str) -> bool:
    check_name(name)
    kr = backend()
    existed = _call(kr.get_password, SERVICE, name) is not None
    if existed:
        _call(kr.delete_password, SERVICE, name)
    names = set(_names(kr)) - {name}
    _call(kr.set_password, SERVICE, INDEX_KEY, json.dumps(sorted(names)))
    return existed


def list_secrets() -> list[str]:
    return _names(backend())


def resolve(reference: str | None, purpose: str = "") -> str | None:
    """``"keyring:tax-id"`` -> the secret's value (SecretError if unset); None stays None."""
    if not reference:
        return None
    if not reference.startswith("keyring:"):
        raise DataError(f"{purpose or 'a secret'} must be a reference like \"keyring:NAME\"; "
                        "store the value with 'peerkit secret set NAME'")
    return require_secret(reference.split(":", 1)[1], purpose)


def mask(value: str | None, keep: int = 4) -> str:
    """Show only the last ``keep`` characters: ``*****6789``."""
    if not value:
        return ""
    visible = value[-keep:] if len(value) > keep else ""
    return "*" * max(len(value) - len(visible), 4) + visible
