"""peerkit.render_limits.run_limited: what comes back from the render's child process when it
fails -- a bug, a crash, no memory in-process -- is one clear error, never the child's text."""
from __future__ import annotations

import os

import pytest

from peerkit import render_limits
from peerkit.errors import DataError

needs_fork = pytest.mark.skipif(not render_limits.can_fork(), reason="needs fork")


def test_the_child_returns_the_text(monkeypatch):
    assert render_limits.run_limited(lambda a, b: a + b, "Weekly ", "summary", where="template t",
                                     seconds=10) == "Weekly summary"


@needs_fork
def test_a_bug_in_the_child_is_an_internal_error_naming_its_type():
    def buggy():
        raise KeyError("Sam Example")

    with pytest.raises(RuntimeError) as err:
        render_limits.run_limited(buggy, where="template t", seconds=10)
    assert str(err.value) == "template render failed in its child process (KeyError)"


@needs_fork
def test_a_child_that_dies_without_an_answer_is_exit_3():
    def crash():
        os._exit(9)

    with pytest.raises(DataError) as err:
        render_limits.run_limited(crash, where="template t", seconds=10)
    assert err.value.message == ("template t: template used too much memory (or crashed) and was stopped; "
                                 "PEERKIT_TEMPLATE_MEMORY_MB sets the limit in MiB")
    assert err.value.exit_code == 3


@needs_fork
def test_running_out_of_memory_in_the_child_names_the_setting():
    def greedy():
        raise MemoryError

    with pytest.raises(DataError) as err:
        render_limits.run_limited(greedy, where="template t", seconds=10)
    assert err.value.message == ("template t: template used too much memory and was stopped; "
                                 "PEERKIT_TEMPLATE_MEMORY_MB sets the limit in MiB (default 1024)")


@pytest.mark.parametrize("setting", ["0", "off", "OFF "])
def test_without_the_limit_the_render_runs_here_and_memory_errors_are_exit_3(monkeypatch, setting):
    monkeypatch.setenv(render_limits.ENV, setting)
    assert render_limits.memory_budget() is None
    pid = os.getpid()
    assert render_limits.run_limited(lambda: str(os.getpid()), where="template t", seconds=10) == str(pid)

    def greedy():
        raise MemoryError

    with pytest.raises(DataError) as err:
        render_limits.run_limited(greedy, where="template t", seconds=10)
    assert err.value.message == "template t: template used too much memory and was stopped"


@pytest.mark.parametrize("setting, budget", [("", 1024 * 1024 * 1024), ("16", 16 * 1024 * 1024)])
def test_the_budget_in_mib(monkeypatch, setting, budget):
    monkeypatch.setenv(render_limits.ENV, setting)
    assert render_limits.memory_budget() == budget


@pytest.mark.parametrize("setting", ["15", "-1", "lots"])
def test_a_bad_budget_is_a_usage_error(monkeypatch, setting):
    from peerkit.errors import UsageError

    monkeypatch.setenv(render_limits.ENV, setting)
    with pytest.raises(UsageError, match="must be a number of MiB"):
        render_limits.memory_budget()
