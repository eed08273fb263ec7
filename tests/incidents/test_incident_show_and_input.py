"""``peerkit incident show`` as text, and the date-time and flag rules of ``incident add``."""
from __future__ import annotations

import tomllib

import pytest

from tests.conftest import assert_no_traceback


def test_show_as_text_lists_deadlines_marks_and_updates(level3, run):
    assert run("incident", "mark", level3, "reported-supervisor", "--at", "2026-11-25T09:30").exit_code == 0
    assert run("incident", "mark", level3, "updated", "--at", "2026-11-25T09:45").exit_code == 0
    result = run("incident", "show", level3)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "INC-2026-11-24-1  level III  client C001",
        "  occurred 2026-11-24 08:30, learned of 2026-11-24 09:00",
        "  what: Generic fictional event",
        "  actions: Generic fictional actions",
        "  report to the supervisor: due 2026-11-25 09:00, done 2026-11-25 09:30 [done-late]",
        "  verbal notice to the LME/MCO: due 2026-11-25 09:00, not yet [overdue]",
        "  entry in IRIS: due 2026-11-27 09:00, not yet [open]",
        "  update sent 2026-11-25 09:45",
    ]


def test_show_without_actions_leaves_the_line_out(ws_path, run, now):
    assert run("incident", "add", "--level", "I", "--occurred-at", "2026-11-25T08:00", "--learned-at", "now",
               "--client", "C001", "--what", "Generic fictional event").exit_code == 0
    data = tomllib.loads((ws_path / "incidents" / "INC-2026-11-25-1.toml").read_text())
    assert str(data["learned_at"]) == "2026-11-25 10:00:00"  # "now" is PEERKIT_NOW
    lines = run("incident", "show", "INC-2026-11-25-1").stdout.splitlines()
    assert lines[2] == "  what: Generic fictional event"
    assert not any(line.startswith("  actions:") for line in lines)


@pytest.mark.parametrize("value, why", [
    ("2026-11-24T09:00+01:00", "give local wall-clock time without a time zone (2026-11-24T09:00)"),
    ("2026-11-24", "give a time as well as the date (2026-11-24T09:00)"),
    ("yesterday", "'yesterday' is not a date and time: use YYYY-MM-DDTHH:MM (local time) or now"),
])
def test_bad_date_times_are_usage_errors_naming_the_option(ws_path, run, now, value, why):
    before = sorted(p.name for p in (ws_path / "incidents").iterdir())
    result = run("incident", "add", "--level", "II", "--occurred-at", value, "--learned-at", "now",
                 "--client", "C001", "--what", "Generic fictional event")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"Invalid value for '--occurred-at': {why}" in result.stderr
    assert sorted(p.name for p in (ws_path / "incidents").iterdir()) == before


def test_from_and_flags_together_are_refused(ws_path, run, now, tmp_path):
    source = tmp_path / "inc.json"
    source.write_text("[]")
    result = run("incident", "add", "--from", source, "--level", "II")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: give either --from or the flags, not both"


def test_missing_flags_are_named(ws_path, run, now):
    result = run("incident", "add", "--level", "II", "--client", "C001")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: missing --occurred-at, --learned-at, --what "
                                              "(or use --from FILE)")
