"""Backend settings that applications written for Cliquet 3.1 use (§6.8-6.10, §7.1)."""
import pytest
from pyramid.config import Configurator

import cliquet.cache.redis
import cliquet.permission.redis
import cliquet.storage.redis
from cliquet.storage.postgresql import client as pg_client
from tests import servers

REDIS_BACKENDS = {
    cliquet.storage.redis: "storage_",
    cliquet.cache.redis: "cache_",
    cliquet.permission.redis: "permission_",
}


@pytest.mark.parametrize("module", REDIS_BACKENDS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("url", ["", None])
def test_redis_url_defaults_to_the_local_server(module, url):
    prefix = REDIS_BACKENDS[module]
    settings = {"cache_prefix": ""}
    if url is not None:
        settings[prefix + "url"] = url
    backend = module.load_from_config(Configurator(settings=settings))
    assert backend.settings == {"host": "localhost", "port": 6379, "db": 0, "password": None}


@pytest.mark.parametrize("module", REDIS_BACKENDS, ids=lambda m: m.__name__)
def test_redis_settings_tell_the_server_used(module):
    prefix = REDIS_BACKENDS[module]
    config = Configurator(settings={prefix + "url": "redis://:secret@store.example:7777/6",
                                    "cache_prefix": ""})
    backend = module.load_from_config(config)
    assert backend.settings == {"host": "store.example", "port": 7777, "db": 6,
                                "password": "secret"}


def test_a_pool_class_without_size_takes_the_pool_settings_it_knows():
    servers.require_postgresql()
    config = Configurator(settings={
        "storage_url": servers.postgresql_url(),
        "storage_poolclass": "sqlalchemy.pool.StaticPool",
        "storage_pool_size": "10", "storage_max_backlog": "3", "storage_pool_recycle": "60",
    })
    client = pg_client.create_from_config(config, prefix="storage_")
    try:
        with client.connect() as connection:
            assert connection.execute("SELECT 1") == [(1,)]
        assert type(client.engine.pool).__name__ == "StaticPool"
        assert client.engine.pool._recycle == 60
    finally:
        client.close()


def test_the_storage_suite_merges_its_settings_over_the_defaults():
    from cliquet import DEFAULT_SETTINGS
    from cliquet.storage._testing_base import BaseStorageTest

    seen = {}

    class Backend:
        @staticmethod
        def load_from_config(config):
            seen.update(config.get_settings())

    suite = BaseStorageTest()
    suite.backend = Backend
    suite.load_storage({"storage_pool_size": 3})
    assert seen["storage_pool_size"] == 3
    assert seen["storage_max_fetch_size"] == DEFAULT_SETTINGS["storage_max_fetch_size"]
    assert seen["transaction_per_request"] is False  # the suite runs outside requests
    suite.load_storage({"transaction_per_request": True})
    assert seen["transaction_per_request"] is True
