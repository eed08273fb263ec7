"""peerkit built-in plugin: notes (not yet implemented)."""
