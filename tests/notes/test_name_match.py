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
