"""Property tests (hypothesis): records round-trip; no input to the loaders gives a traceback."""
import contextlib
import datetime as dt
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerkit import storage
from peerkit.errors import DataError, PeerkitError
from peerkit.records import Authorization, Client, Goal, Note, client_from_dict, note_from_dict

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True).filter(
    lambda s: s.split(".")[0].lower() not in {"con", "prn", "aux", "nul"})
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf")), max_size=200).map(
    lambda s: __import__("unicodedata").normalize("NFC", s))
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


@st.composite
def notes(draw):
    start_min = draw(st.integers(0, 22 * 60))
    length = draw(st.integers(1, 60 * 23 - start_min if start_min < 60 * 23 else 1))
    end_min = min(start_min + length, 23 * 60 + 59)
    return Note(
        id=draw(ids), client="C001", date=draw(dates),
        start=dt.time(start_min // 60, start_min % 60), end=dt.time(end_min // 60, end_min % 60),
        code="H0038", modifier=draw(st.sampled_from(["", "HQ"])), group_size=draw(st.integers(0, 12)),
        place=draw(st.sampled_from(["home", "community", "office"])), location=draw(text),
        goals=draw(st.lists(ids, max_size=3)), purpose=draw(text), intervention=draw(text),
        response=draw(text), plan=draw(text),
        status=draw(st.sampled_from(["draft", "signed", "approved"])), late_entry=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=notes())
def test_notes_round_trip_through_toml(tmp_path, note):
    if note.end <= note.start:
        return
    path = tmp_path / f"{note.id}.toml"
    storage.write_toml(path, note.to_dict())
    back = note_from_dict(storage.read_toml(path), path, expect_id=note.id)
    for field in ("id", "client", "date", "start", "end", "code", "modifier", "group_size", "place",
                  "location", "goals", "purpose", "intervention", "response", "plan", "status",
                  "late_entry"):
        assert getattr(back, field) == getattr(note, field), field


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=text.filter(lambda s: s.strip()), units=st.integers(0, 10_000), start=dates,
       days=st.integers(0, 400), goal_text=text.filter(lambda s: s.strip()))
def test_clients_round_trip_and_edits_keep_other_fields(tmp_path, name, units, start, days, goal_text):
    c = Client(id="C001", name=name, authorizations=[Authorization("H0038", "", units, start,
                                                                   start + dt.timedelta(days=days), 5.0)],
               goals=[Goal("G1", goal_text)])
    path = tmp_path / "C001.toml"
    storage.write_toml(path, c.to_dict())
    back = client_from_dict(storage.read_toml(path), path)

    def lf(s):
        return s.replace("\r\n", "\n").replace("\r", "\n")

    assert (back.name, back.authorizations, back.goals[0].text) == (lf(c.name), c.authorizations, lf(c.goals[0].text))
    with storage.edit_toml(path) as doc:
        doc["record_number"] = "MR-1"
    again = client_from_dict(storage.read_toml(path), path)
    assert again.record_number == "MR-1" and again.name == back.name and again.goals == back.goals


toml_ish = st.text(alphabet=string.printable + "é\u202e\ufeff", max_size=300)


@settings(max_examples=400, deadline=None)
@given(source=toml_ish)
def test_the_toml_loader_never_raises_anything_but_data_error(source):
    try:
        data = storage.parse_toml(source, "fuzz.toml")
        note_from_dict(data, "fuzz.toml")
    except DataError as exc:
        assert "fuzz.toml" in exc.message
    except PeerkitError:
        pass


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["id", "client", "date", "start", "end", "code", "status",
                                             "goals", "group_size", "late_entry", "review"]),
                            st.one_of(st.none(), st.integers(), st.text(max_size=20), st.booleans(),
                                      dates, st.lists(st.integers(), max_size=2), st.floats(allow_nan=True)),
                            max_size=11))
def test_note_validation_never_crashes_on_wrong_types(data):
    data = {k: v for k, v in data.items() if v is not None}
    with contextlib.suppress(DataError):
        note_from_dict(data, "n.toml")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=2000))
def test_the_xlsx_reader_never_crashes(tmp_path, blob):
    from peerkit import excel

    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(b"PK\x03\x04" + blob)
    try:
        wb = excel.open_workbook(path)
        for _ in excel.iter_rows(path, wb.worksheets[0]):
            pass
    except DataError:
        pass


def _valid_xlsx_bytes():
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["id", "decision", "reason"])
    wb.active.append(["N-1", "approved", "fine"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


VALID_XLSX = _valid_xlsx_bytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_workbook_gives_a_clear_error_not_a_traceback(tmp_path, flips):
    from peerkit import excel

    data = bytearray(VALID_XLSX)
    for pos, value in flips:
        data[pos] = value
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    try:
        wb = excel.open_workbook(path)
        for ws in wb.worksheets:
            for _ in excel.iter_rows(path, ws):
                pass
    except DataError as exc:
        assert "damaged.xlsx" in exc.message
