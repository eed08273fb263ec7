"""Write docs/api.md, the reference of the hooks and of the objects a plugin receives, from
their docstrings.

    python docs/gen_api.py            rewrite docs/api.md
    python docs/gen_api.py --check    exit 1 if docs/api.md is stale or a public attribute
                                      has no documentation

Each class documents its data attributes in an ``Attributes:`` section of its docstring
(``name: what it is``, continuation lines indented further); properties and methods have
their own docstrings.  tests/core/test_api_docs.py runs the check, so the reference cannot
drift from the code.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "api.md"

# (module, class): the objects hooks hand to a plugin, in the order the page shows them.
CLASSES = [
    ("peerkit.workspace", "Workspace"),
    ("peerkit.records", "Client"),
    ("peerkit.records", "Authorization"),
    ("peerkit.records", "Goal"),
    ("peerkit.records", "Note"),
    ("peerkit.checks", "CheckContext"),
    ("peerkit.checks", "NoteCheck"),
    ("peerkit.alerts", "Alert"),
    ("peerkit_invoice.model", "Invoice"),
    ("peerkit_invoice.model", "InvoiceLine"),
]

# (owner, module): the hook specifications -- the core's, then those each plugin publishes (the
# ``peerkit.hookspecs`` entry points in pyproject.toml; tests/core/test_api_docs.py compares).
HOOKS = [
    ("core", "peerkit.hookspecs"),
    ("invoice", "peerkit_invoice.hookspecs"),
    ("notes", "peerkit_notes.hookspecs"),
    ("resources", "peerkit_resources.hookspecs"),
    ("wrap", "peerkit_wrap.hookspecs"),
]

HEADER = """\
# API reference: the hooks and the objects a plugin receives

