"""Jinja2 templates: workspace overrides first, then plugins' folders, then peerkit's defaults.

Escaping is chosen by output format, never by file name: HTML is always autoescaped (so
``note.html.j2`` is safe), Markdown text goes through an escaping ``finalize``.  Every
template renders with ``StrictUndefined`` in an immutable sandbox, and every HTML document
is parsed and rebuilt by :mod:`peerkit.htmlsafe`: its Content-Security-Policy meta tag first,
and a render that would redirect, change the base address or reach a host the agency has not
listed in ``[templates] allowed_hosts`` is refused (exit 3) naming the template and construct.
"""
from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerkit import session
from peerkit.errors import DataError, PeerkitError

if TYPE_CHECKING:  # pragma: no cover
    import jinja2
    import jinja2.runtime
    import jinja2.sandbox

    from peerkit.workspace import Workspace

FORMATS = ("html", "md", "txt")
MAX_OUTPUT_CHARS = 20_000_000
RENDER_SECONDS = 20              # wall-clock limit for one render (POSIX main thread)


def default_dir() -> Path:
    import peerkit_templates

    return Path(peerkit_templates.__file__).parent


def search_path(workspace: Workspace | None) -> list[tuple[str, Path]]:
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


def list_templates(workspace: Workspace | None) -> list[dict[str, Any]]:
    """Every template name with where it comes from (the first match wins)."""
    seen: dict[str, dict[str, Any]] = {}
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


def _escape_marker(m: re.Match[str]) -> str:
    marker = m.group(2)
    if marker[0].isdigit():  # "1." -> "1\\." keeps the number, loses the list meaning
        return m.group(1) + marker[:-1] + "\\" + marker[-1]
    return m.group(1) + "\\" + marker


def _sandbox_class() -> type[jinja2.sandbox.ImmutableSandboxedEnvironment]:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from peerkit import template_caps as caps

    class LimitedSandbox(ImmutableSandboxedEnvironment):
        """The immutable sandbox, plus size caps on every way a template can build a big value
        (``'a' * 10**9``, ``10 ** 10**9``, ``"{:>2000000000}".format(x)``, ``"%2000000000s" % x``,
        ``x.center(N)``, repeated ``~``): see :mod:`peerkit.template_caps`."""

        intercepted_binops = frozenset(["*", "**", "+", "%"])
        code_generator_class = caps.CappedCodeGenerator

        def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                       right: Any) -> Any:
            return caps.call_binop(operator, left, right)

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            method: Callable[..., str] | None = caps.capped_str_method(self, value)
            return method

        capped_concat = staticmethod(caps.capped_concat)

    return LimitedSandbox


def environment(workspace: Workspace | None, fmt: str) -> jinja2.Environment:
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
    kwargs["bytecode_cache"] = _code_cache(fmt)
    env = _sandbox_class()(**kwargs)
    env.filters["money"] = _money
    env.filters["rate"] = _rate
    env.filters["raw"] = _Raw
    env.filters["md"] = md_escape
    from peerkit.template_caps import cap_filters

    cap_filters(env.filters)
    return env


def _code_cache(fmt: str) -> jinja2.BytecodeCache | None:
    """Compiled templates, kept in the user's cache folder (``templates/``; issue 19: compiling
    the invoice template took ~15 ms of every render).  Jinja believes a file only for the same
    template name and path, the same source text (its SHA-1) and the same Jinja and Python;
    peerkit adds to the key what changes the generated code: the output format (escaping) and
    the size and time of peerkit's code generator (``template_caps``) and of this module.  The
    folder is the user's own, like Python's ``__pycache__``: nothing is read from or written to
    a workspace, so a colleague's workspace can only bring template source, which is compiled
    (in the sandbox) whenever its text is new.  A folder that cannot be written is no cache."""
    import jinja2

    from peerkit import template_caps
    from peerkit.userconfig import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    code = [(os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in (template_caps.__file__, __file__)]
    salt = f"{fmt}|{jinja2.__version__}|{code}"

    class CodeCache(jinja2.FileSystemBytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return super().get_cache_key(f"{salt}|{name}", filename)

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):   # e.g. the folder is a file: compiled
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):   # read-only or full: compiled again next time
                os.makedirs(self.directory, mode=0o700, exist_ok=True)
                super().dump_bytecode(bucket)

    return CodeCache(str(folder / "templates"), pattern="%s.jinja")


class _Raw(str):
    """Markdown text a template marks as already safe (``{{ x|raw }}``)."""


