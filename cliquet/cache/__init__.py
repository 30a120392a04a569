"""Cache backends: the contract every backend honours, and its heartbeat.

A backend module exposes ``load_from_config(config)`` returning a
:class:`CacheBase` instance, so ``cache_backend = cliquet.cache.redis`` is all
an application needs to choose one.
"""
import random
from collections.abc import Callable
from typing import Any

from cliquet.logs import logger

_HEARTBEAT_KEY = "__heartbeat__"
_HEARTBEAT_DELETE_RATE = 0.5
_HEARTBEAT_TTL_SECONDS = 3600


class CacheBase:
    """Key-value store with expiration.

    :param str cache_prefix: prepended to every key (keyword, required).

    Every method may raise :class:`cliquet.storage.exceptions.BackendError`
    when the underlying server fails.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "cache_prefix" not in kwargs:
            raise TypeError("CacheBase() missing required keyword argument: 'cache_prefix'")
        self.prefix = kwargs["cache_prefix"]

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Create the tables the backend needs, if any.

        :param dry_run: only log what would be done.
        """
        raise NotImplementedError

    def flush(self) -> None:
        """Delete every value."""
        raise NotImplementedError

    def ttl(self, key: str) -> float:
        """Remaining time to live of ``key``.

        :returns: seconds, negative when the key has no expiration or is unknown.
        """
        raise NotImplementedError

    def expire(self, key: str, ttl: float) -> None:
        """Make ``key`` expire in ``ttl`` seconds."""
        raise NotImplementedError

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``.

        :param value: any JSON-serialisable value.
        :param ttl: expiration in seconds; without it, Redis and PostgreSQL
            clear any previous expiration while memory keeps it.
        """
        raise NotImplementedError

    def get(self, key: str) -> Any:
        """:returns: the value of ``key``, or ``None`` if unknown or expired."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove ``key`` (unknown keys are ignored)."""
        raise NotImplementedError


def heartbeat(backend: CacheBase) -> Callable[[Any], bool]:
    """Build the ``cache`` check of ``__heartbeat__``.

    The check writes even in readonly mode: the cache stays writable.
    """

    def ping(request: Any) -> bool:
        try:
            if random.random() < _HEARTBEAT_DELETE_RATE:
                backend.delete(_HEARTBEAT_KEY)
            else:
                backend.set(_HEARTBEAT_KEY, "alive", _HEARTBEAT_TTL_SECONDS)
        except Exception:
            logger.exception("Cache heartbeat failed", backend=type(backend).__module__)
            return False
        return True

    return ping
