"""Compiled templates are kept in the user's cache folder (issue 19): a template renders
without compiling the second time, and any change of its text, its format or the cache's
state gives the right output."""
from __future__ import annotations

import jinja2
import pytest

from peerkit import templating, userconfig
from peerkit.workspace import Workspace

NAME = "speedtest/hello.md.j2"


@pytest.fixture
def ws(ws_path, tmp_path, monkeypatch):
    monkeypatch.setenv("PEERKIT_CACHE_DIR", str(tmp_path / "cache"))
    (ws_path / "templates" / "speedtest").mkdir(parents=True, exist_ok=True)
    (ws_path / "templates" / NAME).write_text("Hello {{ name }}, {{ n * 2 }}\n")
    return ws_path


def _render(ws_path, name="Ada *bold*"):
    return templating.render(Workspace(ws_path), NAME, {"name": name, "n": 21}, fmt="md")


def _cached():
    return sorted((userconfig.cache_dir() / "templates").glob("*.jinja"))


def _refuse_compiling(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("compiled again")
    # the render's child process is forked from this one, so it sees the patch too
    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_the_second_render_loads_the_compiled_template(ws, monkeypatch):
    first = _render(ws)
    assert first == "Hello Ada \\*bold\\*, 42\n"      # md escaping and the capped * still apply
    assert len(_cached()) == 1
    _refuse_compiling(monkeypatch)
    assert _render(ws) == first
    assert _render(ws, "Bo") == "Hello Bo, 42\n"


def test_a_changed_template_text_is_compiled_again(ws, monkeypatch):
    _render(ws)
    (ws / "templates" / NAME).write_text("Bye {{ name }}\n")
    assert _render(ws) == "Bye Ada \\*bold\\*\n"


def test_the_format_and_peerkits_code_generator_are_part_of_the_key():
    md, html = templating._code_cache("md"), templating._code_cache("html")
    assert md.get_cache_key("a.j2", "/t/a.j2") != html.get_cache_key("a.j2", "/t/a.j2")
    assert md.get_cache_key("a.j2", "/t/a.j2") == templating._code_cache("md").get_cache_key("a.j2", "/t/a.j2")
    assert md.get_cache_key("a.j2", "/t/a.j2") != md.get_cache_key("a.j2", "/other/a.j2")


def test_a_damaged_compiled_file_is_compiled_again(ws):
    first = _render(ws)
    for path in _cached():
        path.write_bytes(b"not a compiled template")
    assert _render(ws) == first


def test_a_cache_folder_that_cannot_be_written_is_no_cache(ws, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PEERKIT_CACHE_DIR", str(blocker / "peerkit"))
    assert _render(ws) == "Hello Ada \\*bold\\*, 42\n"


def test_a_sandbox_violation_is_still_refused_from_a_cached_template(ws):
    from peerkit.errors import DataError

    (ws / "templates" / NAME).write_text("{{ name.__class__.__mro__ }}\n")
    for _ in range(2):   # compiled, then loaded from the cache
        with pytest.raises(DataError, match="sandbox forbids"):
            _render(ws)
