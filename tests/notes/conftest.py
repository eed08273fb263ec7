"""Fixtures of the notes tests: a fixed clock, a fresh plugin set, note-building helpers."""
from __future__ import annotations

import datetime as dt

import pytest

from peerkit import plugins as plugin_mod

TODAY = "2026-11-25"
NOW = "2026-11-25T12:00:00"


@pytest.fixture(autouse=True)
def fixed_clock(request, monkeypatch):
    """Only for this plugin's own test modules (test_notes_*); others set their own clock."""
    if not request.module.__name__.rsplit(".", 1)[-1].startswith("test_notes"):
        yield
        return
    monkeypatch.setenv("PEERKIT_TODAY", TODAY)
    monkeypatch.setenv("PEERKIT_NOW", NOW)
    plugin_mod.set_plugins(None)  # plain-function tests build a fresh plugin set
    yield
    plugin_mod.set_plugins(None)


@pytest.fixture
def base_note(ws):
    """A complete, signed, passing note of C001 on 2026-11-25 (not saved)."""
    from peerkit.records import Note, note_path

    note = Note(id="N-2026-11-25-C001-1", client="C001", date=dt.date(2026, 11, 25),
                start=dt.time(9, 0), end=dt.time(9, 50), code="H0038", modifier="",
                place="community", location="Public library, Main St", goals=["G1"],
                purpose="Continue the housing search together.",
                intervention="Compared two listings together at the library.",
                response="Sam chose one listing to apply for.", plan="Apply on Friday.",
                status="signed", author="Jordan Rivera", credentials="NC CPSS",
                written_at=dt.datetime(2026, 11, 25, 10, 0), signed_at=dt.datetime(2026, 11, 25, 10, 5))
    note.path = note_path(ws, note)
    return note


