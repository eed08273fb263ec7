"""One period vocabulary: --week, --from/--to, --all mean the same on every command that acts
on a set of notes (one decorator, peerkit.options.period_options)."""
from __future__ import annotations

import json

import click
import pytest

from peerkit.cli import cli
from peerkit.options import ALL_HELP, FROM_HELP, TO_HELP, WEEK_HELP

COMMANDS = [("note", "list"), ("note", "check"), ("note", "sign"), ("note", "submit"),
            ("note", "export"), ("note", "render"), ("invoice",)]


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-25T12:00:00")


def _command(ws_path, path):
    ctx = click.Context(cli, info_name="peerkit", obj=None)
    ctx.params = {"workspace": str(ws_path)}
    cmd = cli
    for name in path:
        cmd = cmd.get_command(ctx, name)
        ctx = click.Context(cmd, parent=ctx, info_name=name)
    return cmd


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_set_command_has_the_same_four_options(ws_path, path):
    options = {p.name: p for p in _command(ws_path, path).params}
    assert options["week"].opts == ["--week"] and options["week"].help == WEEK_HELP
    assert options["date_from"].opts == ["--from"] and options["date_from"].help == FROM_HELP
    assert options["date_to"].opts == ["--to"] and options["date_to"].help == TO_HELP
    assert options["all_notes"].opts == ["--all"] and options["all_notes"].help == ALL_HELP


def _ids(run, *args):
    result = run("note", "list", *args, "--json")
    assert result.exit_code == 0, result.output
    return [n["id"] for n in json.loads(result.stdout)]


def test_week_equals_its_days_and_all_is_everything(run):
    week = _ids(run, "--week", "2026-W47")
    assert week == _ids(run, "--from", "2026-11-16", "--to", "2026-11-22")
    assert len(week) == 10 and all("2026-11-16" <= i[2:12] <= "2026-11-22" for i in week)
    assert _ids(run, "--week", "last") == week          # today is 2026-11-25 (W48)
    assert len(_ids(run, "--all")) == 25 == len(_ids(run))
    assert _ids(run, "--from", "2026-11-24") == ["N-2026-11-24-C004-1"]


@pytest.mark.parametrize("args", [["--week", "last", "--from", "2026-11-01"],
                                  ["--all", "--week", "last"], ["--all", "--to", "2026-11-01"],
                                  ["--from", "2026-11-20", "--to", "2026-11-10"],
                                  ["--week", "2026-W99"]])
@pytest.mark.parametrize("path", [("note", "list"), ("note", "check"), ("invoice", "--preview")])
def test_conflicting_or_bad_periods_are_usage_errors(run, path, args):
    result = run(*path, *args)
    assert result.exit_code == 2, result.output


def test_sign_a_week_of_drafts(run, ws_path):
    result = run("note", "sign", "--week", "this", "--json")
    data = json.loads(result.stdout)
    # the week's only draft is missing elements: refused, nothing else touched
    assert list(data["refused"]) == ["N-2026-11-24-C004-1"] and data["signed"] == []
    assert result.exit_code == 1
    nothing = run("note", "sign", "--week", "2026-W40", "--json")
    assert nothing.exit_code == 0 and json.loads(nothing.stdout)["signed"] == []
    assert run("note", "sign").exit_code == 2


def test_sign_by_period_signs_only_drafts_in_it(run, ws_path):
    add = run("note", "add", "--client", "C002", "--date", "2026-11-25", "--start", "09:00",
              "--end", "09:30", "--place", "office", "--location", "Agency office", "--goal", "G1",
              "--purpose", "Work on the plan goal.", "--intervention", "Shared my own experience of the same steps.",
              "--response", "Engaged and set a next step.", "--plan", "Meet next week.", "--json")
    assert add.exit_code == 0, add.output
    new_id = json.loads(add.stdout)[0]["id"]
    result = run("note", "sign", "--from", "2026-11-25", "--json")
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in json.loads(result.stdout)["signed"]] == [new_id]
    assert 'status = "signed"' in (ws_path / "notes" / "2026" / "11" / f"{new_id}.toml").read_text()
    assert 'status = "draft"' in (ws_path / "notes" / "2026" / "11" / "N-2026-11-24-C004-1.toml").read_text()


def test_submit_a_period(run, ws_path):
    result = run("note", "submit", "--from", "2026-11-21", "--to", "2026-11-23")
    assert result.exit_code == 0, result.output
    for nid in ("N-2026-11-21-C003-2", "N-2026-11-23-C001-1"):
        assert 'status = "submitted"' in (ws_path / "notes" / "2026" / "11" / f"{nid}.toml").read_text()


def test_check_a_week(run):
    result = run("note", "check", "--week", "this", "--json")
    assert {f["note"] for f in json.loads(result.stdout)} == {"N-2026-11-24-C004-1"}


def test_export_a_week(run, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "review.xlsx"
    result = run("note", "export", "--week", "2026-W47", "--status", "all", "--out", out)
    assert result.exit_code == 0, result.output
    assert "10 note(s)" in result.stderr
    text = " ".join(str(c.value) for ws in load_workbook(out).worksheets for row in ws.iter_rows()
                    for c in row if c.value)
    assert "N-2026-11-16-C001-1" in text and "N-2026-11-13-C004-1" not in text


def test_render_a_period_to_a_folder(run, tmp_path):
    folder = tmp_path / "rendered"
    result = run("note", "render", "--week", "2026-W47", "--format", "html", "--out", folder)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 10 and written[0] == "N-2026-11-16-C001-1.html"
    assert result.stdout.splitlines() == [str(folder / n) for n in
                                          sorted(written, key=lambda n: result.stdout.index(n))]
    assert "<html" in (folder / written[0]).read_text()
    assert run("note", "render", "--week", "2026-W47").exit_code == 2          # needs --out DIR
    assert run("note", "render", "N-2026-11-16-C001-1", "--all", "--out", folder).exit_code == 2


def test_invoice_all_bills_everything_uninvoiced(run):
    result = run("invoice", "--all", "--preview", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["period"] == {"start": "2026-11-02", "end": "2026-11-25"}
    week = json.loads(run("invoice", "--week", "2026-W47", "--preview", "--format", "json").stdout)
    assert week["period"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert data["total_units"] > week["total_units"]
