"""Branches of the record rules on their own: schedule recurrence, record validation, the
merge of an imported duplicate, and HSDS/Ohana import details (fictional data only)."""
import datetime as dt

import pytest

from peerkit.errors import DataError
from peerkit_resources import directory, hsds, model
from peerkit_resources import schedule as sched

D = dt.date


# ---------------------------------------------------------------------------- recurrence


@pytest.mark.parametrize("row,day,expected", [
    # monthly on the 1st and the last day of the month
    ({"freq": "MONTHLY", "bymonthday": "1,-1"}, D(2026, 2, 28), True),
    ({"freq": "MONTHLY", "bymonthday": "1,-1"}, D(2026, 2, 1), True),
    ({"freq": "MONTHLY", "bymonthday": "1,-1"}, D(2026, 2, 27), False),
    # a month day or a weekday: either matches
    ({"freq": "MONTHLY", "bymonthday": "15", "byday": "-1FR"}, D(2026, 11, 27), True),
    ({"freq": "MONTHLY", "bymonthday": "15", "byday": "-1FR"}, D(2026, 11, 20), False),
    # first Saturday, on a Saturday that is not the first
    ({"freq": "MONTHLY", "byday": "1SA"}, D(2026, 11, 14), False),
    ({"freq": "MONTHLY", "byday": "1SA"}, D(2026, 11, 7), True),
    ({"freq": "MONTHLY", "byday": "1SA"}, D(2026, 11, 8), False),      # the first Sunday
    # every other month from dtstart, neither days nor weekdays: the day of dtstart
    ({"freq": "MONTHLY", "interval": 2, "dtstart": D(2026, 1, 10)}, D(2026, 3, 10), True),
    ({"freq": "MONTHLY", "interval": 2, "dtstart": D(2026, 1, 10)}, D(2026, 4, 10), False),
    ({"freq": "MONTHLY", "interval": 2, "dtstart": D(2026, 1, 10)}, D(2026, 3, 11), False),
    ({"freq": "MONTHLY"}, D(2026, 3, 11), False),                      # no rule at all: never
    # before dtstart: not yet
    ({"freq": "WEEKLY", "byday": "MO", "dtstart": D(2026, 11, 30)}, D(2026, 11, 23), False),
    # every other week from dtstart's week
    ({"freq": "WEEKLY", "byday": "TU", "interval": 2, "dtstart": D(2026, 11, 2)}, D(2026, 11, 17), True),
    ({"freq": "WEEKLY", "byday": "TU", "interval": 2, "dtstart": D(2026, 11, 2)}, D(2026, 11, 10), False),
    # weekly without days: every day, or dtstart's weekday when the interval is more than 1
    ({"freq": "WEEKLY"}, D(2026, 11, 25), True),
    ({"freq": "WEEKLY", "interval": 2, "dtstart": D(2026, 11, 2)}, D(2026, 11, 16), True),
    ({"freq": "WEEKLY", "interval": 2, "dtstart": D(2026, 11, 2)}, D(2026, 11, 17), False),
    # validity and until
    ({"byday": "WE", "valid_from": D(2026, 12, 1)}, D(2026, 11, 25), False),
    ({"byday": "WE", "valid_to": D(2026, 11, 1)}, D(2026, 11, 25), False),
    ({"byday": "WE", "until": D(2026, 11, 24)}, D(2026, 11, 25), False),
    ({"byday": "WE", "valid_from": D(2026, 11, 1), "valid_to": D(2026, 11, 30)}, D(2026, 11, 25), True),
])
def test_day_matches(row, day, expected):
    assert sched.day_matches(row, day) is expected


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize("schedule,field,fix", [
    ({"byday": "MO,XX"}, "byday", 'expected days like "MO,TU,WE"'),
    ({"bymonthday": "1,40"}, "bymonthday", 'expected days of the month like "1,15"'),
    ({"opens_at": "09:00"}, "closes_at", "give both opens_at and closes_at"),
    ({"closes_at": "17:00"}, "opens_at", "give both opens_at and closes_at"),
    ({"valid_from": "2026-12-01", "valid_to": "2026-11-01"}, "valid_to", "is before 'valid_from'"),
    ({"interval": 0}, "interval", "must be 1 or more"),
    ({"id": "not-a-uuid"}, "id", "must be a UUID"),
])
def test_invalid_schedule_names_field_and_fix(schedule, field, fix):
    with pytest.raises(DataError) as info:
        model.validate({"name": "Eastside Pantry", "schedules": [schedule]}, "resources/eastside.toml")
    message = str(info.value)
    assert "resources/eastside.toml" in message and field in message and fix in message


