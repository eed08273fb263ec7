"""The ``peerkit`` command line: the root group, global options and error boundary.

Feature commands come from plugins (``register_commands``), loaded lazily the first time
the command list is needed, so ``peerkit --version`` loads no plugin at all.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from peerkit import __version__
from peerkit.errors import PeerkitError
from peerkit.lazy import LazyCommand, resolve

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.plugins import Plugins

# Core commands, imported only when they run (their one-line help is repeated here so that
# ``peerkit --help`` imports none of them; a test keeps the two in step).
CORE_COMMANDS = {
    "init": ("peerkit.commands.init:init",
             "Create a new workspace in DIRECTORY (private to you: folders 0700, files 0600)."),
    "plugins": ("peerkit.commands.plugins:plugins_cmd",
                "List loaded plugins: name, version, source, hooks, and any load error."),
    "templates": ("peerkit.commands.templates:templates",
                  "List templates, or copy a default one into the workspace to change it."),
    "secret": ("peerkit.commands.secret:secret",
               "Store, read and delete secrets (tax ID, bank details) in the OS keyring."),
    "status": ("peerkit.commands.status:status",
               "Everything that needs attention, sorted by due date and grouped by severity."),
    "doctor": ("peerkit.commands.doctor:doctor",
               "Check the installation, the keyring and the workspace; exit 1 on any warning."),
    "reindex": ("peerkit.commands.reindex:reindex",
                "Rebuild the note caches (always safe; peerkit keeps them current itself)."),
    "audit": ("peerkit.commands.audit:audit",
              "The audit log of exports, review imports, invoices and secret changes."),
    "trust": ("peerkit.commands.trust:trust_cmd",
              "Let a workspace's own plugins run: record its path, owner and plugin file hashes."),
    "completion": ("peerkit.commands.completion:completion",
                   "Print the shell completion script for bash, zsh or fish (ids, formats, options)."),
    "tui": ("peerkit.commands.tui:tui",
            "Forms for people who do not live in a shell: add a note, sign, the week's invoice."),
}


class PeerkitClickError(click.ClickException):
    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        # click declares exit_code a ClassVar; this one class carries every peerkit exit code
        self.exit_code = exit_code  # type: ignore[misc]


class PeerkitGroup(click.Group):
    """Root group: core commands plus the commands plugins register, checked for clashes."""

    def _placeholders(self, ctx: click.Context) -> dict[str, click.Command]:
        """Every command by name, plugin commands possibly still LazyCommand placeholders."""
        root = ctx.find_root()
        core = root.meta.get("peerkit.core")
        if core is None:
            core = {name: LazyCommand(name, path, text) for name, (path, text) in CORE_COMMANDS.items()}
            root.meta["peerkit.core"] = core
        return {**self._plugin_commands(ctx), **core}

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        root = ctx.find_root()
        cached: dict[str, click.Command] | None = root.meta.get("peerkit.commands")
        if cached is not None:
            return cached
        from peerkit.context import plugins_for

        plugins = plugins_for(root)
        commands: dict[str, click.Command] = {}
        owner: dict[str, str] = {}
        groups: dict[str, click.Group] = {}
        plugins.call("register_commands", kwargs_for=lambda name: {"cli": groups.setdefault(name, click.Group())})
        for name, scratch in sorted(groups.items()):
            if plugins.pm.get_plugin(name) is None:  # it failed in register_commands: skipped
                continue
            for cmd_name, cmd in scratch.commands.items():
                if cmd_name in CORE_COMMANDS:
                    raise PeerkitClickError(f"plugin {name!r} adds command {cmd_name!r}, which is a "
                                            "core peerkit command; rename it", 2)
                if cmd_name in commands:
                    raise PeerkitClickError(
                        f"command {cmd_name!r} is added by two plugins: {owner[cmd_name]!r} and "
                        f"{name!r}; disable one with PEERKIT_DISABLE_PLUGINS", 2)
                commands[cmd_name] = cmd
                owner[cmd_name] = name
        plugins.commands = {cmd_name: (owner[cmd_name], cmd) for cmd_name, cmd in commands.items()}
        root.meta["peerkit.commands"] = commands
        return commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._placeholders(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = self._placeholders(ctx).get(cmd_name)
        if cmd_name not in CORE_COMMANDS and cmd is not None:
            from peerkit.context import plugins_for

            plugins = plugins_for(ctx.find_root())
            owner = plugins.commands.get(cmd_name, ("?",))[0]
            try:
                loaded: click.Command = plugins.load_command(owner, cmd_name, cmd)
            except PeerkitError as exc:
                raise PeerkitClickError(exc.message, exc.exit_code) from None
            return loaded
        try:
            return resolve(cmd)
        except Exception as exc:  # noqa: BLE001 - a core command that cannot load is a bug
            if os.environ.get("PEERKIT_STRICT_PLUGINS") == "1" or os.environ.get("PEERKIT_DEBUG"):
                raise
            raise PeerkitClickError(f"command {cmd_name!r} failed to load ({type(exc).__name__}); "
                                    "run with PEERKIT_DEBUG=1 to see why", 70) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list without importing any command's module."""
        # never empty: the core commands (CORE_COMMANDS) are always listed
        commands = [(n, c) for n, c in sorted(self._placeholders(ctx).items()) if not c.hidden]
        limit = formatter.width - 6 - max(len(n) for n, _ in commands)
        with formatter.section("Commands"):
            formatter.write_dl([(n, c.get_short_help_str(limit)) for n, c in commands])

    def invoke(self, ctx: click.Context) -> Any:
        os.umask(0o077)  # everything peerkit creates is private to the user
        _new_command()
        try:
            result = super().invoke(ctx)
        except click.exceptions.Exit as exc:
            _show_plugin_failures(ctx, exc.exit_code)
            raise
        except PeerkitError as exc:
            if os.environ.get("PEERKIT_DEBUG"):
                raise
            code = _show_plugin_failures(ctx, exc.exit_code, stop=False)
            raise PeerkitClickError(exc.message, code) from None
        except (click.ClickException, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            raise SystemExit(1) from None
        except OSError as exc:  # a full disk anywhere is exit 3 with one line, never 70
            if os.environ.get("PEERKIT_DEBUG"):
                raise
            full = _disk_full(exc)
            raise (PeerkitClickError(full, 3) if full else self._internal(exc)) from None
        except Exception as exc:  # noqa: BLE001 - never a traceback (or PHI) for users
            if os.environ.get("PEERKIT_DEBUG"):
                raise
            raise self._internal(exc) from None

        _show_plugin_failures(ctx, 0)
        return result

    @staticmethod
    def _internal(exc: BaseException) -> PeerkitClickError:
        return PeerkitClickError(
            f"internal error ({type(exc).__name__}); nothing more is shown because it may "
            "contain protected information. Run again with PEERKIT_DEBUG=1 to see the traceback.",
            70)


def _disk_full(exc: OSError) -> str | None:
    """The one-line message for a full disk or quota (wherever it happened), else None."""
    import errno

    if exc.errno not in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return None
    where = exc.filename if exc.filename else "a file"
    if exc.filename:
        from peerkit.storage import display_path

        where = display_path(exc.filename)
    return f"disk full writing {where}: free space and run again"


def _new_command() -> None:
    """Each command looks at the files afresh: what an earlier command of this process (a test,
    an embedding program) learnt about paths and keys is dropped (see peerkit.session)."""
    from peerkit import session

    session.current().new_command()


def _show_plugin_failures(ctx: click.Context, exit_code: int, stop: bool = True) -> int:
    """Plugin failures a command did not show itself (``collect`` hooks, see
    docs/plugins.md): one line each on stderr, and the command exits with their code (raised
    as click's Exit when ``stop``, else returned)."""
    plugins: Plugins | None = ctx.find_root().meta.get("peerkit.plugins")
    failures = plugins.take_failures() if plugins is not None else []
    if not failures:
        return exit_code
    for failure in failures:
        click.echo(f"Error: {failure.message}", err=True)
    code = max([exit_code] + [f.exit_code for f in failures])
    if stop:
        raise click.exceptions.Exit(code)
    return code


@click.group(cls=PeerkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--workspace", "-w", metavar="DIR", envvar=None,
              help="Workspace folder (default: $PEERKIT_WORKSPACE, or the nearest parent with peerkit.toml).")
@click.option("--no-plugins", is_flag=True, help="Start with built-in plugins only.")
@click.option("--disable-plugin", multiple=True, metavar="NAME", help="Do not load this plugin (repeatable).")
@click.version_option(__version__, "--version", prog_name="peerkit", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, no_plugins: bool,
        disable_plugin: tuple[str, ...]) -> None:
    """Records, invoices and plans for certified peer support specialists.

    \b
    A typical week:
      peerkit note add ...            log each contact
      peerkit note sign ID            sign it
      peerkit note export --out r.xlsx   send notes for review
      peerkit note import-review r.xlsx  read the approvals back
      peerkit invoice --week last     the weekly invoice
      peerkit status                  everything that needs attention
    """


def main(argv: list[str] | None = None) -> None:
    """The ``peerkit`` program (its console script and ``python -m peerkit``)."""
    from peerkit import session

    os.umask(0o077)
    session.current().remember_entry_points = True   # see peerkit.entrypoints
    cli.main(args=argv, prog_name="peerkit")
