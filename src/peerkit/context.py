"""What a running command needs from the root context: the plugins and the workspace."""
from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, cast

import click

from peerkit import plugins as plugin_mod

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace

Command = Callable[..., Any]


def _root_params(ctx: click.Context) -> dict[str, Any]:
    root = ctx.find_root()
    params = dict(root.params or {})
    return params


def plugins_for(ctx: click.Context) -> plugin_mod.Plugins:
    """The Plugins of this invocation, built once from the global options."""
    root = ctx.find_root()
    found = root.meta.get("peerkit.plugins")
    if found is not None:
        return cast(plugin_mod.Plugins, found)
    from peerkit.discovery import find_root

    params = _root_params(ctx)
    try:
        ws_root = find_root(explicit=params.get("workspace"))
    except OSError:
        ws_root = None
    plugins = plugin_mod.new_plugins(workspace_root=ws_root, no_plugins=bool(params.get("no_plugins")),
                                     disable=params.get("disable_plugin") or ())
    root.meta["peerkit.plugins"] = plugins
    plugin_mod.set_plugins(plugins)
    return plugins


def workspace_for(ctx: click.Context) -> Workspace:
    """The Workspace of this invocation (``--workspace``, $PEERKIT_WORKSPACE or discovery)."""
    root = ctx.find_root()
    ws = root.meta.get("peerkit.workspace")
    if ws is None:
        from peerkit.workspace import Workspace  # not at start-up: it reads records

        ws = Workspace.open(_root_params(ctx).get("workspace"))
        root.meta["peerkit.workspace"] = ws
    return cast("Workspace", ws)


def pass_workspace(f: Command) -> Command:
    """Decorator: call the command with the Workspace as its first argument."""

    @click.pass_context
    def new(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(f, workspace_for(ctx), *args, **kwargs)

    return update_wrapper(new, f)


def pass_plugins(f: Command) -> Command:
    """Decorator: call the command with the Plugins as its first argument."""

    @click.pass_context
    def new(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(f, plugins_for(ctx), *args, **kwargs)

    return update_wrapper(new, f)


def current_plugins() -> plugin_mod.Plugins:
    """The Plugins of the running command (or a default set outside the CLI)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        return plugins_for(ctx)
    return plugin_mod.get_plugins()