def _rate(value: Any) -> str:
    from decimal import Decimal

    from peerkit.money import fmt_rate

    return fmt_rate(Decimal(str(value)))


def _money(value: Any) -> str:
    from decimal import Decimal

    from peerkit.money import fmt_usd

    return fmt_usd(Decimal(str(value)))


def allowed_hosts(workspace: Workspace | None) -> frozenset[str]:
    """``[templates] allowed_hosts`` of peerkit.toml: hosts rendered HTML may load or link."""
    from peerkit.htmlsafe import host_problem
    from peerkit.validate import Fields

    if workspace is None:
        return frozenset()
    section = workspace.section("templates")
    f = Fields(section, workspace.path("peerkit.toml"), "templates.")
    hosts = f.opt("allowed_hosts", list, [])
    for i, host in enumerate(hosts):
        problem = host_problem(host)
        if problem:
            f.fail("allowed_hosts", f"item {i + 1} {problem}")
    return frozenset(h.strip().lower().rstrip(".") for h in hosts)


def safe_html(workspace: Workspace | None, where: str, text: str) -> str:
    """Rendered HTML rebuilt with peerkit's CSP first; DataError naming a forbidden construct."""
    from peerkit.htmlsafe import REMOTE, rebuild

    text, problems = rebuild(text, allowed_hosts(workspace))
    if problems:
        problem = problems[0][1]
        hint = ("; list the host in [templates] allowed_hosts in peerkit.toml if it is trusted"
                if problem.startswith(REMOTE) else "")
        raise DataError(where, f"the HTML it produced {problem}, so it was not rendered{hint}")
    return text


def check_markdown(workspace: Workspace | None, where: str, text: str) -> None:
    """Rendered Markdown: the same constructs as in HTML (its HTML, remote images and links)."""
    from peerkit.htmlsafe import REMOTE, markdown_problems

    problems = markdown_problems(text, allowed_hosts(workspace))
    if problems:
        problem = problems[0][1]
        hint = ("; list the host in [templates] allowed_hosts in peerkit.toml if it is trusted"
                if problem.startswith(REMOTE) else "")
        raise DataError(where, f"the Markdown it produced {problem}, so it was not rendered{hint}")


def render(workspace: Workspace | None, name: str, context: dict[str, Any], *, fmt: str) -> str:
    """Render template ``name`` (``notes/note.md.j2``) for ``fmt`` (html, md or txt).

    Errors (a missing template, a typo such as ``{{ client.nmae }}``, a sandbox violation)
    become one DataError naming the template and the problem, never the data.  The render runs
    in a child process with a limited address space (:mod:`peerkit.render_limits`).
    """
    from peerkit.render_limits import run_limited

    _preload(workspace, fmt)  # imported, looked up and built once here, not again in every child
    if fmt in ("html", "md"):
        allowed_hosts(workspace)  # a bad [templates] setting is reported before anything runs
    return run_limited(_render_here, workspace, name, context, fmt,
                       where=f"template {name}", seconds=RENDER_SECONDS)


def _preload(workspace: Workspace | None, fmt: str) -> None:
    import jinja2.compiler  # noqa: F401
    import jinja2.sandbox  # noqa: F401

    import peerkit.excel  # noqa: F401 - md_escape
    import peerkit.htmlsafe  # noqa: F401
    import peerkit.money  # noqa: F401 - the money filter
    import peerkit.template_caps  # noqa: F401

    search_path(workspace)  # loads the plugins (their template_dirs) in this process
    warm = session.current().warm_formats
    if fmt in FORMATS and fmt not in warm:
        # Jinja caches lexers per configuration, and re caches patterns: fill both here with a
        # template of our own so every child does not rebuild them -- unless compiled templates
        # are kept (_code_cache): then only a template's first render compiles
        env = environment(workspace, fmt)
        if env.bytecode_cache is None:
            env.from_string('{% for i in x %}{{ i ~ "a" }}{% if i %}{{ "%s"|format(i) }}{% endif %}{% endfor %}'
                            ).render(x=[1])
        if fmt == "html":
            peerkit.htmlsafe.rebuild('<!DOCTYPE html><html><head><style>p{}</style></head>'
                                     '<body><a href="#a" style="x">b</a></body></html>')
        warm.add(fmt)


