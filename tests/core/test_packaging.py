"""The wheel ships every package: each folder with __init__.py is listed in pyproject.toml."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for init in ROOT.glob("src/**/__init__.py"):
        found.add(".".join(init.parent.relative_to(ROOT / "src").parts))
    for name, folder in config["package-dir"].items():
        if not name:
            continue
        for init in (ROOT / folder).glob("**/__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            if "agency-plugin" in init.parts:
                continue
            found.add(".".join((name, *rel)))
    assert found == listed, f"missing from pyproject packages: {found - listed}; stale: {listed - found}"


def test_every_builtin_plugin_has_an_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    eps = project["entry-points"]["peerkit"]
    plugin_dirs = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    assert {v for v in eps.values()} == plugin_dirs


def test_ci_checks_every_builtin_in_the_wheel():
    """.ci/run's list of built-ins the wheel must hold names every entry point."""
    import re

    eps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["peerkit"]
    ci = (ROOT / ".ci" / "run").read_text()
    listed = set(re.findall(r'"(\w+)"', re.search(r"builtins = \{([^}]*)\}", ci).group(1)))
    assert listed == set(eps)
