"""Running the real ``git`` program: never a prompt, never a hang, never a world-readable file.

Every call goes through :func:`git`.  It

* clears ``GIT_DIR`` / ``GIT_WORK_TREE`` / ``GIT_INDEX_FILE`` so a caller's environment cannot
  point git at another repository;
* stops every prompt: ``GIT_TERMINAL_PROMPT=0``, SSH in batch mode with a connect timeout,
  Git Credential Manager's GUI off, no askpass program;
* runs under ``umask 077`` so what git creates (objects, checked-out files) is private;
* passes peerkit's merge driver on the command line (``-c merge.peerkit.driver=...``), so a
  clone whose ``.git/config`` lacks it still never falls back to a text merge;
* has a timeout (``PEERKIT_GIT_TIMEOUT`` seconds, default 120).

A missing ``git`` is exit 4 with the remedy; a git that fails is :class:`GitFailed`, whose
message carries git's last line of stderr (git's messages name refs and paths, never record
contents).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from peerkit.errors import PeerkitError, UsageError

DRIVER_NAME = "peerkit"


class GitMissing(PeerkitError):
    """The git program is not installed (exit 4, like a missing keyring)."""

    exit_code = 4


class GitFailed(PeerkitError):
    """A git command failed (exit 3): the message says which and git's own last line."""

    exit_code = 3

    def __init__(self, message: str, *, stderr: str = "", code: int = 1):
        super().__init__(message)
        self.stderr = stderr
        self.code = code


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def timeout() -> float:
    raw = os.environ.get("PEERKIT_GIT_TIMEOUT", "120")
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"PEERKIT_GIT_TIMEOUT={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise UsageError("PEERKIT_GIT_TIMEOUT must be a positive number of seconds")
    return value


def executable() -> str:
    found = shutil.which("git")
    if not found:
        raise GitMissing("the git program is not installed: install git (e.g. 'apt install git', "
                         "'brew install git' or https://git-scm.com) and run again")
    return found


def driver_command() -> str:
    """The merge driver's command line, with this Python (the one peerkit runs under)."""
    python = sys.executable.replace("'", "")
    return f"'{python}' -m peerkit_sync.merge %O %A %B %P"


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                        "GIT_ASKPASS", "SSH_ASKPASS")}
    env.update({
        "GIT_TERMINAL_PROMPT": "0",
        "GCM_INTERACTIVE": "never",
        "GCM_GUI_PROMPT": "false",
        "GIT_SSH_COMMAND": env.get("GIT_SSH_COMMAND")
        or "ssh -o BatchMode=yes -o ConnectTimeout=15",
        "LC_ALL": "C",                 # parse git's messages in one language
        "GIT_MERGE_AUTOEDIT": "no",
    })
    return env


def git(args: list[str], cwd: Path | str, *, check: bool = True, what: str = "",
        stdin: str | None = None, author: tuple[str, str] | None = None) -> Result:
    """Run ``git ARGS`` in ``cwd``; ``check`` raises :class:`GitFailed` on a non-zero exit.

    ``author`` is ``(name, email)`` for the commits this call makes (author and committer)."""
    env = environment()
    if author is not None:
        name, email = author
        env.update({"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                    "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email})
    argv = [executable(),
            "-c", f"merge.{DRIVER_NAME}.driver={driver_command()}",
            "-c", f"merge.{DRIVER_NAME}.name=peerkit record merge",
            "-c", "credential.interactive=false",
            "-c", "core.askPass=",
            *args]
    try:
        proc = subprocess.run(argv, cwd=str(cwd), env=env, capture_output=True, text=True,
                              timeout=timeout(), umask=0o077, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise GitFailed(f"git {args[0]} did not finish within {timeout():.0f} s (is the remote "
                        "reachable?); nothing was changed by peerkit — run again, or raise "
                        "PEERKIT_GIT_TIMEOUT") from None
    except OSError as exc:
        raise GitFailed(f"could not run git in {cwd} ({exc.strerror})") from None
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise GitFailed(f"git {what or args[0]} failed: {last_line(proc.stderr) or 'exit ' + str(proc.returncode)}",
                        stderr=proc.stderr, code=proc.returncode)
    return result


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip() and not ln.startswith("hint:")]
    return lines[-1][:300] if lines else ""


def make_private(folder: Path) -> list[str]:
    """chmod every file 0600 and folder 0700 below ``folder`` (git keeps only 644/755).

    Returns the paths it could not change (a file of another user), relative to ``folder``.
    """
    failed: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            _chmod(p, 0o700, folder, failed)
        for name in filenames:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            mode = 0o700 if os.access(p, os.X_OK) and "/hooks/" in p else 0o600
            _chmod(p, mode, folder, failed)
    _chmod(str(folder), 0o700, folder, failed)
    return failed


def _chmod(path: str, mode: int, root: Path, failed: list[str]) -> None:
    try:
        if (os.stat(path).st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:
        failed.append(os.path.relpath(path, root))


def loose_files(folder: Path) -> list[str]:
    """Files or folders below ``folder`` that others may read (group or world bits set)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in (*dirnames, *filenames):
            p = os.path.join(dirpath, name)
            try:
                if not os.path.islink(p) and os.stat(p).st_mode & 0o077:
                    out.append(os.path.relpath(p, folder))
            except OSError:
                continue
    return sorted(out)
