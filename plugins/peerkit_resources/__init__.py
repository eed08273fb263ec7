"""peerkit built-in plugin: resources (not yet implemented)."""
