"""Jinja2 templates: workspace overrides first, then plugins' folders, then peerkit's defaults.

Escaping is chosen by output format, never by file name: HTML is always autoescaped (so
``note.html.j2`` is safe), Markdown text goes through an escaping ``finalize``.  Every
template renders with ``StrictUndefined`` in an immutable sandbox, and every HTML document
gets a Content-Security-Policy meta tag so nothing in it can load or send anything.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerkit.errors import DataError, PeerkitError

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace

CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; img-src data:\">")
FORMATS = ("html", "md", "txt")
MAX_OUTPUT_CHARS = 20_000_000
MAX_VALUE_LENGTH = 1_000_000     # a template may not build a string or list longer than this
RENDER_SECONDS = 20              # wall-clock limit for one render (POSIX main thread)


def default_dir() -> Path:
    import peerkit_templates

    return Path(peerkit_templates.__file__).parent


def search_path(workspace: "Workspace | None") -> list[tuple[str, Path]]:
    """[(source, folder)] in lookup order."""
    from peerkit.context import current_plugins

    out: list[tuple[str, Path]] = []
    if workspace is not None and workspace.path("templates").is_dir():
        out.append(("workspace", workspace.path("templates")))
    for plugin, dirs in current_plugins().call("template_dirs"):
        for d in dirs:
            out.append((f"plugin {plugin}", Path(d)))
    out.append(("default", default_dir()))
    return out


def list_templates(workspace: "Workspace | None") -> list[dict]:
    """Every template name with where it comes from (the first match wins)."""
    seen: dict[str, dict] = {}
    for source, folder in search_path(workspace):
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob("*.j2")):
            name = p.relative_to(folder).as_posix()
            if name not in seen:
                seen[name] = {"name": name, "source": source, "path": str(p)}
    return [seen[k] for k in sorted(seen)]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def md_escape(value: Any) -> str:
    """Escape Markdown and HTML metacharacters so user text is shown, never interpreted.

    Brackets, emphasis, code, HTML and table characters are always escaped; list and heading
    markers only at the start of a line.  A leading formula character gets the spreadsheet-safe
    apostrophe too (OWASP), so a table pasted into a spreadsheet cannot run a formula.
    """
    from peerkit.excel import apostrophe_if_formula

    text = apostrophe_if_formula("" if value is None else str(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(_escape_marker, text)
    return text.replace("\n", "  \n")


def _escape_marker(m: re.Match) -> str:
    marker = m.group(2)
    if marker[0].isdigit():  # "1." -> "1\\." keeps the number, loses the list meaning
        return m.group(1) + marker[:-1] + "\\" + marker[-1]
    return m.group(1) + "\\" + marker


def _sandbox_class():
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    class LimitedSandbox(ImmutableSandboxedEnvironment):
        """The immutable sandbox, plus caps on ``'a' * 10**9`` and ``10 ** 10**9`` style bombs."""

        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context, operator, left, right):
            if operator == "**":
                if isinstance(right, (int, float)) and abs(right) > 1000:
                    raise SecurityError("exponent too large")
                return left ** right
            if isinstance(left, (str, list, tuple)) and isinstance(right, int):
                size = len(left) * right
            elif isinstance(right, (str, list, tuple)) and isinstance(left, int):
                size = len(right) * left
            else:
                return left * right
            if size > MAX_VALUE_LENGTH:
                raise SecurityError("value too large")
            return left * right

    return LimitedSandbox


def environment(workspace: "Workspace | None", fmt: str):
    import jinja2

    if fmt not in FORMATS:
        raise ValueError(f"unknown template format {fmt!r}")
    loaders = [jinja2.FileSystemLoader(str(folder)) for _, folder in search_path(workspace)]
    kwargs: dict[str, Any] = dict(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=(fmt == "html"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    if fmt == "md":
        kwargs["finalize"] = lambda v: v if isinstance(v, _Raw) else md_escape(v)
    env = _sandbox_class()(**kwargs)
    env.filters["money"] = _money
    env.filters["raw"] = _Raw
    env.filters["md"] = md_escape
    return env


class _Raw(str):
    """Markdown text a template marks as already safe (``{{ x|raw }}``)."""


def _money(value: Any) -> str:
    from decimal import Decimal

    from peerkit.money import fmt_usd

    return fmt_usd(Decimal(str(value)))


def add_csp(html: str) -> str:
    """Put the CSP meta tag first in <head> (or at the top when there is no head)."""
    m = re.search(r"<head[^>]*>", html, re.IGNORECASE)
    if m:
        return html[: m.end()] + "\n" + CSP + html[m.end():]
    return CSP + "\n" + html


def render(workspace: "Workspace | None", name: str, context: dict, *, fmt: str) -> str:
    """Render template ``name`` (``notes/note.md.j2``) for ``fmt`` (html, md or txt).

    Errors (a missing template, a typo such as ``{{ client.nmae }}``, a sandbox violation)
    become one DataError naming the template and the problem, never the data.
    """
    import jinja2
    from jinja2.sandbox import SecurityError

    env = environment(workspace, fmt)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise DataError(f"template {name!r} not found (see 'peerkit templates list')") from None
    except jinja2.TemplateSyntaxError as exc:
        raise DataError(f"template {exc.filename or name}", f"syntax error: {exc.message}",
                        line=exc.lineno) from None
    try:
        with _time_limit(RENDER_SECONDS):
            text = template.render(**context)
    except _RenderTimeout:
        raise DataError(f"template {template.filename or name}",
                        f"took longer than {RENDER_SECONDS} s to render and was stopped") from None
    except jinja2.UndefinedError as exc:
        raise DataError(f"template {template.filename or name}",
                        f"uses an undefined value ({_undefined_name(exc)}); "
                        "fix the template or use '|default(...)'") from None
    except SecurityError:
        raise DataError(f"template {template.filename or name}",
                        "tried something the template sandbox forbids") from None
    except (OverflowError, MemoryError):
        raise DataError(f"template {template.filename or name}", "produced too much output") from None
    except jinja2.TemplateError as exc:
        raise DataError(f"template {template.filename or name}", f"failed: {type(exc).__name__}") from None
    if len(text) > MAX_OUTPUT_CHARS:
        raise PeerkitError(f"template {name}: output is larger than {MAX_OUTPUT_CHARS} characters")
    if fmt == "html":
        text = add_csp(text)
    return text


def _undefined_name(exc: Exception) -> str:
    m = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", str(exc))
    if m:
        return repr(m.group(1) or m.group(2))
    return "a missing field"


class _RenderTimeout(Exception):
    pass


class _time_limit:
    """Stop a render after ``seconds`` (SIGALRM; a no-op off the main thread or on Windows)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.active = False

    def __enter__(self):
        import signal
        import threading

        if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
            return self

        def on_alarm(signum, frame):
            raise _RenderTimeout()

        self.previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.active = True
        return self

    def __exit__(self, *exc):
        import signal

        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


_LINT_RULES = (
    (re.compile(r"\|\s*safe\b"), "uses '|safe', which turns off escaping"),
    (re.compile(r"autoescape\s+false", re.IGNORECASE), "turns autoescape off"),
    (re.compile(r"(?:src|href|action)\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE),
     "loads or links a remote address (could send information out)"),
    (re.compile(r"javascript:", re.IGNORECASE), "contains a javascript: link"),
    (re.compile(r"<script", re.IGNORECASE), "contains a <script> element"),
)


def lint_template(text: str) -> list[tuple[int, str]]:
    """Risky constructs in an agency template: [(line, problem)]."""
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        for pattern, problem in _LINT_RULES:
            if pattern.search(line):
                found.append((n, problem))
    return found


def lint_workspace(workspace: "Workspace") -> list[str]:
    folder = workspace.path("templates")
    out = []
    if folder.is_dir():
        for p in sorted(folder.rglob("*.j2")):
            for line, problem in lint_template(p.read_text(encoding="utf-8", errors="replace")):
                out.append(f"{workspace.rel(p)}:{line}: {problem}")
    return out
