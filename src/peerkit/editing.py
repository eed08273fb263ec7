"""Editing a record in $EDITOR: the file is replaced only if the result validates."""
from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peerkit import storage
from peerkit.errors import DataError, UsageError


def editor_command() -> list[str]:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise UsageError("set $EDITOR (for example EDITOR=nano) to edit records interactively")
    return shlex.split(editor)


def edit_in_editor(path: Path, validate: Callable[[dict[str, Any], Path], object]) -> bool:
    """Open a private copy of ``path`` in $EDITOR; on save, validate it and replace ``path``.

    Returns False when nothing changed.  When the edited text is invalid the original file is
    kept as it was and the DataError names the line and field of the problem.
    """
    original = storage.read_text(path)
    if storage.ENC_MARK in original:  # issue 18: the editor sees the values decrypted
        from peerkit.cryptkeys import plain_text

        original = plain_text(path, original)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-edit-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(original)
        result = subprocess.run([*editor_command(), tmp])
        if result.returncode != 0:
            raise UsageError(f"the editor exited with code {result.returncode}; nothing was changed")
        new_text = Path(tmp).read_text(encoding="utf-8")
        if new_text == original:
            return False
        try:
            data = storage.parse_toml(new_text, path)
            # validate against the edited copy so line numbers point into the edited text
            validate(data, Path(tmp))
        except DataError as exc:
            # the problem was found in the edited copy: name the real file instead
            text = exc.message
            for form in (tmp, storage.display_path(tmp)):
                text = text.replace(form, storage.display_path(path))
            raise DataError(f"{text} -- {storage.display_path(path)} was kept as it was") from None
        storage.atomic_write_text(path, new_text)
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
