"""Rendered HTML, parsed and rebuilt so nothing in it can load, send or redirect anything.

A template's output is parsed with the standard library's ``html.parser`` and written out
again token by token: text and attribute values re-escaped, attributes quoted, comments,
processing instructions and CDATA sections dropped.  Because peerkit writes the document
itself, a browser reads exactly the elements peerkit checked -- a ``<!-- <head> -->`` or a
comment that ``html.parser`` and a browser end in different places cannot hide anything.
peerkit's Content-Security-Policy meta tag is written first, right after the doctype (or
right after ``<html><head>`` when the document starts with them).

While rebuilding, peerkit refuses (it never silently removes, since the output may be a legal
record) these constructs:

- ``<meta http-equiv="refresh">`` and ``<base>``;
- a remote address (``http(s)://host``, ``//host``) in a URL attribute (``src``, ``href``,
  ``action``, ``formaction``, ``poster``, ``data``, ``srcset``, ``ping``, ...) or in CSS
  (``url()``, ``@import``, quoted strings) in a ``style`` attribute or ``<style>``, unless the
  host is listed in ``[templates] allowed_hosts``; other schemes (``javascript:``, ``file:``,
  ...) always; ``data:`` outside images;
- ``iframe srcdoc`` (a document inside an attribute) and a ``<`` inside ``<style>`` or
  ``<script>`` (where html.parser and a browser may disagree about where the element ends).

The same walk over a template's source gives ``peerkit templates check`` its findings with
line numbers (:func:`lint_html`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from markupsafe import escape

# Attributes that hold one address, and those that hold several.
URL_ATTRS = frozenset({
    "href", "xlink:href", "src", "action", "formaction", "poster", "data", "background", "cite",
    "longdesc", "codebase", "classid", "manifest", "lowsrc", "dynsrc", "icon", "usemap", "profile",
})
URL_LIST_ATTRS = frozenset({"srcset", "imagesrcset", "ping", "archive"})
ANIMATION_TAGS = frozenset({"set", "animate"})          # SVG: <set attributeName="href" to="...">
ANIMATION_ATTRS = frozenset({"to", "from", "values"})
# Elements whose addresses may be data: images (the CSP allows img-src data:).
DATA_OK_TAGS = frozenset({"img", "source", "picture", "video", "audio", "input", "track", "image"})

# <meta http-equiv> values that only describe the document ("refresh" navigates; others such as
# "set-cookie" or "link" are refused too, rather than trusting every browser to ignore them).
KNOWN_HTTP_EQUIV = frozenset({"content-type", "content-language", "default-style", "x-ua-compatible",
                              "content-security-policy"})

_TAG_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9:._-]*$")
_ATTR_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:.-]*$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
REMOTE = "loads or links a remote address"


def csp_meta(allowed_hosts: Iterable[str] = ()) -> str:
    """peerkit's Content-Security-Policy meta tag; allowed hosts may serve images, styles, fonts."""
    extra = "".join(f" https://{h}" for h in allowed_hosts)
    only = extra.strip() or "'none'"
    policy = (f"default-src 'none'; style-src 'unsafe-inline'{extra}; img-src data:{extra}; "
              f"font-src {only}; media-src {only}; form-action {only}; base-uri 'none'")
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


def host_problem(host: object) -> str | None:
    """Why ``host`` is not a valid entry of ``[templates] allowed_hosts`` (None when it is)."""
    if not isinstance(host, str) or not _HOST.match(host.strip().lower().rstrip(".")):
        return "must be a host name like 'www.example.org' (no scheme, port, path or wildcard)"
    return None


def url_problem(value: str, allowed: frozenset[str], *, data_ok: bool) -> str | None:
    """What is wrong with address ``value`` in a rendered document (None when it stays local)."""
    v = re.sub(r"[\t\n\r]", "", value).strip("".join(chr(c) for c in range(0x21)))
    v = v.replace("\\", "/")  # browsers read "/\host" as "//host"
    if not v or v.startswith("#"):
        return None
    m = _SCHEME.match(v)
    if m:
        scheme = m.group(1).lower()
        rest = v[m.end():]
        if scheme == "tel":
            return None
        if scheme == "data":
            return None if data_ok else "uses a data: address outside an image"
        if scheme == "mailto":
            return None if _mail_domain(rest) in allowed else REMOTE
        if scheme not in ("http", "https"):
            return f"uses a {scheme}: address"
    elif v.startswith("//"):
        rest = v
    else:
        return None  # a relative address: stays next to the document
    return None if _host(rest) in allowed else REMOTE


