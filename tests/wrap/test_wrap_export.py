"""Exports of the example plan in every format, checked section by section."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape as _escape

from peerkit import hookimpl, storage
from peerkit.templating import md_escape
from peerkit_wrap import formats, model
from tests.conftest import assert_no_traceback
from tests.wrap.conftest import C001_PHONES, SCRIPT_ITEM, replace_in


class Outline(HTMLParser):
    """Headings (level, text), list items, and the html lang attribute of a document."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.items: list[str] = []
        self.lang = None
        self.scripts = 0
        self._in: list[str] = []
        self._buf = ""

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag == "script":
            self.scripts += 1
        if re.fullmatch(r"h[1-6]|li", tag):
            self._in.append(tag)
            self._buf = ""

    def handle_endtag(self, tag):
        if self._in and tag == self._in[-1]:
            self._in.pop()
            text = " ".join(self._buf.split())
            if tag == "li":
                self.items.append(text)
            else:
                self.headings.append((int(tag[1]), text))

    def handle_data(self, data):
        if self._in:
            self._buf += data


def outline(text: str) -> Outline:
    o = Outline()
    o.feed(text)
    return o


def section(text: str, heading: str) -> str:
    """The text of one <section> (from its h2 to the end of the section)."""
    start = text.index(f">{heading}</h2>")
    return text[start: text.index("</section>", start)]


def esc(text: str) -> str:
    return str(_escape(text))


def export(run, *args):
    result = run("wrap", "export", "C001", *args)
    assert result.exit_code == 0, result.output
    assert_no_traceback(result)
    return result


@pytest.fixture
def plan(ws):
    return model.load_plan(ws, "C001")


def test_html_contains_every_section_and_item(run, plan):
    out = export(run, "--format", "html").stdout
    d = plan.data
    for key, title, parts in [*model.TEXT_SECTIONS, model.POST_CRISIS]:
        body = section(out, title)
        for field, label in parts:
            assert f"<h3>{esc(label)}</h3>" in body, label
            for item in d[key][field]:
                assert f"<li>{esc(item)}</li>" in body, item
    crisis = section(out, model.CRISIS_TITLE)
    c = d["crisis"]
    for s in c["supporters"]:
        for value in (s["name"], s["relationship"], s["phone"], s["role"]):
            assert f"<td>{esc(value)}</td>" in crisis
    for field, _ in model.CRISIS_TEXT:
        for item in c[field]:
            assert f"<li>{esc(item)}</li>" in crisis
    for field, label in model.MEDICATION_LISTS:
        assert f"<h3>{label}</h3>" in crisis
        for m in c["medications"][field]:
            assert f"<strong>{esc(m['name'])}</strong>" in crisis and esc(m["why"]) in crisis
    assert "<li>Penicillin (hives and swelling)</li>" in crisis
    for item in c["treatments"]["acceptable"] + c["treatments"]["avoid"]:
        assert f"<li>{esc(item)}</li>" in crisis
    for f in c["facilities"]["preferred"] + c["facilities"]["avoid"]:
        assert f"<strong>{esc(f['name'])}</strong>" in crisis
    for t in c["tasks"]:
        assert esc(t["task"]) in crisis and f"<strong>{esc(t['who'])}</strong>" in crisis
    assert "<strong>Chris Former</strong>" in crisis
    assert esc(c["disputes"]) in crisis
    pad = section(out, model.ADVANCE_DIRECTIVE_TITLE)
    assert esc(d["advance_directive"]["original_location"]) in pad
    assert "file number AHCDR-0000-1234" in pad and "Alex Example (sister)" in pad
    assert "Written 2026-09-15." in out and "Next review due 2027-05-10." in out


def test_html_is_printable_accessible_and_self_contained(run):
    out = export(run, "--format", "html").stdout
    o = outline(out)
    assert o.lang == "en"
    levels = [lvl for lvl, _ in o.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), "heading levels skip"
    assert "<ul>" in out and "<th scope=\"col\">" in out
    assert "Content-Security-Policy" in out
    assert "@media print" in out and "break-inside: avoid" in out
    assert re.search(r"html \{ font-size: 1[4-9]pt; \}", out)
    assert o.scripts == 0
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", out)  # nothing loaded from outside
    assert "<link" not in out
    assert "compatible with WRAP-style planning" in out


def test_script_in_an_item_is_escaped_in_html_and_md(run, plan_path):
    replace_in(plan_path, '"Call or text my sister Alex",', f'"Call or text my sister Alex",\n  "{SCRIPT_ITEM}",')
    replace_in(plan_path, 'role = "Feeds Pepper and waters my plants"',
               'role = "<img src=x onerror=alert(1)>"')
    out = export(run, "--format", "html").stdout
    assert "<script>" not in out and "<img" not in out
    assert "<li>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</li>" in out
    assert outline(out).scripts == 0
    md = export(run, "--format", "md").stdout
    assert not re.search(r"(?<!\\)<(script|img)", md)  # every '<' of user text is escaped
    assert f"- {md_escape(SCRIPT_ITEM)}" in md
    assert "\\<script\\>" in md
    card = export(run, "--card").stdout
    assert "<script>" not in card and "<img" not in card


