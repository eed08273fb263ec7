"""Built-in plugin: caseload limits and authorization use (``peerkit caseload``).

See docs/caseload.md.
"""
from peerkit import hookimpl


@hookimpl
def register_commands(cli):
    from peerkit_caseload.commands import caseload

    cli.add_command(caseload)


@hookimpl
def alerts(workspace, today):
    """Authorizations over, under-used or ending soon; caseload limits; unmanaged units."""
    from peerkit_caseload.model import compute

    return compute(workspace, today).alerts
