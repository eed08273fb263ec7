"""PDF from peerkit's HTML (the optional extra ``peerkit[pdf]``, built on WeasyPrint).

The HTML templates already carry print CSS; :func:`html_to_pdf` adds the page size (US letter
unless ``page`` says otherwise) and renders it. WeasyPrint is imported only here, when a PDF is
asked for. Missing pieces are exit 4 with the fix: the Python package (``pip install
'peerkit[pdf]'``) or the system libraries it loads (Pango, HarfBuzz).

Rendering never fetches anything: peerkit's HTML is self-contained, and a template that names
an outside URL (an image, a stylesheet) gets nothing (protected information must not leak
through requests, and a print job must not depend on the network).
"""
from __future__ import annotations

import contextlib
import sys
from types import ModuleType
from typing import Any, NoReturn

from peerkit.errors import EXIT_SECRET, PeerkitError

LETTER = "@page { size: letter; }"
# ID-1 (credit card) trim size, with crop marks in a 3 mm bleed for a print shop's cutter.
CARD = "@page { size: 85.6mm 53.98mm; margin: 0; bleed: 3mm; marks: crop; }"

INSTALL_PACKAGE = "PDF output needs the optional extra: pip install 'peerkit[pdf]'"
INSTALL_LIBRARIES = ("PDF output needs the Pango and HarfBuzz libraries WeasyPrint loads: on "
                     "Debian/Ubuntu 'apt install libpango-1.0-0 libpangoft2-1.0-0 "
                     "libharfbuzz-subset0', on macOS 'brew install pango'")


class PdfUnavailable(PeerkitError):
    """WeasyPrint or its system libraries are missing (exit 4)."""

    exit_code = EXIT_SECRET


def weasyprint() -> ModuleType:
    """The weasyprint module, or PdfUnavailable saying what to install."""
    try:
        # WeasyPrint prints a banner on stdout when a library is missing: keep stdout for data.
        with contextlib.redirect_stdout(sys.stderr):
            import weasyprint as module
    except ImportError:
        raise PdfUnavailable(INSTALL_PACKAGE) from None
    except OSError:
        raise PdfUnavailable(INSTALL_LIBRARIES) from None
    loaded: ModuleType = module  # the import is Any when WeasyPrint is not installed
    return loaded


def _refusal(url: str) -> str:
    return (f"PDF rendering fetches nothing; the template names {url.split(':', 1)[0]}: "
            "resource (make the template self-contained)")


def _no_fetch(url: str, *args: object, **kwargs: object) -> NoReturn:
    """WeasyPrint before 70: a plain function is the fetcher."""
    raise PdfUnavailable(_refusal(url))


def _fetcher(wp: ModuleType, fatal: Any) -> Any:
    """What refuses every fetch for this WeasyPrint: from 70 on a ``URLFetcher`` whose ``fetch``
    raises a ``FatalURLFetchingError`` (any other error is swallowed there and the resource
    silently left out); before 70, :func:`_no_fetch`."""
    base = getattr(wp, "URLFetcher", None)
    if base is None or fatal is None:
        return _no_fetch

    class Refused(fatal):  # type: ignore[misc]  # WeasyPrint is untyped here
        pass

    class NoFetch(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: object = None) -> NoReturn:
            raise Refused(_refusal(url))

    return NoFetch()


def html_to_pdf(html: str, *, page: str = LETTER) -> bytes:
    """The PDF of ``html``; ``page`` is CSS for the page box (``LETTER`` or ``CARD``)."""
    wp = weasyprint()
    style = f"<style>{page}</style>"  # last in <head>: wins over the template's own @page
    html = html.replace("</head>", style + "</head>", 1) if "</head>" in html else style + html
    fatal = getattr(getattr(wp, "urls", None), "FatalURLFetchingError", None)
    refused = fatal if fatal is not None else ()   # WeasyPrint before 70: nothing to catch here
    try:
        pdf: bytes = wp.HTML(string=html, url_fetcher=_fetcher(wp, fatal)).write_pdf()  # wp: untyped module
        return pdf
    except PeerkitError:
        raise
    except refused as exc:  # WeasyPrint 70+: our fetcher's refusal (a BaseException there)
        text = str(exc)   # our own words only: anything else could name the address
        raise PdfUnavailable(text if text.startswith("PDF rendering fetches nothing")
                             else "PDF rendering fetches nothing (make the template self-contained)") from None
    except Exception as exc:  # noqa: BLE001 - a rendering failure names no content
        raise PeerkitError(f"the PDF could not be rendered ({type(exc).__name__})") from None