def _render_here(workspace: Workspace | None, name: str, context: dict[str, Any], fmt: str) -> str:
    import jinja2
    from jinja2.exceptions import SecurityError

    env = environment(workspace, fmt)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise DataError(f"template {name!r} not found (see 'peerkit templates list')") from None
    except jinja2.TemplateSyntaxError as exc:
        raise DataError(f"template {exc.filename or name}", f"syntax error: {exc.message}",
                        line=exc.lineno) from None
    from peerkit.template_caps import MAX_VALUE_LENGTH, TooLarge

    where = f"template {template.filename or name}"
    try:
        with _time_limit(RENDER_SECONDS):
            text = _render_capped(template, context, where)
    except TooLarge:
        raise DataError(where, f"template output too large: it builds a value of more than "
                               f"{MAX_VALUE_LENGTH:,} characters and was stopped") from None
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
    except OverflowError:
        raise DataError(f"template {template.filename or name}", "produced too much output") from None
    except MemoryError:
        raise
    except jinja2.TemplateError as exc:
        raise DataError(f"template {template.filename or name}", f"failed: {type(exc).__name__}") from None
    except PeerkitError:
        raise
    except Exception as exc:  # TypeError, ValueError ... from the template's own expressions
        raise DataError(where, f"failed: {type(exc).__name__} in one of its expressions") from None
    if fmt == "html":
        text = safe_html(workspace, f"template {template.filename or name}", text)
    elif fmt == "md":
        check_markdown(workspace, where, text)
    return text


def _render_capped(template: jinja2.Template, context: dict[str, Any], where: str) -> str:
    """Render chunk by chunk, stopping as soon as the output passes MAX_OUTPUT_CHARS."""
    chunks: list[str] = []
    total = 0
    for chunk in template.generate(**context):
        total += len(chunk)
        if total > MAX_OUTPUT_CHARS:
            raise DataError(where, f"template output too large: more than {MAX_OUTPUT_CHARS:,} "
                                   "characters; it was stopped")
        chunks.append(chunk)
    return "".join(chunks)


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

    def __enter__(self) -> _time_limit:
        import signal
        import threading

        if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
            return self

        def on_alarm(signum: int, frame: object) -> None:
            raise _RenderTimeout()

        self.previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


_LINT_RULES = (
    (re.compile(r"\|\s*safe\b"), "uses '|safe', which turns off escaping"),
    (re.compile(r"autoescape\s+false", re.IGNORECASE), "turns autoescape off"),
    (re.compile(r"javascript:", re.IGNORECASE), "contains a javascript: link"),
    (re.compile(r"<script", re.IGNORECASE), "contains a <script> element"),
)


def lint_template(text: str, allowed: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """Risky constructs in an agency template: [(line, problem)].

    Line by line: ``|safe``, ``autoescape false``, ``javascript:``, ``<script>``.  Parsed as
    HTML (:func:`peerkit.htmlsafe.lint_html`): meta refresh, ``<base>``, remote addresses in URL
    attributes, srcset and CSS (hosts in ``allowed`` excepted), srcdoc, and an HTML comment
    holding ``<head>``.
    """
    from peerkit.htmlsafe import lint_html

    found = []
    for n, line in enumerate(text.splitlines(), 1):
        for pattern, problem in _LINT_RULES:
            if pattern.search(line):
                found.append((n, problem))
    for item in lint_html(text, allowed):  # meta refresh, base, remote addresses, the comment-<head> trick
        if item not in found:
            found.append(item)
    return sorted(found, key=lambda item: item[0])


def lint_workspace(workspace: Workspace) -> list[str]:
    folder = workspace.path("templates")
    out: list[str] = []
    if folder.is_dir():
        allowed = _lint_allowed_hosts(workspace, out)
        for p in sorted(folder.rglob("*.j2")):
            text = p.read_text(encoding="utf-8", errors="replace")
            found = lint_template(text, allowed)
            if p.name.endswith(".md.j2"):
                from peerkit.htmlsafe import markdown_link_problems

                found = sorted(found + markdown_link_problems(text, allowed), key=lambda item: item[0])
            for line, problem in found:
                out.append(f"{workspace.rel(p)}:{line}: {problem}")
    return out


def _lint_allowed_hosts(workspace: Workspace, out: list[str]) -> frozenset[str]:
    """allowed_hosts for the lint; a bad setting is a finding (none allowed), never a crash."""
    try:
        _ = workspace.config  # loads and validates peerkit.toml
    except PeerkitError:  # a broken peerkit.toml: 'doctor' reports it itself
        return frozenset()
    try:
        return allowed_hosts(workspace)
    except PeerkitError as exc:
        out.append(exc.message)
        return frozenset()
