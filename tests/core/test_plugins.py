"""The plugin system: loading, isolation of broken plugins, switches, clashes."""
import json
import subprocess
import sys
import textwrap

import pytest

from peerkit import hookimpl
from tests.conftest import BUILTINS


def _plugins_json(run, *args, env=None):
    result = run(*args, "plugins", "--json", env=env)
    assert result.exit_code == 0, result.output
    return {p["name"]: p for p in json.loads(result.stdout)}


def test_plugins_lists_every_builtin_with_source_version_and_hooks(run):
    found = _plugins_json(run)
    assert set(BUILTINS) <= set(found)
    for name in BUILTINS:
        assert found[name]["source"] == "built-in"
        assert found[name]["version"] == "0.1.0"
        assert found[name]["error"] is None
    assert "register_commands" in found["clients"]["hooks"]


def test_workspace_plugin_is_loaded_and_its_command_appears(run, ws_path, trust_workspace):
    (ws_path / "plugins" / "my_rules.py").write_text(textwrap.dedent('''
        import click
        from peerkit import hookimpl
        __version__ = "2.0"

        @click.command(name="my-report")
        def my_report():
            """Our in-house report."""
            click.echo("in-house report ok")

        @hookimpl
        def register_commands(cli):
            cli.add_command(my_report)
    '''))
    trust_workspace(ws_path)
    env = {"PEERKIT_LOAD_PLUGINS": ",".join(BUILTINS) + ",my_rules"}
    found = _plugins_json(run, env=env)
    assert found["my_rules"]["source"] == "workspace"
    assert found["my_rules"]["version"] == "2.0"
    result = run("my-report", env=env)
    assert result.exit_code == 0 and "in-house report ok" in result.output


def test_a_broken_plugin_is_named_and_skipped(run, ws_path, trust_workspace):
    (ws_path / "plugins" / "broken.py").write_text("raise RuntimeError('boom at import')\n")
    trust_workspace(ws_path)
    env = {"PEERKIT_LOAD_PLUGINS": ",".join(BUILTINS) + ",broken"}
    result = run("plugins", "--json", env=env)
    assert result.exit_code == 0
    assert "plugin 'broken' (workspace) failed to load and was skipped" in result.stderr
    found = {p["name"]: p for p in json.loads(result.stdout)}
    assert found["broken"]["error"].startswith("RuntimeError")
    assert found["clients"]["error"] is None
    # the rest of peerkit still works
    assert run("client", "list", env=env).exit_code == 0


def test_misspelt_hook_is_caught_by_check_pending(run, ws_path, trust_workspace):
    (ws_path / "plugins" / "typo.py").write_text(
        "from peerkit import hookimpl\n\n@hookimpl\ndef register_comands(cli):\n    pass\n")
    trust_workspace(ws_path)
    env = {"PEERKIT_LOAD_PLUGINS": ",".join(BUILTINS) + ",typo"}
    found = _plugins_json(run, env=env)
    assert "unknown hook" in found["typo"]["error"] and "register_comands" in found["typo"]["error"]


def test_two_plugins_adding_the_same_command_is_an_error_naming_both(run, register_plugin):
    class One:
        @staticmethod
        @hookimpl
        def register_commands(cli):
            @cli.command(name="same")
            def same():
                pass

    class Two(One):
        pass

    register_plugin(One(), "plugin_one")
    register_plugin(Two(), "plugin_two")
    result = run("--help")
    assert result.exit_code == 2
    assert "'plugin_one'" in result.output and "'plugin_two'" in result.output and "'same'" in result.output


def test_a_plugin_cannot_shadow_a_core_command(run, register_plugin):
    class Shadow:
        @staticmethod
        @hookimpl
        def register_commands(cli):
            @cli.command(name="status")
            def status():
                pass

    register_plugin(Shadow(), "shadow")
    result = run("--help")
    assert result.exit_code == 2 and "core peerkit command" in result.output


def test_a_plugin_raising_in_a_hook_is_named_and_the_others_still_run(run, register_plugin, monkeypatch):
    from peerkit.alerts import Alert

    class Raises:
        @staticmethod
        @hookimpl
        def alerts(workspace, today):
            raise ValueError("Sam Example's secret narrative")

    class Works:
        @staticmethod
        @hookimpl
        def alerts(workspace, today):
            return [Alert("works", "X1", "warning", today, "something to do")]

    register_plugin(Raises(), "raises")
    register_plugin(Works(), "works")
    result = run("status", "--json")
    assert "plugin 'raises' failed in hook alerts (ValueError)" in result.stderr
    assert "Sam Example" not in result.output
    assert any(a["source"] == "works" for a in json.loads(result.stdout))


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_can_be_disabled_and_the_rest_keeps_working(run, name):
    env = {"PEERKIT_DISABLE_PLUGINS": name}
    found = _plugins_json(run, env=env)
    assert name not in found
    assert set(BUILTINS) - {name} <= set(found)
    result = run("--help", env=env)
    assert result.exit_code == 0, result.output
    if name != "clients":
        assert run("client", "list", env=env).exit_code == 0
    else:
        assert run("client", "list", env=env).exit_code == 2  # No such command
    status = run("status", env={**env, "PEERKIT_TODAY": "2026-11-29"})
    assert "Error:" not in status.output  # every remaining plugin read its data
    assert status.exit_code == 1  # the example has an overdue item in notes and in certs


def test_disable_plugin_option_and_load_plugins_only(run):
    found = _plugins_json(run, "--disable-plugin", "wrap")
    assert "wrap" not in found and "clients" in found
    found = _plugins_json(run, env={"PEERKIT_LOAD_PLUGINS": "clients"})
    assert set(found) == {"clients"}
    found = _plugins_json(run, env={"PEERKIT_LOAD_PLUGINS": ""})
    assert found == {}


