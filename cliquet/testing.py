"""Helpers for testing Cliquet and the applications built on it.

Downstream projects import these in their own tests (Cliquet 3.1 exposed
them as ``cliquet.tests.support``, which still works). The conformance
suites of the backends are re-exported here: a custom backend is tested by
subclassing ``StorageTest``, ``CacheTest`` or ``PermissionTest``.
"""
from __future__ import annotations

import functools
import os
import threading
import unittest
from typing import TYPE_CHECKING, Any, Callable, TypeVar
from unittest import mock

import webtest
from cornice import errors as cornice_errors
from pyramid import testing as pyramid_testing
from pyramid.config import Configurator
from pyramid.response import Response

from cliquet import utils
from cliquet.cache.testing import CacheTest
from cliquet.permission.testing import PermissionTest
from cliquet.storage.testing import StorageTest

__all__ = [
    "AllowAuthorizationPolicy", "BaseWebTest", "CacheTest", "DummyRequest",
    "FormattedErrorMixin", "PermissionTest", "StorageTest", "ThreadMixin", "USER_PRINCIPAL",
    "authorize", "get_request_class", "get_user_headers", "skip_if_no_postgresql",
]

#: Basic Auth header of the default test user (``mat:1``).
DEFAULT_AUTHORIZATION = "Basic " + utils.encode64("mat:1")
#: Prefixed user id of that user with an empty ``userid_hmac_secret``.
USER_PRINCIPAL = "basicauth:" + utils.hmac_digest("", "mat:1")

_T = TypeVar("_T")


def get_user_headers(user: str) -> dict:
    """Basic Auth headers of ``user`` (password ``secret``)."""
    credentials = f"{user}:secret"
    return {"Authorization": "Basic " + utils.encode64(credentials)}


class DummyRequest(pyramid_testing.DummyRequest):
    """A request with the attributes Cliquet code reads, for unit tests."""

    authenticated_userid = "bob"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("path", "/v1/")
        super().__init__(*args, **kwargs)
        self.upath_info = self.path
        self.registry = kwargs.get("registry") or mock.MagicMock(settings={})
        self.errors = cornice_errors.Errors()
        self.validated: dict = {}
        self.matchdict: dict = {}
        self.response = Response()
        self.authn_type = "basicauth"
        self.selected_userid = "bob"
        self.prefixed_userid = "basicauth:bob"
        self.json: dict = {}
        self.bound_data: dict = {}
        self.current_resource_name = "test"
        self.info: dict = {}

    def route_url(self, *args: Any, **kwargs: Any) -> str:
        return "http://localhost/v1/"


def get_request_class(prefix: str) -> type:
    """A WebTest request class that prepends ``/<prefix>`` to every path."""

    class PrefixedRequestClass(webtest.app.TestRequest):
        @classmethod
        def blank(cls, path: str, *args: Any, **kwargs: Any) -> Any:
            if prefix:
                path = f"/{prefix}{path}"
            return webtest.app.TestRequest.blank(path, *args, **kwargs)

    return PrefixedRequestClass


class FormattedErrorMixin:
    """``assertFormattedError``: check a response carries the protocol's error envelope."""

    def assertFormattedError(self, response: Any, code: int, errno: int, error: str,
                             message: str | None = None, info: str | None = None) -> None:
        assert response.headers["Content-Type"] == "application/json; charset=UTF-8", \
            response.headers["Content-Type"]
        body = response.json
        assert body["code"] == code, body
        assert body["errno"] == errno, body
        assert body["error"] == error, body
        if message is not None:
            assert message in body["message"], body
        else:
            assert "message" not in body, body
        if info is not None:
            assert info in body["info"], body
        else:
            assert "info" not in body, body


def _default_app(global_config: Any = None, **settings: Any) -> Any:
    config = Configurator(settings=settings)
    import cliquet

    cliquet.initialize(config, "0.0.1", "testapp")
    return config.make_wsgi_app()


