"""peerkit built-in plugin: invoice (not yet implemented)."""
