"""Alias of :mod:`cliquet.testing`, kept for applications written for Cliquet 3.1."""
from cliquet.testing import *  # noqa: F403  (re-export, public: imported by downstream)
from cliquet.testing import __all__  # noqa: F401
