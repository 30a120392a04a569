"""Command-line tools of Cliquet."""
