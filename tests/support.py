"""Shared helpers of Cliquet's own tests."""
import webtest
from pyramid.config import Configurator

import cliquet
from tests import servers

MEMORY_SETTINGS = {
    "storage_backend": "cliquet.storage.memory",
    "cache_backend": "cliquet.cache.memory",
    "permission_backend": "cliquet.permission.memory",
}


def backend_settings(kind: str) -> dict:
    """Settings putting storage, cache and permission on ``kind``.

    A missing server fails the test under ``CI=true`` and skips it elsewhere.
    """
    if kind == "memory":
        return dict(MEMORY_SETTINGS)
    if kind == "redis":
        servers.require_redis()
        url = servers.redis_url()
        return {
            "storage_backend": "cliquet.storage.redis", "storage_url": url,
            "cache_backend": "cliquet.cache.redis", "cache_url": url,
            "permission_backend": "cliquet.permission.redis", "permission_url": url,
        }
    if kind == "postgresql":
        servers.require_postgresql()
        url = servers.postgresql_url()
        return {
            "storage_backend": "cliquet.storage.postgresql", "storage_url": url,
            "cache_backend": "cliquet.cache.postgresql", "cache_url": url,
            "permission_backend": "cliquet.permission.postgresql", "permission_url": url,
        }
    raise ValueError(kind)


def make_wsgi_app(settings=None, version="1.0", project_name="testapp", scan=None):
    """A Cliquet WSGI app, optionally scanning a module of views."""
    config = Configurator(settings=dict(settings or {}))
    cliquet.initialize(config, version, project_name)
    if scan:
        config.scan(scan)
    return config.make_wsgi_app()


def make_app(settings=None, **kwargs) -> webtest.TestApp:
    """A :class:`webtest.TestApp` around :func:`make_wsgi_app`."""
    return webtest.TestApp(make_wsgi_app(settings, **kwargs))
