"""peerkit built-in plugin: wrap (not yet implemented)."""
