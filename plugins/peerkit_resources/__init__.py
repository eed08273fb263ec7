"""Built-in plugin: the community resource directory (``peerkit resources``).

Open Referral HSDS 3.0 import/export, Open Eligibility categories, fast search with opening
hours.  Nothing heavy is imported here: openpyxl, jinja2 and jsonschema load inside commands.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand("resources", "peerkit_resources.commands:resources",
                                "Community resource directory: search, verify, import and export "
                                "(Open Referral HSDS)."))


@hookimpl
def resource_importers():
    from peerkit_resources.formats import builtin_importers

    return builtin_importers()


@hookimpl
def resource_exporters():
    from peerkit_resources.formats import builtin_exporters

    return builtin_exporters()


@hookimpl
def alerts(workspace, today):
    """One warning when resources have not been verified within [resources] stale_days."""
    from peerkit.alerts import Alert
    from peerkit_resources import directory

    if not workspace.path("resources").is_dir():
        return []
    days = directory.stale_days(workspace)
    items = directory.stale(workspace, today, days)
    if not items:
        return []
    import datetime as dt

    shown = ", ".join(i["slug"] for i in items[:5]) + (", ..." if len(items) > 5 else "")
    dated = [i["last_verified"] for i in items if i["last_verified"]]
    due = min(dated) + dt.timedelta(days=days) if len(dated) == len(items) else None
    return [Alert("resources", "resources", "warning", due,
                  f"{len(items)} resource(s) not verified in {days} days ({shown}); call them and run "
                  "'peerkit resources verify SLUG' (list: 'peerkit resources stale')")]



@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["resources"]
