"""docs/api.md is generated from docstrings (docs/gen_api.py): complete and current."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _gen_api():
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "docs" / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_attribute_of_the_plugin_api_is_documented():
    assert _gen_api().problems() == []


def test_api_md_is_current():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert text == _gen_api().render(), "docs/api.md is stale: run 'python docs/gen_api.py'"


def test_an_undocumented_field_is_reported(monkeypatch):
    import dataclasses

    gen = _gen_api()

    @dataclasses.dataclass
    class Thing:
        """A thing.

        Attributes:
            size: how big.
        """

        size: int = 0
        colour: str = ""

        def paint(self):
            pass

    import peerkit.alerts

    monkeypatch.setattr(peerkit.alerts, "Thing", Thing, raising=False)
    monkeypatch.setattr(gen, "CLASSES", [("peerkit.alerts", "Thing")])
    assert gen.problems() == [
        "Thing.colour: not described in the class docstring's Attributes section",
        "Thing.paint: no docstring",
    ]


def test_the_reference_covers_what_plugins_receive():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in ("CheckContext", "Note", "Client", "Invoice", "InvoiceLine", "Workspace", "Alert"):
        assert f"\n## {name}\n" in text
    assert "| `description` |" in text and "Peer support, individual" in text


def test_api_md_lists_the_hooks_of_the_core_and_of_every_publishing_plugin():
    """gen_api.HOOKS names the core's specifications and each peerkit.hookspecs entry point of
    peerkit, so a plugin publishing a new module cannot be left out of the reference."""
    from importlib.metadata import entry_points

    published = sorted((ep.name, ep.value) for ep in entry_points(group="peerkit.hookspecs")
                       if (ep.dist.metadata["Name"] or "").lower() == "peerkit")
    assert [("core", "peerkit.hookspecs"), *published] == _gen_api().HOOKS
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    core = text.split("### Core hooks", 1)[1].split("\n### ", 1)[0]
    assert "| `alerts(workspace, today)` | `collect` |" in core
    assert "invoice_adjust" not in core  # the invoice plugin's, listed under it
    assert "| `invoice_adjust(invoice, workspace)` | `stop` |" in text.split("### Hooks of the invoice plugin", 1)[1]
