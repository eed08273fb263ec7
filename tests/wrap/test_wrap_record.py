"""The plan record: reading the example, the skeleton of 'wrap new', validation messages."""
from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from peerkit import storage
from peerkit.errors import DataError
from peerkit_wrap import model
from tests.conftest import assert_no_traceback
from tests.wrap.conftest import replace_in


def one_error_line(result) -> str:
    assert_no_traceback(result)
    lines = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_example_plan_reads_complete(ws):
    plan = model.load_plan(ws, "C001")
    d = plan.data
    assert plan.client_name == "Sam Example"
    assert plan.unknown == []
    assert d["written"] == dt.date(2026, 9, 15) and d["reviewed"] == dt.date(2026, 11, 10)
    assert plan.review_due(6) == dt.date(2027, 5, 10)
    for key, _title, parts in [*model.TEXT_SECTIONS, model.POST_CRISIS]:
        for field, _label in parts:
            if (key, field) not in {("toolbox", "to_try")}:
                assert d[key][field], (key, field)
    c = d["crisis"]
    assert [s["phone"] for s in c["supporters"]][0] == "919-555-0142"
    assert [s["may_decide"] for s in c["supporters"]] == [True, False, True, False]
    assert c["medications"]["allergies"] == ["Penicillin (hives and swelling)"]
    assert c["medications"]["avoid"][0] == {"name": "Haloperidol", "dose": "",
                                            "why": "I had a severe muscle reaction in 2019"}
    assert c["facilities"]["preferred"][0]["phone"] == "919-555-0199"
    assert c["tasks"][0]["who"] == "Riley Neighbor"
    assert d["advance_directive"]["exists"] and d["advance_directive"]["registered"]


def test_new_writes_private_commented_skeleton_that_validates(run, ws_path):
    result = run("wrap", "new", "C002")
    assert result.exit_code == 0, result.output
    path = ws_path / "wrap" / "C002.toml"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert text.count("#") > 40  # every section is explained in comments
    assert "WRAP-style" in text and "never write the registry password" in text.lower()
    data = storage.read_toml(path)
    plan = model.plan_from_dict(data, path, expect_id="C002")
    assert plan.data["written"] == dt.date(2026, 11, 25)
    assert plan.data["helped_by"] == ["Jordan Rivera, NC CPSS"]
    assert plan.data["crisis"]["supporters"] == []
    assert run("wrap", "show", "C002").exit_code == 0


def test_new_refuses_to_overwrite(run, plan_path):
    before = plan_path.read_bytes()
    result = run("wrap", "new", "C001")
    assert result.exit_code == 3
    line = one_error_line(result)
    assert "already exists" in line and "wrap edit C001" in line
    assert plan_path.read_bytes() == before


def test_new_refuses_unknown_and_unsafe_clients(run, ws_path):
    result = run("wrap", "new", "C999")
    assert result.exit_code == 3
    assert "unknown client id" in one_error_line(result)
    assert not (ws_path / "wrap" / "C999.toml").exists()
    result = run("wrap", "new", "../C001")
    assert result.exit_code == 2
    assert_no_traceback(result)


def test_error_points_at_the_right_repeated_table(run, plan_path):
    # the 3rd supporter's phone, not the first 'phone =' line of the file
    replace_in(plan_path, 'phone = "919-555-0110 ext. 204"', 'phone = "ring Morgan"')
    lines = plan_path.read_text().splitlines()
    expected = next(i for i, ln in enumerate(lines, 1) if "ring Morgan" in ln)
    result = run("wrap", "show", "C001")
    assert result.exit_code == 3
    line = one_error_line(result)
    assert f"wrap/C001.toml:{expected}:" in line
    assert "crisis.supporters[3].phone" in line
    assert "ring Morgan" not in line


def test_missing_required_name_points_at_its_table(run, plan_path):
    replace_in(plan_path, 'name = "Riley Neighbor"\n', "")
    lines = plan_path.read_text().splitlines()
    headers = [i for i, ln in enumerate(lines, 1) if ln.strip() == "[[crisis.supporters]]"]
    result = run("wrap", "show", "C001")
    assert result.exit_code == 3
    line = one_error_line(result)
    assert f":{headers[3]}:" in line and "crisis.supporters[4].name" in line


@pytest.mark.parametrize("key", ["password", "registry_password", "pin", "passcode"])
def test_a_registry_password_is_never_accepted(run, plan_path, key):
    replace_in(plan_path, 'file_number = "AHCDR-0000-1234"',
               f'file_number = "AHCDR-0000-1234"\n{key} = "hunter2-secret"')
    result = run("wrap", "export", "C001", "--format", "md")
    assert result.exit_code == 3
    line = one_error_line(result)
    assert f"advance_directive.{key}" in line and "password" in line
    assert "hunter2" not in result.output


