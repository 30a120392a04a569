"""Cache in Redis: JSON values, expiration in milliseconds."""
from typing import Any

from cliquet._defaults import setting_or_default
from cliquet.cache import CacheBase
from cliquet._redis import RedisBackend, create_from_config, wrap_redis_error
from cliquet.utils import json


class Cache(RedisBackend, CacheBase):
    """Cache backed by a Redis client (see :func:`load_from_config`).

    :param client: a ``redis.Redis`` client.
    """

    @wrap_redis_error
    def ttl(self, key: str) -> float:
        milliseconds = self._client.pttl(self.prefix + key)
        return milliseconds / 1000 if milliseconds >= 0 else milliseconds

    @wrap_redis_error
    def expire(self, key: str, ttl: float) -> None:
        self._client.pexpire(self.prefix + key, int(ttl * 1000))

    @wrap_redis_error
    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        key = self.prefix + key
        milliseconds = None if ttl is None else int(ttl * 1000)
        if milliseconds is not None and milliseconds <= 0:
            self._client.delete(key)  # expired at once
            return
        # One command: the value and its expiry, or no expiry at all.
        self._client.set(key, json.dumps(value), px=milliseconds)

    @wrap_redis_error
    def get(self, key: str) -> Any:
        value = self._client.get(self.prefix + key)
        return None if value is None else json.loads(value)

    @wrap_redis_error
    def delete(self, key: str) -> None:
        self._client.delete(self.prefix + key)


def load_from_config(config) -> Cache:
    """Connect to ``cache_url`` with a pool of ``cache_pool_size`` connections."""
    settings = config.get_settings()
    client = create_from_config(config, prefix="cache_")
    return Cache(client, cache_prefix=str(setting_or_default(settings, "cache_prefix")))
