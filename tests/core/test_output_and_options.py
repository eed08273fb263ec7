"""peerkit.output and peerkit.options, the helpers every command prints and parses with:
JSON of dates, money and paths; the text table; where --out writes; progress bars only on a
terminal; dates, times and periods from the command line."""
from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from peerkit import options, output
from peerkit.errors import DataError, UsageError


class Tagged:
    def as_json(self):
        return {"tag": "T-1"}


def test_json_of_money_dates_paths_sets_and_records():
    data = {"amount": Decimal("12.50"), "day": dt.date(2026, 11, 25), "at": dt.datetime(2026, 11, 25, 9, 30),
            "time": dt.time(14, 5), "path": Path("notes/2026"), "ids": ("C001", "C002"),
            "one": frozenset({"C003"}), "record": Tagged()}
    assert json.loads(output.to_json(data)) == {
        "amount": "12.50", "day": "2026-11-25", "at": "2026-11-25T09:30:00", "time": "14:05:00",
        "path": "notes/2026", "ids": ["C001", "C002"], "one": ["C003"], "record": {"tag": "T-1"}}
    with pytest.raises(TypeError, match="cannot serialise object"):
        output.to_json({"x": object()})


def test_the_table_aligns_shortens_and_shows_empty_cells():
    text = output.table([("C001", None, dt.date(2026, 11, 2), "line one\nline two"),
                         ("C002", "x" * 70, dt.time(9, 0), 3)], ["id", "name", "day", "note"])
    lines = text.splitlines()
    assert lines[0].split() == ["id", "name", "day", "note"]
    assert lines[2].split() == ["C001", "2026-11-02", "line", "one", "line", "two"]
    assert lines[3].split()[1] == "x" * 57 + "..."
    assert lines[3].split()[2] == "09:00:00"
    assert lines[1].startswith("----  ")
    assert lines[0].index("day") == lines[2].index("2026-11-02") == lines[3].index("09:00:00")


