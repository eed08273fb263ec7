"""note render (md, html, txt, workspace overrides) and the status alerts of drafts."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
from notes_helpers import loads, note_dict, one_error_line, set_setting, write_note

NOTES = "notes/2026/11"


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_render_complete_note(run, fmt):
    result = run("note", "render", "N-2026-11-09-C001-1", "--format", fmt)
    assert result.exit_code == 0, result.output
    out = result.stdout
    plain = out.replace("\\", "").lower()  # markdown escapes punctuation; txt headings are upper case
    for needle in ("Sam Example", "MR-1001", "900000001A", "2026-11-09", "13:00", "14:07", "67 minutes",
                   "Billed units", "H0038", "Community", "Housing authority office",
                   "G1", "Find and keep housing of my choice", "Jordan Rivera", "NC CPSS",
                   "2026-11-09 19:07", "Purpose", "Intervention", "Response", "Plan"):
        assert needle.lower() in plain, (fmt, needle)
    assert "LATE ENTRY" not in out and "VOID" not in out


def test_render_units_and_group(run):
    out = run("note", "render", "N-2026-11-19-C002-3", "--format", "txt").stdout
    assert "1 h 22 min (82 minutes)" in out and "Billed units:     5" in out
    assert "H0038 HQ (group of 3)" in out


def test_render_late_entry_void_and_addenda(run, ws_path):
    late = run("note", "render", "N-2026-11-12-C003-2", "--format", "html").stdout
    assert "LATE ENTRY" in late
    void = run("note", "render", "N-2026-11-11-C003-1", "--format", "txt").stdout
    assert "*** VOID ***" in void and "Entered in error: the visit was rescheduled" in void
    run("note", "edit", "N-2026-11-23-C001-1", "--plan", "Call the housing authority", "--reason", "clarified")
    md = run("note", "render", "N-2026-11-23-C001-1").stdout
    assert "## Addenda" in md and "Addendum 1" in md and "clarified" in md
    assert "Call the housing authority" in md.replace("\\", "")


def test_html_is_an_accessible_escaped_document(run, ws_path):
    write_note(ws_path, note_dict(response='<script>alert("x")</script> & <b>bold</b>'))
    out = run("note", "render", "N-2026-11-24-C002-1", "--format", "html").stdout
    assert out.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in out and "<title>" in out and "</html>" in out
    assert "Content-Security-Policy" in out
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;bold&lt;/b&gt;" in out
    assert 'scope="row"' in out
    md = run("note", "render", "N-2026-11-24-C002-1", "--format", "md").stdout
    assert "<script>" not in md


def test_render_to_file(run, ws_path, tmp_path):
    out = tmp_path / "note.html"
    result = run("note", "render", "N-2026-11-09-C001-1", "--format", "html", "--out", out)
    assert result.exit_code == 0
    assert "Sam Example" in out.read_text()


def test_workspace_template_override_and_named_template(run, ws_path):
    from peerkit.templating import default_dir

    folder = ws_path / "templates" / "notes"
    folder.mkdir(parents=True)
    shutil.copy(default_dir() / "notes" / "note.txt.j2", folder / "note.txt.j2")
    p = folder / "note.txt.j2"
    p.write_text("AGENCY FORMAT\n" + p.read_text())
    from peerkit.notices import DEFAULT_NOTICE

    # peerkit puts the confidentiality notice first, whatever the template (docs/security.md)
    rendered = run("note", "render", "N-2026-11-09-C001-1", "--format", "txt").stdout
    assert rendered.startswith(DEFAULT_NOTICE + "\n\nAGENCY FORMAT")
    (folder / "short.txt.j2").write_text("{{ note.id }} {{ client.name }} {{ note.units }}u\n")
    result = run("note", "render", "N-2026-11-09-C001-1", "--format", "txt", "--template", "short")
    assert result.stdout == DEFAULT_NOTICE + "\n\nN-2026-11-09-C001-1 Sam Example 4u\n"
    (folder / "typo.txt.j2").write_text("{{ client.nmae }}\n")
    result = run("note", "render", "N-2026-11-09-C001-1", "--format", "txt", "--template", "typo")
    assert result.exit_code == 3 and "undefined value ('nmae')" in one_error_line(result)
    missing = run("note", "render", "N-2026-11-09-C001-1", "--template", "nope")
    assert missing.exit_code == 3 and "not found" in one_error_line(missing)


# ---------------------------------------------------------------------------- alerts


def _alerts(run, *args):
    result = run("status", "--json", *args)
    return result, [a for a in loads(result) if a["source"] == "notes"]


def test_alert_overdue_draft(run, ws_path):
    # the example draft ended 2026-11-24 14:50: still within 24 h at 2026-11-25 12:00
    result, alerts = _alerts(run)
    assert alerts == [{"source": "notes", "subject": "N-2026-11-24-C004-1", "severity": "warning",
                       "due": "2026-11-25", "message": alerts[0]["message"]}]
    result, alerts = _alerts(run, "--as-of", "2026-11-26")
    assert [(a["subject"], a["severity"]) for a in alerts] == [("N-2026-11-24-C004-1", "error")]
    assert result.exit_code == 1
    assert "Sam" not in alerts[0]["message"] and "Morgan" not in alerts[0]["message"]


def test_alerts_look_back_a_bounded_window(run, ws_path):
    write_note(ws_path, note_dict(id="N-2026-08-03-C002-1", date=dt.date(2026, 8, 3)))
    _, alerts = _alerts(run, "--as-of", "2026-11-26")
    assert "N-2026-08-03-C002-1" not in {a["subject"] for a in alerts}
    set_setting(ws_path, "alert_days", "120")
    _, alerts = _alerts(run, "--as-of", "2026-11-26")
    assert "N-2026-08-03-C002-1" in {a["subject"] for a in alerts}


def test_alerts_function_reads_only_the_window(ws, monkeypatch):
    from peerkit_notes import overdue as alerts_mod

    seen = []
    real = ws.notes

    def spy(start=None, end=None, **kw):
        seen.append((start, end))
        return real(start, end, **kw)

    monkeypatch.setattr(ws, "notes", spy)
    found = alerts_mod.note_alerts(ws, dt.date(2026, 11, 25))
    assert seen == [(dt.date(2026, 9, 26), dt.date(2026, 11, 25))]
    assert [a.subject for a in found] == ["N-2026-11-24-C004-1"]
    signed = alerts_mod.note_alerts(ws, dt.date(2027, 3, 1))
    assert signed == []


def test_rendering_a_note_is_audited_by_id_only(run, ws_path, tmp_path):
    out = tmp_path / "note.html"
    result = run("note", "render", "N-2026-11-16-C001-1", "--format", "html", "--out", out)
    assert result.exit_code == 0, result.output
    log = (ws_path / "audit.log").read_text()
    assert '"command": "note render"' in log and "N-2026-11-16-C001-1" in log and str(out) in log
    assert "Sam" not in log and "housing" not in log
    assert run("audit", "verify").exit_code == 0
