"""Validation of peerkit.toml, the workspace configuration."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from peerkit.validate import Fields

SECRET_PREFIX = "keyring:"
# Keys that hold secrets: peerkit.toml may only name them with "keyring:NAME".
SECRET_KEYS = {"tax_id", "ein", "ssn", "bank_account", "routing_number", "account_number",
               "password", "token", "api_key"}


def validate_config(data: dict[str, Any], path: Path) -> None:
    """Check the parts of peerkit.toml every feature relies on; raise DataError otherwise.

    Only peerkit's own tables (``[provider]``, ``[agency]``, ``[billing]``) and the secrets
    rule are checked here; each plugin checks its own table when it reads it (the caseload
    plugin ``[caseload]``, through ``Workspace.section`` and ``peerkit.validate.Fields``) and
    reports it in ``peerkit doctor``."""
    f = Fields(data, path)
    schema = f.opt("schema", int, 1)
    if schema > 1:
        f.fail("schema", f"this workspace uses schema {schema}, newer than this peerkit "
                         "understands (1); upgrade peerkit")
    for section in ("provider", "agency", "billing"):
        if section in data and not isinstance(data[section], dict):
            f.fail(section, f"must be a table ([{section}])")
    if "provider" in data:
        p = f.sub("provider")
        p.opt("name", str)
        p.opt("credentials", str)
        tz = p.opt("timezone", str)
        if tz is not None:
            from peerkit.dates import is_zone

            if not is_zone(tz):
                p.fail("timezone", "is not an IANA time zone name: use a name like "
                                   "\"America/New_York\" (see 'timedatectl list-timezones')")
    check_no_plain_secrets(data, path)


def check_no_plain_secrets(data: dict[str, Any], path: Path, prefix: str = "") -> None:
    """A secret typed straight into TOML is refused with the remedy."""
    for key, value in data.items():
        if isinstance(value, dict):
            check_no_plain_secrets(value, path, f"{prefix}{key}.")
        elif key in SECRET_KEYS and isinstance(value, str) and value and not value.startswith(SECRET_PREFIX):
            Fields(data, path, prefix).fail(
                key, f"secrets must not be stored in TOML: run 'peerkit secret set {key.replace('_', '-')}' "
                     f"and write {key} = \"keyring:{key.replace('_', '-')}\" instead")