def _host(rest: str) -> str:
    authority = re.split(r"[/?#]", rest.lstrip("/"), maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1]
    if not host.startswith("["):
        host = host.split(":", 1)[0]
    return host.lower().rstrip(".")


def _mail_domain(rest: str) -> str:
    address = re.split(r"[?,]", rest, maxsplit=1)[0]
    return address.rsplit("@", 1)[-1].lower().rstrip(".") if "@" in address else ""


_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\(.)", re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
_CSS_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]*))", re.IGNORECASE)
_CSS_STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")


def _css_unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1):
            cp = int(m.group(1), 16)
            return chr(cp) if 0 < cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF else "\ufffd"
        return str(m.group(2))  # the group that matched when group 1 did not

    return _CSS_ESCAPE.sub(one, text)


def css_problem(css: str, allowed: frozenset[str]) -> str | None:
    """A remote or non-image address in CSS: in ``url()``, ``@import`` or any quoted string."""
    text = _CSS_COMMENT.sub(" ", _css_unescape(css))
    values = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(text)]
    values += [m.group(1) if m.group(1) is not None else m.group(2) for m in _CSS_STRING.finditer(text)]
    for value in values:
        problem = url_problem(value, allowed, data_ok=True)
        if problem:
            return problem.replace("outside an image", "in CSS")
    return None


def srcset_urls(value: str) -> list[str]:
    """Every token of a srcset/ping list that could be an address (descriptors too: harmless)."""
    return [t for t in re.split(r"[\s,]+", value) if t]


