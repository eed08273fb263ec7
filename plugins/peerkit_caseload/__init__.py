"""peerkit built-in plugin: caseload (not yet implemented)."""
