"""peerkit tui (peerkit[tui]): the forms, driven with Textual's pilot; each runs the real
command on a copy of the example workspace."""
from __future__ import annotations

import asyncio

import pytest

textual = pytest.importorskip("textual", reason="the optional extra peerkit[tui] (textual) is not installed")

from peerkit.tui import PeerkitTui, invoice_args, note_add_args, note_sign_args  # noqa: E402

NOTE = {"client": "C002", "date": "2026-11-25", "start": "09:00", "end": "09:40", "place": "office",
        "location": "Agency office", "goal": "G1", "purpose": "Work on the plan goal.",
        "intervention": "Shared my experience of budgeting.",
        "response": "Engaged and set a next step for the week.", "plan": "Meet next week."}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")


def test_empty_fields_are_left_out_of_the_command():
    assert note_add_args({"client": "C001", "date": " ", "plan": ""}) == ["note", "add", "--client", "C001"]
    assert note_sign_args("") == ["note", "sign", "--week", "this"]
    assert note_sign_args("N-1, N-2") == ["note", "sign", "N-1", "N-2"]
    assert invoice_args("", "pdf", "/tmp/x", False) == ["invoice", "--week", "last", "--format", "pdf",
                                                         "--out", "/tmp/x/"]


async def _fill(pilot, values: dict[str, str]) -> None:
    from textual.widgets import Input

    for name, value in values.items():
        pilot.app.query_one(f"#note-{name}", Input).value = value


async def _press(pilot, button_id: str) -> None:
    """Press a button as a click would (it may be scrolled out of view) and wait for the command."""
    from textual.widgets import Button

    pilot.app.query_one(f"#{button_id}", Button).press()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _tab(pilot, tab_id: str) -> None:
    from textual.widgets import TabbedContent

    pilot.app.query_one(TabbedContent).active = tab_id
    await pilot.pause()


def _log(app) -> str:
    from textual.widgets import Log

    return "\n".join(app.query_one("#output", Log).lines)


def test_add_sign_and_invoice_through_the_forms(ws_path, tmp_path):
    async def scenario():
        app = PeerkitTui(ws_path, folder=tmp_path)
        async with app.run_test(size=(110, 60)) as pilot:
            await _fill(pilot, NOTE)
            await _press(pilot, "add-note")
            assert app.last_exit == 0, _log(app)
            assert "Added N-2026-11-25-C002-1" in _log(app)

            await _tab(pilot, "sign")
            from textual.widgets import Input

            app.query_one("#sign-ids", Input).value = "N-2026-11-25-C002-1"
            await _press(pilot, "sign-notes")
            assert app.last_exit == 0, _log(app)
            assert "Signed N-2026-11-25-C002-1" in _log(app)

            await _tab(pilot, "invoice")
            from textual.widgets import Select

            app.query_one("#invoice-week", Input).value = "2026-W47"
            app.query_one("#invoice-format", Select).value = "html"
            await _press(pilot, "invoice-preview")
            assert app.last_exit == 0 and "Invoice preview (not issued)" in _log(app).replace("\\", "")
            await _press(pilot, "invoice-issue")
            assert app.last_exit == 0, _log(app)
            return _log(app)

    log = asyncio.run(scenario())
    note = (ws_path / "notes" / "2026" / "11" / "N-2026-11-25-C002-1.toml").read_text()
    assert 'status = "signed"' in note and 'client = "C002"' in note
    assert (tmp_path / "INV-2026-0001.html").is_file()
    assert str(tmp_path / "INV-2026-0001.html") in log      # the written path, shown


def test_a_refused_command_shows_its_exit_code(ws_path, tmp_path):
    async def scenario():
        app = PeerkitTui(ws_path, folder=tmp_path)
        async with app.run_test(size=(110, 60)) as pilot:
            await _fill(pilot, {"client": "C002", "start": "10:00"})     # no end time
            await _press(pilot, "add-note")
            return app.last_exit, _log(app)

    code, log = asyncio.run(scenario())
    assert code == 2 and "exit 2: usage error" in log
    assert not list((ws_path / "notes" / "2026" / "11").glob("N-2026-11-25-*"))


def test_tui_refuses_without_a_terminal(run):
    result = run("tui")
    assert result.exit_code == 2 and "needs a terminal" in result.stderr
