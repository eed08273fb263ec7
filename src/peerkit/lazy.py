"""Commands whose code is imported only when they run: ``peerkit --help`` stays fast.

A plugin registers ``LazyCommand("certs", "peerkit_certs.commands:certs", "One-line help.")``
instead of importing its command module; peerkit imports ``peerkit_certs.commands`` only when
``peerkit certs ...`` runs (or shows its own help).  A test checks the one-line help matches
the real command's.
"""
from __future__ import annotations

import importlib

import click


class LazyCommand(click.Command):
    """A placeholder for a command (or group) defined in another module."""

    def __init__(self, name: str, import_path: str, help: str):
        super().__init__(name, help=help)
        self.import_path = import_path
        self._real: click.Command | None = None

    def load(self) -> click.Command:
        if self._real is None:
            module, _, attr = self.import_path.partition(":")
            real = getattr(importlib.import_module(module), attr)
            if not isinstance(real, click.Command):
                raise TypeError(f"{self.import_path} is not a click command")
            self._real = real
        return self._real


def resolve(cmd: click.Command | None) -> click.Command | None:
    return cmd.load() if isinstance(cmd, LazyCommand) else cmd
