"""Templates: escaping by format, StrictUndefined, the sandbox, CSP, Jinja2 version."""
import pytest

from peerkit import templating
from peerkit.errors import DataError


@pytest.fixture
def tpl(ws):
    folder = ws.path("templates", "t")
    folder.mkdir(parents=True, exist_ok=True)

    def write(name, text):
        (folder / name).write_text(text)
        return f"t/{name}"

    return write


def test_html_is_escaped_even_for_html_j2_names_and_gets_csp(ws, tpl):
    name = tpl("page.html.j2", "<html><head><title>x</title></head><body>{{ text }}</body></html>")
    out = templating.render(ws, name, {"text": '<script>alert(1)</script>"><img src=x onerror=y>'}, fmt="html")
    assert "<script>" not in out and "&lt;script&gt;" in out and "<img" not in out
    assert out.index("Content-Security-Policy") < out.index("<title>")
    assert "default-src 'none'" in out


def test_markdown_escapes_user_text(ws, tpl):
    name = tpl("n.md.j2", "# Note\n{{ text }}\n")
    out = templating.render(ws, name, {"text": "[x](javascript:alert(1)) <b>hi</b> =HYPERLINK(1)"}, fmt="md")
    import re

    assert re.search(r"(?<!\\)\]\(javascript", out) is None and "<b>" not in out
    assert "\\[x\\](javascript" in out and "\\<b\\>" in out


def test_a_typo_is_an_error_naming_the_field(ws, tpl):
    name = tpl("typo.md.j2", "{{ client.nmae }}")
    with pytest.raises(DataError) as err:
        templating.render(ws, name, {"client": {"name": "Sam Example"}}, fmt="md")
    assert "'nmae'" in err.value.message and "Sam" not in err.value.message


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ x|attr('__class__') }}",
    "{{ 'a' * 10**9 }}",
    "{{ 10 ** 100000 }}",
    "{% set l = [] %}{{ l.append(1) }}",
])
def test_the_sandbox_refuses_escapes_and_bombs(ws, tpl, source):
    name = tpl("evil.txt.j2", source)
    with pytest.raises(DataError) as err:
        templating.render(ws, name, {"x": "y"}, fmt="txt")
    assert "template" in err.value.message


def test_a_runaway_template_is_stopped(ws, tpl, monkeypatch):
    monkeypatch.setattr(templating, "RENDER_SECONDS", 0.5)
    name = tpl("loop.txt.j2", "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}")
    with pytest.raises(DataError, match="took longer than"):
        templating.render(ws, name, {}, fmt="txt")


def test_jinja2_is_recent_enough():
    import jinja2

    major, minor, patch = (int(x) for x in jinja2.__version__.split(".")[:3])
    assert (major, minor, patch) >= (3, 1, 6)


def test_workspace_template_overrides_default(ws, tpl, monkeypatch):
    default_dir = ws.root.parent / "defaults"
    (default_dir / "t").mkdir(parents=True)
    (default_dir / "t" / "x.txt.j2").write_text("default")
    monkeypatch.setattr(templating, "default_dir", lambda: default_dir)
    assert templating.render(ws, "t/x.txt.j2", {}, fmt="txt") == "default"
    tpl("x.txt.j2", "mine")
    assert templating.render(ws, "t/x.txt.j2", {}, fmt="txt") == "mine"
