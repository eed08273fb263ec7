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


def test_a_misspelt_hook_of_a_plugins_published_hooks_is_caught(run, ws_path, trust_workspace):
    (ws_path / "plugins" / "typo.py").write_text(
        "from peerkit import hookimpl\n\n@hookimpl\ndef invoice_adjst(invoice, workspace):\n    pass\n")
    trust_workspace(ws_path)
    env = {"PEERKIT_LOAD_PLUGINS": ",".join(BUILTINS) + ",typo"}
    found = _plugins_json(run, env=env)
    assert "unknown hook" in found["typo"]["error"] and "invoice_adjst" in found["typo"]["error"]


@pytest.mark.parametrize("owner,implementers", [("invoice", {"trips": "invoice_adjust"}),
                                                ("notes", {"activities": "review_sheets",
                                                           "sync": "review_recorded"})])
def test_a_hook_whose_publisher_is_disabled_is_not_a_misspelling(run, owner, implementers):
    """Every installed plugin's hook specifications are added, even a disabled plugin's: the
    plugins implementing its hooks still load (sign and invoice are not refused)."""
    found = _plugins_json(run, "--disable-plugin", owner)
    assert owner not in found
    for name, hook in implementers.items():
        assert found[name]["error"] is None and hook in found[name]["hooks"]


def test_a_hook_is_implemented_by_a_plugin_loaded_before_its_publisher():
    """activities (loaded before notes, by name) implements the notes plugin's review_sheets."""
    from peerkit.plugins import Plugins

    plugins = Plugins()
    assert list(plugins.info).index("activities") < list(plugins.info).index("notes")
    assert plugins.info["activities"].error == "" and "review_sheets" in plugins.info["activities"].hooks


THIRD_PARTY_SPECS = '''
from peerkit.hookspecs import COLLECT, Contract, hookspec

CONTRACTS = {"mileage_sources": Contract(COLLECT, list, "text")}


@hookspec
def mileage_sources(workspace):
    """Where mileage comes from.

    :param workspace: the workspace.
    :return: a list of text.

    Failure policy: ``collect``.
    """
'''


def _with_spec_entry_point(monkeypatch, tmp_path, name, source):
    """Install a ``peerkit.hookspecs`` entry point ``name`` whose module has ``source``."""
    import importlib.metadata

    module = f"hk_specs_{name}_{tmp_path.name}"  # a new module each test (imports are cached)
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    real = importlib.metadata.entry_points
    extra = importlib.metadata.EntryPoint(name, module, "peerkit.hookspecs")

    def entry_points(**kwargs):
        found = real(**kwargs)
        if kwargs:
            return [*found, extra] if kwargs.get("group") == "peerkit.hookspecs" else found
        every = [*real(group="peerkit"), *real(group="peerkit.hookspecs"), extra]
        return importlib.metadata.EntryPoints(every)   # all groups at once: select() later

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_a_third_party_plugin_publishes_a_hook_with_its_policy(monkeypatch, tmp_path):
    from peerkit.plugins import Plugins

    _with_spec_entry_point(monkeypatch, tmp_path, "agency_mileage", THIRD_PARTY_SPECS)

    class Publisher:  # the publishing plugin itself (installed: here an object of its name)
        @staticmethod
        @hookimpl
        def mileage_sources(workspace):
            return ["logbook"]

    class Failing:
        @staticmethod
        @hookimpl
        def mileage_sources(workspace):
            raise ValueError("Sam Example")

    plugins = Plugins(objects=[("agency_mileage", Publisher()), ("a_failing", Failing())])
    assert plugins.info["agency_mileage"].error == "" and plugins.info["a_failing"].error == ""
    assert plugins.call("mileage_sources", workspace=None) == [("agency_mileage", ["logbook"])]
    # its CONTRACTS policy (collect): the failure is kept for the command to show, not raised
    assert [f.plugin for f in plugins.take_failures()] == ["a_failing"]


