"""Conformance suite every cache backend passes.

A backend's test is a few lines::

    class TestMyCache(CacheTest):
        backend = mypackage.cache
        settings = {"cache_url": "...", "cache_prefix": ""}

``backend`` is a module exposing ``load_from_config(config)``; ``settings``
override Cliquet's defaults. The suite is a plain class, so pytest collects it
only through such a subclass.
"""
import time
from typing import Any

from pyramid import testing

from cliquet._defaults import DEFAULT_SETTINGS
from cliquet.cache import CacheBase, heartbeat


class CacheTest:
    backend: Any = None  # the backend module under test
    settings: dict = {}

    def setup_method(self, method):
        self.config = testing.setUp(settings={**DEFAULT_SETTINGS, **self.settings})
        self.cache = self.backend.load_from_config(self.config)
        self.cache.initialize_schema()
        self.cache.flush()

    def teardown_method(self, method):
        self.cache.flush()
        testing.tearDown()
        del self.cache, self.config  # pytest keeps test instances: free the connections

    def ping(self):
        request = testing.DummyRequest()
        request.registry = self.config.registry
        return heartbeat(self.cache)(request)

    def test_backend_is_a_cache(self):
        assert isinstance(self.cache, CacheBase)

    def test_initialize_schema_is_idempotent(self):
        self.cache.initialize_schema()
        self.cache.initialize_schema(dry_run=True)
        self.cache.set("foo", "bar")
        self.cache.initialize_schema()
        assert self.cache.get("foo") == "bar"

    def test_heartbeat_succeeds_whether_it_writes_or_deletes(self, monkeypatch):
        for draw in (0.1, 0.9):
            monkeypatch.setattr("random.random", lambda draw=draw: draw)
            assert self.ping() is True

    def test_get_returns_the_value_set(self):
        for value in ("bar", 42, 3.5, True, ["a", 1], {"a": {"b": [None]}}, "ünï"):
            self.cache.set("foo", value)
            assert self.cache.get("foo") == value

    def test_keys_can_be_unicode(self):
        self.cache.set("clé-é", "valeur")
        assert self.cache.get("clé-é") == "valeur"

    def test_get_returns_none_for_unknown_keys(self):
        assert self.cache.get("unknown") is None

    def test_set_overwrites_previous_value(self):
        self.cache.set("foo", "bar")
        self.cache.set("foo", "baz")
        assert self.cache.get("foo") == "baz"

    def test_delete_removes_the_value(self):
        self.cache.set("foo", "bar")
        self.cache.delete("foo")
        assert self.cache.get("foo") is None

    def test_delete_ignores_unknown_keys(self):
        self.cache.delete("unknown")

    def test_flush_removes_every_value(self):
        self.cache.set("foo", "bar")
        self.cache.set("baz", "qux", ttl=10)
        self.cache.flush()
        assert self.cache.get("foo") is None
        assert self.cache.get("baz") is None

    def test_ttl_is_negative_for_unknown_keys(self):
        assert self.cache.ttl("unknown") < 0

    def test_ttl_is_negative_without_expiration(self):
        self.cache.set("foo", "bar")
        assert self.cache.ttl("foo") < 0

    def test_set_with_ttl_sets_expiration(self):
        self.cache.set("foo", "bar", ttl=10)
        assert 9 < self.cache.ttl("foo") <= 10

    def test_expire_sets_expiration_in_seconds(self):
        self.cache.set("foo", "bar")
        self.cache.expire("foo", 0.5)
        assert 0 < self.cache.ttl("foo") <= 0.5

    def test_expire_replaces_previous_expiration(self):
        self.cache.set("foo", "bar", ttl=1)
        self.cache.expire("foo", 100)
        assert 99 < self.cache.ttl("foo") <= 100

    def test_expire_ignores_unknown_keys(self):
        self.cache.expire("unknown", 10)
        assert self.cache.get("unknown") is None
        assert self.cache.ttl("unknown") < 0

    def test_set_with_ttl_expires(self):
        self.cache.set("foo", "bar", ttl=0.05)
        assert self.cache.get("foo") == "bar"
        time.sleep(0.1)
        assert self.cache.get("foo") is None
        assert self.cache.ttl("foo") < 0

    def test_expire_expires(self):
        self.cache.set("foo", "bar")
        self.cache.expire("foo", 0.05)
        time.sleep(0.1)
        assert self.cache.get("foo") is None

    def test_zero_ttl_expires_at_once(self):
        self.cache.set("foo", "bar", ttl=0)
        assert self.cache.get("foo") is None

    def test_set_with_ttl_after_expiry_stores_a_fresh_value(self):
        self.cache.set("foo", "bar", ttl=0.05)
        time.sleep(0.1)
        self.cache.set("foo", "baz")
        assert self.cache.get("foo") == "baz"
        assert self.cache.ttl("foo") < 0

    def test_other_keys_keep_their_expiration(self):
        self.cache.set("short", 1, ttl=0.05)
        self.cache.set("long", 2, ttl=10)
        time.sleep(0.1)
        assert self.cache.get("short") is None
        assert self.cache.get("long") == 2
        assert 9 < self.cache.ttl("long") <= 10

    def test_prefix_comes_from_settings(self):
        assert self.cache.prefix == str(self.config.get_settings()["cache_prefix"])
