"""Loading plugins: entry points (built-in and installed) and the workspace's plugins/*.py.

Each plugin is loaded on its own; one that fails to import is reported on stderr with its
name, the exception type and the file and line (never the exception's text), and recorded
for ``peerkit plugins`` (``PluginInfo.error``) while the rest of peerkit keeps working;
commands that sign, invoice or import call :meth:`Plugins.require_all_loaded` and refuse.

Every hook is called through :meth:`Plugins.call`, which applies the hook's failure policy
(``peerkit.hookspecs.CONTRACTS``, extended by the plugins' own ``CONTRACTS``).

Hook specifications: peerkit's own (``peerkit.hookspecs``: what every feature needs) and those a
plugin publishes for other plugins to implement -- a module named in the ``peerkit.hookspecs``
entry-point group (``invoice = "peerkit_invoice.hookspecs"``).  Every installed plugin's
specifications are added before any plugin is registered, whatever the load order and even for
a plugin that is disabled, so an implementation of a hook nobody specifies (a misspelt name) is
still refused, and a hook of a disabled plugin is not mistaken for one.

Environment switches:
  PEERKIT_LOAD_PLUGINS=a,b     load only these plugins ("" loads none)
  PEERKIT_DISABLE_PLUGINS=a,b  do not load these (built-ins included)
  PEERKIT_TRACE_PLUGINS=1      print every hook call to stderr
  PEERKIT_STRICT_PLUGINS=1     raise instead of skipping a broken plugin
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from peerkit import entrypoints, hookspecs

GROUP = "peerkit"
SPEC_GROUP = "peerkit.hookspecs"  # {plugin name: module of the hook specifications it publishes}


@dataclass
class PluginInfo:
    name: str
    source: str  # built-in | installed | workspace
    version: str = ""
    module: str = ""
    error: str = ""
    hooks: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "source": self.source,
                "hooks": sorted(self.hooks), "error": self.error or None}


class PluginError(Exception):
    pass


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {v.strip() for v in value.split(",") if v.strip()}


def warn(message: str) -> None:
    print(f"peerkit: {message}", file=sys.stderr)


class Plugins:
    """The plugin manager plus what peerkit knows about each plugin."""

    def __init__(self, *, workspace_root: Path | None = None, no_plugins: bool = False,
                 disable: Iterable[str] = (), load_entrypoints: bool = True,
                 objects: Iterable[tuple[str, Any]] = ()):
        """Load the plugins of one run.

        ``objects`` are ``(name, plugin_object)`` pairs registered as ``installed`` plugins
        after the others. One replaces an entry-point or workspace plugin of the same name
        (that one is not loaded at all), and is loaded even when ``PEERKIT_LOAD_PLUGINS``
        does not name it; ``PEERKIT_DISABLE_PLUGINS``/``--disable-plugin`` still apply.
        """
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        # every hook's contract: peerkit's, then those of the plugins' published hooks
        self.contracts: dict[str, hookspecs.Contract] = dict(hookspecs.CONTRACTS)
        self.spec_errors: dict[str, str] = {}  # {plugin name: why its hookspecs module failed}
        self._all_entry_points: list[entrypoints.Found] | None = None   # read once (_entry_points)
        self._load_hookspecs()
        self.info: dict[str, PluginInfo] = {}
        self.failures: list[HookFailure] = []  # from ``collect`` hooks; see take_failures()
        # {command name: (plugin name, command)}: what plugins registered, set by the CLI
        self.commands: dict[str, tuple[str, Any]] = {}
        self.only = _env_list("PEERKIT_LOAD_PLUGINS")
        self.blocked = (_env_list("PEERKIT_DISABLE_PLUGINS") or set()) | set(disable)
        self.no_plugins = no_plugins
        self.strict = os.environ.get("PEERKIT_STRICT_PLUGINS") == "1"
        objects = [(name, obj) for name, obj in objects if name not in self.blocked]
        self.replaced = {name for name, _ in objects}
        if load_entrypoints:
            self._load_entrypoints()
        if workspace_root is not None and not no_plugins:
            self._load_workspace(workspace_root / "plugins")
        for name, obj in objects:
            self.register(obj, name=name, source="installed")

    # ------------------------------------------------------------------ loading
    def _load_hookspecs(self) -> None:
        """Add the hook specifications every installed plugin publishes (see the module doc).
        A module that fails to import or to add is recorded: its plugin then fails to load."""
        for ep in sorted(self._entry_points(SPEC_GROUP), key=lambda e: e.name):
            if ep.name in self.spec_errors:
                continue
            try:
                self.add_hookspecs(ep.load())
            except Exception as exc:  # noqa: BLE001 - reported when the plugin loads, never its text
                why = str(exc) if isinstance(exc, PluginError) else \
                    load_error(exc, PluginInfo(ep.name, "installed", module=ep.value))
                self.spec_errors[ep.name] = f"its hook specifications ({ep.value}) failed: {why}"

    def add_hookspecs(self, module: Any) -> None:
        """Add the hook specifications of ``module`` (functions marked ``@hookspec``) and their
        contracts (its ``CONTRACTS``: one per hook, no more); a name already taken is refused."""
        names = {n for n in dir(module) if self.pm.parse_hookspec_opts(module, n) is not None}
        contracts = getattr(module, "CONTRACTS", {})
        where = getattr(module, "__name__", repr(module))
        if not names:
            raise PluginError(f"{where} specifies no hook")
        taken = sorted(n for n in names if n in self.contracts or hasattr(self.pm.hook, n))
        if taken:
            raise PluginError(f"{where} specifies hook(s) {', '.join(taken)} that another module specifies")
        if set(contracts) != names:
            missing, extra = sorted(names - set(contracts)), sorted(set(contracts) - names)
            raise PluginError(f"{where}: CONTRACTS must give each of its hooks a contract "
                              f"(missing: {', '.join(missing) or '-'}; no such hook: {', '.join(extra) or '-'})")
        for name, contract in contracts.items():
            if not isinstance(contract, hookspecs.Contract) or contract.policy not in \
                    (hookspecs.STOP, hookspecs.COLLECT, hookspecs.DISABLE):
                raise PluginError(f"{where}: CONTRACTS[{name!r}] is not a Contract with a known policy")
        self.pm.add_hookspecs(module)
        self.contracts.update(contracts)

    def _wanted(self, name: str) -> bool:
        if name in self.blocked or name in self.replaced:
            return False
        return self.only is None or name in self.only

    def _entry_points(self, group: str) -> list[entrypoints.Found]:
        """The entry points of ``group``: both groups are read at once, once per Plugins
        (from ``importlib.metadata``, or what the ``peerkit`` program remembered of it:
        ``peerkit.entrypoints``)."""
        if self._all_entry_points is None:
            from peerkit import session

            how = entrypoints.remembered if session.current().remember_entry_points else entrypoints.read
            self._all_entry_points = how((GROUP, SPEC_GROUP))
        return [ep for ep in self._all_entry_points if ep.group == group]

    def _load_entrypoints(self) -> None:
        for ep in sorted(self._entry_points(GROUP), key=lambda e: e.name):
            if not self._wanted(ep.name):
                continue
            if ep.name in self.info:
                warn(f"two installed plugins are named {ep.name!r} ({self.info[ep.name].module} and "
                     f"{ep.value}); only the first was loaded — uninstall one")
                continue
            source = "built-in" if ep.dist_name.lower() == "peerkit" else "installed"
            if source == "installed" and self.no_plugins:
                continue
            info = PluginInfo(ep.name, source, version=ep.version, module=ep.value)
            self.info[ep.name] = info
            try:
                module = ep.load()
                self._register(module, info)
            except Exception as exc:  # noqa: BLE001 - any import error is reported, not fatal
                self._failed(info, exc)

    def _load_workspace(self, folder: Path) -> None:
        """Import plugins/*.py, but only files the user trusted as they are now (peerkit.trust)."""
        if not folder.is_dir():
            return
        verdict = None  # read the trust list only when there is a plugin file to check
        refused = []
        for path in sorted(folder.glob("*.py")):
            name = path.stem
            if name.startswith("_") or not self._wanted(name):
                continue
            if name in self.info:
                warn(f"workspace plugin {path.name} has the same name as plugin {name!r} "
                     f"({self.info[name].source}) and was not loaded — rename the file")
                continue
            info = PluginInfo(name, "workspace", module=str(path))
            self.info[name] = info
            try:
                source = path.read_bytes()  # hashed and run from the same bytes (no .pyc)
                if verdict is None:
                    from peerkit.trust import Verdict  # hashlib: only when there is a file

                    verdict = Verdict.of(folder.parent)
                info.error = verdict.problem(path.name, source)
                if info.error:  # counts as a plugin that failed to load
                    refused.append(path.name)
                    continue
                spec = importlib.util.spec_from_file_location(f"peerkit_workspace_plugins.{name}", path)
                assert spec and spec.loader
                module = importlib.util.module_from_spec(spec)
                exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102
                info.version = str(getattr(module, "__version__", ""))
                self._register(module, info)
            except Exception as exc:  # noqa: BLE001
                self._failed(info, exc)
        if refused and verdict is not None:
            warn(verdict.warning(refused))

    def register(self, plugin: Any, name: str, source: str = "installed", version: str = "") -> None:
        """Register an already-imported plugin object (tests, embedding)."""
        info = PluginInfo(name, source, version=version, module=getattr(plugin, "__name__", ""))
        self.info[name] = info
        try:
            self._register(plugin, info)
        except Exception as exc:  # noqa: BLE001
            self._failed(info, exc)

    def _register(self, module: Any, info: PluginInfo) -> None:
        if info.name in self.spec_errors:
            raise PluginError(self.spec_errors[info.name])
        self.pm.register(module, name=info.name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=info.name)
            raise PluginError(f"{exc} (a misspelt hook name?)") from None
        info.hooks = sorted(h.name for h in (self.pm.get_hookcallers(module) or []))

    def _failed(self, info: PluginInfo, exc: BaseException) -> None:
        if self.strict:
            raise exc
        self._disable(info.name, load_error(exc, info))
        warn(f"plugin {info.name!r} ({info.source}) failed to load and was skipped: {info.error}")

    def _disable(self, name: str, why: str) -> None:
        """Treat plugin ``name`` as failed to load (its first reason kept) and unregister it."""
        info = self.info.get(name)
        if info is not None and not info.error:
            info.error = why
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)

    # ------------------------------------------------------------------ calling
    def call(self, hook: str, *, kwargs_for: Callable[[str], dict[str, Any]] | None = None,
             policy: str | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call each plugin's implementation of ``hook`` on its own: the one way peerkit
        calls plugins.

        Returns ``[(plugin_name, result), ...]`` sorted by plugin name, without ``None``
        results and without the plugins that failed.  ``kwargs_for(plugin_name)`` may add
        arguments per plugin (``register_commands`` gives each plugin its own group).

        A plugin fails when it raises or returns the wrong type; what follows is the hook's
        policy in :attr:`contracts` (``peerkit.hookspecs.CONTRACTS`` and the plugins'): ``stop`` raises a PeerkitError,
        ``collect`` records a :class:`HookFailure` in :attr:`failures` (the command shows it
        and exits non-zero), ``disable`` marks the plugin as failed to load.  ``policy``
        overrides the hook's policy for this call (a caller that can do without the results).
        """
        from peerkit.errors import PeerkitError

        # a hook without a contract yet (a new hookspec) fails closed: stop, result unchecked
        contract = self.contracts.get(hook, UNSTATED)
        if policy is not None:
            if policy not in (hookspecs.STOP, hookspecs.COLLECT, hookspecs.DISABLE):
                raise ValueError(f"unknown failure policy {policy!r}")
            contract = hookspecs.Contract(policy, contract.returns, contract.item)
        impls = sorted(getattr(self.pm.hook, hook).get_hookimpls(),
                       key=lambda i: self.pm.get_name(i.plugin) or "")
        trace = bool(os.environ.get("PEERKIT_TRACE_PLUGINS"))
        if trace:
            names = ", ".join(self.pm.get_name(i.plugin) or "?" for i in impls)
            print(f"peerkit trace: {hook}({', '.join(kwargs)}) -> [{names}]", file=sys.stderr)
        results = []
        for impl in impls:
            name = self.pm.get_name(impl.plugin) or "?"
            given = dict(kwargs, **(kwargs_for(name) if kwargs_for else {}))
            args = {k: given[k] for k in impl.argnames if k in given}
            try:
                result = impl.function(**args)
            except Exception as exc:  # noqa: BLE001 - the policy decides; the text may hold PHI
                if self.strict or os.environ.get("PEERKIT_DEBUG"):
                    raise
                self._hook_failed(name, hook, contract, _failure_of(name, hook, exc))
                if trace:
                    print(f"peerkit trace: {hook} <- {name}: failed ({type(exc).__name__})",
                          file=sys.stderr)
                continue
            if trace:
                print(f"peerkit trace: {hook} <- {name}: {type(result).__name__}", file=sys.stderr)
            if contract.policy == hookspecs.COLLECT and isinstance(result, list):
                # a PeerkitError in the list: something unreadable, the other items still count
                for item in [r for r in result if isinstance(r, PeerkitError)]:
                    self.failures.append(HookFailure(name, hook, item.message, item.exit_code))
                result = [r for r in result if not isinstance(r, PeerkitError)]
            result, problem = _check_result(result, contract)
            if problem:
                self._hook_failed(name, hook, contract, HookFailure(
                    name, hook, f"plugin {name!r} returned {problem} from hook {hook}; tell the "
                                "plugin's author (see docs/plugins.md)", EXIT_DATA))
            if result is not None:
                results.append((name, result))
        return results


    def collect_named(self, hook: str, what: str, **kwargs: Any) -> dict[str, tuple[str, Any]]:
        """Merge the dicts plugins return from ``hook``: ``{key: (plugin, value)}``.

        The same key from two plugins is an error naming both.
        """
        merged: dict[str, tuple[str, Any]] = {}
        for plugin, result in self.call(hook, **kwargs):
            for key, value in result.items():
                if key in merged:
                    from peerkit.errors import PeerkitError

                    raise PeerkitError(f"{what} {key!r} is defined by two plugins: "
                                       f"{merged[key][0]!r} and {plugin!r}; disable one with "
                                       "--disable-plugin NAME")
                merged[key] = (plugin, value)
        return merged

    def collect_list(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Flatten the lists plugins return from ``hook`` into ``[(plugin, item), ...]``."""
        out = []
        for plugin, result in self.call(hook, **kwargs):
            for item in result:
                out.append((plugin, item))
        return out

    def _hook_failed(self, name: str, hook: str, contract: hookspecs.Contract,
                     failure: HookFailure) -> None:
        if contract.policy == hookspecs.STOP:
            from peerkit.errors import PeerkitError

            raise PeerkitError(failure.message, exit_code=failure.exit_code)
        if contract.policy == hookspecs.DISABLE:
            self._disable(name, failure.message)
            warn(f"{failure.message}; the plugin was skipped")
            return
        self.failures.append(failure)

    # ------------------------------------------------------------------ failures
    def take_failures(self) -> list[HookFailure]:
        """Failures recorded by ``collect`` hooks and not shown yet, each message once.

        The command that shows them (``status``) takes them; whatever is left when a
        command ends is shown by the CLI, which then exits with their exit code.
        """
        pending, self.failures = self.failures, []
        seen: set[str] = set()
        out = []
        for f in pending:
            if f.message not in seen:
                seen.add(f.message)
                out.append(f)
        return out

    def load_command(self, plugin: str, cmd_name: str, cmd: Any) -> Any:
        """The real command behind a plugin's (possibly lazy) command.  A command module that
        fails to import marks ``plugin`` as failed to load and raises a PeerkitError (exit 3)
        naming the plugin, the command and the file and line -- never the exception's text."""
        from peerkit.lazy import resolve

        try:
            return resolve(cmd)
        except Exception as exc:  # noqa: BLE001 - any import error; its text may hold PHI
            if self.strict or os.environ.get("PEERKIT_DEBUG"):
                raise
            from peerkit.errors import PeerkitError

            why = f"command {cmd_name!r} failed to load: {command_load_error(exc)}"
            self._disable(plugin, why)
            raise PeerkitError(f"plugin {plugin!r} {why}; fix it, or run 'peerkit "
                               f"--disable-plugin {plugin} ...' without it", exit_code=EXIT_DATA) from None

    def check_commands(self) -> None:
        """Import the command modules of every installed and workspace plugin (the built-ins'
        are peerkit's own, tested with it): one that fails marks its plugin as failed to load.
        Run before signing, invoicing or importing a review, and by ``peerkit plugins``."""
        from peerkit.errors import PeerkitError

        for cmd_name, (plugin, cmd) in sorted(self.commands.items()):
            info = self.info.get(plugin)
            if info is not None and info.source != "built-in" and not info.error:
                with contextlib.suppress(PeerkitError):  # recorded in info.error
                    self.load_command(plugin, cmd_name, cmd)

    def failed_to_load(self) -> list[PluginInfo]:
        """Plugins that failed to load (or were refused, or failed to register commands)."""
        return sorted((i for i in self.info.values() if i.error), key=lambda i: i.name)

    def require_all_loaded(self, action: str) -> None:
        """Refuse ``action`` (``"sign notes"``, ``"issue an invoice"``, ...) while any plugin
        failed to load: its rules or invoice lines would be missing.  Exit 3, naming each
        plugin and the remedy; ``--disable-plugin NAME`` says the user accepts running
        without it."""
        self.check_commands()
        failed = self.failed_to_load()
        if not failed:
            return
        from peerkit.errors import PeerkitError

        names = ", ".join(repr(i.name) for i in failed)
        options = " ".join(f"--disable-plugin {i.name}" for i in failed)
        which, it = ("plugins", "them") if len(failed) > 1 else ("plugin", "it")
        raise PeerkitError(f"cannot {action}: {which} {names} failed to load (see 'peerkit plugins'); "
                           f"fix {it}, or run 'peerkit {options} ...' to {action} without {it}",
                           exit_code=EXIT_DATA)


EXIT_DATA = 3
UNSTATED = hookspecs.Contract(hookspecs.STOP, object)  # see call(); every hook should have one


@dataclass(frozen=True)
class HookFailure:
    """One plugin failing in one hook: ``message`` is one line safe to show (file, line and
    field from a PeerkitError, or the plugin name and exception type)."""

    plugin: str
    hook: str
    message: str
    exit_code: int = EXIT_DATA


def _failure_of(name: str, hook: str, exc: Exception) -> HookFailure:
    from peerkit.errors import PeerkitError

    if isinstance(exc, PeerkitError):
        return HookFailure(name, hook, exc.message, exc.exit_code)
    return HookFailure(name, hook, f"plugin {name!r} failed in hook {hook} ({type(exc).__name__}); "
                                   "run with PEERKIT_DEBUG=1 to see the error", EXIT_DATA)


def _item_ok(kind: str | None, value: Any) -> tuple[bool, str]:
    if kind is None:
        return True, ""
    if kind == "alert":
        from peerkit.alerts import Alert

        return isinstance(value, Alert), "peerkit.alerts.Alert"
    if kind == "note_check":
        from peerkit.checks import NoteCheck

        return isinstance(value, NoteCheck), "peerkit.checks.NoteCheck"
    if kind == "text":
        return isinstance(value, str), "str"
    if kind == "path":
        return isinstance(value, (str, os.PathLike)), "a folder path"
    if kind == "callable":
        return callable(value), "a function"
    raise ValueError(f"unknown item kind {kind!r}")


def _check_result(result: Any, contract: hookspecs.Contract) -> tuple[Any, str]:
    """``(usable result, problem)``: wrong items are dropped and described in ``problem``."""
    if contract.returns is object:
        return result, ""
    if contract.returns is None:
        if result is None:
            return None, ""
        return None, f"a {type(result).__name__} (this hook returns nothing)"
    if result is None:
        return None, ""
    expected = contract.returns.__name__
    if not isinstance(result, contract.returns) or isinstance(result, (str, bytes)):
        return None, f"a {type(result).__name__} where a {expected} is expected"
    values = result if contract.returns is list else list(result.values())
    bad = []
    kind_name = ""
    for value in values:
        ok, kind_name = _item_ok(contract.item, value)
        if not ok:
            bad.append(type(value).__name__)
    if not bad:
        return result, ""
    good: list[Any] | dict[Any, Any]
    if contract.returns is list:
        good = [v for v in result if _item_ok(contract.item, v)[0]]
    else:
        good = {k: v for k, v in result.items() if _item_ok(contract.item, v)[0]}
    return good, (f"{len(bad)} item(s) of type {', '.join(sorted(set(bad)))} in its {expected} "
                  f"where {kind_name} is expected")


def load_error(exc: BaseException, info: PluginInfo) -> str:
    """Why a plugin failed to load, without the exception's text (it may hold PHI): the
    exception type and the file and line where it happened, preferring the plugin's own
    files.  peerkit's own PluginError (a misspelt hook name) is safe to show whole."""
    if isinstance(exc, PluginError):
        return f"{type(exc).__name__}: {exc}"
    where = _where(exc, info)
    return f"{type(exc).__name__} at {where}" if where else type(exc).__name__


def command_load_error(exc: BaseException) -> str:
    """Why a plugin's command module failed to import, like :func:`load_error`: the exception
    type and the file and line in the command's own module (peerkit's frames left out)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{type(exc).__name__} at {_shown(exc.filename)}:{exc.lineno or '?'}"
    core = Path(__file__).parent
    importlib_dir = Path(importlib.__file__).parent
    frames = [(f.f_code.co_filename, line) for f, line in traceback.walk_tb(exc.__traceback__)]
    frames = [(f, line) for f, line in frames if not f.startswith("<")
              and not Path(f).is_relative_to(core) and not Path(f).is_relative_to(importlib_dir)]
    if not frames:
        return type(exc).__name__
    home = frames[0][0]  # the command's module: where the import started
    filename, line = [(f, n) for f, n in frames if f == home][-1]
    return f"{type(exc).__name__} at {_shown(filename)}:{line}"


def _where(exc: BaseException, info: PluginInfo) -> str:
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_shown(exc.filename)}:{exc.lineno or '?'}"
    frames = [(f.f_code.co_filename, line) for f, line in traceback.walk_tb(exc.__traceback__)]
    importlib_dir = Path(importlib.__file__).parent
    frames = [(f, line) for f, line in frames if not f.startswith("<") and f != __file__
              and not Path(f).is_relative_to(importlib_dir)]
    if not frames:
        return ""
    # the plugin's own files: its workspace file, or its top module (a package's folder)
    top = Path(info.module) if info.source == "workspace" else Path(frames[0][0])
    home = top.parent if top.name == "__init__.py" else top
    own = [(f, line) for f, line in frames if Path(f).is_relative_to(home)]
    filename, line = (own or frames)[-1]
    return f"{_shown(filename)}:{line}"


def _shown(filename: str) -> str:
    from peerkit.storage import display_path

    return display_path(filename)


# How every Plugins of this process is built: the CLI and get_plugins() call new_plugins().
# A program embedding peerkit, or peerkit.testing's ``peerkit_register`` fixture, installs its
# own factory with set_factory() (for instance one passing ``objects=``) and restores the old
# one afterwards.
Factory = Callable[..., Plugins]


def new_plugins(*, workspace_root: Path | None = None, no_plugins: bool = False,
                disable: Iterable[str] = ()) -> Plugins:
    """Build the Plugins of one run through the installed factory (default: ``Plugins``)."""
    from peerkit import session

    factory: Factory = session.current().plugin_factory or Plugins
    return factory(workspace_root=workspace_root, no_plugins=no_plugins, disable=disable)


def set_factory(factory: Factory | None) -> Factory:
    """Install ``factory`` (``None``: the default) for new Plugins; return the previous one."""
    from peerkit import session

    state = session.current()
    previous: Factory = state.plugin_factory or Plugins
    state.plugin_factory = factory
    set_plugins(None)
    return previous


def get_plugins() -> Plugins:
    """The Plugins of the running command, kept by the session (``peerkit.session``): built
    with defaults on first use when the CLI has not built one."""
    from peerkit import session

    found: Plugins | None = session.current().plugins
    if found is None:
        from peerkit.discovery import find_root

        found = session.current().plugins = new_plugins(workspace_root=find_root())
    return found


def set_plugins(plugins: Plugins | None) -> None:
    """Make ``plugins`` those of the running command (None: built again on next use)."""
    from peerkit import session

    session.current().plugins = plugins
