"""Built-in plugin: incident reports and their deadlines (``peerkit incident``).

Records live in ``incidents/<id>.toml``; rules in ``[incidents]`` of peerkit.toml.
See docs/incidents.md.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("incident", "peerkit_incidents.commands:incident",
                                "Incident reports and their deadlines (supervisor, IRIS, verbal notice)."))


@hookimpl
def alerts(workspace, today):
    """Reports to the supervisor, verbal notices and IRIS entries due or overdue.

    A broken record raises its DataError: ``status`` shows it and exits 3."""
    from peerkit_incidents import model

    return model.alerts(workspace, today)


@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["incidents"]
