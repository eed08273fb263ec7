"""Search: ranking with reasons, every filter, open-at across midnight, and the verified index."""
import datetime as dt
import json
import os
import time

import pytest

from peerkit_resources import search


def slugs(result):
    assert result.exit_code == 0, result.output
    return [h["slug"] for h in json.loads(result.output)]


def test_name_and_category_rank_before_description(ws):
    hits = search.run_search(ws, search.Query(words=["food"]))
    found = [h.entry["slug"] for h in hits]
    assert found[0] == "millbrook-community-food-pantry"          # name match first
    assert found[1] == "haw-river-dss-family-children"            # category 'Food Benefits'
    assert hits[0].why == ["name matches 'food'"]
    assert hits[1].why == ["category 'Food Benefits' matches 'food'"]
    assert hits[0].score > hits[1].score


def test_description_match_is_last_and_says_so(ws):
    hits = search.run_search(ws, search.Query(words=["wifi"]))
    assert [h.entry["slug"] for h in hits] == ["millbrook-public-library"]
    assert hits[0].why == ["description mentions 'wifi'"]


def test_every_word_must_match(ws):
    assert search.run_search(ws, search.Query(words=["food", "spanish", "nothingmatches"])) == []


def test_open_at_crossing_midnight_plain_function(ws):
    # the crisis line is open 19:00-07:00 every night
    wed_2am = dt.datetime(2026, 11, 25, 2, 0)
    hits = search.run_search(ws, search.Query(at=wed_2am))
    assert [h.entry["slug"] for h in hits] == ["haw-river-crisis-line"]
    assert hits[0].open is True and hits[0].why == ["open Wed 02:00"]
    # 18:00: the crisis line has not opened yet, the library is open
    six_pm = search.run_search(ws, search.Query(at=dt.datetime(2026, 11, 24, 18, 0)))
    assert "haw-river-crisis-line" not in [h.entry["slug"] for h in six_pm]
    assert "millbrook-public-library" in [h.entry["slug"] for h in six_pm]


def test_open_at_on_a_closed_day(ws):
    # Wednesday 11:00: the food pantry (Tue/Thu) is closed, the library is open
    hits = [h.entry["slug"] for h in search.run_search(ws, search.Query(words=["pantry"],
                                                                        at=dt.datetime(2026, 11, 25, 11, 0)))]
    assert hits == []
    tue = [h.entry["slug"] for h in search.run_search(ws, search.Query(words=["pantry"],
                                                                       at=dt.datetime(2026, 11, 24, 11, 0)))]
    assert tue == ["millbrook-community-food-pantry"]


def test_cli_open_at_crossing_midnight(run):
    assert slugs(run("resources", "search", "--open-at", "sun 23:30", "--json")) == ["haw-river-crisis-line"]
    assert slugs(run("resources", "search", "crisis", "--open-at", "mon 06:59", "--json")) == ["haw-river-crisis-line"]
    assert slugs(run("resources", "search", "crisis", "--open-at", "mon 07:00", "--json")) == []


def test_cli_open_at_closed_day(run):
    # the Social Security office is closed on Saturday; the YMCA is open
    found = slugs(run("resources", "search", "--open-at", "sat 11:00", "--json"))
    assert "ssa-millbrook" not in found
    assert "cedar-ford-ymca" in found
    assert "recovery-circle-peer-support-group" in found      # Saturday meeting 10:00-11:30
    assert "recovery-circle-peer-support-group" not in slugs(run("resources", "search", "--open-at", "sat 11:30",
                                                                 "--json"))
    assert slugs(run("resources", "search", "social", "--open-at", "sat 11:00", "--json")) == []


def test_cli_open_now_uses_peerkit_now(run, monkeypatch):
    monkeypatch.setenv("PEERKIT_NOW", "2026-11-26T17:00:00")  # Thursday 17:00
    found = slugs(run("resources", "search", "pantry", "--open-now", "--json"))
    assert found == ["millbrook-community-food-pantry"]