def test_markdown_contains_every_section_and_item(run, plan):
    md = export(run, "--format", "md").stdout
    d = plan.data
    from peerkit.notices import DEFAULT_NOTICE

    assert md.startswith(f"# Wellness and crisis action plan: Sam Example\n\n> {DEFAULT_NOTICE}\n")
    assert md.count("\n# ") == 0  # one top heading
    for key, title, parts in [*model.TEXT_SECTIONS, model.POST_CRISIS]:
        start = md.index(f"\n## {title}\n")
        end = md.find("\n## ", start + 1)
        body = md[start:end]
        for field, label in parts:
            assert f"### {label}\n" in body
            for item in d[key][field]:
                assert f"- {md_escape(item)}\n" in body
    crisis = md[md.index(f"## {model.CRISIS_TITLE}"):md.index("## After a crisis")]
    for s in d["crisis"]["supporters"]:
        assert f"| {md_escape(s['name'])} | {md_escape(s['relationship'])} | {md_escape(s['phone'])} |" in crisis
    for m in d["crisis"]["medications"]["avoid"]:
        assert f"- **{md_escape(m['name'])}**: {md_escape(m['why'])}\n" in crisis
    assert md_escape("Penicillin (hives and swelling)") in crisis
    assert "## Psychiatric advance directive" in md
    assert "Next review due 2027-05-10." in md


def test_card_has_every_phone_and_the_crisis_essentials(run, plan):
    out = export(run, "--card").stdout
    c = plan.data["crisis"]
    for phone in C001_PHONES:
        assert f'<span class="phone">{esc(phone)}</span>' in out
    for item in c["helps"] + c["does_not_help"]:
        assert f"<li>{esc(item)}</li>" in out
    assert "Prefer: Sertraline 100 mg every morning" in out
    assert "<strong>Avoid: Haloperidol</strong>" in out
    assert "<strong>Penicillin (hives and swelling)</strong>" in out
    assert "Oak Street Peer Respite" in out  # preferred facility
    assert "Blue folder in my desk drawer at home" in out  # where the advance directive is
    assert "AHCDR-0000-1234" not in out  # registry details stay on the registry card
    o = outline(out)
    assert o.lang == "en" and [lvl for lvl, _ in o.headings].count(1) == 1
    assert "85.6mm" in out and "dashed" in out  # wallet size, a cut line
    assert "Content-Security-Policy" in out


def test_card_says_when_a_supporter_has_no_phone(run, ws_path):
    out = run("wrap", "export", "C003", "--card")
    assert out.exit_code == 0
    assert '<span class="phone">no phone listed</span>' in out.stdout


def test_xlsx_has_a_sheet_per_section_read_back(run, plan, tmp_path, monkeypatch):
    import openpyxl

    monkeypatch.chdir(tmp_path)
    result = export(run, "--format", "xlsx")
    path = tmp_path / "wrap-C001.xlsx"
    assert path.is_file() and "Wrote wrap-C001.xlsx" in result.output
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*formats.SHEETS, "Notice"]          # the confidentiality notice last
    d = plan.data

    def rows(title):
        ws = wb[title]
        assert ws.freeze_panes == "A2"
        return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]

    about = dict(rows("About this plan"))
    assert about["Client id"] == "C001" and about["Name"] == "Sam Example"
    assert about["Written"].date().isoformat() == "2026-09-15"
    assert about["Next review due"].date().isoformat() == "2027-05-10"
    for key, _title, parts in [*model.TEXT_SECTIONS, model.POST_CRISIS]:
        expected = [(label, item) for field, label in parts for item in d[key][field]]
        assert rows(formats._SECTION_SHEETS[key]) == expected, key
    sup = rows("Crisis supporters")
    assert [r[2] for r in sup] == C001_PHONES
    assert sup[0] == ("Alex Example", "sister", "919-555-0142",
                      "Stays with me, makes decisions with Dr. Lee, talks to the hospital", "Yes")
    meds = rows("Crisis medications")
    assert ("Preferred", "Sertraline", "100 mg every morning",
            "It keeps my mood steady and I have few side effects") in meds
    assert ("Avoid", "Haloperidol", None, "I had a severe muscle reaction in 2019") in meds
    assert ("Allergy", "Penicillin (hives and swelling)", None, None) in meds
    crisis = rows("Crisis plan")
    assert ("Signs that others need to take over for me", "I pace for hours and cannot sit down") in crisis
    assert ("Treatments to avoid", "Seclusion rooms") in crisis
    assert ("If my supporters disagree", d["crisis"]["disputes"]) in crisis
    assert rows("Crisis care places")[0] == ("Preferred", "Oak Street Peer Respite", "919-555-0199",
                                             "Peer-run, calm and I can keep my own clothes")
    assert rows("Crisis not involved") == [("Chris Former", "My ex-partner; contact makes things worse")]
    assert rows("Crisis tasks")[0] == ("Feed Pepper (my cat) and clean her litter box", "Riley Neighbor")
    pad = dict(rows("Advance directive"))
    assert pad["Has a psychiatric advance directive"] == "Yes"
    assert pad["Registry file number"] == "AHCDR-0000-1234"


