"""peerkit.pdf renders only what the HTML holds: an address it would have to fetch stops the PDF
(no file, one line without the address), whatever WeasyPrint's version does with the refusal."""
from __future__ import annotations

import pytest

from peerkit.errors import PeerkitError
from tests.pdf.test_pdf import needs_pdf


@needs_pdf
@pytest.mark.parametrize("html", [
    '<html><head></head><body><img src="http://pdf-fetch.example.org/sam-example.png"><p>x</p></body></html>',
    '<html><head><link rel="stylesheet" href="https://pdf-fetch.example.org/sam-example.css"></head>'
    "<body><p>x</p></body></html>",
], ids=["image", "stylesheet"])
def test_a_remote_address_is_never_fetched(html):
    from peerkit import pdf

    with pytest.raises(PeerkitError) as err:
        pdf.html_to_pdf(html)
    assert "sam-example" not in err.value.message and "pdf-fetch.example.org" not in err.value.message
    # peerkit's own refusal, naming the kind of address (before: "could not be rendered
    # (AttributeError)" with WeasyPrint 70, which wants a URLFetcher object, not a function)
    assert err.value.message.startswith("PDF rendering fetches nothing; the template names http")


@needs_pdf
def test_a_self_contained_page_renders():
    from peerkit import pdf

    out = pdf.html_to_pdf("<p>Weekly summary</p>", page=pdf.CARD)
    assert out.startswith(b"%PDF-")