def test_cli_category_includes_terms_under_it(run):
    found = slugs(run("resources", "search", "--category", "Housing", "--json"))
    assert set(found) == {"haw-river-housing-authority", "cedar-ford-supportive-housing"}
    exact = run("resources", "search", "--category", "food pantry", "--json")
    assert slugs(exact) == ["millbrook-community-food-pantry"]
    assert json.loads(exact.output)[0]["why"] == ["category 'Food Pantry'"]


def test_cli_agency_category(run):
    assert slugs(run("resources", "search", "--category", "Warm Line", "--json")) == ["haw-river-crisis-line"]


def test_cli_county_zip_language_free(run, ws_path):
    assert len(slugs(run("resources", "search", "--county", "haw river", "--json"))) == 9
    assert slugs(run("resources", "search", "--county", "Orange County", "--json")) == []
    cedar = slugs(run("resources", "search", "--zip", "27341", "--json"))
    assert set(cedar) == {"cedar-ford-ymca", "cedar-ford-supportive-housing"}
    viet = slugs(run("resources", "search", "--language", "Vietnamese", "--json"))
    assert viet == ["haw-river-dss-family-children"]
    es = set(slugs(run("resources", "search", "--language", "es", "--json")))
    assert "haw-river-dss-family-children" in es and "cedar-ford-ymca" not in es
    free = set(slugs(run("resources", "search", "--free", "--json")))
    assert "cedar-ford-ymca" not in free and "cedar-ford-supportive-housing" not in free
    assert "millbrook-community-food-pantry" in free


def test_cli_search_text_output_and_no_match(run):
    result = run("resources", "search", "food", "--zip", "27340")
    assert result.exit_code == 0
    assert "millbrook-community-food-pantry" in result.output and "name matches 'food'" in result.output
    none = run("resources", "search", "zzzz")
    assert none.exit_code == 0 and "No resource matches" in none.output


def test_cli_search_bad_open_at_is_usage_error(run):
    result = run("resources", "search", "--open-at", "whenever")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_search_never_writes(run, ws_path):
    before = sorted(os.listdir(ws_path / "resources"))
    run("resources", "search", "food")
    assert sorted(os.listdir(ws_path / "resources")) == before
    assert not (ws_path / "resources" / ".index.sqlite").exists()


def _age_index(path, seconds=10):
    """Pretend the index was written later than every file (past the racy window)."""
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = ? WHERE key = 'written_ns'", (str(time.time_ns() + seconds * 10**9),))
    con.commit()
    con.close()


def test_index_is_written_by_changes_and_never_used_stale(run, ws_path, ws):
    assert run("resources", "reindex").exit_code == 0
    index_file = ws_path / "resources" / ".index.sqlite"
    assert index_file.exists() and oct(index_file.stat().st_mode & 0o777) == "0o600"
    _age_index(index_file)
    assert search.load_index(ws).reparsed == 0
    assert search.candidates(ws, search.Query(words=["pantry"]))[1] == 0
    # a hand edit of one file, same size, same second: still seen (inode/mtime/racy rule)
    path = ws_path / "resources" / "millbrook-community-food-pantry.toml"
    text = path.read_text().replace('name = "Millbrook Community Food Pantry"',
                                    'name = "Millbrook Community Food Larder"')
    path.write_text(text)
    assert search.load_index(ws).reparsed == 1
    entries, reparsed = search.candidates(ws, search.Query(words=["larder"]))
    assert reparsed == 1
    hits = search.run_search(ws, search.Query(words=["larder"]))
    assert [h.entry["slug"] for h in hits] == ["millbrook-community-food-pantry"]
    names = [h.entry["name"] for h in search.run_search(ws, search.Query(words=["pantry"]))]
    assert names == ["Millbrook Community Food Larder"]          # the old name is gone
    # a removed file disappears even though the index still has it
    (ws_path / "resources" / "cedar-ford-ymca.toml").unlink()
    assert "cedar-ford-ymca.toml" not in search.load_index(ws).entries
    assert search.run_search(ws, search.Query(words=["ymca"])) == []
    # the next change rewrites the index
    assert run("resources", "verify", "ssa-millbrook").exit_code == 0
    _age_index(index_file)
    assert search.load_index(ws).reparsed == 0
    assert [h.entry["slug"] for h in search.run_search(ws, search.Query(words=["larder"]))] == \
        ["millbrook-community-food-pantry"]


