import datetime as dt

import pytest

from peerkit.errors import DataError
from peerkit.records import check_id, id_problem
from peerkit.workspace import Workspace


@pytest.mark.parametrize("bad", ["../x", "a/b", "CON", "con.txt", "x" * 300, "", "a b", "..", "é", "😀"])
def test_unsafe_ids_are_refused(bad):
    assert id_problem(bad)
    with pytest.raises(DataError):
        check_id(bad, "client id")


def test_example_workspace_loads(ws):
    clients = ws.clients()
    assert sorted(clients) == ["C001", "C002", "C003", "C004"]
    notes = list(ws.notes())
    assert len(notes) == 25
    statuses = {n.status for n in notes}
    assert statuses == {"draft", "signed", "submitted", "approved", "denied", "void"}
    assert any(n.late_entry for n in notes) and any(n.modifier == "HQ" for n in notes)


def test_notes_are_read_only_from_the_months_asked(ws):
    # a broken note in another month does not matter to a query about November
    bad = ws.path("notes", "2025", "01", "N-2025-01-05-C001-1.toml")
    bad.parent.mkdir(parents=True)
    bad.write_text("this is not toml = = =")
    week = list(ws.notes(dt.date(2026, 11, 16), dt.date(2026, 11, 22)))
    assert len(week) == 10
    with pytest.raises(DataError, match="N-2025-01-05-C001-1.toml:1: not valid TOML"):
        list(ws.notes())


def _rewrite(path, old, new):
    path.write_text(path.read_text().replace(old, new))


@pytest.mark.parametrize("old,new,expected", [
    ('end = 11:05:00', 'end = 09:05:00', "field 'end': must be after 'start'"),
    ('client = "C001"', 'client = "C999"', "field 'client': names an unknown client"),
    ('date = 2026-11-16', 'date = "2026-11-16"', "field 'date': expected a date (YYYY-MM-DD, no quotes), found text"),
    ('status = "approved"', 'status = "paid"', "field 'status': must be one of"),
    ('code = "H0038"\n', '', "field 'code': is required but missing"),
])
def test_bad_note_files_name_file_line_and_field(ws, old, new, expected):
    path = ws.path("notes", "2026", "11", "N-2026-11-16-C001-1.toml")
    _rewrite(path, old, new)
    with pytest.raises(DataError) as err:
        list(ws.notes(dt.date(2026, 11, 16), dt.date(2026, 11, 16)))
    msg = err.value.message
    assert "N-2026-11-16-C001-1.toml" in msg and expected in msg
    # no narrative or names in the message
    assert "housing" not in msg and "Sam" not in msg


def test_error_names_the_line(ws):
    path = ws.path("notes", "2026", "11", "N-2026-11-16-C001-1.toml")
    _rewrite(path, 'end = 11:05:00', 'end = 09:05:00')
    with pytest.raises(DataError) as err:
        ws.note("N-2026-11-16-C001-1")
    assert ".toml:5: field 'end'" in err.value.message


def test_client_validation(ws):
    path = ws.path("clients", "C002.toml")
    _rewrite(path, "end = 2026-12-05", "end = 2026-01-05")
    with pytest.raises(DataError, match=r"C002.toml:\d+: field 'authorizations\[1\].end': is before 'start'"):
        Workspace(ws.root).clients()


def test_bom_and_crlf_files_keep_their_meaning(ws):
    path = ws.path("clients", "C004.toml")
    text = path.read_text()
    path.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode())
    c = Workspace(ws.root).client("C004")
    assert c.name == "Morgan Testperson" and c.admitted == dt.date(2026, 11, 2)


def test_duplicate_keys_and_impossible_dates_are_refused_with_line(ws):
    path = ws.path("clients", "C004.toml")
    path.write_text('name = "Again"\n' + path.read_text())
    with pytest.raises(DataError, match=r"C004.toml:\d+: not valid TOML"):
        Workspace(ws.root).clients()
    path.write_text('id = "C004"\nname = "X"\nadmitted = 2024-02-30\n')
    with pytest.raises(DataError, match=r"C004.toml:3: not valid TOML"):
        Workspace(ws.root).clients()


def test_names_are_normalised(ws):
    path = ws.path("clients", "C004.toml")
    _rewrite(path, 'name = "Morgan Testperson"', 'name = "Jose\u0301 \u202eTest\u200bperson"')
    c = Workspace(ws.root).client("C004")
    assert c.name == "Jos\u00e9 Testperson"
