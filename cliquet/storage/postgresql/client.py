"""Cliquet 3.1 location of the PostgreSQL connection code, :mod:`cliquet._postgresql`.

This module is replaced by that one in ``sys.modules``: every name of it
(``create_from_config``, ``PostgreSQLClient``, and the 3.1 names ``logger``,
``exceptions``, ``sqlalchemy``, ``warnings``...) is found, and patched, there.
"""
import sys

from cliquet import _postgresql

sys.modules[__name__] = _postgresql
