"""``peerkit crypt``: encryption at rest of health information (see docs/security.md)."""
from __future__ import annotations

import click

from peerkit.context import pass_workspace
from peerkit.errors import EXIT_FINDINGS
from peerkit.options import json_option
from peerkit.output import emit_json, message
from peerkit_crypt import model


@click.group()
def crypt():
    """Encrypt names, ids and narrative in every record file (AES-256-GCM per value).

    \b
    peerkit crypt enable                 # one data key, kept in your keyring
    peerkit crypt add-recipient age1...  # a supervisor or the agency escrow key
    peerkit crypt status
    peerkit crypt rotate                 # a new data key, every value re-encrypted
    peerkit crypt remove-recipient age1...
    peerkit crypt disable
    """


def _show(report: model.Report, as_json: bool, done: str = "") -> None:
    if as_json:
        emit_json(report.as_json())
    else:
        if done:
            message(done)
        click.echo(f"encryption: {report.state}")
        if report.state != "off":
            click.echo(f"current key: {report.current}")
            click.echo(f"keys held: {', '.join(report.keys)}")
            click.echo("wrapped for: peer keyring" + "".join(f", {r}" for r in report.wrapped_for))
            click.echo(f"data key opens here: {'yes' if report.can_open else 'no'}")
        click.echo(f"record files: {report.files}")
        for kid, n in sorted(report.values.items()):
            click.echo(f"encrypted values with key {kid}: {n}")
        for line in report.plain[:20]:
            click.echo(f"in clear: {line}")
        for problem in report.problems:
            message(f"warning: {problem}")


@crypt.command()
@json_option
@pass_workspace
def enable(ws, as_json):
    """Turn encryption on (again: finish an interrupted run, encrypt values added in clear)."""
    report = model.enable(ws)
    _show(report, as_json, f"encryption on: {report.rewritten} file(s) encrypted")


@crypt.command()
@json_option
@pass_workspace
def status(ws, as_json):
    """What is encrypted, with which key, for whom; exit 1 when something needs doing."""
    report = model.status(ws)
    _show(report, as_json)
    if report.problems:
        raise SystemExit(EXIT_FINDINGS)


@crypt.command(name="add-recipient")
@click.argument("recipient")
@pass_workspace
def add_recipient(ws, recipient):
    """Let an age public key (age1...) open this workspace's data key."""
    canonical = model.add_recipient(ws, recipient)
    message(f"recipient added: {canonical}")


@crypt.command(name="remove-recipient")
@click.argument("recipient")
@json_option
@pass_workspace
def remove_recipient(ws, recipient, as_json):
    """Remove an age recipient and rotate the data key (git history stays readable to them)."""
    report = model.remove_recipient(ws, recipient)
    _show(report, as_json, "recipient removed; the data key was rotated. What git history or "
                           "old copies already hold stays readable to the removed recipient.")


@crypt.command()
@json_option
@pass_workspace
def rotate(ws, as_json):
    """A new data key; every value re-encrypted; the old key forgotten (resumable)."""
    report = model.rotate(ws)
    _show(report, as_json, f"key rotated: {report.rewritten} file(s) re-encrypted")


@crypt.command()
@json_option
@pass_workspace
def disable(ws, as_json):
    """Store every value in clear again and remove crypt/keys.toml (resumable)."""
    report = model.disable(ws)
    _show(report, as_json, f"encryption off: {report.rewritten} file(s) decrypted")
