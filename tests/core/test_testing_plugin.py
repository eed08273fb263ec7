"""peerkit.testing: the pytest plugin plugin authors use (and peerkit's own conftest)."""
from __future__ import annotations

import json
import textwrap

import click

from peerkit import hookimpl

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_through_the_pytest11_entry_point():
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("peerkit") == "peerkit.testing"


def test_registered_object_replaces_the_installed_plugin_of_the_same_name(run, register_plugin):
    class FakeClients:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("triangle-hello", callback=lambda: click.echo("replaced")))

    register_plugin(FakeClients(), "clients")  # "clients" is also a built-in entry point
    result = run("plugins", "--json")
    assert result.exit_code == 0, result.output
    found = {p["name"]: p for p in json.loads(result.stdout)}
    assert found["clients"]["error"] is None and found["clients"]["source"] == "installed"
    assert found["clients"]["hooks"] == ["register_commands"]
    assert run("triangle-hello").stdout == "replaced\n"
    assert run("client", "list").exit_code == 2  # the built-in clients plugin was not loaded


def test_registering_the_same_name_twice_keeps_the_last(run, register_plugin):
    def plugin(text):
        class P:
            @hookimpl
            def register_commands(self, cli):
                cli.add_command(click.Command("say", callback=lambda: click.echo(text)))
        return P()

    register_plugin(plugin("one"), "sayer")
    register_plugin(plugin("two"), "sayer")
    assert run("say").stdout == "two\n"


def test_disabled_registered_plugin_stays_out(run, register_plugin):
    class P:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("say", callback=lambda: None))

    register_plugin(P(), "sayer")
    assert run("--disable-plugin", "sayer", "say").exit_code == 2


def test_environment_is_hermetic(peerkit_env, monkeypatch):
    import os

    import keyring

    from tests.conftest import BUILTINS

    assert os.environ["PEERKIT_LOAD_PLUGINS"].split(",") == sorted(BUILTINS)
    assert "PEERKIT_WORKSPACE" not in os.environ
    keyring.set_password("peerkit", "tax-id", "12-3456789")
    assert peerkit_env.store == {("peerkit", "tax-id"): "12-3456789"}


def test_a_plugin_authors_test_file_uses_the_fixtures(pytester):
    """A test file outside this repository's conftest gets the fixtures from the entry point."""
    pytester.makepyfile(test_author=textwrap.dedent('''
        import json
        from peerkit import hookimpl
        from peerkit.checks import NoteCheck

        class Triangle:
            @hookimpl
            def note_checks(self):
                return [NoteCheck("triangle-rule", "warning", lambda note, ctx: "always")]

        def test_check_runs(peerkit_run, peerkit_register, peerkit_env):
            peerkit_register(Triangle(), "triangle")
            result = peerkit_run("note", "check", "--json")
            rules = {f["rule"] for f in json.loads(result.stdout)}
            assert "triangle-rule" in rules

        def test_empty_workspace(peerkit_empty_workspace, peerkit_run):
            result = peerkit_run("client", "list", "--json", workspace=peerkit_empty_workspace)
            assert result.exit_code == 0 and json.loads(result.stdout) == []
    '''))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
