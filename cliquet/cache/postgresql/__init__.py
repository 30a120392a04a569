"""Cache in PostgreSQL: table ``cache(key, value, ttl)``, values as JSON text.

Expired rows are deleted on every :meth:`Cache.get`. The cache commits each
call on its own, outside the request transaction.
"""
import os
from typing import Any

from cliquet._defaults import setting_or_default
from cliquet.logs import logger  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet.cache import CacheBase
from cliquet._postgresql import (
    PostgreSQLClient, create_from_config, create_schema,
)
from cliquet.utils import json

_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schema.sql")
_NOT_EXPIRED = "(ttl IS NULL OR ttl >= cache_expiry(0))"


class Cache(CacheBase):
    """Cache backed by a PostgreSQL client (see :func:`load_from_config`).

    :param client: a :class:`~cliquet._postgresql.PostgreSQLClient`.
    """

    def __init__(self, client: PostgreSQLClient, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def _query(self, sql: str, **params) -> list:
        with self.client.connect() as conn:
            rows = conn.execute(sql, params)
            return rows if isinstance(rows, list) else []

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Create the ``cache`` table if missing; with ``dry_run``, log the SQL only."""
        create_schema(self.client, _SCHEMA_FILE, "cache table", dry_run)

    def flush(self) -> None:
        self._query("DELETE FROM cache")

    def ttl(self, key: str) -> float:
        rows = self._query(
            "SELECT EXTRACT(EPOCH FROM ttl - cache_expiry(0)) AS ttl"
            " FROM cache WHERE key = :key AND ttl IS NOT NULL",
            key=self.prefix + key,
        )
        return float(rows[0][0]) if rows else -1

    def expire(self, key: str, ttl: float) -> None:
        self._query(
            f"UPDATE cache SET ttl = cache_expiry(:ttl) WHERE key = :key AND {_NOT_EXPIRED}",
            key=self.prefix + key,
            ttl=ttl,
        )

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        self._query(
            "INSERT INTO cache (key, value, ttl) VALUES (:key, :value, cache_expiry(:ttl))"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, ttl = EXCLUDED.ttl",
            key=self.prefix + key,
            value=json.dumps(value),
            ttl=ttl,
        )

    def get(self, key: str) -> Any:
        rows = self._query(
            "WITH purged AS (DELETE FROM cache WHERE ttl < cache_expiry(0))"
            f" SELECT value FROM cache WHERE key = :key AND {_NOT_EXPIRED}",
            key=self.prefix + key,
        )
        return json.loads(rows[0][0]) if rows else None

    def delete(self, key: str) -> None:
        self._query("DELETE FROM cache WHERE key = :key", key=self.prefix + key)


def load_from_config(config) -> Cache:
    """Connect to ``cache_url``; ``cache_pool_size`` and other ``cache_*`` SQL
    settings tune the engine."""
    settings = config.get_settings()
    client = create_from_config(config, prefix="cache_", with_transaction=False)
    return Cache(client, cache_prefix=str(setting_or_default(settings, "cache_prefix")))
