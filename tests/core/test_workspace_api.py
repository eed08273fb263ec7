"""The Workspace's public API for what plugins and the core keep per workspace, and the session."""
from __future__ import annotations

from peerkit import session
from peerkit.workspace import Workspace


def test_memo_computes_once_per_workspace_object(ws_path):
    ws = Workspace(ws_path)
    calls = []

    def make():
        calls.append(1)
        return {"limit": 3}

    first = ws.memo("my_plugin", make)
    assert ws.memo("my_plugin", make) is first
    assert calls == [1]
    assert Workspace(ws_path).memo("my_plugin", make) == {"limit": 3}   # a new object reads again
    assert calls == [1, 1]


def test_known_clients_by_file_then_by_the_clients_read(ws_path):
    ws = Workspace(ws_path)
    known = ws.known_clients()
    assert ws.clients_read() is None
    assert "C001" in known and "C999" not in known and "../x" not in known
    clients = ws.clients()
    assert ws.clients_read() is clients
    (ws_path / "clients" / "C001.toml").unlink()   # the clients read answer now, not the files
    assert "C001" in known


def test_a_new_command_drops_folders_looked_up_but_keeps_workspace_roots(ws_path):
    Workspace(ws_path)
    state = session.current()
    state.real_dirs["/somewhere"] = "/elsewhere"
    state.new_command()
    assert state.real_dirs == {}
    assert str(ws_path.resolve()) in state.roots.values()


def test_writing_a_file_moves_the_generation_and_is_taken_by_the_lock(ws_path):
    ws = Workspace(ws_path)
    before = session.current().generation
    with ws.lock():
        ws.audit("test", action="nothing")
        assert session.current().generation > before
        assert session.current().touched
    assert session.current().touched == set()


def test_forget_config_reads_peerkit_toml_again(ws_path):
    ws = Workspace(ws_path)
    assert "crypt" not in ws.config
    ws.memo("my_plugin", lambda: "parsed once")
    with (ws_path / "peerkit.toml").open("a") as fh:
        fh.write('\n[crypt]\nrecipients = []\n')
    assert "crypt" not in ws.config          # read once per Workspace
    ws.forget_config()
    assert ws.config["crypt"] == {"recipients": []}
    assert ws.memo("my_plugin", lambda: "parsed again") == "parsed again"
