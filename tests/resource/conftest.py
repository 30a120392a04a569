"""Fixtures of the resource tests: the test app on each backend, users' headers.

``app`` is built once per backend and worker, its backends flushed after each
test; ``make_app(settings)`` builds a fresh app when a test needs its own settings.
"""
import pytest
import transaction

from cliquet.storage.postgresql.client import close_clients
from cliquet.testing import get_user_headers
from tests import support

APP_SETTINGS = {
    "project_name": "testapp",
    "userid_hmac_secret": "resource tests",
    "article_create_principals": "system.Authenticated",
}
RESOURCES = "tests.resource.resources"

_shared_apps = {}


def _initialize(app, backend):
    if backend != "memory":
        registry = app.app.registry
        for kind in ("storage", "permission", "cache"):
            getattr(registry, kind).initialize_schema()
    return app


def flush(app):
    registry = app.app.registry
    for kind in ("storage", "permission", "cache"):
        getattr(registry, kind).flush()
    transaction.commit()  # PostgreSQL writes outside a request wait for a commit


@pytest.fixture
def make_app(backend):
    """Factory of a fresh test app on the current backend, with extra settings."""
    apps = []

    def factory(settings=None):
        full = dict(support.backend_settings(backend), **APP_SETTINGS)
        full.update(settings or {})
        app = support.make_app(full, scan=RESOURCES, project_name="testapp")
        apps.append(app)
        return _initialize(app, backend)

    yield factory
    for app in apps:
        flush(app)
        close_clients(app.app.registry)


@pytest.fixture
def app(backend):
    """The test app on the current backend (shared; flushed after each test)."""
    if backend not in _shared_apps:
        settings = dict(support.backend_settings(backend), **APP_SETTINGS)
        _shared_apps[backend] = _initialize(
            support.make_app(settings, scan=RESOURCES, project_name="testapp"), backend)
    app = _shared_apps[backend]
    flush(app)
    yield app
    flush(app)


@pytest.fixture
def alice():
    return get_user_headers("alice")


@pytest.fixture
def bob():
    return get_user_headers("bob")
