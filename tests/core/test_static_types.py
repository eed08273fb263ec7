"""The public typing contract (issue 14): ``hookimpl``/``hookspec`` keep pluggy's marker types,
so a decorated hook keeps its own signature, and peerkit's click option decorators keep the
command's. Checked by running mypy on a small plugin module."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

PLUGIN = '''
import click

from peerkit import hookimpl
from peerkit.hookspecs import hookspec
from peerkit.options import json_option, out_option


@hookimpl
def template_dirs() -> list[str]:
    return []


@click.command()
@json_option
@out_option
def export(as_json: bool, out: str | None) -> None:
    pass


@json_option
def listing(as_json: bool) -> int:
    return 0


reveal_type(hookimpl)
reveal_type(hookspec)
reveal_type(template_dirs)
reveal_type(export)
reveal_type(listing)
'''


def test_hook_markers_and_option_decorators_keep_types(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "typed_plugin.py"
    module.write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    # the editable install's import hook is invisible to mypy: point it at the source
    monkeypatch.setenv("MYPYPATH", str(Path(__file__).resolve().parents[2] / "src"))
    stdout, stderr, status = api.run([
        "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
        "--config-file", "", "--follow-imports", "silent", "--python-version", "3.11",
        str(module)])
    notes = [line.split("Revealed type is ", 1)[1] for line in stdout.splitlines() if "Revealed type" in line]
    assert notes == ['"pluggy._decorators.HookimplMarker"', '"pluggy._decorators.HookspecMarker"',
                     '"def () -> list[str]"', '"click.core.Command"',
                     '"def (as_json: bool) -> int"'], stdout + stderr
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert errors == [], stdout
