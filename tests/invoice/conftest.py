"""Fixtures for invoice tests (helpers live in invoice_helpers.py)."""
from __future__ import annotations

import importlib.util
import sys

import pytest
from invoice_helpers import AGENCY_PLUGIN


@pytest.fixture
def today(monkeypatch):
    def set_today(day: str):
        monkeypatch.setenv("PEERKIT_TODAY", day)
    set_today("2026-11-25")
    return set_today


@pytest.fixture
def agency_plugin():
    """The example agency plugin module, imported from examples/agency-plugin by path."""
    name = "peerkit_agency_example"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, AGENCY_PLUGIN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
