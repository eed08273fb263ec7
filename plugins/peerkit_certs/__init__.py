"""peerkit built-in plugin: certs (not yet implemented)."""
