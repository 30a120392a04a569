"""Cliquet's own endpoints: hello, heartbeats, batch and the error views."""
