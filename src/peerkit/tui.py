"""``peerkit tui``: forms for the week's common tasks, for people who do not live in a shell.

A small Textual app (the optional extra ``peerkit[tui]``): add a note, sign drafts, preview and
issue the week's invoice. Each form builds an ordinary peerkit command line and runs it as a
separate process (``python -m peerkit -w WORKSPACE ...``), so the TUI does exactly what the CLI
does — same checks, same files, same audit log — and shows the command, its messages and its
exit code. An empty field is left out of the command (never filled with a placeholder).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Label, Log, Select, TabbedContent, TabPane

# (option, label, default) of `peerkit note add`
NOTE_FIELDS = [
    ("client", "Client id", ""), ("date", "Date (YYYY-MM-DD, today, yesterday)", "today"),
    ("start", "Start (HH:MM)", ""), ("end", "End (HH:MM)", ""),
    ("place", "Place (home, community, office, telehealth, ...)", "community"),
    ("location", "Where exactly", ""), ("goal", "Plan goal id", ""),
    ("purpose", "Purpose", ""), ("intervention", "What you did", ""),
    ("response", "How the person responded", ""), ("plan", "Plan / next steps", ""),
]
INVOICE_FORMATS = ["pdf", "xlsx", "html", "md"]
EXIT_MEANING = {0: "done", 1: "findings to fix", 2: "usage error", 3: "invalid data",
                4: "a secret or tool is missing", 5: "nothing to bill", 70: "internal error"}


def note_add_args(values: dict[str, str]) -> list[str]:
    """``note add`` with one ``--option value`` per filled-in field."""
    args = ["note", "add"]
    for name, _label, _default in NOTE_FIELDS:
        value = (values.get(name) or "").strip()
        if value:
            args += [f"--{name}", value]
    return args


def note_sign_args(ids: str) -> list[str]:
    """``note sign`` of the ids given, or of this week's drafts when none are."""
    chosen = ids.replace(",", " ").split()
    return ["note", "sign", *chosen] if chosen else ["note", "sign", "--week", "this"]


def invoice_args(week: str, fmt: str, folder: str, preview: bool) -> list[str]:
    """The week's invoice: a Markdown preview, or issued into ``folder``."""
    week = week.strip() or "last"
    if preview:
        return ["invoice", "--week", week, "--preview", "--format", "md"]
    return ["invoice", "--week", week, "--format", fmt, "--out", folder.rstrip("/") + "/"]


class PeerkitTui(App[None]):
    """The forms; ``workspace`` is the folder every command runs on."""

    TITLE = "peerkit"
    CSS = """
    Input { margin: 0 0 1 0; }
    Label { margin: 0 0 0 1; }
    #output { height: 12; border: solid $accent; }
    Horizontal { height: auto; }
    Button { margin: 0 1 0 0; }
    """
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, workspace: Path, *, folder: Path | None = None):
        super().__init__()
        self.workspace = Path(workspace)
        self.folder = Path(folder or Path.cwd())
        self.last_exit: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="add"):
            with TabPane("Add a note", id="add"), VerticalScroll():
                for name, label, default in NOTE_FIELDS:
                    yield Label(label)
                    yield Input(value=default, id=f"note-{name}")
                yield Button("Add the note (as a draft)", id="add-note", variant="primary")
            with TabPane("Sign notes", id="sign"):
                yield Label("Note ids to sign (blank: every draft of this week)")
                yield Input(id="sign-ids")
                yield Button("Sign", id="sign-notes", variant="primary")
            with TabPane("The week's invoice", id="invoice"):
                yield Label("Week (2026-W47, this or last)")
                yield Input(value="last", id="invoice-week")
                yield Label("Format")
                yield Select([(f, f) for f in INVOICE_FORMATS], value="pdf", allow_blank=False,
                             id="invoice-format")
                yield Label("Folder to write it to")
                yield Input(value=str(self.folder), id="invoice-folder")
                with Horizontal():
                    yield Button("Preview", id="invoice-preview")
                    yield Button("Issue the invoice", id="invoice-issue", variant="primary")
        yield Log(id="output", highlight=False)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        def value(wid: str) -> str:
            text: str = self.query_one(f"#{wid}", Input).value
            return text

        if event.button.id == "add-note":
            args = note_add_args({name: value(f"note-{name}") for name, _l, _d in NOTE_FIELDS})
        elif event.button.id == "sign-notes":
            args = note_sign_args(value("sign-ids"))
        elif event.button.id in ("invoice-preview", "invoice-issue"):
            fmt = str(self.query_one("#invoice-format", Select).value)
            args = invoice_args(value("invoice-week"), fmt, value("invoice-folder"),
                                event.button.id == "invoice-preview")
        else:
            return
        self.run_peerkit(args)

    @work(thread=True, exclusive=True)
    def run_peerkit(self, args: list[str]) -> None:
        """Run one peerkit command on the workspace and show what it said."""
        argv = [sys.executable, "-m", "peerkit", "-w", str(self.workspace), *args]
        proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        lines = [f"$ peerkit {' '.join(args)}", *proc.stdout.splitlines(), *proc.stderr.splitlines(),
                 f"exit {proc.returncode}: {EXIT_MEANING.get(proc.returncode, 'failed')}", ""]
        self.call_from_thread(self._show, lines, proc.returncode)

    def _show(self, lines: list[str], code: int) -> None:
        self.last_exit = code
        self.query_one("#output", Log).write_lines(lines)
