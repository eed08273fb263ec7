"""peerkit doctor: check the installation and the workspace's safety."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from peerkit.context import plugins_for
from peerkit.output import message

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace

SYNCED_HINTS = ("dropbox", "onedrive", "google drive", "googledrive", "icloud", "box sync", "mega")


def workspace_warnings(ws: Workspace) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(ws.root):
        dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__")]
        for name in [*dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            try:
                mode = os.stat(p).st_mode
            except OSError:
                continue
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                out.append(f"{ws.rel(Path(p))}: readable by other users; run 'chmod -R go-rwx {ws.root}'")
        if len(out) > 20:
            out.append("... (more files readable by others)")
            break
    mode = os.stat(ws.root).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        out.insert(0, f"{ws.root}: the workspace folder is open to other users; run 'chmod 700 {ws.root}'")
    lowered = str(ws.root).lower()
    if any(h in lowered for h in SYNCED_HINTS):
        out.append(f"{ws.root}: looks like a cloud-synced folder; protected health information "
                   "should not be synced unless your agency's agreement with the provider covers it")
    return out


def secret_references(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every ``key = "keyring:NAME"`` in a config: [(dotted key, NAME)]."""
    from peerkit.config import SECRET_PREFIX

    found: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            found.extend(secret_references(value, f"{prefix}{key}."))
        elif isinstance(value, str) and value.startswith(SECRET_PREFIX):
            found.append((f"{prefix}{key}", value[len(SECRET_PREFIX):]))
    return found


def missing_secrets(config: dict[str, Any]) -> list[str]:
    """A warning for each secret peerkit.toml refers to that is not in the keyring."""
    from peerkit.errors import PeerkitError
    from peerkit.secrets import get_secret

    out: list[str] = []
    for key, name in secret_references(config):
        try:
            if get_secret(name) is None:
                out.append(f"peerkit.toml: {key} refers to keyring secret {name!r}, which is not "
                           f"set: run 'peerkit secret set {name}'")
        except PeerkitError as exc:
            out.append(f"peerkit.toml: {key}: {exc.message}")
    return out


@click.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the installation, the keyring and the workspace; exit 1 on any warning."""
    from peerkit.errors import PeerkitError

    warnings = _installation_warnings()
    keyring_ok, keyring_warnings = _keyring_warnings()
    warnings.extend(keyring_warnings)
    plugins = plugins_for(ctx)
    warnings.extend(f"plugin {info.name!r} failed to load: {info.error}" for info in plugins.info.values()
                    if info.error and not (info.source == "workspace" and "trust" in info.error))
    ws = None
    try:
        from peerkit.context import workspace_for

        ws = workspace_for(ctx)
    except PeerkitError as exc:
        message(f"(no workspace checked: {exc.message})")
    if ws is not None:
        warnings.extend(_workspace_checks(ws, keyring_ok))
    for plugin, items in plugins.call("doctor_checks", workspace=ws):
        warnings.extend(f"{plugin}: {w}" for w in items)
    failures = plugins.take_failures()  # a doctor check that failed: never "All checks passed"
    for w in warnings:
        click.echo(f"warning: {w}")
    for f in failures:
        click.echo(f"error: {f.message}")
    if failures:
        ctx.exit(max(f.exit_code for f in failures))
    if warnings:
        ctx.exit(1)
    click.echo("All checks passed.")


def _installation_warnings() -> list[str]:
    import openpyxl

    if not getattr(openpyxl, "DEFUSEDXML", False):
        return ["openpyxl is not using defusedxml: reinstall peerkit"]
    return []


def _keyring_warnings() -> tuple[bool, list[str]]:
    """(is a keyring usable, warnings about it)."""
    from peerkit.errors import PeerkitError
    from peerkit.secrets import backend, insecure_backend

    try:
        backend()
    except PeerkitError as exc:
        return False, [f"keyring: {exc.message}"]
    plain = insecure_backend()
    if plain:  # allowed by PEERKIT_ALLOW_INSECURE_KEYRING, but still a risk
        return True, [f"keyring: secrets are stored in plain text ({plain}), allowed by "
                      "PEERKIT_ALLOW_INSECURE_KEYRING=1; use an OS keyring for real data"]
    return True, []


def _workspace_checks(ws: Workspace, keyring_ok: bool) -> list[str]:
    """Plugin files, permissions, templates, peerkit.toml and the secrets it names."""
    from peerkit.errors import PeerkitError
    from peerkit.templating import lint_workspace
    from peerkit.trust import doctor_warnings

    warnings = doctor_warnings(ws.root)  # untrusted/changed plugin files, foreign owner
    warnings.extend(workspace_warnings(ws))
    warnings.extend(lint_workspace(ws))
    try:
        _ = ws.config  # loads and validates peerkit.toml
    except PeerkitError as exc:
        warnings.append(exc.message)
    else:
        if keyring_ok:
            warnings.extend(missing_secrets(ws.config))
    return warnings
