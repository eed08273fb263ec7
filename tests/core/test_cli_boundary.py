"""The error boundary of the root command (peerkit.cli): whatever a command raises, the person
sees one line and a documented exit code -- 3 for a full disk, 70 for a bug, 1 for a closed pipe
-- never a traceback or the exception's text (it may hold PHI), unless PEERKIT_DEBUG asks."""
from __future__ import annotations

import errno

import click
import pytest

from peerkit import cli as cli_module
from peerkit import hookimpl
from peerkit.lazy import LazyCommand, resolve
from tests.conftest import assert_no_traceback

PHI = "Sam Example 123-45-6789"


@pytest.fixture
def raising(register_plugin):
    """``raising(exc)``: a plugin command 'boom' that raises ``exc``."""
    def make(exc: BaseException) -> None:
        class Boom:
            @hookimpl
            def register_commands(self, cli):
                @cli.command(name="boom")
                def boom():
                    raise exc

        register_plugin(Boom(), name="boom")
    return make


def only_error(result) -> str:
    assert_no_traceback(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert PHI not in result.output
    return lines[0]


def test_a_full_disk_anywhere_is_exit_3_naming_the_file(run, raising, tmp_path):
    raising(OSError(errno.ENOSPC, f"No space left on device ({PHI})", str(tmp_path / "out.xlsx")))
    result = run("boom")
    assert result.exit_code == 3
    line = only_error(result)
    assert line.startswith("Error: disk full writing ") and line.endswith("out.xlsx: free space and run again")


def test_a_full_quota_without_a_file_name_says_a_file(run, raising):
    raising(OSError(getattr(errno, "EDQUOT", errno.ENOSPC), f"Disk quota exceeded ({PHI})"))
    result = run("boom")
    assert result.exit_code == 3
    assert only_error(result) == "Error: disk full writing a file: free space and run again"


@pytest.mark.parametrize("exc", [OSError(errno.EIO, f"I/O error ({PHI})"), KeyError(PHI), ValueError(PHI)],
                         ids=["other-oserror", "keyerror", "valueerror"])
def test_any_other_exception_is_an_internal_error_70_without_its_text(run, raising, exc):
    raising(exc)
    result = run("boom")
    assert result.exit_code == 70
    line = only_error(result)
    assert line.startswith(f"Error: internal error ({type(exc).__name__}); nothing more is shown")
    assert "PEERKIT_DEBUG=1" in line


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"), ValueError(PHI)],
                         ids=["oserror", "valueerror"])
def test_peerkit_debug_shows_the_real_exception(run, raising, exc):
    raising(exc)
    result = run("boom", env={"PEERKIT_DEBUG": "1"})
    assert result.exception is exc


def test_a_closed_pipe_is_exit_1_quietly(run, raising):
    raising(BrokenPipeError(errno.EPIPE, "Broken pipe"))
    result = run("boom")
    assert result.exit_code == 1
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_a_core_command_that_cannot_load_is_a_bug_70(run, monkeypatch):
    monkeypatch.setitem(cli_module.CORE_COMMANDS, "doctor",
                        ("peerkit.no_such_module:doctor", "Check the installation."))
    result = run("doctor")
    assert result.exit_code == 70
    assert only_error(result) == ("Error: command 'doctor' failed to load (ModuleNotFoundError); "
                                  "run with PEERKIT_DEBUG=1 to see why")
    assert run("client", "list").exit_code == 0  # the others still run
    debug = run("doctor", env={"PEERKIT_DEBUG": "1"})
    assert isinstance(debug.exception, ModuleNotFoundError)


def test_an_unknown_command_is_a_usage_error(run):
    result = run("clinet", "list")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: No such command 'clinet'."


def test_the_shell_completes_command_names_from_core_and_plugins(run):
    result = run(env={"_PEERKIT_COMPLETE": "bash_complete", "COMP_WORDS": "peerkit c", "COMP_CWORD": "1"},
                 workspace=False)
    assert result.exit_code == 0
    names = [line.split(",", 1)[1] for line in result.stdout.splitlines()]
    assert names == ["caseload", "certs", "client", "completion", "crypt"]


def test_a_plugin_whose_register_commands_fails_adds_no_command(run, register_plugin):
    class Broken:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("half-made", callback=lambda: click.echo("ran")))
            raise RuntimeError(PHI)

    register_plugin(Broken(), name="broken")
    result = run("half-made")
    assert result.exit_code == 2 and "ran" not in result.stdout
    assert PHI not in result.output
    assert ("plugin 'broken' failed in hook register_commands (RuntimeError); run with PEERKIT_DEBUG=1 "
            "to see the error; the plugin was skipped") in result.stderr
    assert result.stderr.splitlines()[-1] == "Error: No such command 'half-made'."
    others = run("client", "list", "--json")
    assert others.exit_code == 0 and "C001" in others.stdout


def test_help_lists_core_and_plugin_commands_with_their_short_help(run):
    result = run("--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1]
    names = [line.split()[0] for line in commands.splitlines() if line.strip()]
    assert names == sorted(names)
    assert {"init", "doctor", "client", "note", "invoice"} <= set(names)


def test_a_lazy_command_loads_its_module_once_and_must_be_a_command():
    lazy = LazyCommand("version-of", "peerkit.commands.doctor:doctor", "Check.")
    real = resolve(lazy)
    assert isinstance(real, click.Command) and real.name == "doctor"
    assert resolve(lazy) is real
    not_a_command = LazyCommand("x", "peerkit.cli:CORE_COMMANDS", "Not one.")
    with pytest.raises(TypeError, match="peerkit.cli:CORE_COMMANDS is not a click command"):
        resolve(not_a_command)
    plain = click.Command("plain")
    assert resolve(plain) is plain
