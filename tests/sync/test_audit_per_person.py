"""A shared workspace (an audit/ folder): one hash chain per person and machine."""
import json


def _render(run, tmp_path, n, actor, monkeypatch):
    monkeypatch.setenv("PEERKIT_AUDIT_ACTOR", actor)
    result = run("note", "render", "N-2026-11-16-C001-1", "--out", tmp_path / f"n{n}.md")
    assert result.exit_code == 0, result.output


def test_each_person_appends_to_a_chain_of_their_own(run, ws_path, tmp_path, monkeypatch):
    (ws_path / "audit").mkdir()
    _render(run, tmp_path, 1, "jordan@laptop", monkeypatch)
    _render(run, tmp_path, 2, "pat@office", monkeypatch)
    _render(run, tmp_path, 3, "jordan@laptop", monkeypatch)
    mine = (ws_path / "audit" / "jordan@laptop.log").read_text().splitlines()
    theirs = (ws_path / "audit" / "pat@office.log").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in mine] == [1, 2]
    assert [json.loads(line)["seq"] for line in theirs] == [1]
    assert not (ws_path / "audit.log").exists()
    assert run("audit", "verify").exit_code == 0


def test_a_cut_per_person_log_is_reported(run, ws_path, tmp_path, monkeypatch):
    (ws_path / "audit").mkdir()
    _render(run, tmp_path, 1, "jordan@laptop", monkeypatch)
    _render(run, tmp_path, 2, "jordan@laptop", monkeypatch)
    log = ws_path / "audit" / "jordan@laptop.log"
    log.write_text(log.read_text().splitlines(True)[0])          # the last entry deleted
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "audit/jordan@laptop.log has no entry 2" in result.output


def test_a_deleted_per_person_log_is_reported(run, ws_path, tmp_path, monkeypatch):
    (ws_path / "audit").mkdir()
    _render(run, tmp_path, 1, "jordan@laptop", monkeypatch)
    (ws_path / "audit" / "jordan@laptop.log").unlink()
    result = run("audit", "verify")
    assert result.exit_code == 1 and "audit/jordan@laptop.log is missing" in result.output
