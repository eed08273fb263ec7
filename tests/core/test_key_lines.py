"""Error messages point at the line of the field in its own table, not at the first line
anywhere in the file with a key of that name (storage.key_line with a Fields prefix)."""
import pytest

from peerkit.errors import DataError
from peerkit.storage import key_line
from peerkit.validate import Fields
from peerkit.workspace import Workspace

TEXT = """\
id = "R1"
rate = "11.97"

[provider]
rate = "12.00"
note = "x"

[[lines]]
rate = "1.00"

[[lines]]
rate = 2.5

[[lines]]
code = "H0038"

[crisis]
supporters = [{ name = "A" }, { name = 3 }]
"""


def _line_of(text: str, needle: str, start: int = 0) -> int:
    return text[:text.index(needle, start)].count("\n") + 1


@pytest.fixture
def toml_file(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.mark.parametrize("prefix,key,needle", [
    ("", "rate", 'rate = "11.97"'),             # the root table, not [provider]
    ("provider.", "rate", 'rate = "12.00"'),
    ("lines[2].", "rate", "rate = 2.5"),        # the second [[lines]], not the first
    ("lines[3].", "rate", "[[lines]]\ncode"),   # missing in its table: the table's header
    ("crisis.supporters[2].", "name", "supporters = ["),  # inline: the enclosing key
    ("provider.", "", "[provider]"),
])
def test_key_line_finds_the_key_in_its_own_table(toml_file, prefix, key, needle):
    assert key_line(toml_file, key, prefix) == _line_of(TEXT, needle)


def test_key_line_without_the_table_falls_back_to_the_first_key_anywhere(toml_file):
    assert key_line(toml_file, "note") == _line_of(TEXT, 'note = "x"')
    assert key_line(toml_file, "nowhere") is None


def test_fields_error_names_the_line_in_the_second_array_table(toml_file):
    import tomllib

    f = Fields(tomllib.loads(TEXT), toml_file)
    second = f.table_list("lines")[1]
    assert type(second) is Fields
    with pytest.raises(DataError) as err:
        second.money("rate")
    assert f"r.toml:{_line_of(TEXT, 'rate = 2.5')}: field 'lines[2].rate'" in err.value.message


def test_subclass_readers_reach_nested_tables(toml_file):
    import tomllib

    class Mine(Fields):
        pass

    f = Mine(tomllib.loads(TEXT), toml_file)
    assert type(f.sub("provider")) is Mine and type(f.sub("lines", 1)) is Mine
    assert all(type(t) is Mine for t in f.table_list("lines"))
    assert f.sub("absent").data == {}
    with pytest.raises(DataError, match=r"r.toml:2: field 'rate': expected a table, found text"):
        f.sub("rate")


def test_client_record_error_points_at_the_second_goal(ws):
    # both the client and its goals have an 'id': a duplicate goal id is on the goal's line
    path = ws.path("clients", "C001.toml")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('id = "G2"', 'id = "G1"'), encoding="utf-8")
    line = _line_of(text, 'id = "G2"')
    with pytest.raises(DataError) as err:
        Workspace(ws.root).client("C001")
    assert f"C001.toml:{line}: field 'goals[2].id': is used by another goal" in err.value.message
