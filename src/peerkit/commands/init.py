"""peerkit init: create a workspace."""
from __future__ import annotations

import os
from pathlib import Path

import click

from peerkit import storage
from peerkit.errors import DataError
from peerkit.output import message

NEW_CONFIG = '''# peerkit workspace settings.  Secrets never go here: see 'peerkit secret set'.
schema = 1

[provider]
name = ""                      # your full name as you sign notes
credentials = "NC CPSS"
timezone = "{timezone}"   # IANA name: service minutes are elapsed time in this zone
# tax_id = "keyring:tax-id"    # a reference; the value lives in the OS keyring
# bank_account = "keyring:bank-account"   # shown masked on invoices: 'peerkit secret set bank-account'

[agency]
name = ""
# on_call_phone = ""           # printed on crisis cards: whom to call
# confidentiality_notice = ""  # the notice on exports of a person's records (a default is used)
# part2 = true                 # a 42 CFR Part 2 program: exports need --consent (docs/security.md)

[billing]
unit_minutes = 15
rounding = "half-up"           # half-up (8+ minutes left over adds a unit) | down | up
units_per = "note"             # note | day (bundled per client, code and day)
unmanaged_units = 24           # units per client per fiscal year without an authorization ("unlimited": no limit)
fiscal_year_start = "07-01"    # MM-DD: NC's state fiscal year starts July 1
week_start = "monday"
invoice_prefix = "INV"
pay_schedule = "biweekly"      # weekly | biweekly | semimonthly
pay_anchor = 2026-01-02        # one known pay date
note_deadline_hours = 24
# mileage_rate = "0.70"        # dollars per mile: trips (peerkit trip) become invoice lines

[[billing.rates]]
code = "H0038"
modifier = ""                  # "" individual, "HQ" group
rate = "11.97"                 # dollars per unit, as text: copy it from your contract
from = 2019-11-01

[[billing.rates]]
code = "H0038"
modifier = "HQ"
rate = "2.88"
from = 2019-11-01

[caseload]
max_people = 10
max_weekly_hours = 40
'''

def new_config() -> str:
    """NEW_CONFIG with this machine's time zone (America/New_York when it cannot be told)."""
    from peerkit.dates import system_timezone

    return NEW_CONFIG.replace("{timezone}", system_timezone())


FOLDERS = ("clients", "notes", "invoices", "wrap", "resources", "incidents", "activities", "trips", "templates",
           "plugins")


def example_dir() -> Path:
    import peerkit_example

    return Path(peerkit_example.__file__).parent / "workspace"


def create_workspace(target: Path, example: bool = False) -> Path:
    """Create a new workspace folder (0700, files 0600); refuse to overwrite one."""
    target = Path(target)
    if (target / "peerkit.toml").exists():
        raise DataError(storage.display_path(target / "peerkit.toml"),
                        "already exists: this folder is already a workspace")
    if target.exists() and any(target.iterdir()):
        raise DataError(storage.display_path(target), "is not empty; choose a new folder")
    storage.ensure_dir(target)
    if example:
        src = example_dir()
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            rel = Path(dirpath).relative_to(src)
            storage.ensure_dir(target / rel)
            for name in filenames:
                if name.endswith(".pyc"):
                    continue
                storage.atomic_write_bytes(target / rel / name, (Path(dirpath) / name).read_bytes())
    else:
        for folder in FOLDERS:
            storage.ensure_dir(target / folder)
        storage.atomic_write_text(target / "peerkit.toml", new_config())
    for folder in FOLDERS:
        storage.ensure_dir(target / folder)
    from peerkit.audit import forget_heads

    forget_heads(target)  # a new workspace: heads kept for an old one in this folder are moot
    return target


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", is_flag=True, help="Copy the example workspace (fictional people).")
def init(directory: Path, example: bool) -> None:
    """Create a new workspace in DIRECTORY (private to you: folders 0700, files 0600).

    \b
    peerkit init ~/peer-work            an empty workspace to fill in
    peerkit init demo --example         a copy of the example workspace
    """
    create_workspace(directory, example)
    from peerkit.errors import PeerkitError
    from peerkit.trust import trust

    try:
        trust(directory)  # you made it: its plugins (none yet) are yours
    except PeerkitError as exc:
        message(f"warning: could not record the workspace as trusted ({exc.message}); "
                f"run 'peerkit trust {directory}' later")
    message(f"Created {'example ' if example else ''}workspace {directory}")
    if not example:
        message(f"Next: edit {directory / 'peerkit.toml'}, then 'peerkit client add'.")
