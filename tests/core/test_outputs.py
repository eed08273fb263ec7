"""--out: unwritable paths exit 3 naming them, the suffix chooses (or refuses) the format, and
the written path is printed on stdout when --out names a folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from peerkit import hookimpl

PERIOD = ("--from", "2026-11-02", "--to", "2026-11-08")

# (command before --out, file name it writes into a folder)
COMMANDS = {
    "invoice": (("invoice", *PERIOD, "--preview", "--format", "md"), "PREVIEW.md"),
    "note render": (("note", "render", "N-2026-11-02-C001-1"), "N-2026-11-02-C001-1.md"),
    "note export": (("note", "export"), "review.xlsx"),
    "wrap export": (("wrap", "export", "C001"), "wrap-C001.html"),
    "resources export": (("resources", "export", "--format", "html"), "resources.html"),
}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-29")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-29T09:00:00")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("name", COMMANDS)
def test_an_out_in_proc_exits_3_naming_the_path(run, name):
    args, _ = COMMANDS[name]
    result = run(*args, "--out", "/proc/x")
    assert result.exit_code == 3, result.output
    assert "/proc/x" in result.output and "internal error" not in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_an_out_in_a_missing_folder_exits_3_naming_it(run, tmp_path, name):
    args, _ = COMMANDS[name]
    _, file_name = COMMANDS[name]
    result = run(*args, "--out", tmp_path / "missing" / file_name)
    assert result.exit_code == 3, result.output
    assert "missing: folder does not exist" in result.output
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_out_in_a_read_only_folder_exits_3(run, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = run("note", "render", "N-2026-11-02-C001-1", "--out", folder / "n.md")
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 3 and "n.md: cannot be written" in result.output


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_an_unwritable_out_issues_no_invoice(run, ws_path):
    result = run("invoice", *PERIOD, "--out", "/proc/")
    assert result.exit_code == 3
    assert not list((ws_path / "invoices").glob("*.toml"))


@pytest.mark.parametrize("name", COMMANDS)
def test_out_naming_a_folder_prints_the_written_path_on_stdout(run, tmp_path, name):
    args, file_name = COMMANDS[name]
    folder = tmp_path / "outbox"
    folder.mkdir()
    result = run(*args, "--out", folder)
    assert result.exit_code == 0, result.output
    written = folder / file_name
    assert written.is_file()
    assert result.stdout.strip().endswith(file_name)
    assert Path(result.stdout.strip()).resolve() == written.resolve()


def test_an_unknown_suffix_is_refused_listing_the_formats(run, tmp_path):
    out = tmp_path / "inv.csv"
    result = run("invoice", *PERIOD, "--out", out)
    assert result.exit_code == 2
    assert "'.csv' names no known format (.htm, .html, .json, .markdown, .md, .pdf, .xlsx)" in result.output
    assert not out.exists()
    for args, suffix in ((("note", "render", "N-2026-11-02-C001-1"), ".doc"), (("note", "export"), ".csv"),
                         (("wrap", "export", "C001"), ".doc")):
        result = run(*args, "--out", tmp_path / f"x{suffix}")
        assert result.exit_code == 2, (args, result.output)
        assert f"'{suffix}' names no known format" in result.output


def test_a_suffix_a_plugin_format_claims_selects_it(run, register_plugin, tmp_path):
    class Csv:
        @staticmethod
        @hookimpl
        def invoice_formats():
            return {"csv": lambda invoice, workspace: "number,total\n"
                                                     f"{invoice.number},{invoice.total_amount}\n"}

    register_plugin(Csv(), "csv_invoice")
    out = tmp_path / "inv.csv"
    result = run("invoice", *PERIOD, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("number,total\nINV-2026-0001,")
    assert not out.read_bytes().startswith(b"PK")  # not an xlsx in disguise


def test_the_suffix_chooses_the_format_of_note_render_and_wrap_export(run, tmp_path):
    assert run("note", "render", "N-2026-11-02-C001-1", "--out", tmp_path / "n.html").exit_code == 0
    assert (tmp_path / "n.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert run("wrap", "export", "C001", "--out", tmp_path / "w.md").exit_code == 0
    assert not (tmp_path / "w.md").read_text().lstrip().lower().startswith("<!doctype")


def test_empty_out_is_a_data_error_not_a_crash(tmp_path, monkeypatch):
    """Found by mypy: ``--out ""`` where a command has no default file name reached
    ``Path(None)`` (TypeError, exit 70); now it is refused like any folder given as a file."""
    from peerkit.errors import DataError
    from peerkit.output import out_target

    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as caught:
        out_target("", None)
    assert caught.value.exit_code == 3 and "give a file name" in str(caught.value)
