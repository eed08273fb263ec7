"""Built-in plugin: the people served (``peerkit client``): identity, authorizations,
documents (service order, assessment, plan, consents), plan goals and their progress.

Registers note checks (service order and plan in force, eligibility, goal progress) and
``peerkit status`` alerts (plan reviews, expiring documents).  See docs/clients.md.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("client", "peerkit_clients.commands:client",
                                "The people you serve: identity, authorizations and plan goals."))


@hookimpl
def note_checks():
    from peerkit_clients.checks import CHECKS

    return list(CHECKS)


@hookimpl
def alerts(workspace, today):
    """Person-centered plan reviews coming due, service orders and plans expiring.  A client
    record that cannot be read raises its DataError: ``status`` shows it and exits 3."""
    from peerkit_clients import papers

    return papers.alerts(workspace, today)


@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["clients"]