@pytest.mark.parametrize("source,why", [
    (THIRD_PARTY_SPECS.replace('CONTRACTS = {"mileage_sources": Contract(COLLECT, list, "text")}',
                               "CONTRACTS = {}"), "missing: mileage_sources"),
    (THIRD_PARTY_SPECS.replace("def mileage_sources(workspace):", "def alerts(workspace, today):")
     .replace('{"mileage_sources"', '{"alerts"'), "alerts that another module specifies"),
    ("raise RuntimeError('boom')\n", "RuntimeError at"),
])
def test_a_broken_hookspecs_module_fails_its_plugin(monkeypatch, tmp_path, source, why):
    from peerkit.plugins import Plugins

    _with_spec_entry_point(monkeypatch, tmp_path, "agency_mileage", source)

    class Publisher:
        @staticmethod
        @hookimpl
        def register_commands(cli):
            pass

    plugins = Plugins(objects=[("agency_mileage", Publisher())])
    error = plugins.info["agency_mileage"].error
    assert "its hook specifications (hk_specs_agency_mileage_" in error and why in error
    assert "boom" not in error
    assert plugins.info["invoice"].error == ""  # the others are not affected


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


def _spec_modules() -> dict:
    """``{owner: module}``: peerkit's core hook specifications (``"core"``) and those each
    built-in plugin publishes (the ``peerkit.hookspecs`` entry points of peerkit itself)."""
    from importlib.metadata import entry_points

    from peerkit import hookspecs

    found = {"core": hookspecs}
    for ep in entry_points(group="peerkit.hookspecs"):
        if (ep.dist.metadata["Name"] or "").lower() == "peerkit":
            found[ep.name] = ep.load()
    return found


def _spec_names(module) -> list[str]:
    return sorted(n for n in dir(module) if hasattr(getattr(module, n), "peerkit_spec"))


def _hook_owners() -> dict[str, str]:
    """``{hook name: owner}`` (``"core"`` or the name of the plugin that publishes it)."""
    return {name: owner for owner, module in _spec_modules().items() for name in _spec_names(module)}


def _doc_section(owner: str) -> tuple[str, str]:
    """(page, text) of the section documenting ``owner``'s hooks: the Hook reference of
    docs/plugins.md for the core, the "Hooks" section of docs/<plugin>.md for a plugin."""
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    page, heading = ("plugins.md", "## Hook reference") if owner == "core" else (f"{owner}.md", "## Hooks")
    text = (docs / page).read_text()
    assert f"\n{heading}\n" in text, f"docs/{page} has no '{heading}' section"
    return page, text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def test_hookspecs_are_documented():
    modules = _spec_modules()
    assert len(_spec_names(modules["core"])) >= 8
    assert {"invoice", "notes", "resources", "wrap"} <= set(modules)
    for owner, module in modules.items():
        for n in _spec_names(module):
            doc = getattr(module, n).__doc__ or ""
            assert len(doc.strip()) > 40, (owner, n)
            assert ":return:" in doc, (owner, n)


def test_the_core_hookspecs_name_no_plugin():
    """The core contract is generic: peerkit.hookspecs imports no plugin, and the hooks of the
    invoice, WRAP, resources and notes features are published by those plugins."""
    import ast
    import inspect

    from peerkit import hookspecs

    tree = ast.parse(inspect.getsource(hookspecs))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("peerkit_")]
    owners = _hook_owners()
    assert {h: owners[h] for h in ("invoice_formats", "invoice_adjust", "resource_importers",
                                   "resource_exporters", "wrap_formats", "note_exporters",
                                   "review_sheets", "review_recorded")} == {
        "invoice_formats": "invoice", "invoice_adjust": "invoice", "resource_importers": "resources",
        "resource_exporters": "resources", "wrap_formats": "wrap", "note_exporters": "notes",
        "review_sheets": "notes", "review_recorded": "notes"}
    assert set(_spec_names(hookspecs)) == {"register_commands", "template_dirs", "note_checks", "alerts",
                                            "audit_checks", "doctor_checks", "init_settings", "init_folders"}


