"""``peerkit sync`` and ``peerkit agency``: thin commands over repo.py and agency.py."""
from __future__ import annotations

import json
import sys

import click

from peerkit.context import pass_workspace
from peerkit.output import message


@click.command()
@click.option("--init", "init_", is_flag=True,
              help="Prepare this workspace for sharing: git repository, .gitignore, .gitattributes, first commit.")
@click.argument("remote", required=False, metavar="[REMOTE]")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_workspace
def sync(ws, init_, remote, as_json):
    """Share this workspace through git: commit, fetch, merge field by field, push.

    \b
    peerkit sync --init git@git.example.org:peers/jordan.git   once
    peerkit sync                                                 every day

    Records merge field by field with peerkit's own merge driver; a conflict it cannot
    resolve leaves the repository as it was and names the record (exit 3).  A missing git
    is exit 4.  See docs/agency.md.
    """
    from peerkit_sync import repo

    author = repo.provider_author(ws.config)
    with ws.lock():
        if init_:
            out = repo.init(ws.root, author, remote)
        else:
            if remote:
                raise click.UsageError("REMOTE is only taken with --init")
            if not (ws.root / ".git").exists():
                raise click.UsageError("this workspace is not shared yet: run 'peerkit sync --init [REMOTE]'")
            out = repo.sync(ws.root, author)
    for text in out.messages:
        message(text)
    summary = {"committed": out.committed, "merged": out.merged, "pushed": out.pushed}
    if as_json:
        click.echo(json.dumps(summary))
    else:
        done = [w for w, flag in (("committed", out.committed), ("merged", out.merged), ("pushed", out.pushed)) if flag]
        message("Synced: " + (", ".join(done) if done else "nothing to do") + ".")


@click.group()
@click.option("--agency", "agency_dir", metavar="DIR",
              help="The agency folder (default: the nearest with agency.toml).")
@click.pass_context
def agency(ctx, agency_dir):
    """Supervisors: pull, push and see every peer's shared workspace (agency.toml)."""
    ctx.obj = {"agency_dir": agency_dir}


def _load(ctx):
    from peerkit_sync import agency as model

    return model.load(model.find(ctx.obj.get("agency_dir")))


def _report(results, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in results], indent=2))
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(3)


def _progress(total: int):
    """One line per peer on stderr; a live count when stderr is a terminal."""
    done = [0]

    def show(result) -> None:
        done[0] += 1
        if not result.ok:
            click.echo(f"{result.peer}: FAILED: {result.message}", err=True)
        elif sys.stderr.isatty():
            click.echo(f"\r[{done[0]}/{total}] {result.peer}: {result.message}\033[K", err=True, nl=done[0] == total)
        else:
            click.echo(f"{result.peer}: {result.message}", err=True)

    return show


@agency.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def pull(ctx, as_json):
    """Clone or update every peer's workspace into <agency folder>/<name>/ (in parallel)."""
    from peerkit_sync import agency as model

    ag = _load(ctx)
    results = model.pull(ag, progress=_progress(len(ag.peers)))
    _report(results, as_json)


@agency.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def push(ctx, as_json):
    """Commit each peer's review decisions (the reviewer as author) and push them."""
    from peerkit_sync import agency as model

    ag = _load(ctx)
    results = model.push(ag, progress=_progress(len(ag.peers)))
    _report(results, as_json)


@agency.command(name="status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status_cmd(ctx, as_json):
    """Per peer: last sync, notes waiting for review, anything not pushed."""
    from peerkit_sync import agency as model

    rows = model.status(_load(ctx))
    if as_json:
        click.echo(json.dumps([r.as_json() for r in rows], indent=2))
        return
    click.echo(f"{'peer':<20} {'last sync':<26} {'to review':>9} {'unpushed':>8}")
    for r in rows:
        if not r.cloned:
            click.echo(f"{r.peer:<20} {'(not cloned: peerkit agency pull)':<26}")
            continue
        unpushed = f"{r.unpushed_commits}{'+' if r.uncommitted else ''}"
        click.echo(f"{r.peer:<20} {(r.last_sync or '-'):<26} {r.waiting_review:>9} {unpushed:>8}"
                   + (f"  {r.problem}" if r.problem else ""))
