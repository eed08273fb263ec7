"""PDF output (peerkit[pdf]): invoice, rendered note, WRAP plan and crisis card, checked by
extracting the text (pypdf), rendering every page to PNG (pdftoppm) and measuring the boxes.
Skipped, with the reason, where WeasyPrint, its libraries, pypdf or poppler-utils are missing;
the exit-4 message for a missing extra is tested everywhere."""
from __future__ import annotations

import builtins
import shutil
import subprocess
from pathlib import Path

import pytest


def _pdf_stack_problem() -> str | None:
    from peerkit.pdf import PdfUnavailable, weasyprint

    try:
        weasyprint()
    except PdfUnavailable as exc:
        return exc.message
    try:
        import pypdf  # noqa: F401
    except ImportError:
        return "pypdf is not installed (pip install pypdf)"
    if shutil.which("pdftoppm") is None:
        return "pdftoppm is missing (apt install poppler-utils)"
    return None


PROBLEM = _pdf_stack_problem()
needs_pdf = pytest.mark.skipif(PROBLEM is not None, reason=f"PDF stack unavailable: {PROBLEM}")

MM = 72 / 25.4


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")


def read_pdf(path: Path, tmp_path: Path) -> tuple[list, str]:
    """(pages, all text); every page is also rasterised, so a broken page fails here."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    prefix = tmp_path / f"{path.stem}-page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(prefix)], check=True, timeout=120)
    pngs = sorted(tmp_path.glob(f"{prefix.name}-*.png"))
    assert len(pngs) == len(reader.pages)
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 500 for p in pngs)
    return list(reader.pages), " ".join(text.split())


def is_letter(page) -> bool:
    return round(float(page.mediabox.width)) == 612 and round(float(page.mediabox.height)) == 792


@needs_pdf
def test_invoice_pdf(run, tmp_path):
    out = tmp_path / "inv.pdf"
    result = run("invoice", "--week", "2026-W47", "--out", out)       # the suffix picks pdf
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{out}\n" and out.read_bytes().startswith(b"%PDF-")
    pages, text = read_pdf(out, tmp_path)
    assert all(is_letter(p) for p in pages)
    for piece in ("Invoice INV-2026-0001", "From Jordan Rivera", "To Example Peer Services", "Tax ID",
                  "Period 2026-11-16 to 2026-11-22",
                  "Services", "Total units 22", "Total amount $123.12"):
        assert piece in text, piece
    squeezed = text.replace(" ", "")     # a long note id may wrap inside its cell
    assert "N-2026-11-16-C001-1" in squeezed and "N-2026-11-19-C003-3" in squeezed
    assert run("invoice", "--week", "2026-W47", "--format", "pdf", "--out", "-").exit_code == 2


@needs_pdf
def test_rendered_note_pdf_and_a_folder_of_them(run, tmp_path):
    out = tmp_path / "note.pdf"
    result = run("note", "render", "N-2026-11-16-C001-1", "--format", "pdf", "--out", out)
    assert result.exit_code == 0, result.output
    pages, text = read_pdf(out, tmp_path)
    assert all(is_letter(p) for p in pages)
    for heading in ("Service note", "Goals of the person-centered plan addressed", "Purpose",
                    "Intervention", "Response", "Plan", "Signature", "Supervisor review"):
        assert heading in text, heading
    assert "N-2026-11-16-C001-1" in text
    folder = tmp_path / "pdfs"
    batch = run("note", "render", "--week", "2026-W47", "--format", "pdf", "--out", folder)
    assert batch.exit_code == 0, batch.output
    assert len(list(folder.glob("N-*.pdf"))) == 10


@needs_pdf
def test_wrap_plan_pdf_has_every_section(run, tmp_path):
    out = tmp_path / "plan.pdf"
    result = run("wrap", "export", "C001", "--format", "pdf", "--out", out)
    assert result.exit_code == 0, result.output
    pages, text = read_pdf(out, tmp_path)
    assert all(is_letter(p) for p in pages)
    for heading in ("Wellness and crisis action plan", "Things that help me stay well",
                    "Staying well, day to day", "Things that can upset my balance",
                    "Early signs that I am struggling", "When things are getting much worse",
                    "My crisis plan, for my supporters", "After a crisis",
                    "Psychiatric advance directive"):
        assert heading in text, heading


@needs_pdf
def test_crisis_card_pdf_is_card_sized_with_nothing_cut_off(run, tmp_path):
    out = tmp_path / "card.pdf"
    result = run("wrap", "export", "C001", "--card", "--format", "pdf", "--out", out)
    assert result.exit_code == 0, result.output
    pages, text = read_pdf(out, tmp_path)
    for page in pages:       # ID-1: 85.60 x 53.98 mm trimmed; crop marks in a 3 mm bleed
        assert abs(float(page.trimbox.width) - 85.60 * MM) < 0.5
        assert abs(float(page.trimbox.height) - 53.98 * MM) < 0.5
        assert float(page.mediabox.width) > float(page.trimbox.width)
    html = run("wrap", "export", "C001", "--card").stdout
    from html.parser import HTMLParser

    class Text(HTMLParser):
        words: list[str] = []

        def handle_data(self, data):
            if self.lasttag not in ("style", "title", "script"):
                self.words += data.split()

    parser = Text()
    parser.feed(html[html.index('<div class="card">'):html.index('<p class="howto">')])  # the card itself
    squeezed = "".join(text.split()).casefold()   # headings are upper-cased by CSS
    for word in parser.words:           # every word of the card is in the PDF: nothing cut off
        assert word.strip("•").casefold() in squeezed, word
    for phone in ("919-555-0142", "919-555-0187", "919-555-0110", "(919) 555-0163", "988"):
        assert phone.replace(" ", "") in squeezed
    assert len(pages) >= 2              # front, then back (a long plan continues on more cards)


def test_missing_extra_is_exit_4_with_the_fix(run, monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    result = run("invoice", "--week", "2026-W47", "--format", "pdf", "--out", tmp_path / "i.pdf")
    assert result.exit_code == 4
    assert "pip install 'peerkit[pdf]'" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "i.pdf").exists()
    assert run("wrap", "export", "C001", "--card", "--format", "pdf", "--out", tmp_path / "c.pdf").exit_code == 4


def test_missing_libraries_are_exit_4_naming_them(run, monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    result = run("note", "render", "N-2026-11-16-C001-1", "--format", "pdf", "--out", tmp_path / "n.pdf")
    assert result.exit_code == 4
    assert "libpango-1.0-0" in result.stderr and "apt install" in result.stderr
