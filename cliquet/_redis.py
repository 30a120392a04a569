"""Redis connections shared by the Redis backends and listener.

The client built from the settings (:func:`create_from_config`), the error
wrapper of backend methods (:func:`wrap_redis_error`) and the base class of
the Redis backends (:class:`RedisBackend`). Cliquet 3.1 exposed the first two
in :mod:`cliquet.storage.redis`, which re-exports them.
"""
import functools
import logging
import sys

import redis

from cliquet.storage.exceptions import BackendError

_log = logging.getLogger(__name__)

DEFAULT_URL = "redis://localhost:6379/0"
DEFAULT_POOL_SIZE = 25
DEFAULT_POOL_TIMEOUT = 30
DEFAULT_CONNECT_TIMEOUT = 5


def wrap_redis_error(func):
    """Decorator raising Redis errors as :class:`BackendError`, logged with their stack.

    They are logged by the ``logger`` of the module of ``func`` when it has one
    (Cliquet 3.1's ``cliquet.storage.redis.logger``, which tests patch), read
    when the error happens.
    """
    module = sys.modules.get(func.__module__)

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except redis.RedisError as e:
            getattr(module, "logger", _log).exception("Redis error in %s", func.__qualname__)
            raise BackendError(original=e) from e

    return wrapped


def create_from_config(config, prefix: str = "") -> redis.Redis:
    """A Redis client on ``<prefix>url`` with a blocking pool.

    The pool holds ``<prefix>pool_size`` connections (25); a checkout waits at
    most ``<prefix>pool_timeout`` seconds (30) and connecting at most
    ``<prefix>connect_timeout`` seconds (5) before raising.
    An empty or missing URL means ``redis://localhost:6379/0``, as in Cliquet 3.1.
    """
    settings = config.get_settings()
    pool = redis.BlockingConnectionPool.from_url(
        settings.get(prefix + "url") or DEFAULT_URL,
        max_connections=int(settings.get(prefix + "pool_size") or DEFAULT_POOL_SIZE),
        timeout=float(settings.get(prefix + "pool_timeout") or DEFAULT_POOL_TIMEOUT),
        socket_connect_timeout=float(
            settings.get(prefix + "connect_timeout") or DEFAULT_CONNECT_TIMEOUT),
    )
    return redis.Redis(connection_pool=pool)


def connection_settings(client: redis.Redis) -> dict:
    """``host``, ``port``, ``db`` and ``password`` a Redis client connects with."""
    kwargs = client.connection_pool.connection_kwargs
    return {key: kwargs.get(key) for key in ("host", "port", "db", "password")}


class RedisBackend:
    """What every Redis backend shares: the client, no schema, ``flush`` of the db.

    :param client: a ``redis.Redis`` client.
    """

    def __init__(self, client: redis.Redis, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._client = client

    @property
    def settings(self) -> dict:
        """``host``, ``port``, ``db`` and ``password`` of the Redis connection."""
        return connection_settings(self._client)

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Redis has no schema."""

    @wrap_redis_error
    def flush(self, auth=None) -> None:
        """Empty the whole Redis database."""
        self._client.flushdb()
