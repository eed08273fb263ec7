"""Built-in plugin: service notes (``peerkit note``), their checks and alerts.

Kept light: only hook implementations here; the commands, rules and templates load when used.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("note", "peerkit_notes.commands:note",
                                "Service notes: write, sign, check and render them (units are computed, never typed)."))


@hookimpl
def note_checks():
    from peerkit_notes.checks import BUILTIN_CHECKS

    return list(BUILTIN_CHECKS)


@hookimpl
def alerts(workspace, today):
    from peerkit_notes.overdue import note_alerts  # not "alerts": a submodule would shadow this hook

    return note_alerts(workspace, today)


@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["notes"]