def test_no_plugins_skips_workspace_plugins(run, ws_path, trust_workspace):
    (ws_path / "plugins" / "extra.py").write_text("X = 1\n")
    trust_workspace(ws_path)
    env = {"PEERKIT_LOAD_PLUGINS": ",".join(BUILTINS) + ",extra"}
    assert "extra" in _plugins_json(run, env=env)
    assert "extra" not in _plugins_json(run, "--no-plugins", env=env)


def test_trace_plugins_prints_hook_calls(run):
    result = run("status", env={"PEERKIT_TRACE_PLUGINS": "1"})
    assert "peerkit trace: alerts" in result.stderr


def test_hookspecs_are_documented():
    from peerkit import hookspecs

    names = [n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "peerkit_spec")]
    assert len(names) >= 10
    for n in names:
        doc = getattr(hookspecs, n).__doc__ or ""
        assert len(doc.strip()) > 40, n
        assert ":return:" in doc, n


def test_every_hook_has_a_test_and_a_section_in_the_plugin_guide():
    """Meta-test (as datasette does): each hook has test_hook_<name> and a heading in docs."""
    from pathlib import Path

    from peerkit import hookspecs

    root = Path(__file__).resolve().parents[2]
    names = [n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "peerkit_spec")]
    tests_text = "\n".join(p.read_text() for p in (root / "tests").rglob("test_*.py"))
    guide = (root / "docs" / "plugins.md").read_text()
    for n in names:
        assert f"def test_hook_{n}" in tests_text, f"no test_hook_{n}"
        assert f"### {n}(" in guide, f"docs/plugins.md lacks a section for {n}"


def _hook_reference_headings() -> dict[str, str]:
    """``{hook name: heading}`` for each ``### name(args)`` under docs/plugins.md's Hook reference."""
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    section = guide.split("\n## Hook reference\n", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^### (\S.*)$", section, flags=re.M)
    return {h.split("(", 1)[0]: h for h in headings}


def _hook_argnames() -> dict[str, tuple[str, ...]]:
    """Each hook's argument names as pluggy reads them from ``peerkit.hookspecs``."""
    import pluggy

    from peerkit import hookspecs

    pm = pluggy.PluginManager("peerkit")
    pm.add_hookspecs(hookspecs)
    callers = [getattr(pm.hook, n) for n in dir(pm.hook) if not n.startswith("_")]
    return {c.name: tuple(c.spec.argnames) for c in callers if c.spec is not None}


@pytest.mark.parametrize("hook", sorted(_hook_argnames()))
def test_the_plugin_guide_shows_each_hooks_signature(hook):
    """Meta-test (as datasette's test_plugin_hooks_are_documented): the heading of each hook's
    section is ``name(arg, ...)`` with the specification's argument names, in order."""
    expected = f"{hook}({', '.join(_hook_argnames()[hook])})"
    assert _hook_reference_headings().get(hook) == expected, \
        f"docs/plugins.md: the section of {hook} must be headed '### {expected}'"


@pytest.mark.parametrize("hook", sorted(_hook_argnames()))
def test_each_hookspec_docstring_describes_exactly_its_arguments(hook):
    import re

    from peerkit import hookspecs

    doc = getattr(hookspecs, hook).__doc__
    assert tuple(re.findall(r":param (\w+):", doc)) == _hook_argnames()[hook]


def test_the_plugin_guide_documents_no_hook_that_does_not_exist():
    assert sorted(_hook_reference_headings()) == sorted(_hook_argnames())


def test_the_signature_check_fails_on_a_wrong_heading(monkeypatch):
    """The comparison itself can fail: a documented argument the spec does not have."""
    headings = {**_hook_reference_headings(), "alerts": "alerts(workspace, today, extra)"}
    monkeypatch.setattr(sys.modules[__name__], "_hook_reference_headings", lambda: headings)
    with pytest.raises(AssertionError, match=r"headed '### alerts\(workspace, today\)'"):
        test_the_plugin_guide_shows_each_hooks_signature("alerts")


def test_startup_does_not_import_heavy_libraries():
    code = textwrap.dedent("""
        import sys
        sys.argv = ["peerkit", "--help"]
        from peerkit.cli import main
        try:
            main()
        except SystemExit:
            pass
        heavy = [m for m in ("openpyxl", "jinja2", "keyring", "jsonschema", "icalendar", "tomlkit",
                             "tomllib", "peerkit.storage", "peerkit.records")
                 if m in sys.modules]
        heavy += [m for m in sys.modules if m.endswith(".commands") and m.startswith("peerkit")
                  and m != "peerkit.commands"]
        print("HEAVY:", heavy, file=sys.stderr)
        sys.exit(1 if heavy else 0)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert proc.returncode == 0, proc.stderr
    assert "Commands:" in proc.stdout and "client" in proc.stdout


def test_lazy_commands_show_the_real_commands_help():
    """Each LazyCommand's one-line help is the first line of the real command's help."""

    from peerkit.cli import cli
    from peerkit.lazy import LazyCommand

    ctx = cli.make_context("peerkit", [], resilient_parsing=True)
    placeholders = cli._placeholders(ctx)
    lazy = {n: c for n, c in placeholders.items() if isinstance(c, LazyCommand)}
    plural = {"client": "clients", "incident": "incidents", "note": "notes", "activity": "activities",
              "trip": "trips"}
    assert set(BUILTINS) <= {plural.get(n, n) for n in lazy}
    for name, placeholder in lazy.items():
        real = placeholder.load()
        assert placeholder.help == (real.help or "").strip().splitlines()[0], name
