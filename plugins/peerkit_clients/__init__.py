"""Built-in plugin: the people served (``peerkit client``)."""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("client", "peerkit_clients.commands:client",
                                "The people you serve: identity, authorizations and plan goals."))