class _Rebuilder(HTMLParser):
    """Walk a document, collect problems and (for rendered output) write it out again."""

    def __init__(self, allowed: frozenset[str], csp: str | None):
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.csp = csp
        self.out: list[str] = []
        self.problems: list[tuple[int, str]] = []
        self.csp_done = csp is None
        self.seen_html = False

    # --- problems -------------------------------------------------------------
    def problem(self, text: str) -> None:
        self.problems.append((self.getpos()[0], text))

    def check_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        equiv = values.get("http-equiv", "").strip().lower()
        if tag == "meta" and equiv == "refresh":
            self.problem("has a <meta http-equiv=refresh> (it can send the reader, and data, elsewhere)")
        elif tag == "meta" and "http-equiv" in values and equiv not in KNOWN_HTTP_EQUIV:
            self.problem("has a <meta http-equiv> other than content-type, content-language, "
                         "default-style, x-ua-compatible or content-security-policy")
        if tag == "base":
            self.problem("has a <base> element (it changes where every address points)")
        for name, value in attrs:
            value = value or ""
            if name in URL_ATTRS:
                urls = [value]
            elif name in URL_LIST_ATTRS:
                urls = srcset_urls(value)
            elif tag in ANIMATION_TAGS and name in ANIMATION_ATTRS:
                urls = [u for u in value.split(";")]
            elif name == "style":
                found = css_problem(value, self.allowed)
                if found:
                    self.problem(f"{found} in a style attribute of <{tag}> (could send information out)")
                continue
            elif name == "srcdoc":
                self.problem(f"has <{tag} srcdoc> (a document inside an attribute)")
                continue
            else:
                continue
            for url in urls:
                found = url_problem(url, self.allowed, data_ok=tag in DATA_OK_TAGS)
                if found:
                    self.problem(f"{found} in <{tag} {name}> (could send information out)")
                    break

    def name_problem(self, text: str) -> None:
        """Odd names matter in rendered output only: in a template's source they are Jinja
        (``<tr{% if x %} class="late"{% endif %}>``)."""
        if self.csp is not None:
            self.problem(text)

    # --- rebuilding -----------------------------------------------------------
    def emit(self, text: str) -> None:
        self.out.append(text)

    def put_csp(self) -> None:
        if not self.csp_done and self.csp is not None:  # csp_done starts True when csp is None
            self.emit(self.csp)
            self.csp_done = True

    def start(self, tag: str, attrs: list[tuple[str, str | None]], close: str) -> None:
        self.check_tag(tag, attrs)
        if not _TAG_NAME.match(tag):
            self.name_problem("has a tag name peerkit cannot read")
            return
        parts = [tag]
        for name, value in attrs:
            if not _ATTR_NAME.match(name):
                self.name_problem(f"has an attribute name in <{tag}> peerkit cannot read")
                continue
            parts.append(name if value is None else f'{name}="{escape(value)}"')
        if tag not in ("html", "head"):
            self.put_csp()
        self.emit("<" + " ".join(parts) + close + ">")
        if tag == "head":
            self.put_csp()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.start(tag, attrs, "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.start(tag, attrs, " /")

    def handle_endtag(self, tag: str) -> None:
        if not _TAG_NAME.match(tag):
            self.name_problem("has a tag name peerkit cannot read")
            return
        self.put_csp()
        self.emit(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        raw_element = self.cdata_elem  # inside <script> or <style>: html.parser passes raw text
        if raw_element:
            if "<" in data:
                self.problem(f"has '<' inside <{raw_element}> (peerkit cannot tell where it ends)")
            if raw_element == "style":
                found = css_problem(data, self.allowed)
                if found:
                    self.problem(f"{found} in <style> (could send information out)")
            self.put_csp()
            self.emit(data)
            return
        if data.strip():
            self.put_csp()
        self.emit(str(escape(data)))  # as Jinja escapes: a rebuilt render reads the same

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype") and not "".join(self.out).strip():
            self.emit("<!DOCTYPE html>")

    def handle_comment(self, data: str) -> None:  # dropped from the output; reported by the lint only
        if self.csp is None and re.search(r"<\s*head\b", data, re.IGNORECASE):
            self.problem("has an HTML comment containing <head> (it once hid peerkit's security policy)")

    def handle_pi(self, data: str) -> None:
        pass

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """``<![...`` (CDATA or a stray marked section): dropped up to the next ``>``, as browsers
        treat it outside SVG/MathML (html.parser's own version raises AssertionError)."""
        end = self.rawdata.find(">", i + 3)
        return -1 if end < 0 else end + 1

    def unknown_decl(self, data: str) -> None:
        pass

    def finish(self) -> str:
        self.close()
        self.put_csp()
        return "".join(self.out)


def rebuild(document: str, allowed: frozenset[str] = frozenset()) -> tuple[str, list[tuple[int, str]]]:
    """(the rebuilt document with peerkit's CSP first, [(line, problem)]) for rendered HTML."""
    walker = _Rebuilder(allowed, csp_meta(sorted(allowed)))
    text = _walk(walker, document)
    return text, walker.problems


def _walk(walker: _Rebuilder, document: str) -> str:
    try:
        walker.feed(document)
        return walker.finish()
    except AssertionError:  # html.parser gives up on some malformed markup: so does peerkit
        walker.problem("has markup peerkit cannot read")
        return ""


def lint_html(source: str, allowed: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """[(line, problem)] for the HTML in a template's source (Jinja expressions are plain text)."""
    walker = _Rebuilder(allowed, None)
    _walk(walker, source)
    return walker.problems


# --- Markdown output ------------------------------------------------------------------------
# A Markdown file is shown by viewers that load its images and pass its HTML through, so the
# same rules hold for what the *template* put there.  Values are already escaped by md_escape
# (every '<', '[' ... gets a backslash), so backslash pairs are blanked out before looking.

_MD_ESCAPED = re.compile(r"\\.", re.DOTALL)
_MD_LINK = re.compile(r"(!?)\[[^\]\n]*\]\(\s*<?([^)\s>]*)")
_MD_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)", re.MULTILINE)
_MD_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>]*)>")


def markdown_problems(text: str, allowed: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """[(line, problem)] in rendered Markdown: its HTML, links, images, references, autolinks."""
    plain = _MD_ESCAPED.sub("__", text)
    walker = _Rebuilder(allowed, None)
    _walk(walker, plain)
    found = [(line, problem) for line, problem in walker.problems if "comment" not in problem]
    return sorted(found + markdown_link_problems(plain, allowed), key=lambda item: item[0])


def markdown_link_problems(plain: str, allowed: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """Remote addresses in Markdown images, links, reference definitions and autolinks."""
    found = []
    for m in _MD_LINK.finditer(plain):
        problem = url_problem(m.group(2), allowed, data_ok=bool(m.group(1)))
        if problem:
            kind = "image" if m.group(1) else "link"
            found.append((plain.count("\n", 0, m.start()) + 1, f"{problem} in a Markdown {kind}"))
    for pattern, kind in ((_MD_REFERENCE, "reference"), (_MD_AUTOLINK, "autolink")):
        for m in pattern.finditer(plain):
            problem = url_problem(m.group(1), allowed, data_ok=False)
            if problem:
                found.append((plain.count("\n", 0, m.start()) + 1, f"{problem} in a Markdown {kind}"))
    return found
