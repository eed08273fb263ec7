"""Built-in plugin: time that is not a billable note (``peerkit activity``) and the weekly
time summary (``peerkit week``).

Records live in ``activities/YYYY/MM/<id>.toml``; an agency adds kinds with
``[activities] kinds = [...]`` in peerkit.toml.  See docs/activities.md.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("activity", "peerkit_activities.commands:activity",
                                "Work that is not a billable note: meetings, on-call, outreach, no-shows."))
    cli.add_command(LazyCommand("week", "peerkit_activities.commands:week",
                                "A week's time: billable vs non-billable hours, by kind, productivity."))