def test_sql_prefilter_and_python_agree(ws, run):
    assert run("resources", "reindex").exit_code == 0
    _age_index(ws.path("resources", ".index.sqlite"))
    everything = list(search.load_index(ws).entries.values())
    queries = [search.Query(words=["food"]), search.Query(words=["peer", "support"]),
               search.Query(county="haw river county", zip="2734", language="es", free=True),
               search.Query(category="Housing"), search.Query(words=["mill"], include_inactive=True),
               search.Query(at=dt.datetime(2026, 11, 25, 2, 0)),
               search.Query(at=dt.datetime(2026, 11, 24, 12, 59, 30)),   # pantry closes 13:00
               search.Query(at=dt.datetime(2026, 11, 24, 13, 0)),
               search.Query(at=dt.datetime(2026, 11, 29, 23, 59, 59)),
               search.Query(at=dt.datetime(2026, 11, 30, 6, 59)),        # crisis line, crossing midnight
               search.Query(at=dt.datetime(2026, 12, 5, 10, 30)),        # first Saturday (YMCA, monthly)
               search.Query(category="Food", at=dt.datetime(2026, 11, 26, 18, 0), words=["millbrook"])]
    for q in queries:
        via_sql = [(h.entry["slug"], h.score, h.why) for h in search.run_search(ws, q)]
        plain = [(h.entry["slug"], h.score, h.why) for h in search.search(everything, q)]
        assert via_sql == plain and search.candidates(ws, q)[1] == 0


def test_index_entry_not_trusted_when_written_in_the_same_tick(ws, ws_path):
    path = ws_path / "resources" / "cedar-ford-ymca.toml"
    path.write_text(path.read_text())           # modified just now
    with ws.lock():
        search.write_index(ws)
    # a file modified within RACY_NS of the index write is parsed again; the others are trusted
    index = search.load_index(ws)
    assert index.reparsed == 1 and len(index.entries) == 9


def test_corrupt_index_is_ignored(ws, ws_path):
    (ws_path / "resources" / ".index.sqlite").write_text("not a database")
    assert len(search.load_index(ws).entries) == 9
    assert len(search.run_search(ws, search.Query(words=["food"]))) == 2


def test_broken_record_is_a_clear_error(run, ws_path):
    (ws_path / "resources" / "broken.toml").write_text('name = "x"\n[[phones]]\ntype = "voice"\n')
    result = run("resources", "search", "food")
    assert result.exit_code == 3
    assert "broken.toml" in result.output and "phones[1].number" in result.output
    assert "Traceback" not in result.output


def test_stale_same_with_and_without_index(ws, run):
    from peerkit_resources import directory

    day = dt.date(2026, 11, 25)
    without = directory.stale(ws, day, 60)
    assert run("resources", "reindex").exit_code == 0
    _age_index(ws.path("resources", ".index.sqlite"))
    assert directory.stale(ws, day, 60) == without
    assert [i["slug"] for i in without] == ["cedar-ford-supportive-housing", "haw-river-housing-authority"]


# ---------------------------------------------------------------------------- issue 20


@pytest.mark.parametrize("command", [("resources", "search"), ("resources", "list")])
def test_unknown_category_is_refused_with_the_nearest_suggested(run, command):
    result = run(*command, "--category", "Housng")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "No resource matches" not in result.output
    assert "--category 'Housng': unknown category; did you mean 'Housing'" in result.output
    far = run(*command, "--category", "Typo", "--json")
    assert far.exit_code == 2 and "unknown category; did you mean" in far.output


def test_known_category_any_case_still_searches(run):
    result = run("resources", "search", "--category", "food pantry", "--json")
    assert result.exit_code == 0, result.output
    assert [h["slug"] for h in json.loads(result.stdout)] == ["millbrook-community-food-pantry"]


def test_add_suggests_the_nearest_category_too(run):
    result = run("resources", "add", "--name", "Test Place", "--category", "Housng", "--phone", "919-555-0100")
    assert result.exit_code == 2 and "did you mean 'Housing'" in result.output
