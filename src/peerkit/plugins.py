"""Loading plugins: entry points (built-in and installed) and the workspace's plugins/*.py.

Each plugin is loaded on its own; one that fails to import is reported on stderr with its
name and recorded for ``peerkit plugins`` while the rest of peerkit keeps working.

Environment switches:
  PEERKIT_LOAD_PLUGINS=a,b     load only these plugins ("" loads none)
  PEERKIT_DISABLE_PLUGINS=a,b  do not load these (built-ins included)
  PEERKIT_TRACE_PLUGINS=1      print every hook call to stderr
  PEERKIT_STRICT_PLUGINS=1     raise instead of skipping a broken plugin
"""
from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pluggy

from peerkit import hookspecs

GROUP = "peerkit"


@dataclass
class PluginInfo:
    name: str
    source: str  # built-in | installed | workspace
    version: str = ""
    module: str = ""
    error: str = ""
    hooks: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
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
                 disable: Iterable[str] = (), load_entrypoints: bool = True):
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        self.only = _env_list("PEERKIT_LOAD_PLUGINS")
        self.blocked = (_env_list("PEERKIT_DISABLE_PLUGINS") or set()) | set(disable)
        self.no_plugins = no_plugins
        self.strict = os.environ.get("PEERKIT_STRICT_PLUGINS") == "1"
        if load_entrypoints:
            self._load_entrypoints()
        if workspace_root is not None and not no_plugins:
            self._load_workspace(workspace_root / "plugins")
        if os.environ.get("PEERKIT_TRACE_PLUGINS"):
            self.pm.add_hookcall_monitoring(_trace_before, _trace_after)

    # ------------------------------------------------------------------ loading
    def _wanted(self, name: str) -> bool:
        if name in self.blocked:
            return False
        return self.only is None or name in self.only

    def _load_entrypoints(self) -> None:
        from importlib.metadata import entry_points

        seen_dists: dict = {}
        for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
            if not self._wanted(ep.name):
                continue
            if ep.name in self.info:
                warn(f"two installed plugins are named {ep.name!r} ({self.info[ep.name].module} and "
                     f"{ep.value}); only the first was loaded — uninstall one")
                continue
            dist_name, version = _dist_identity(getattr(ep, "dist", None), seen_dists)
            source = "built-in" if dist_name.lower() == "peerkit" else "installed"
            if source == "installed" and self.no_plugins:
                continue
            info = PluginInfo(ep.name, source, version=version, module=ep.value)
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
        from peerkit.trust import Verdict

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
                verdict = verdict or Verdict.of(folder.parent)
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
        info.error = f"{type(exc).__name__}: {_short(exc)}"
        warn(f"plugin {info.name!r} ({info.source}) failed to load and was skipped: {info.error}")
        if self.pm.get_plugin(info.name) is not None:
            self.pm.unregister(name=info.name)

    # ------------------------------------------------------------------ calling
    def call_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call each plugin's implementation of ``hook`` on its own.

        Returns ``[(plugin_name, result), ...]`` sorted by plugin name, skipping ``None``.
        A plugin that raises is reported by name (without the exception text, which may hold
        PHI) and skipped; the others still run.
        """
        caller = getattr(self.pm.hook, hook)
        impls = caller.get_hookimpls()
        trace = os.environ.get("PEERKIT_TRACE_PLUGINS")
        if trace:
            names = ", ".join(self.pm.get_name(i.plugin) or "?" for i in impls)
            print(f"peerkit trace: {hook}({', '.join(kwargs)}) -> [{names}]", file=sys.stderr)
        results = []
        for impl in impls:
            name = self.pm.get_name(impl.plugin) or "?"
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                result = impl.function(**args)
            except Exception as exc:  # noqa: BLE001
                if self.strict or os.environ.get("PEERKIT_DEBUG"):
                    raise
                warn(f"plugin {name!r} failed in hook {hook} ({type(exc).__name__}) and was skipped; "
                     "run with PEERKIT_DEBUG=1 to see the error")
                continue
            if trace:
                print(f"peerkit trace: {hook} <- {name}: {type(result).__name__}", file=sys.stderr)
            if result is not None:
                results.append((name, result))
        results.sort(key=lambda r: r[0])
        return results

    def collect_named(self, hook: str, what: str, **kwargs: Any) -> dict[str, tuple[str, Any]]:
        """Merge the dicts plugins return from ``hook``: ``{key: (plugin, value)}``.

        The same key from two plugins is an error naming both.
        """
        merged: dict[str, tuple[str, Any]] = {}
        for plugin, result in self.call_each(hook, **kwargs):
            for key, value in dict(result).items():
                if key in merged:
                    from peerkit.errors import PeerkitError

                    raise PeerkitError(f"{what} {key!r} is defined by two plugins: "
                                       f"{merged[key][0]!r} and {plugin!r}; disable one with "
                                       "PEERKIT_DISABLE_PLUGINS")
                merged[key] = (plugin, value)
        return merged

    def collect_list(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Flatten the lists plugins return from ``hook`` into ``[(plugin, item), ...]``."""
        out = []
        for plugin, result in self.call_each(hook, **kwargs):
            for item in result:
                out.append((plugin, item))
        return out


def _dist_identity(dist, seen: dict) -> tuple[str, str]:
    """(Name, Version) of an entry point's distribution, read once per distribution: the
    header lines of its METADATA up to the first blank line (the long description after it,
    peerkit's whole README, is never parsed)."""
    if dist is None:
        return "", ""
    key = str(getattr(dist, "_path", "")) or id(dist)
    if key not in seen:
        fields: dict[str, str] = {}
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
        for line in text.splitlines():
            if not line.strip():
                break
            field, sep, value = line.partition(":")
            if sep and field in ("Name", "Version") and field not in fields:
                fields[field] = value.strip()
        if "Name" not in fields:  # an unusual layout: let importlib.metadata parse it
            meta = dist.metadata
            fields = {"Name": meta["Name"] or "", "Version": meta["Version"] or ""}
        seen[key] = (fields.get("Name", ""), fields.get("Version", ""))
    return seen[key]


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]


def _trace_before(hook_name: str, hook_impls: list, kwargs: dict) -> None:
    names = ", ".join(getattr(i, "plugin_name", "?") for i in hook_impls)
    print(f"peerkit trace: {hook_name}({', '.join(kwargs)}) -> [{names}]", file=sys.stderr)


def _trace_after(outcome: Any, hook_name: str, hook_impls: list, kwargs: dict) -> None:
    print(f"peerkit trace: {hook_name} done", file=sys.stderr)


# The plugin manager for this process; built on first use by the CLI or by get_plugins().
_current: Plugins | None = None


def get_plugins() -> Plugins:
    """The process's Plugins (built with defaults if the CLI has not built one)."""
    global _current
    if _current is None:
        from peerkit.discovery import find_root

        _current = Plugins(workspace_root=find_root())
    return _current


def set_plugins(plugins: Plugins | None) -> None:
    global _current
    _current = plugins
