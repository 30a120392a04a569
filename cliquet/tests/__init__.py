"""Compatibility package: Cliquet 3.1 applications import ``cliquet.tests.support``."""
