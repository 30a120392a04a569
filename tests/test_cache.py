import time

import psycopg2
import pytest
import redis
from pyramid import testing

import cliquet.cache.memory
import cliquet.cache.postgresql
import cliquet.cache.redis
from cliquet._defaults import DEFAULT_SETTINGS
from cliquet.cache import CacheBase, heartbeat
from cliquet.cache.testing import CacheTest
from cliquet.storage.exceptions import BackendError
from tests.servers import postgresql_url, redis_url, require_postgresql, require_redis

BACKENDS = (cliquet.cache.memory, cliquet.cache.redis, cliquet.cache.postgresql)
DOWN_URLS = {
    cliquet.cache.redis: "redis://127.0.0.1:1/0",
    cliquet.cache.postgresql: "postgres://postgres:postgres@127.0.0.1:1/down",
}


def load(backend, **settings):
    config = testing.setUp(settings={**DEFAULT_SETTINGS, **settings})
    return backend.load_from_config(config)


class TestCacheBase:
    def test_constructor_requires_cache_prefix(self):
        with pytest.raises(TypeError):
            CacheBase()
        assert CacheBase(cache_prefix="app:").prefix == "app:"

    @pytest.mark.parametrize(
        "method, args",
        [
            ("initialize_schema", ()),
            ("flush", ()),
            ("ttl", ("key",)),
            ("expire", ("key", 1)),
            ("set", ("key", "value")),
            ("get", ("key",)),
            ("delete", ("key",)),
        ],
    )
    def test_methods_are_not_implemented(self, method, args):
        with pytest.raises(NotImplementedError):
            getattr(CacheBase(cache_prefix=""), method)(*args)

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_every_backend_overrides_every_method(self, backend):
        public = [name for name in vars(CacheBase) if not name.startswith("_")]
        assert public
        for name in public:
            assert getattr(backend.Cache, name) is not getattr(CacheBase, name), name

    @pytest.mark.parametrize("draw", [0.1, 0.9])
    def test_heartbeat_fails_when_the_backend_fails(self, monkeypatch, draw):
        monkeypatch.setattr("random.random", lambda: draw)
        assert heartbeat(CacheBase(cache_prefix=""))(testing.DummyRequest()) is False


class TestMemoryCache(CacheTest):
    backend = cliquet.cache.memory

    def test_set_without_ttl_keeps_the_expiration(self):
        self.cache.set("foo", "bar", ttl=10)
        self.cache.set("foo", "baz")
        assert 9 < self.cache.ttl("foo") <= 10

    def test_caches_sharing_their_stores_share_expirations(self):
        other = load(self.backend, cache_prefix="")
        other._store, other._ttl = self.cache._store, self.cache._ttl
        other.set("foo", "bar", ttl=10)
        assert 9 < self.cache.ttl("foo") <= 10

    def test_values_are_stored_as_is(self):
        value = object()
        self.cache.set("foo", value)
        assert self.cache.get("foo") is value

    def test_keys_are_prefixed(self):
        cache = load(self.backend, cache_prefix="app:")
        cache.set("foo", "bar")
        assert cache._store == {"app:foo": "bar"}


class PersistentCacheTest(CacheTest):
    """Cases shared by the Redis and PostgreSQL caches."""

    def raw_value(self, key):
        raise NotImplementedError

    def test_set_without_ttl_clears_the_expiration(self):
        self.cache.set("foo", "bar", ttl=10)
        self.cache.set("foo", "baz")
        assert self.cache.ttl("foo") < 0
        assert self.cache.get("foo") == "baz"

    def test_values_are_stored_as_json(self):
        self.cache.set("foo", {"a": [1, "é", None]})
        assert self.raw_value("foo") == '{"a":[1,"é",null]}'

    def test_keys_are_prefixed(self):
        prefixed = load(self.backend, **{**self.settings, "cache_prefix": "app:"})
        prefixed.set("foo", "bar")
        assert self.raw_value("app:foo") == '"bar"'
        assert self.cache.get("foo") is None
        assert self.cache.get("app:foo") == "bar"

    def test_a_down_server_raises_backend_error_quickly(self):
        cache = load(self.backend, **{**self.settings, "cache_url": DOWN_URLS[self.backend]})
        for call in (lambda: cache.get("foo"), lambda: cache.set("foo", 1, ttl=1)):
            start = time.monotonic()
            with pytest.raises(BackendError) as raised:
                call()
            assert raised.value.original is not None
            assert time.monotonic() - start < 3

    def test_heartbeat_fails_when_the_server_is_down(self):
        cache = load(self.backend, **{**self.settings, "cache_url": DOWN_URLS[self.backend]})
        assert heartbeat(cache)(testing.DummyRequest()) is False


