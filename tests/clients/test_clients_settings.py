"""The [clients] table of peerkit.toml: every bad value stops what reads it with exit 3 naming
peerkit.toml and the field (never a default silently used instead)."""
from __future__ import annotations

import pytest

from peerkit.errors import DataError
from peerkit.workspace import Workspace
from peerkit_clients import settings
from tests.conftest import assert_no_traceback


def _with_clients_table(ws_path, table: str) -> None:
    cfg = ws_path / "peerkit.toml"
    cfg.write_text(cfg.read_text() + "\n[clients]\n" + table)


def test_the_defaults_and_a_custom_scale(ws_path):
    assert settings.load(Workspace(ws_path)) == settings.Settings()
    _with_clients_table(ws_path, 'min_age = 16\nprogress_scale = ["none", "some", "met"]\n')
    loaded = settings.load(Workspace(ws_path))
    assert (loaded.min_age, loaded.progress_scale) == (16, ("none", "some", "met"))


@pytest.mark.parametrize("table, field, why", [
    ("min_age = -1\n", "clients.min_age", "must not be negative"),
    ("plan_review_months = -12\n", "clients.plan_review_months", "must not be negative"),
    ("review_warn_days = -3\n", "clients.review_warn_days", "must not be negative"),
    ('progress_scale = ["only one"]\n', "clients.progress_scale", "needs at least two labels"),
])
def test_a_bad_value_names_the_field(ws_path, run, table, field, why):
    _with_clients_table(ws_path, table)
    with pytest.raises(DataError, match=f"field '{field}': {why}"):
        settings.load(Workspace(ws_path))
    result = run("note", "check", "--week", "2026-W47")     # the client checks read [clients]
    assert_no_traceback(result)
    assert result.exit_code == 3, result.output
    assert f"field '{field}'" in result.stderr and "peerkit.toml" in result.stderr
