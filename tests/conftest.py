import os

import pytest
import transaction

# Assertions of the conformance suites (imported through cliquet.testing) explain failures.
pytest.register_assert_rewrite(
    "cliquet.storage._testing_base", "cliquet.storage._testing_records",
    "cliquet.storage._testing_queries", "cliquet.cache.testing", "cliquet.permission.testing",
)

from cliquet.storage.postgresql.client import close_clients  # noqa: E402
from tests import support  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _cliquet_logging():
    """Every test logs through Cliquet's logging, whichever test ran before it on
    its worker: structlog's own default renders tracebacks with ``rich`` when it
    is installed, which takes seconds for a traceback through redis-py."""
    from cliquet.logs import ClassicLogRenderer, configure

    configure(ClassicLogRenderer())


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """Settings read from the environment: keep tests deterministic."""
    for key in list(os.environ):
        if key.startswith(("CLIQUET_", "TESTAPP_", "DEMO_")) and \
                not key.startswith("CLIQUET_TEST_"):
            monkeypatch.delenv(key)


@pytest.fixture(params=["memory", "redis", "postgresql"])
def backend(request):
    """Name of each backend in turn; settings from ``support.backend_settings``."""
    return request.param


@pytest.fixture
def flushed_backends():
    """Flush the backends of every app created through ``make_backend_app``."""
    registries = []
    yield registries
    transaction.abort()  # nothing left half-done in this thread's transaction
    for registry in registries:
        for kind in ("storage", "cache", "permission"):
            instance = getattr(registry, kind, None)
            if instance is not None:
                instance.flush()
        transaction.commit()  # transactional backends flush inside the thread's transaction
        close_clients(registry)  # no pools left open between tests


@pytest.fixture
def make_backend_app(backend, flushed_backends):
    """Factory of apps on the current ``backend`` (flushed after the test)."""

    def factory(settings=None, **kwargs):
        full = support.backend_settings(backend)
        full.update(settings or {})
        app = support.make_app(full, **kwargs)
        flushed_backends.append(app.app.registry)
        return app

    return factory