def test_invalid_address_country_names_the_field():
    record = {"name": "Eastside Pantry", "address": {"address_1": "1 Mill St", "city": "Millbrook",
                                                    "state": "NC", "postal_code": "27340", "country": "USA"}}
    with pytest.raises(DataError, match="country.*two-letter country code"):
        model.validate(record, "resources/eastside.toml")


def test_valid_schedule_is_normalised():
    out = model.validate({"name": "Eastside Pantry", "schedules": [
        {"byday": "mo,we", "opens_at": "9am", "closes_at": "13:00", "interval": 1,
         "id": "AAAAAAAA-1111-4111-8111-111111111111", "bymonthday": ""}]}, "r.toml")
    assert out["schedules"] == [{"freq": "WEEKLY", "byday": "MO,WE", "opens_at": dt.time(9),
                                 "closes_at": dt.time(13), "interval": 1,
                                 "id": "aaaaaaaa-1111-4111-8111-111111111111"}]


# ---------------------------------------------------------------------------- merging


def test_merge_fills_only_what_the_target_lacks():
    target = {"name": "Eastside Pantry", "description": "Groceries", "categories": ["Food Pantry"],
              "phones": [{"number": "919-555-0101", "type": "voice"}],
              "schedules": [{"freq": "WEEKLY", "byday": "MO", "opens_at": dt.time(9), "closes_at": dt.time(12),
                             "id": "11111111-1111-4111-8111-111111111111"}],
              "hsds": {"service": "22222222-2222-4222-8222-222222222222"}, "last_verified": D(2026, 1, 5),
              "verified_by": "Jordan Rivera"}
    incoming = {"name": "Eastside Pantry", "description": "Other words", "email": "help@example.org",
                "categories": ["food pantry", "Free Meals"], "languages": ["Spanish"],
                "address": {"address_1": "1 Mill St", "city": "Millbrook", "state": "NC", "postal_code": "27340"},
                "free": True,
                "phones": [{"number": "(919) 555-0101", "type": "voice"}, {"number": "919-555-0199", "type": "fax"}],
                "schedules": [{"freq": "WEEKLY", "byday": "TU", "id": "11111111-1111-4111-8111-111111111111"},
                              {"freq": "WEEKLY", "byday": "MO", "opens_at": dt.time(9), "closes_at": dt.time(12)},
                              {"freq": "WEEKLY", "byday": "TH", "opens_at": dt.time(14), "closes_at": dt.time(16)}],
                "hsds": {"service": "33333333-3333-4333-8333-333333333333",
                         "location": "44444444-4444-4444-8444-444444444444"},
                "last_verified": D(2026, 3, 1), "verified_by": "Sam Lee"}
    assert directory.merge_into(target, incoming) is True
    assert target["description"] == "Groceries"                  # kept
    assert target["email"] == "help@example.org"                 # filled
    assert target["categories"] == ["Food Pantry", "Free Meals"]  # same name in other case not repeated
    assert target["languages"] == ["Spanish"]
    assert target["address"]["city"] == "Millbrook" and target["free"] is True
    assert [p["number"] for p in target["phones"]] == ["919-555-0101", "919-555-0199"]   # same digits once
    assert [s["byday"] for s in target["schedules"]] == ["MO", "TH"]   # same id, same rule: not added
    assert target["hsds"] == {"service": "22222222-2222-4222-8222-222222222222",
                              "location": "44444444-4444-4444-8444-444444444444"}
    assert (target["last_verified"], target["verified_by"]) == (D(2026, 3, 1), "Sam Lee")


