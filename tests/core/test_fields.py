"""peerkit.validate.Fields, through which every record is read: each wrong type or value is one
DataError naming the file, the line and the field -- and never the value itself (it may be PHI)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from peerkit.errors import DataError
from peerkit.validate import Fields, id_problem

SECRET = "Sam Example"


def problem(data, call) -> str:
    with pytest.raises(DataError) as err:
        call(Fields(data, "clients/C001.toml"))
    assert SECRET not in err.value.message
    assert err.value.exit_code == 3
    return err.value.message


def test_a_record_that_is_not_a_table():
    with pytest.raises(DataError) as err:
        Fields([SECRET], "clients/C001.toml")
    assert err.value.message == "clients/C001.toml: must be a table"


@pytest.mark.parametrize("value, found", [
    (True, "true/false"), (dt.datetime(2026, 11, 25, 9, 0), "a date and time"), (dt.time(9, 0), "a time"),
    (3, "a number"), (2.5, "a decimal number"), ([SECRET], "a list"), ({"name": SECRET}, "a table"),
    (Decimal("1"), "Decimal"),
])
def test_a_wrong_type_names_what_was_found_not_its_value(value, found):
    message = problem({"admitted": value}, lambda f: f.req("admitted", dt.date))
    assert message == f"clients/C001.toml: field 'admitted': expected a date (YYYY-MM-DD, no quotes), found {found}"


def test_true_is_not_a_number_and_a_date_time_is_not_a_date():
    assert problem({"units": True}, lambda f: f.req("units", int)) == (
        "clients/C001.toml: field 'units': expected a whole number, found true/false")
    found = problem({"d": dt.datetime(2026, 1, 1)}, lambda f: f.req("d", dt.date))
    assert found.endswith("field 'd': expected a date (YYYY-MM-DD, no quotes), found a date and time")
    assert Fields({"d": dt.date(2026, 1, 1)}, "x.toml").req("d", dt.date) == dt.date(2026, 1, 1)


def test_text_lists():
    f = Fields({"plan": ["Walk daily", "Call a friend\x07"]}, "x.toml")
    assert f.text_list("plan") == ["Walk daily", "Call a friend"]
    assert f.text_list("absent") == []
    assert problem({"plan": ["ok", 3]}, lambda f: f.text_list("plan")) == (
        "clients/C001.toml: field 'plan': item 2 must be text in quotes")


@pytest.mark.parametrize("data, why", [
    ({}, "is required but missing"),
    ({"rate": 11.97}, 'write money as text in quotes ("11.97"), not a float'),
    ({"rate": True}, 'expected an amount in quotes like "11.97", found true/false'),
    ({"rate": [SECRET]}, 'expected an amount in quotes like "11.97", found a list'),
    ({"rate": "eleven"}, 'expected an amount like "11.97"'),
    ({"rate": "-1"}, 'must be a positive amount like "11.97"'),
    ({"rate": "Infinity"}, 'must be a positive amount like "11.97"'),
])
def test_money_refusals(data, why):
    assert problem(data, lambda f: f.money("rate")) == f"clients/C001.toml: field 'rate': {why}"


def test_money_values():
    f = Fields({"rate": " 11.97 ", "whole": 12}, "x.toml")
    assert f.money("rate") == Decimal("11.97") and f.money("whole") == Decimal("12")
    assert f.money("absent", required=False) is None


def test_a_list_of_tables_names_the_item():
    assert problem({"authorizations": [{"code": "H0038"}, SECRET]}, lambda f: f.table_list("authorizations")) == (
        "clients/C001.toml: field 'authorizations': item 2 must be a table ([[authorizations]])")
    items = Fields({"authorizations": [{"code": 5}]}, "clients/C001.toml").table_list("authorizations")
    with pytest.raises(DataError) as err:
        items[0].req("code", str)
    assert err.value.message == ("clients/C001.toml: field 'authorizations[1].code': expected text in quotes, "
                                 "found a number")


def test_ids():
    assert id_problem("C001") is None
    assert id_problem("") == "must be non-empty text"
    assert id_problem("x" * 65) == "is longer than 64 characters"
    assert id_problem("../C001").startswith("may use only letters")
    assert id_problem("NUL.toml") == "is a reserved device name on Windows; choose another"
