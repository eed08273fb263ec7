"""The shape of the code itself (issue 14): no import cycle in the core or in any plugin, and no
function too long to hold in one's head.  Complexity (at most 15) is ruff's C901, configured in
pyproject.toml and run by .ci/run.

Both checks read the source with ``ast``; nothing is imported.  An import inside a function
counts (it is a dependency all the same: the cycle is only hidden until that function runs);
an import under ``if TYPE_CHECKING:`` does not (it never runs).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = [ROOT / "src", ROOT / "plugins"]
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base in SOURCE_ROOTS:
        for path in sorted(base.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every import statement, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _imported(module: str, path: Path) -> set[str]:
    """The project modules ``module`` imports (a package counts as its ``__init__``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in MODULES)
            continue
        if node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        if base in MODULES:
            out.add(base)
        out.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    out.discard(module)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_lazy_imports_and_skips_type_checking(tmp_path):
    source = tmp_path / "peerkit" / "storage.py"
    source.parent.mkdir()
    source.write_text("from typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from peerkit import records\n"
                      "def f():\n    from peerkit import audit\n", encoding="utf-8")
    # "peerkit" too: importing a module of a package runs the package's __init__ first
    assert _imported("peerkit.storage", source) == {"peerkit", "peerkit.audit"}


def test_no_import_cycle_in_the_core_or_any_plugin():
    graph = {name: _imported(name, path) for name, path in MODULES.items()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles (break each: a lower module must not import a higher one):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def _function_lengths(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        first = body[0]
        if (len(body) > 1 and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            first = body[1]                      # the docstring does not count
        assert node.end_lineno is not None
        yield node.name, node.lineno, node.end_lineno - first.lineno + 1


@pytest.mark.parametrize("root", SOURCE_ROOTS, ids=lambda p: p.name)
def test_no_function_longer_than_the_limit(root):
    long = [f"{path.relative_to(ROOT)}:{line} {name}() is {length} lines"
            for path in sorted(root.rglob("*.py")) if "__pycache__" not in path.parts
            for name, line, length in _function_lengths(path) if length > MAX_FUNCTION_LINES]
    assert not long, (f"functions over {MAX_FUNCTION_LINES} lines (split them along the data's steps):\n"
                      + "\n".join(long))


def _module_state(path: Path):
    """Module-level names bound to a mutable container that are not CONSTANT tables, and
    ``global`` statements: state a running command would share with the next one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    containers = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else (
            node.target if isinstance(node, ast.AnnAssign) and node.value is not None else None)
        value = getattr(node, "value", None)
        mutable = isinstance(value, containers) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id in ("set", "dict", "list", "defaultdict", "OrderedDict"))
        name = getattr(target, "id", "")
        if mutable and name != "__all__" and not name.isupper():
            yield node.lineno, name
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            yield node.lineno, "global " + ", ".join(node.names)


def test_the_core_keeps_no_state_at_module_level():
    """What a command learns lives on ``peerkit.session.Session`` (issue 14); a CONSTANT table
    is fine, a lower-case module-level dict, list or set (a cache, a registry) is not."""
    found = [f"{path.relative_to(ROOT)}:{line} {name}" for path in sorted((ROOT / "src" / "peerkit").rglob("*.py"))
             for line, name in _module_state(path)]
    assert not found, "module-level state (put it on the session):\n" + "\n".join(found)
