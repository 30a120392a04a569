"""Versions: the HTTP protocol Cliquet speaks and the installed distribution's.

A leaf module (nothing of the package imported), so views and the OpenAPI
generator can read the protocol version without importing the package root.
"""
from importlib.metadata import PackageNotFoundError, version as _distribution_version

PROTOCOL_VERSION = "2"

try:
    __version__ = _distribution_version("cliquet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