def test_wrong_types_and_dates_are_named_without_values(run, plan_path):
    replace_in(plan_path, "reviewed = 2026-11-10", "reviewed = 2026-09-01")
    result = run("wrap", "show", "C001")
    assert result.exit_code == 3 and "field 'reviewed': is before 'written'" in one_error_line(result)
    replace_in(plan_path, "reviewed = 2026-09-01", "reviewed = 2026-11-10")
    replace_in(plan_path, 'helps = [\n  "Speak slowly', 'helps = [\n  42,\n  "Speak slowly')
    result = run("wrap", "show", "C001")
    assert result.exit_code == 3
    line = one_error_line(result)
    assert "crisis.helps" in line and "item 1 must be text" in line


def test_client_field_must_match_file(tmp_path, ws):
    path = ws.path("wrap", "C001.toml")
    data = storage.read_toml(path)
    data["client"] = "C002"
    with pytest.raises(DataError, match=r"field 'client': must match the file name \(C001.toml\)"):
        model.plan_from_dict(data, path, expect_id="C001")


def test_plain_text_items_are_accepted_for_named_lists(ws):
    path = ws.path("wrap", "C001.toml")
    data = storage.read_toml(path)
    data["crisis"]["medications"]["avoid"] = ["Lithium", "  "]
    data["crisis"]["not_involved"] = ["Someone Else"]
    plan = model.plan_from_dict(data, path, expect_id="C001")
    assert plan.data["crisis"]["medications"]["avoid"] == [{"name": "Lithium", "dose": "", "why": ""}]
    assert plan.data["crisis"]["not_involved"] == [{"name": "Someone Else", "reason": ""}]


def test_unknown_fields_are_reported_not_dropped_silently(run, plan_path):
    replace_in(plan_path, "[toolbox]\ntools", "[toolbox]\ntool = [\"typo\"]\ntools")
    shown = run("wrap", "show", "C001", "--json")
    assert shown.exit_code == 0
    import json

    assert json.loads(shown.stdout)["unknown_fields"] == ["toolbox.tool"]
    checked = run("wrap", "check", "C001", "--json")
    findings = json.loads(checked.stdout)
    assert [(f["rule"], f["severity"]) for f in findings] == [("unknown-field", "warning")]
    assert "toolbox.tool" in findings[0]["message"]
    assert checked.exit_code == 0  # a warning only


def test_show_text_and_json(run):
    import json

    text = run("wrap", "show", "C001")
    assert text.exit_code == 0
    out = text.stdout
    for heading in ("THINGS THAT HELP ME STAY WELL", "MY CRISIS PLAN, FOR MY SUPPORTERS", "AFTER A CRISIS",
                    "PSYCHIATRIC ADVANCE DIRECTIVE"):
        assert heading in out
    assert "Alex Example: sister, 919-555-0142" in out
    data = json.loads(run("wrap", "show", "C001", "--json").stdout)
    assert data["client"] == "C001" and data["file"] == "wrap/C001.toml"
    assert data["review_due"] == "2027-05-10"
    assert data["plan"]["crisis"]["supporters"][1]["name"] == "Jordan Rivera"
    assert data["plan"]["written"] == "2026-09-15"


def test_add_months_clamps_the_day():
    from peerkit.dates import add_months

    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 11, 10), 14) == dt.date(2028, 1, 10)
    assert add_months(dt.date(2028, 3, 31), -1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 1, 15), -13) == dt.date(2024, 12, 15)


def test_skeleton_blocks_are_valid_once_uncommented(ws):
    """The person uncomments the example blocks of a new plan and fills in names."""
    import re

    text = model.skeleton("C002", dt.date(2026, 11, 25), ["Jordan Rivera"])
    filled = re.sub(r"(?m)^# (\[\[[\w.]+\]\]|\w+ = .*)$", r"\1", text)
    filled = filled.replace('name = ""', 'name = "Someone"').replace('task = ""', 'task = "Something"')
    path = ws.path("wrap", "C002.toml")
    plan = model.plan_from_dict(storage.parse_toml(filled, path), path, expect_id="C002")
    c = plan.data["crisis"]
    assert len(c["supporters"]) == 1 and c["supporters"][0]["may_decide"] is False
    assert len(c["medications"]["avoid"]) == 1 and len(c["facilities"]["avoid"]) == 1
    assert plan.data["reviewed"] == dt.date(2026, 11, 25)
    assert plan.unknown == []


def test_inline_tables_errors_point_at_the_enclosing_line(run, ws_path):
    (ws_path / "wrap" / "C004.toml").write_text(
        'client = "C004"\nwritten = 2026-11-01\n[crisis]\n'
        'supporters = [{name = "A Person", phone = "555-0100"}, {name = "B Person", phone = "no"}]\n')
    result = run("wrap", "check", "C004")
    assert result.exit_code == 3
    assert "wrap/C004.toml:4: field 'crisis.supporters[2].phone'" in one_error_line(result)
