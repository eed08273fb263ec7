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


@hookimpl
def review_sheets(workspace, start, end):
    """An "Activities" sheet in the supervisor's review workbook: the period's activities
    (void ones included, marked).  A broken activity file becomes an ERROR row naming it."""
    from peerkit.errors import DataError
    from peerkit_activities import model

    headers = ["Date", "Kind", "Start", "End", "Minutes", "Client", "Note", "Status", "Billing"]
    try:
        rows = [[a.date, a.kind, a.start, a.end, a.minutes, a.client, a.note, a.status,
                 a.billing_note or "not billable"] for a in model.iter_activities(workspace, start, end)]
    except DataError as exc:
        rows = [["ERROR", exc.message, None, None, None, None, None, None, None]]
    return [{"title": "Activities", "headers": headers, "rows": rows}]


@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["activities"]