class TestRedisCache(PersistentCacheTest):
    backend = cliquet.cache.redis

    @property
    def settings(self):
        return {"cache_url": redis_url(), "cache_pool_size": "5"}

    def setup_method(self, method):
        require_redis()
        super().setup_method(method)
        self.client = redis.Redis.from_url(redis_url(), decode_responses=True)

    def teardown_method(self, method):
        super().teardown_method(method)
        self.client.close()

    def raw_value(self, key):
        return self.client.get(key)

    def test_expiration_is_stored_in_milliseconds(self):
        self.cache.set("foo", "bar", ttl=1.5)
        assert 1000 < self.client.pttl("foo") <= 1500
        self.cache.expire("foo", 0.25)
        assert 0 < self.client.pttl("foo") <= 250


    def test_every_method_raises_backend_error_and_logs_when_commands_fail(
            self, monkeypatch, caplog):
        def fail(*args, **kwargs):
            raise redis.RedisError()

        calls = [(self.cache.flush,), (self.cache.ttl, "k"), (self.cache.expire, "k", 1),
                 (self.cache.get, "k"), (self.cache.set, "k", "v"),
                 (self.cache.set, "k", "v", 10), (self.cache.delete, "k")]
        with monkeypatch.context() as patch:
            patch.setattr(self.cache._client, "execute_command", fail)
            for call, *args in calls:
                with pytest.raises(BackendError):
                    call(*args)
        assert caplog.text.count("Redis error in ") == len(calls)

    def test_set_with_a_past_expiration_removes_the_key(self):
        self.cache.set("foo", "bar")
        self.cache.set("foo", "baz", ttl=0)
        assert self.client.exists("foo") == 0


class TestPostgreSQLCache(PersistentCacheTest):
    backend = cliquet.cache.postgresql

    @property
    def settings(self):
        return {"cache_url": postgresql_url(), "cache_pool_size": "2"}

    def setup_method(self, method):
        require_postgresql()
        super().setup_method(method)
        self.connection = psycopg2.connect(postgresql_url())
        self.connection.autocommit = True

    def teardown_method(self, method):
        super().teardown_method(method)
        self.connection.close()

    def sql(self, statement, *params):
        with self.connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def raw_value(self, key):
        rows = self.sql("SELECT value FROM cache WHERE key = %s", key)
        return rows[0][0] if rows else None

    def test_get_deletes_every_expired_row(self):
        self.cache.set("a", 1, ttl=0.05)
        self.cache.set("b", 2, ttl=0.05)
        self.cache.set("c", 3, ttl=10)
        time.sleep(0.1)
        assert self.cache.get("a") is None
        assert self.sql("SELECT key FROM cache") == [("c",)]

    def test_dry_run_only_logs_the_schema(self):
        self.sql("DROP TABLE cache")
        try:
            self.cache.initialize_schema(dry_run=True)
            assert self.sql("SELECT to_regclass('cache')") == [(None,)]
        finally:
            self.cache.initialize_schema()
        assert self.sql("SELECT to_regclass('cache')") == [("cache",)]

    def test_keys_longer_than_256_characters_raise_backend_error(self):
        with pytest.raises(BackendError):
            self.cache.set("k" * 257, "value")
