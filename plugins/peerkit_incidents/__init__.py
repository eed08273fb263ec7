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
    """Reports to the supervisor, verbal notices and IRIS entries due or overdue."""
    from peerkit.alerts import Alert
    from peerkit.errors import DataError
    from peerkit_incidents import model

    try:
        return model.alerts(workspace, today)
    except DataError as exc:  # a broken record is itself something to fix (the message names it)
        return [Alert("incidents", model.FOLDER, "error", None, exc.message)]
