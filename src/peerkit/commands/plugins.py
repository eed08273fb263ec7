"""peerkit plugins: list every loaded plugin."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from peerkit.context import pass_plugins
from peerkit.options import json_option
from peerkit.output import echo_table, emit_json

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.plugins import Plugins


@click.command(name="plugins")
@json_option
@click.option("--hook", "hooks", multiple=True, help="Only plugins implementing this hook.")
@pass_plugins
def plugins_cmd(plugins: Plugins, as_json: bool, hooks: tuple[str, ...]) -> None:
    """List loaded plugins: name, version, source, hooks, and any load error."""
    plugins.check_commands()  # a plugin command module that cannot be imported is a load error
    infos = sorted(plugins.info.values(), key=lambda i: i.name)
    if hooks:
        infos = [i for i in infos if set(hooks) & set(i.hooks)]
    if as_json:
        emit_json([i.as_json() for i in infos])
        return
    rows = [(i.name, i.version, i.source, ", ".join(i.hooks) if not i.error else "ERROR (below)")
            for i in infos]
    echo_table(rows, ["name", "version", "source", "hooks"])
    failed = [i for i in infos if i.error]
    if failed:  # in full (a table cell is cut at 60 characters): type, file and line
        click.echo("")
        for i in failed:
            click.echo(f"{i.name}: failed to load: {i.error}")