def test_every_hook_has_a_test_and_a_section_in_its_docs():
    """Meta-test (as datasette does): each hook, the core's and each plugin's, has
    test_hook_<name> and a heading in the section of its owner's page."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    tests_text = "\n".join(p.read_text() for p in (root / "tests").rglob("test_*.py"))
    for n, owner in _hook_owners().items():
        page, section = _doc_section(owner)
        assert f"def test_hook_{n}" in tests_text, f"no test_hook_{n}"
        assert f"### {n}(" in section, f"docs/{page} lacks a section for {n}"


def _hook_reference_headings(owner: str = "core") -> dict[str, str]:
    """``{hook name: heading}`` for each ``### name(args)`` in the section of ``owner``'s hooks."""
    import re

    headings = re.findall(r"^### (\S.*)$", _doc_section(owner)[1], flags=re.M)
    return {h.split("(", 1)[0]: h for h in headings}


def _hook_argnames() -> dict[str, tuple[str, ...]]:
    """Each hook's argument names as pluggy reads them from its specification module."""
    import pluggy

    pm = pluggy.PluginManager("peerkit")
    for module in _spec_modules().values():
        pm.add_hookspecs(module)
    callers = [getattr(pm.hook, n) for n in dir(pm.hook) if not n.startswith("_")]
    return {c.name: tuple(c.spec.argnames) for c in callers if c.spec is not None}


@pytest.mark.parametrize("hook", sorted(_hook_argnames()))
def test_the_docs_show_each_hooks_signature(hook):
    """Meta-test (as datasette's test_plugin_hooks_are_documented): the heading of each hook's
    section is ``name(arg, ...)`` with the specification's argument names, in order -- in
    docs/plugins.md for a core hook, in the publishing plugin's page for a plugin's."""
    owner = _hook_owners()[hook]
    expected = f"{hook}({', '.join(_hook_argnames()[hook])})"
    page = _doc_section(owner)[0]
    assert _hook_reference_headings(owner).get(hook) == expected, \
        f"docs/{page}: the section of {hook} must be headed '### {expected}'"


@pytest.mark.parametrize("hook", sorted(_hook_argnames()))
def test_each_hookspec_docstring_describes_exactly_its_arguments(hook):
    import re

    module = _spec_modules()[_hook_owners()[hook]]
    doc = getattr(module, hook).__doc__
    assert tuple(re.findall(r":param (\w+):", doc)) == _hook_argnames()[hook]


@pytest.mark.parametrize("owner", sorted(_spec_modules()))
def test_the_docs_document_no_hook_that_does_not_exist(owner):
    assert sorted(_hook_reference_headings(owner)) == _spec_names(_spec_modules()[owner])


def test_the_signature_check_fails_on_a_wrong_heading(monkeypatch):
    """The comparison itself can fail: a documented argument the spec does not have, for a
    core hook and for a plugin's."""
    real = _hook_reference_headings
    wrong = {"alerts": "alerts(workspace, today, extra)", "invoice_adjust": "invoice_adjust(invoice)"}

    def headings(owner="core"):
        return {**real(owner), **{h: w for h, w in wrong.items() if h in real(owner)}}

    monkeypatch.setattr(sys.modules[__name__], "_hook_reference_headings", headings)
    with pytest.raises(AssertionError, match=r"docs/plugins.md: .* headed '### alerts\(workspace, today\)'"):
        test_the_docs_show_each_hooks_signature("alerts")
    with pytest.raises(AssertionError, match=r"docs/invoice.md: .* headed '### invoice_adjust\(invoice, workspace\)'"):
        test_the_docs_show_each_hooks_signature("invoice_adjust")


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
