"""Built-in plugin: the people served (``peerkit client``)."""
from peerkit import hookimpl


@hookimpl
def register_commands(cli):
    from peerkit_clients.commands import client

    cli.add_command(client)
