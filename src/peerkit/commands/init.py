"""peerkit init: create a workspace."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from peerkit import storage
from peerkit.errors import DataError, PeerkitError
from peerkit.output import message

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.plugins import Plugins

EXIT_DATA = 3

# peerkit's own tables; each plugin adds its own through the init_settings hook (new_config).
CORE_CONFIG = '''# peerkit workspace settings.  Secrets never go here: see 'peerkit secret set'.
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
'''

# peerkit's own folders; each plugin adds its own through the init_folders hook (folders).
CORE_FOLDERS = ("templates", "plugins")


def _plugins(plugins: Plugins | None) -> Plugins:
    from peerkit.context import current_plugins

    return plugins if plugins is not None else current_plugins()


def new_config(plugins: Plugins | None = None) -> str:
    """The peerkit.toml of a new workspace: CORE_CONFIG with this machine's time zone
    (America/New_York when it cannot be told), then each plugin's ``init_settings`` tables in
    the order of their names.  A plugin's text that is not TOML, defines another table than
    its name, or clashes with the tables before it is an error (exit 3) naming the plugin."""
    import tomllib

    from peerkit.dates import system_timezone

    text = CORE_CONFIG.replace("{timezone}", system_timezone())
    tables = _plugins(plugins).collect_named("init_settings", "settings table")
    for table, (plugin, snippet) in sorted(tables.items()):
        problem = _table_problem(table, snippet)
        text += "\n" + snippet.rstrip("\n") + "\n"
        if not problem:
            try:
                tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                problem = "clashes with the settings before it"
        if problem:
            raise PeerkitError(f"plugin {plugin!r} returned settings for [{table}] from hook init_settings "
                               f"that {problem}; tell the plugin's author (see docs/plugins.md)",
                               exit_code=EXIT_DATA)
    return text


def _table_problem(table: str, snippet: str) -> str:
    """Why ``snippet`` is not the TOML of exactly the table ``table`` ("" when it is)."""
    import tomllib

    try:
        data: Any = tomllib.loads(snippet)
    except tomllib.TOMLDecodeError:
        return "are not valid TOML"
    for part in table.split("."):
        if not isinstance(data, dict) or set(data) != {part}:
            return "define other tables than its name"
        data = data[part]
    return ""


def folders(plugins: Plugins | None = None) -> list[str]:
    """The folders of a new workspace: CORE_FOLDERS and each plugin's ``init_folders``, sorted.
    A name that is not one folder inside the workspace is an error (exit 3) naming the plugin."""
    found = set(CORE_FOLDERS)
    for plugin, name in _plugins(plugins).collect_list("init_folders"):
        if Path(name).name != name or name in ("", ".", "..") or "\\" in name:
            raise PeerkitError(f"plugin {plugin!r} returned folder {name!r} from hook init_folders: "
                               "it must be one folder name inside the workspace; tell the plugin's author",
                               exit_code=EXIT_DATA)
        found.add(name)
    return sorted(found)


def example_dir() -> Path:
    import peerkit_example

    return Path(peerkit_example.__file__).parent / "workspace"


def create_workspace(target: Path, example: bool = False, plugins: Plugins | None = None) -> Path:
    """Create a new workspace folder (0700, files 0600); refuse to overwrite one.  The plugins
    (default: the running command's) give their settings and folders; they are asked before
    anything is written, so a plugin that fails leaves nothing behind."""
    target = Path(target)
    if (target / "peerkit.toml").exists():
        raise DataError(storage.display_path(target / "peerkit.toml"),
                        "already exists: this folder is already a workspace")
    if target.exists() and any(target.iterdir()):
        raise DataError(storage.display_path(target), "is not empty; choose a new folder")
    wanted = folders(plugins)
    config = "" if example else new_config(plugins)
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
        storage.atomic_write_text(target / "peerkit.toml", config)
    for folder in wanted:
        storage.ensure_dir(target / folder)
    from peerkit.audit import forget_heads

    forget_heads(target)  # a new workspace: heads kept for an old one in this folder are moot
    return target


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", is_flag=True, help="Copy the example workspace (fictional people).")
@click.pass_context
def init(ctx: click.Context, directory: Path, example: bool) -> None:
    """Create a new workspace in DIRECTORY (private to you: folders 0700, files 0600).

    \b
    peerkit init ~/peer-work            an empty workspace to fill in
    peerkit init demo --example         a copy of the example workspace
    """
    from peerkit.context import plugins_for

    create_workspace(directory, example, plugins_for(ctx))
    from peerkit.trust import trust

    try:
        trust(directory)  # you made it: its plugins (none yet) are yours
    except PeerkitError as exc:
        message(f"warning: could not record the workspace as trusted ({exc.message}); "
                f"run 'peerkit trust {directory}' later")
    message(f"Created {'example ' if example else ''}workspace {directory}")
    if not example:
        message(f"Next: edit {directory / 'peerkit.toml'}, then 'peerkit client add'.")