Generated from the docstrings by `python docs/gen_api.py`; do not edit by hand (a test fails
when this page is stale or a public attribute has no documentation). Examples of each hook are
in [plugins.md](plugins.md) (the core's) and on the page of the plugin that publishes it; how the
pieces fit together in [design.md](design.md).

| object | reaches a plugin through |
| --- | --- |
| `Workspace` | `alerts(workspace, today)`, `doctor_checks(workspace)`, the plugins' hooks (`invoice_adjust(invoice, workspace)`, formats...), `pass_workspace` commands, `CheckContext.workspace` |
| `Client` (with `Authorization`, `Goal`) | `Workspace.clients()`, `Workspace.client(id)`, `CheckContext.clients` |
| `Note` | `Workspace.notes(start, end)`, `Workspace.note(id)`, a `NoteCheck`'s `check(note, ctx)` |
| `CheckContext` | the second argument of a `NoteCheck`'s `check(note, ctx)` |
| `NoteCheck` | what `note_checks()` returns |
| `Alert` | what `alerts(workspace, today)` returns |
| `Invoice`, `InvoiceLine` (the invoice plugin's objects) | the invoice plugin's hooks: `invoice_adjust(invoice, workspace)` and `invoice_formats()` renderers |
"""


def load(module: str, name: str) -> type:
    import importlib

    return getattr(importlib.import_module(module), name)


def split_doc(cls: type) -> tuple[str, dict[str, str]]:
    """The class docstring without its ``Attributes:`` section, and that section by name."""
    doc = inspect.getdoc(cls) or ""
    head, sep, tail = doc.partition("\nAttributes:\n")
    attrs: dict[str, str] = {}
    current = None
    for line in tail.splitlines() if sep else []:
        m = re.match(r"^    (\w+): ?(.*)$", line)
        if m:
            current = m.group(1)
            attrs[current] = m.group(2).strip()
        elif line.startswith("        ") and current:
            attrs[current] += " " + line.strip()
        elif line.strip():
            break
    return head.strip(), attrs


def data_attributes(cls: type) -> list[str]:
    """Public data attributes: dataclass fields, or the names the Attributes section lists."""
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    return list(split_doc(cls)[1])


def members(cls: type) -> list[tuple[str, object]]:
    """Public properties and methods defined by the class, in source order."""
    out = []
    for name, value in cls.__dict__.items():
        if name.startswith("_"):
            continue
        if isinstance(value, (property, staticmethod, classmethod)) or inspect.isfunction(value) \
                or type(value).__name__ == "cached_property":
            out.append((name, value))
    return out


def member_doc(value: object) -> str:
    target = value.fget if isinstance(value, property) else getattr(value, "__func__", None) \
        or getattr(value, "func", None) or value
    return inspect.getdoc(target) or ""


def signature(name: str, value: object) -> str:
    if isinstance(value, property) or type(value).__name__ == "cached_property":
        return f"{name}  (property)"
    func = getattr(value, "__func__", value)
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return f"{name}(...)"
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    text = ", ".join(str(p).replace("'", "") for p in params)
    return f"{name}({text})"


def field_type(cls: type, name: str) -> str:
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            if f.name == name:
                t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
                return t.replace('"', "")
    return ""


def hooks(module: str) -> list[tuple[str, str, str]]:
    """``(name(args), policy, summary)`` of each hook ``module`` specifies, by name."""
    import importlib

    mod = importlib.import_module(module)
    rows = []
    for name in sorted(mod.CONTRACTS):
        func = getattr(mod, name)
        args = ", ".join(inspect.signature(func).parameters)
        summary = " ".join((inspect.getdoc(func) or "").split("\n\n")[0].split())
        rows.append((f"{name}({args})", mod.CONTRACTS[name].policy, summary))
    return rows


def render_hooks() -> str:
    parts = ["\n## Hooks\n\nEach hook's contract: its arguments, its failure policy (what happens when "
             "a plugin fails in it: [plugins.md](plugins.md#when-a-plugin-fails-one-dispatcher-a-policy-per-hook)) "
             "and what it is for. The core specifies only what every feature needs; a feature plugin "
             "publishes the hooks others use to extend it "
             "([plugins.md](plugins.md#hooks-published-by-plugins)).\n"]
    for owner, module in HOOKS:
        title = "Core hooks" if owner == "core" else f"Hooks of the {owner} plugin"
        where = "[plugins.md](plugins.md#hook-reference)" if owner == "core" else f"[{owner}.md]({owner}.md#hooks)"
        parts.append(f"\n### {title}\n\n`{module}`; examples in {where}.\n\n"
                     "| hook | policy | what for |\n| --- | --- | --- |\n")
        for signature_text, policy, summary in hooks(module):
            parts.append(f"| `{signature_text}` | `{policy}` | {summary.replace('|', chr(92) + '|')} |\n")
    return "".join(parts)


def problems() -> list[str]:
    """Every public attribute, property or method without documentation."""
    out = []
    for _owner, module in HOOKS:
        for signature_text, _policy, summary in hooks(module):
            if not summary:
                out.append(f"{module}.{signature_text}: no docstring")
    for module, name in CLASSES:
        cls = load(module, name)
        head, attrs = split_doc(cls)
        if not head:
            out.append(f"{name}: no class docstring")
        for attr in data_attributes(cls):
            if not attrs.get(attr):
                out.append(f"{name}.{attr}: not described in the class docstring's Attributes section")
        for extra in set(attrs) - set(data_attributes(cls)):
            out.append(f"{name}.{extra}: documented but not an attribute (renamed or removed?)")
        for member, value in members(cls):
            if not member_doc(value):
                out.append(f"{name}.{member}: no docstring")
    return out


def render() -> str:
    parts = [HEADER, render_hooks()]
    for module, name in CLASSES:
        cls = load(module, name)
        head, attrs = split_doc(cls)
        parts.append(f"\n## {name}\n\n`{module}.{name}`\n\n{head}\n")
        names = data_attributes(cls)
        if names:
            parts.append("\n| attribute | type | meaning |\n| --- | --- | --- |\n")
            for attr in names:
                typ = field_type(cls, attr)
                text = attrs.get(attr, "").replace("|", "\\|")
                parts.append(f"| `{attr}` | {('`' + typ + '`') if typ else ''} | {text} |\n")
        for member, value in members(cls):
            doc = textwrap.indent(member_doc(value), "")
            parts.append(f"\n### `{name}.{signature(member, value)}`\n\n{doc}\n")
    return "".join(parts)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE.parent / "src"))
    sys.path.insert(1, str(HERE.parent / "plugins"))
    found = problems()
    for p in found:
        print(f"gen_api: {p}", file=sys.stderr)
    text = render()
    if "--check" in argv:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print("gen_api: docs/api.md is stale: run 'python docs/gen_api.py'", file=sys.stderr)
            return 1
        return 1 if found else 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