def test_merge_of_nothing_new_changes_nothing():
    target = {"name": "Eastside Pantry", "email": "help@example.org", "free": False,
              "last_verified": D(2026, 3, 1), "verified_by": "Jordan Rivera"}
    incoming = {"name": "Eastside Pantry", "email": "other@example.org", "free": True,
                "last_verified": D(2026, 1, 1), "verified_by": "Sam Lee"}
    before = dict(target)
    assert directory.merge_into(target, incoming) is False
    assert {k: v for k, v in target.items() if k != "hsds"} == before


# ---------------------------------------------------------------------------- HSDS and Ohana import


def _read(obj):
    src = hsds.Source(None, "hsds-json")
    hsds.read_json_obj(src, obj, "in.json")
    return src


def test_json_top_level_list_and_organization_without_services():
    src = _read([{"name": "Eastside Pantry", "status": "active"},
                 {"name": "Millbrook Council", "website": "https://example.org",
                  "locations": [{"id": "loc-1"}, {"name": "Annex"}]}])
    assert [where for where, _ in src.services] == ["in.json item 1"]
    assert src.locations == {"loc-1", "Annex"}
    assert src.skipped == [{"where": "in.json item 2",
                            "reason": "an organization without services (peerkit keeps services)"}]


def test_json_kinds_that_are_not_resources_are_skipped_with_why():
    src = _read([{"version": "3.0", "openapi_url": "https://example.org/openapi.json"},
                 {"id": "t1", "code": "101", "parent_id": "100", "name": "Food"}, {"other": 1}])
    assert [s["reason"] for s in src.skipped] == [
        "API information (version, profile), not a resource", "a taxonomy term, not a resource",
        "not an HSDS service, organization, service_at_location or list page"]


def test_assurer_email_becomes_verified_by():
    [raw] = hsds.service_to_raw({"name": "Eastside Pantry", "assured_date": "2026-10-01T12:00:00Z",
                                 "assurer_email": "checker@example.org", "fees_description": "Free"}, "in.json")
    assert (raw["last_verified"], raw["verified_by"], raw["free"]) == ("2026-10-01", "checker@example.org", True)


def test_legacy_schedule_with_an_unknown_weekday_keeps_no_day():
    out = hsds.legacy_to_v3({"regular_schedules": [(2, {"weekday": "Funday", "opens_at": "09:00"}),
                                                   (3, {"weekday": "Tuesday", "opens_at": "09:00"})]})
    assert [r["byday"] for _, r in out["schedules"]] == ["", "TU"]


def test_ohana_phone_prefix_and_unknown_weekday(tmp_path):
    tables = {
        "organizations": [(2, {"id": "1", "name": "Millbrook Council"})],
        "locations": [(2, {"id": "10", "organization_id": "1", "name": "Main"})],
        "services": [(2, {"id": "100", "location_id": "10", "name": "Eastside Pantry"})],
        "phones": [(2, {"service_id": "100", "number": "919 555 0101", "country_prefix": "1"}),
                   (3, {"service_id": "100", "number": "919 555 0199", "contact_id": "7"})],
        "regular_schedules": [(2, {"service_id": "100", "weekday": "Someday", "opens_at": "09:00",
                                   "closes_at": "12:00"})],
    }
    src = hsds.Source(tmp_path, "ohana-csv")
    hsds.ohana_to_services(src, tmp_path, tables)
    [(_, svc)] = src.services
    assert [p["number"] for p in svc["phones"]] == ["+1 919 555 0101"]     # a contact's phone is left out
    assert svc["schedules"][0]["byday"] == ""
    assert svc["organization"]["name"] == "Millbrook Council"
