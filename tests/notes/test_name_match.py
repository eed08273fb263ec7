"""The token matcher of rule other-client-name agrees with the plain regex it replaced."""
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from peerkit_notes.checks import _name_index, _names_in


class _Ctx:
    def __init__(self, names):
        self.cache = {}
        self.clients = {f"C{i:03d}": type("C", (), {"name": n})() for i, n in enumerate(names)}


def _reference(text, names):
    """The regex of the first round: any full or first+last name, whole words, any case."""
    found = set()
    for i, name in enumerate(names):
        words = name.split()
        if not words:
            continue
        for variant in {tuple(words), (words[0], words[-1])}:
            body = r"\s+".join(re.escape(w) for w in variant)
            if re.search(rf"(?<!\w)(?:{body})(?!\w)", text, re.IGNORECASE):
                found.add(f"C{i:03d}")
    return found


WORD = st.sampled_from(["Sam", "Example", "Riley", "O'Brien", "Mary-Jane", "sam", "EXAMPLE", "Doe", "Doering"])
NAME = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
SEP = st.sampled_from([" ", "  ", "\n", ", ", "'s ", "-", "", ".", "x"])
TEXT = st.lists(st.tuples(WORD, SEP), max_size=8).map(lambda parts: "".join(w + s for w, s in parts))


@settings(max_examples=300, deadline=None)
@given(names=st.lists(NAME, min_size=1, max_size=4), text=TEXT)
def test_token_matcher_agrees_with_regex(names, text):
    ctx = _Ctx(names)
    assert _names_in(text, _name_index(ctx)) == _reference(text, names)


def test_examples():
    ctx = _Ctx(["Taylor Quinn Doe", "Sam Example"])
    index = _name_index(ctx)
    assert _names_in("Call taylor doe's sister.", index) == {"C000"}
    assert _names_in("Call Taylor Quinn Doe.", index) == {"C000"}
    assert _names_in("Call Taylor about the doe.", index) == set()
    assert _names_in("Call Taylor Doering.", index) == set()
    assert _names_in("sam\n  EXAMPLE", index) == {"C001"}


class _Note:
    def __init__(self, client, texts):
        self.client = client
        self.purpose, self.intervention, self.response, self.plan, self.location = texts


def _named_by_rule(note, ctx):
    from peerkit_notes.checks import other_client_name

    return sorted(re.findall(r"the (\w+) names another person served \(client (C\d+)\)",
                             "\n".join(other_client_name(note, ctx))))


ANY_TEXT = st.one_of(TEXT, st.text(alphabet=st.sampled_from(list("sam ExAMPLE_'’-.\n\t()é中0")), max_size=30))


@settings(max_examples=400, deadline=None)
@given(names=st.lists(NAME, min_size=1, max_size=4), texts=st.lists(ANY_TEXT, min_size=5, max_size=5),
       own=st.integers(0, 3))
def test_the_rule_with_its_quick_rejection_agrees_with_regex(names, texts, own):
    """other-client-name first looks whether the text holds a first word of another client's
    name as a whole word (ASCII text through a byte translation, other text through the
    regex): never a name missed."""
    client = f"C{min(own, len(names) - 1):03d}"
    note = _Note(client, texts)
    want = sorted((field, cid) for field, text in zip(("purpose", "intervention", "response", "plan",
                                                      "location"), texts, strict=True)
                  for cid in _reference(text, names) if cid != client)
    assert _named_by_rule(note, _Ctx(names)) == want


@settings(max_examples=400, deadline=None)
@given(text=ANY_TEXT)
def test_an_ascii_texts_words_are_its_regex_runs(text):
    from peerkit_notes.checks import _ASCII_WORDS, _NAME_TOKEN

    folded = text.casefold()
    if folded.isascii():
        assert {w.decode() for w in folded.encode().translate(_ASCII_WORDS).split()} == \
            set(_NAME_TOKEN.findall(folded))


@given(text=TEXT, minimum=st.integers(0, 9))
def test_fewer_words_agrees_with_word_count(text, minimum):
    from peerkit_notes.checks import _fewer_words, word_count

    assert _fewer_words(text, minimum) == (word_count(text) < minimum)


DIGITS = st.sampled_from(["123-45-6789", "900000001A", "(919) 555-0100", "919.555.0100", "12", "1234",
                          "555 0100", "x", " ", "-", "A"])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.one_of(DIGITS, WORD), max_size=8))
def test_identifier_rule_agrees_with_find_in_text(parts):
    """identifier-in-narrative reports exactly what find_in_text finds, with the other
    clients' phones."""
    from peerkit.identifiers import find_in_text
    from peerkit_notes.checks import identifier_in_narrative

    text = "".join(parts)
    ctx = _Ctx(["Sam Example", "Riley Doe"])
    ctx.clients["C000"].extra = {"phone": "919-555-0100"}
    ctx.clients["C001"].extra = {}
    note = _Note("C001", [text, "", "", "", ""])
    want = [f"the purpose contains {what}: a note never holds identifiers; remove it"
            for what in find_in_text(text, {"9195550100"})]
    assert identifier_in_narrative(note, ctx) == want


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.one_of(DIGITS, WORD), max_size=8))
def test_find_in_texts_quick_look_never_misses_an_identifier(parts):
    """find_in_text skips a text without three digits in a row: the three searches themselves
    never find anything in one."""
    from peerkit.identifiers import MEDICAID_RE, SSN_RE, find_in_text, phone_digits

    text = "".join(parts)
    plain = [bool(SSN_RE.search(text)), bool(MEDICAID_RE.search(text)), bool(phone_digits(text) & {"9195550100"})]
    assert len(find_in_text(text, {"9195550100"})) == sum(plain)
