import time

from pyramid.config import Configurator
import webtest

import cliquet
from tests.support import MEMORY_SETTINGS


def app_with_checks(checks, settings=None):
    config = Configurator(settings=dict(MEMORY_SETTINGS, **(settings or {})))
    cliquet.initialize(config, "1.0", "testapp")
    config.registry.heartbeats.update(checks)
    return webtest.TestApp(config.make_wsgi_app())


def test_every_backend_answers(make_backend_app):
    app = make_backend_app()
    response = app.get("/v1/__heartbeat__")
    assert response.json == {"storage": True, "cache": True, "permission": True}
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_readonly_heartbeat_only_reads(make_backend_app):
    app = make_backend_app({"readonly": "true"})
    for _ in range(3):
        assert app.get("/v1/__heartbeat__").json["storage"] is True
    storage = app.app.registry.storage
    records, total = storage.get_all("__heartbeat__", "__heartbeat__")
    assert total == 0


def test_only_configured_backends_are_checked():
    config = Configurator(settings={"storage_backend": "cliquet.storage.memory"})
    cliquet.initialize(config, "1.0", "testapp")
    app = webtest.TestApp(config.make_wsgi_app())
    assert app.get("/v1/__heartbeat__").json == {"storage": True}


def test_false_gives_503_with_plain_body_and_null_is_fine():
    app = app_with_checks({"oauth": lambda request: False, "extra": lambda request: None})
    response = app.get("/v1/__heartbeat__", status=503)
    assert response.json == {"storage": True, "cache": True, "permission": True,
                             "oauth": False, "extra": None}
    assert "Retry-After" not in response.headers
    app = app_with_checks({"extra": lambda request: None})
    assert app.get("/v1/__heartbeat__").json["extra"] is None


def test_crashing_check_counts_as_false():
    def crash(request):
        raise RuntimeError("boom")

    response = app_with_checks({"broken": crash}).get("/v1/__heartbeat__", status=503)
    assert response.json["broken"] is False


def test_checks_run_in_parallel_and_are_bounded_by_timeout():
    def slow(request):
        time.sleep(0.5)
        return True

    checks = {f"slow{i}": slow for i in range(4)}
    app = app_with_checks(checks, {"heartbeat_timeout_seconds": "2"})
    started = time.monotonic()
    assert app.get("/v1/__heartbeat__").json["slow3"] is True
    assert time.monotonic() - started < 1.5  # four 0.5 s checks, in parallel

    def stuck(request):
        time.sleep(3)
        return True

    app = app_with_checks({"stuck": stuck}, {"heartbeat_timeout_seconds": "0.2"})
    started = time.monotonic()
    assert app.get("/v1/__heartbeat__", status=503).json["stuck"] is False
    assert time.monotonic() - started < 2


def test_backend_down_is_reported_false():
    settings = {
        "storage_backend": "cliquet.storage.redis",
        "storage_url": "redis://127.0.0.1:1/0",
        "cache_backend": "cliquet.cache.redis",
        "cache_url": "redis://127.0.0.1:1/0",
    }
    config = Configurator(settings=settings)
    cliquet.initialize(config, "1.0", "testapp")
    app = webtest.TestApp(config.make_wsgi_app())
    response = app.get("/v1/__heartbeat__", status=503)
    assert response.json == {"storage": False, "cache": False}


def test_lbheartbeat_touches_no_backend():
    settings = {"storage_backend": "cliquet.storage.redis",
                "storage_url": "redis://127.0.0.1:1/0"}
    config = Configurator(settings=settings)
    cliquet.initialize(config, "1.0", "testapp")
    app = webtest.TestApp(config.make_wsgi_app())
    assert app.get("/v1/__lbheartbeat__").json == {}
