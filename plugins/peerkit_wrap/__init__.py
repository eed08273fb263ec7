"""Built-in plugin: the person's wellness and crisis action plan (``peerkit wrap``).

Compatible with WRAP-style planning; all wording is peerkit's own.  Heavy libraries
(jinja2, openpyxl) are imported inside the functions that need them.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    # imported only when the command runs, so 'peerkit --help' stays fast
    cli.add_command(LazyCommand('wrap', 'peerkit_wrap.commands:wrap',
                                "The person's wellness and crisis action plan (compatible with WRAP-style planning)."))


@hookimpl
def wrap_formats():
    """The built-in formats, registered through the same hook a plugin uses for pdf/docx."""
    from peerkit_wrap.formats import builtin_formats

    return builtin_formats()


@hookimpl
def alerts(workspace, today):
    """Plans due for review (warning), overdue (error unless [wrap] overdue_severity says
    warning) and plan files that do not validate (error)."""
    from peerkit_wrap.model import alerts as wrap_alerts

    return wrap_alerts(workspace, today)


@hookimpl
def init_folders():
    """The folder 'peerkit init' makes for this plugin's records."""
    return ["wrap"]