def test_progress_only_on_a_terminal_and_never_under_term_dumb(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    class Closed:
        def isatty(self):
            raise ValueError("I/O operation on closed file")

    monkeypatch.setenv("TERM", "xterm")
    assert output.show_progress(stream=Tty()) is True
    assert output.show_progress(enabled=False, stream=Tty()) is False
    assert output.show_progress(stream=io.StringIO()) is False
    assert output.show_progress(stream=Closed()) is False
    assert output.show_progress(stream=object()) is False
    monkeypatch.setenv("TERM", "dumb")
    assert output.show_progress(stream=Tty()) is False
    with output.progress([1, 2, 3], label="Exporting") as items:  # not a terminal here: the plain items
        assert list(items) == [1, 2, 3]


def test_bytes_and_text_to_stdout():
    @click.command()
    @click.argument("kind")
    def show(kind):
        if kind == "bytes":
            output.write_output(None, b"%PDF-1.7 weekly")
        else:
            output.write_output("-", "plain text\n", "week.txt")

    runner = CliRunner()
    assert runner.invoke(show, ["bytes"]).stdout_bytes == b"%PDF-1.7 weekly"
    assert runner.invoke(show, ["text"]).stdout == "plain text\n"


def test_out_target_refusals_name_the_path(tmp_path):
    assert output.out_target(None, None).path is None
    assert output.out_target("-", "week.txt").path is None
    with pytest.raises(UsageError) as err:
        output.out_target(f"{tmp_path}/", None)
    assert err.value.message == f"--out {tmp_path}/: give a file name, not a folder"
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(DataError, match=r"a-file: is not a folder: choose another --out$"):
        output.out_target(str(a_file / "out.csv"), None)
    with pytest.raises(DataError, match=r"missing: folder does not exist: create it, or choose another --out$"):
        output.out_target(str(tmp_path / "missing" / "out.csv"), None)
    (tmp_path / "week.csv").mkdir()
    with pytest.raises(DataError, match=r"week.csv: is a folder: give a file name$"):
        output.out_target(f"{tmp_path}/", "week.csv")
    into = output.out_target(f"{tmp_path}/new/", "week.csv")
    assert into.path == tmp_path / "new" / "week.csv" and into.into_folder


def test_the_format_follows_the_suffix_or_an_alias():
    formats = ("html", "md", "xlsx")
    assert output.format_for_out("report.htm", None, formats, default="md", aliases={"htm": "html"}) == "html"
    assert output.format_for_out("report.xlsx", None, formats, default="md") == "xlsx"
    assert output.format_for_out("report", None, formats, default="md") == "md"
    assert output.format_for_out("report.xlsx", "html", formats, default="md") == "html"
    with pytest.raises(UsageError) as err:
        output.format_for_out("report.pdf", None, formats, default="md", aliases={"htm": "html", "x": "nope"})
    assert err.value.message == ("--out report.pdf: the suffix '.pdf' names no known format "
                                 "(.htm, .html, .md, .xlsx); rename the file or give --format")


# ------------------------------------------------------------------------------------- options

@click.command()
@click.option("--day", type=options.DATE)
@click.option("--done", type=options.PAST_DATE)
@click.option("--at", type=options.TIME)
@click.option("--id", "record_id", type=options.ID)
def parse(day, done, at, record_id):
    click.echo(json.dumps({"day": str(day), "done": str(done), "at": str(at), "id": record_id}))


@pytest.mark.parametrize("args, why", [
    (["--day", "2026-13-01"], "Invalid value for '--day'"),
    (["--at", "25:99"], "Invalid value for '--at'"),
    (["--done", "2026-12-01"], "2026-12-01 is in the future: give the day it was done"),
    (["--id", "../C001"], "Invalid value for '--id'"),
])
def test_bad_values_are_usage_errors_naming_the_option(monkeypatch, args, why):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    result = CliRunner().invoke(parse, args)
    assert result.exit_code == 2 and why in result.stderr


def test_good_values_and_defaults_that_are_already_parsed(monkeypatch):
    monkeypatch.setenv("PEERKIT_TODAY", "2026-11-25")
    result = CliRunner().invoke(parse, ["--day", "today", "--done", "yesterday", "--at", "09:30", "--id", "C001"])
    assert json.loads(result.stdout) == {"day": "2026-11-25", "done": "2026-11-24", "at": "09:30:00", "id": "C001"}
    assert options.DATE.convert(dt.date(2026, 1, 2), None, None) == dt.date(2026, 1, 2)
    assert options.TIME.convert(dt.time(8, 0), None, None) == dt.time(8, 0)
    assert options.ID.shell_complete(None, None, "C") == []  # an id of no particular kind


def test_a_period_contains_and_describes_its_days():
    week = options.resolve_period("2026-W48", None, None, week_start="monday")
    assert (week.start, week.end, week.given) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29), True)
    assert week.contains(dt.date(2026, 11, 29)) and not week.contains(dt.date(2026, 11, 30))
    assert week.describe() == "2026-11-23..2026-11-29"
    open_end = options.resolve_period(None, dt.date(2026, 11, 1), None)
    assert open_end.describe() == "2026-11-01....." and open_end.contains(dt.date(2030, 1, 1))
    everything = options.resolve_period(None, None, None, all_notes=True)
    assert everything.describe() == "all dates" and everything.given
    assert options.resolve_period(None, None, None).given is False
    assert repr(open_end) == "Period(datetime.date(2026, 11, 1), None, all=False)"


def test_weeks_start_on_monday_outside_a_command():
    assert options.resolve_period("2026-W48", None, None).start == dt.date(2026, 11, 23)


def test_a_broken_workspace_config_leaves_weeks_on_monday(run, ws_path):
    (ws_path / "peerkit.toml").write_text("this is [not toml")
    result = run("note", "list", "--week", "2026-W48", "--json")
    assert result.exit_code == 3  # the command itself reports the broken file
    assert "peerkit.toml" in result.stderr
