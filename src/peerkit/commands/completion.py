"""peerkit completion: print the shell completion script."""
from __future__ import annotations

import click


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish (ids, formats, options).

    \b
    Save it once (evaluating it at every shell start is slow):
      bash:  peerkit completion bash > ~/.local/share/bash-completion/completions/peerkit
      zsh:   peerkit completion zsh > ~/.zfunc/_peerkit    (fpath+=~/.zfunc; autoload -U compinit; compinit)
      fish:  peerkit completion fish > ~/.config/fish/completions/peerkit.fish

    TAB then completes commands, options, note, client, invoice, resource, incident and
    credential ids of the workspace, and format names (plugins' too).  peerkit must be on the
    PATH under the name 'peerkit'; bash needs version 4.4 or later.
    """
    from peerkit.cli import cli
    from peerkit.completion import script

    click.echo(script(shell, cli), nl=False)
