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
    """Credentials lapsed or lapsing, CE hours short (per category), supervision missing."""
    from peerkit.alerts import Alert
    from peerkit.errors import DataError
    from peerkit_certs import model
    from peerkit_certs.status import compute

    if not model.credentials_path(workspace).exists():
        return []
    try:
        return compute(model.load(workspace), model.settings(workspace), today).alerts
    except DataError as exc:  # a broken file is itself something to fix (the message names it)
        return [Alert("certs", model.FILE_NAME, "error", None, exc.message)]
