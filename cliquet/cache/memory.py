"""Cache kept in process memory: fast, per process, lost on restart."""
from typing import Any

from cliquet._defaults import setting_or_default
from cliquet import utils  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet.cache import CacheBase
from cliquet.utils import msec_time


class Cache(CacheBase):
    """Values are stored as-is; an expired key is purged when next touched."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flush()

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Nothing to create in memory."""

    def flush(self) -> None:
        self._store: dict[str, Any] = {}
        self._ttl: dict[str, int] = {}  # key -> expiry, epoch ms

    def _purge_if_expired(self, key: str) -> None:
        expires_at = self._ttl.get(key)
        if expires_at is not None and expires_at <= msec_time():
            self._store.pop(key, None)
            del self._ttl[key]

    def ttl(self, key: str) -> float:
        key = self.prefix + key
        self._purge_if_expired(key)
        expires_at = self._ttl.get(key)
        if expires_at is None:
            return -1
        return (expires_at - msec_time()) / 1000

    def expire(self, key: str, ttl: float) -> None:
        key = self.prefix + key
        self._purge_if_expired(key)
        if key in self._store:
            self._ttl[key] = msec_time() + int(ttl * 1000)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        self._purge_if_expired(self.prefix + key)  # an old expiry must not hit the new value
        self._store[self.prefix + key] = value
        if ttl is not None:
            self.expire(key, ttl)

    def get(self, key: str) -> Any:
        key = self.prefix + key
        self._purge_if_expired(key)
        return self._store.get(key)

    def delete(self, key: str) -> None:
        key = self.prefix + key
        self._store.pop(key, None)
        self._ttl.pop(key, None)


def load_from_config(config) -> Cache:
    settings = config.get_settings()
    return Cache(cache_prefix=str(setting_or_default(settings, "cache_prefix")))
