"""Built-in plugin: certifications, licences, insurance, CE hours and supervision (``peerkit certs``).

Records live in the workspace's ``credentials.toml``; settings in ``[certs]`` of peerkit.toml.
See docs/certs.md.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("certs", "peerkit_certs.commands:certs",
                                "Certifications, licences, insurance, continuing education and supervision."))


@hookimpl
def alerts(workspace, today):
    """Credentials lapsed or lapsing, CE hours short (per category), supervision missing.

    A broken credentials.toml raises its DataError: ``status`` shows it and exits 3."""
    from peerkit_certs import model
    from peerkit_certs.status import compute

    if not model.credentials_path(workspace).exists():
        return []
    return compute(model.load(workspace), model.settings(workspace), today).alerts
