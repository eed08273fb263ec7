"""Built-in plugin: caseload limits and authorization use (``peerkit caseload``).

See docs/caseload.md.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("caseload", "peerkit_caseload.commands:caseload",
                                "Caseload size and weekly hours against the limits, and each authorization's use."))


@hookimpl
def alerts(workspace, today):
    """Authorizations over, under-used or ending soon; caseload limits; unmanaged units.
    A note file that cannot be read is returned as its DataError after the other alerts."""
    from peerkit.derived import remembered_alerts
    from peerkit_caseload.model import compute

    def run():
        problems: list = []
        return compute(workspace, today, problems).alerts + problems

    # kept in notes/.caseload-alerts-cache.json while no record it read changed (issue 19)
    return remembered_alerts(workspace, "caseload-alerts", today, run, packages=("peerkit_caseload",))


@hookimpl
def init_settings():
    """The [caseload] table 'peerkit init' writes into a new peerkit.toml (docs/caseload.md)."""
    return {"caseload": "[caseload]\nmax_people = 10\nmax_weekly_hours = 40\n"}


@hookimpl
def doctor_checks(workspace):
    """A [caseload] table that does not validate (peerkit's core leaves it to this plugin)."""
    from peerkit.errors import DataError
    from peerkit_caseload.model import caseload_settings

    if workspace is None:
        return []
    try:
        caseload_settings(workspace)
    except DataError as exc:
        return [exc.message]
    return []
