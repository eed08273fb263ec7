"""Built-in plugin: health information encrypted at rest (``peerkit crypt``, issue 18).

The scheme is ``peerkit.crypt`` and the keys ``peerkit.cryptkeys`` (core, because every
record is decrypted on read and encrypted on write by the storage layer); this plugin only
turns encryption on and off, rotates the data key and manages recipients.  See docs/security.md.
"""
from peerkit import hookimpl
from peerkit.lazy import LazyCommand


@hookimpl
def register_commands(cli):
    cli.add_command(LazyCommand("crypt", "peerkit_crypt.commands:crypt",
                                "Encrypt names, ids and narrative in every record file (AES-256-GCM per value)."))
