from peerkit.cli import main

main()
