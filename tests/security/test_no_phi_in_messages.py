"""No protected information in messages: every error path runs on a workspace whose names and
narrative carry sentinels, and no sentinel may appear in stdout or stderr of a failing command.

Commands print data (names included) when they succeed -- that is their job; what is checked
here is what they print when something is wrong.
"""
import re
import shutil

import pytest

from tests.conftest import EXAMPLE, Runner

SENTINEL = "Zqxsentinel"
NARRATIVE = "Qqnarrative"

NAME_KEYS = ("name", "supervisor", "reviewer", "author", "signer")
TEXT_KEYS = ("purpose", "intervention", "response", "plan", "location", "text", "what", "actions",
             "reason", "description", "notes", "relationship", "title", "note")


def _sentinelise(root):
    n = 0
    for path in root.rglob("*.toml"):
        if path.name == "peerkit.toml":
            continue
        text = path.read_text()
        text = re.sub(r'^(\s*(?:{})\s*=\s*")([^"\n]*)"'.format("|".join(NAME_KEYS)),
                      lambda m: f'{m.group(1)}{SENTINEL} {m.group(2)}"', text, flags=re.M)
        text = re.sub(r'^(\s*(?:{})\s*=\s*")([^"\n]*)"'.format("|".join(TEXT_KEYS)),
                      lambda m: f'{m.group(1)}{NARRATIVE} {m.group(2)}"', text, flags=re.M)
        path.write_text(text)
        n += 1
    return n


CORRUPTIONS = {
    # drop the opening quote of a sentinel string: the line becomes invalid TOML
    "syntax": lambda t: t.replace(f'"{SENTINEL}', SENTINEL, 1).replace(f'"{NARRATIVE}', NARRATIVE, 1),
    "wrong-type": lambda t: re.sub(r'^(\s*(?:name|purpose|text|what)\s*=\s*)"[^"\n]*"', r"\g<1>42", t,
                                   count=1, flags=re.M),
    "bad-date": lambda t: re.sub(r"(= )\d{4}-\d{2}-\d{2}", r"\g<1>2026-02-30", t, count=1),
    "missing-id": lambda t: re.sub(r'^id = "[^"]*"\n', "", t, count=1, flags=re.M),
}

COMMANDS = [
    ("status", "--as-of", "2026-11-25"),
    ("client", "list"),
    ("client", "show", "C001"),
    ("note", "list", "--from", "2026-11-01", "--to", "2026-11-30"),
    ("note", "check", "--from", "2026-11-01", "--to", "2026-11-30"),
    ("note", "render", "N-2026-11-16-C001-1"),
    ("invoice", "--week", "2026-W47", "--preview", "--format", "json"),
    ("caseload", "--as-of", "2026-11-25"),
    ("wrap", "show", "C001"),
    ("wrap", "export", "C001", "--format", "html"),
    ("wrap", "check"),
    ("resources", "list"),
    ("certs", "status", "--as-of", "2026-11-25"),
    ("incident", "list"),
    ("activity", "list"),
    ("week", "--week", "2026-W47"),
    ("trip", "list"),
]


def _files_to_corrupt():
    kinds = {}
    for path in sorted(EXAMPLE.rglob("*.toml")):
        rel = path.relative_to(EXAMPLE)
        kind = rel.parts[0] if len(rel.parts) > 1 else rel.name
        if kind in ("peerkit.toml", "templates", "plugins", "invoices"):
            continue
        kinds.setdefault(kind, rel)
    return sorted(kinds.values())


@pytest.fixture
def sentinel_ws(tmp_path):
    target = tmp_path / "ws"
    shutil.copytree(EXAMPLE, target)
    assert _sentinelise(target) > 10
    return target


def test_sentinels_are_really_in_the_workspace(sentinel_ws):
    result = Runner(sentinel_ws)("client", "show", "C001")
    assert result.exit_code == 0 and SENTINEL in result.output


@pytest.mark.parametrize("rel", _files_to_corrupt(), ids=str)
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_error_messages_carry_no_names_or_narrative(sentinel_ws, rel, corruption):
    path = sentinel_ws / rel
    original = path.read_text()
    broken = CORRUPTIONS[corruption](original)
    if broken == original:
        pytest.skip(f"{corruption} does not apply to {rel}")
    path.write_text(broken)
    run = Runner(sentinel_ws)
    failures = 0
    for args in COMMANDS:
        result = run(*args)
        if result.exit_code == 0:
            continue
        failures += 1
        out = (result.stdout or "") + (result.stderr or "")
        assert "No such command" not in out and "No such option" not in out, (args, out)
        assert "Traceback" not in out, (args, out)
        if result.exit_code in (1,):
            continue  # a check reporting findings: its report may name the record it is about
        assert SENTINEL not in out, (args, out)
        assert NARRATIVE not in out, (args, out)
    assert failures, f"no command noticed the {corruption} corruption of {rel}"