def test_xlsx_text_is_never_a_formula(run, plan_path, tmp_path):
    import openpyxl

    replace_in(plan_path, '"Call or text my sister Alex",', '"=HYPERLINK(\\"http://x\\",\\"hi\\")",')
    out = tmp_path / "p.xlsx"
    export(run, "--format", "xlsx", "--out", out)
    ws = openpyxl.load_workbook(out)["Stay well"]
    cell = ws["B3"]
    assert cell.value == '=HYPERLINK("http://x","hi")' and cell.data_type == "s" and cell.quotePrefix


def test_outputs_and_audit(run, ws_path, tmp_path):
    html_out = tmp_path / "plan.html"
    export(run, "--format", "html", "--out", html_out)
    assert html_out.read_text().startswith("<!DOCTYPE html>")
    export(run, "--format", "md")
    export(run, "--card", "--out", tmp_path / "card.html")
    entries = [json.loads(ln) for ln in (ws_path / "audit.log").read_text().splitlines()]
    assert [(e["command"], e["action"], e["records"]) for e in entries] == [
        ("wrap export", "format=html", ["C001"]), ("wrap export", "format=md", ["C001"]),
        ("wrap export", "card", ["C001"])]
    assert entries[0]["output"] == str(html_out) and entries[1]["output"] == "stdout"
    assert "Sam" not in (ws_path / "audit.log").read_text()
    assert run("audit", "verify").exit_code == 0


def test_default_format_is_html_and_card_is_html_or_pdf(run):
    assert export(run).stdout.startswith("<!DOCTYPE html>")
    result = run("wrap", "export", "C001", "--card", "--format", "md")
    assert result.exit_code == 2 and "--card is HTML or pdf" in result.output
    assert_no_traceback(result)


def test_person_without_a_plan_gets_the_remedy(run, ws_path):
    for args in (("export", "C002", "--format", "html"), ("show", "C002"), ("check", "C002"),
                 ("export", "C002", "--card"), ("edit", "C002")):
        result = run("wrap", *args, env={"EDITOR": "true"})
        assert result.exit_code == 3, args
        assert_no_traceback(result)
        line = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
        assert line == ["Error: wrap/C002.toml: no wellness and crisis plan for client C002 yet; "
                        "start one with 'peerkit wrap new C002'"]
    assert not (ws_path / "wrap" / "C002.toml").exists()
    assert not (ws_path / "audit.log").exists()


def test_unknown_client_is_refused(run, ws_path):
    storage.atomic_write_text(ws_path / "wrap" / "C777.toml", 'client = "C777"\n')
    for args in (("export", "C777"), ("show", "C777"), ("check", "C777"), ("new", "C777")):
        result = run("wrap", *args)
        assert result.exit_code == 3, args
        assert "unknown client id 'C777'" in result.output
        assert_no_traceback(result)


class PdfPlugin:
    """A plugin adding a format through the same hook as the built-ins."""

    @staticmethod
    @hookimpl
    def wrap_formats():
        def render(plan, workspace):
            return b"PK fake docx " + plan.client_id.encode()
        return {"docx": render}


class ClashPlugin:
    @staticmethod
    @hookimpl
    def wrap_formats():
        return {"html": lambda plan, workspace: "mine"}


def test_hook_wrap_formats(run, register_plugin, tmp_path, monkeypatch):
    register_plugin(PdfPlugin(), name="wrap_pdf_test")
    monkeypatch.chdir(tmp_path)
    helptext = run("wrap", "export", "--help").output
    assert "[docx|html|md|pdf|xlsx]" in helptext
    export(run, "--format", "docx")
    assert (tmp_path / "wrap-C001.docx").read_bytes() == b"PK fake docx C001"


def test_two_plugins_with_one_format_name_is_an_error(run, register_plugin):
    register_plugin(ClashPlugin(), name="wrap_clash_test")
    result = run("wrap", "export", "C001", "--format", "md")
    assert result.exit_code == 3
    assert "wrap format 'html' is defined by two plugins" in result.output
    assert_no_traceback(result)


def test_workspace_template_override_is_used(run, ws_path):
    assert run("templates", "copy", "wrap/plan.md.j2").exit_code == 0
    target = ws_path / "templates" / "wrap" / "plan.md.j2"
    target.write_text("Agency plan for {{ client.id }}: {{ plan.crisis.supporters|length }} supporters\n")
    from peerkit.notices import DEFAULT_NOTICE

    assert export(run, "--format", "md").stdout == f"> {DEFAULT_NOTICE}\n\nAgency plan for C001: 4 supporters\n"


def test_unsaved_empty_plan_exports(run, ws_path):
    assert run("wrap", "new", "C004").exit_code == 0
    for fmt in ("html", "md"):
        out = run("wrap", "export", "C004", "--format", fmt)
        assert out.exit_code == 0 and "Nothing written here yet" in out.stdout
    card = run("wrap", "export", "C004", "--card")
    assert card.exit_code == 0 and "No one listed yet." in card.stdout
