"""peerkit built-in plugin: incidents (not yet implemented)."""