class BaseWebTest:
    """WebTest base class: ``self.app`` runs the project with test settings.

    Override :meth:`make_app` (or set ``entry_point`` to the project's
    ``main(global_config, **settings)``) and :meth:`get_app_settings`.
    Paths are written without the version prefix (``self.app.get('/')``).
    The app is built on first use; backends are flushed after each test.
    """

    #: The project's WSGI factory ``main(global_config, **settings)``.
    entry_point: Any = None
    api_prefix = "v1"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = {"Content-Type": "application/json",
                        "Authorization": DEFAULT_AUTHORIZATION}

    @property
    def app(self) -> Any:
        if "_app" not in self.__dict__:
            self.__dict__["_app"] = self.make_app()
        return self.__dict__["_app"]

    @app.setter
    def app(self, value: Any) -> None:
        self.__dict__["_app"] = value

    def make_app(self, settings: dict | None = None, config: Any = None) -> Any:
        """A :class:`webtest.TestApp` of the project, with ``settings`` added."""
        entry_point = self.entry_point or _default_app
        if isinstance(entry_point, staticmethod):
            entry_point = entry_point.__func__
        wsgi_app = entry_point({}, **self.get_app_settings(settings))
        app = webtest.TestApp(wsgi_app)
        app.RequestClass = get_request_class(self.api_prefix)
        return app

    def get_app_settings(self, additional_settings: dict | None = None) -> dict:
        """Settings of the app under test: memory backends unless overridden."""
        settings = {
            "storage_backend": "cliquet.storage.memory",
            "cache_backend": "cliquet.cache.memory",
            "permission_backend": "cliquet.permission.memory",
            "project_name": "testapp",
            "userid_hmac_secret": "",
        }
        settings.update(additional_settings or {})
        return settings

    @property
    def registry(self) -> Any:
        return self.app.app.registry

    def _flush_backends(self) -> None:
        if "_app" not in self.__dict__:
            return
        for kind in ("storage", "cache", "permission"):
            backend = getattr(self.registry, kind, None)
            if backend is not None:
                backend.flush()

    def tearDown(self) -> None:
        self._flush_backends()
        parent = getattr(super(), "tearDown", None)
        if parent is not None:
            parent()

    def teardown_method(self, method: Any = None) -> None:
        self._flush_backends()


class AllowAuthorizationPolicy:
    """An authorization policy that allows everything."""

    def permits(self, context: Any, principals: Any, permission: str) -> bool:
        return True

    def principals_allowed_by_permission(self, context: Any, permission: str) -> Any:
        raise NotImplementedError()


def authorize(permits: bool = True,
              authz_class: str | None = None) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Decorate a test so the authorization policy answers ``permits``."""
    target = authz_class or "cliquet.testing.AllowAuthorizationPolicy"

    def wrapper(test: Callable[..., _T]) -> Callable[..., _T]:
        @functools.wraps(test)
        def wrapped(*args: Any, **kwargs: Any) -> _T:
            with mock.patch(f"{target}.permits", return_value=permits):
                return test(*args, **kwargs)
        return wrapped
    return wrapper


if TYPE_CHECKING:
    _TestCaseMixin = unittest.TestCase  # what ThreadMixin is mixed into
else:
    _TestCaseMixin = object


class ThreadMixin(_TestCaseMixin):
    """Start threads in a test and join them all at tear down."""

    def setUp(self) -> None:
        super().setUp()
        self._threads: list[threading.Thread] = []

    def tearDown(self) -> None:
        for thread in getattr(self, "_threads", []):
            thread.join()
        super().tearDown()

    def _create_thread(self, *args: Any, **kwargs: Any) -> threading.Thread:
        thread = threading.Thread(*args, **kwargs)
        self.__dict__.setdefault("_threads", []).append(thread)
        return thread


def _postgresql_available(url: str) -> bool:
    try:
        import psycopg2
    except ImportError:
        return False
    try:
        psycopg2.connect(url.replace("postgres://", "postgresql://", 1),
                         connect_timeout=3).close()
    except psycopg2.Error:
        return False
    return True


def skip_if_no_postgresql(test: _T) -> _T:
    """Skip ``test`` (a function or a class) when PostgreSQL is not reachable.

    The server is ``CLIQUET_TEST_POSTGRESQL_URL`` (default: the local
    ``postgres`` database). Under ``CI=true`` the test fails instead.
    """
    url = os.environ.get("CLIQUET_TEST_POSTGRESQL_URL",
                         "postgresql://postgres:postgres@127.0.0.1:5432/postgres")

    def check() -> None:
        if _postgresql_available(url):
            return
        if os.environ.get("CI", "").lower() == "true":
            raise AssertionError(f"PostgreSQL is not reachable at {url}")
        raise unittest.SkipTest(f"PostgreSQL is not reachable at {url}")

    if isinstance(test, type):
        for name in dir(test):
            if name.startswith("test"):
                setattr(test, name, _checked(check, getattr(test, name)))
        return test
    checked: _T = _checked(check, test)
    return checked


def _checked(check: Callable[[], None], test: Any) -> Any:
    @functools.wraps(test)
    def wrapped(*args: Any, **kwargs: Any) -> Any:

        check()
        return test(*args, **kwargs)
    return wrapped
