"""The helpers downstream applications use in their own tests."""
import threading
import unittest

import pytest

from cliquet import testing
from cliquet.tests import support as legacy_support
from tests import testapp


class DemoTest(testing.FormattedErrorMixin, testing.BaseWebTest, unittest.TestCase):
    entry_point = staticmethod(testapp.main)

    def get_app_settings(self, additional_settings=None):
        settings = super().get_app_settings(additional_settings)
        settings["project_name"] = "overridden"
        return settings

    def test_app_is_built_from_the_project_settings(self):
        body = self.app.get("/").json  # the version prefix is added
        assert body["project_name"] == "overridden"  # the setting wins

    def test_default_headers_authenticate(self):
        body = self.app.get("/", headers=self.headers).json
        assert body["user"]["id"] == testing.USER_PRINCIPAL

    def test_assert_formatted_error(self):
        response = self.app.get("/nowhere", status=404)
        self.assertFormattedError(response, 404, 111, "Not Found",
                                  "could not be found")
        with pytest.raises(AssertionError):
            self.assertFormattedError(response, 404, 110, "Not Found")

    def test_backends_are_flushed_at_tear_down(self):
        self.registry.storage.create("c", "p", {"a": 1})
        self.tearDown()
        assert self.registry.storage.get_all("c", "p")[1] == 0


def test_get_user_headers_differ_per_user():
    alice = testing.get_user_headers("alice")
    bob = testing.get_user_headers("bob")
    assert alice["Authorization"].startswith("Basic ")
    assert alice != bob


def test_get_request_class_prefixes_paths():
    request_class = testing.get_request_class("v3")
    assert request_class.blank("/articles").path == "/v3/articles"


def test_dummy_request_has_cliquet_attributes():
    request = testing.DummyRequest()
    assert request.errors == []
    assert request.validated == {}
    assert request.prefixed_userid == "basicauth:bob"
    assert request.bound_data == {}


def test_authorize_patches_the_policy():
    policy = testing.AllowAuthorizationPolicy()
    assert policy.permits(None, [], "read") is True

    @testing.authorize(permits=False)
    def denied():
        return policy.permits(None, [], "read")

    assert denied() is False
    assert policy.permits(None, [], "read") is True


class ThreadsTest(testing.ThreadMixin, unittest.TestCase):
    def test_threads_are_joined(self):
        results = []
        thread = self._create_thread(target=lambda: results.append(threading.get_ident()))
        thread.start()
        self.tearDown()
        assert len(results) == 1


def test_skip_if_no_postgresql_runs_when_server_is_up():
    calls = []

    @testing.skip_if_no_postgresql
    def needs_postgresql():
        calls.append(1)

    needs_postgresql()
    assert calls == [1]


def test_skip_if_no_postgresql_fails_under_ci_when_down(monkeypatch):
    monkeypatch.setenv("CLIQUET_TEST_POSTGRESQL_URL", "postgresql://x:y@127.0.0.1:1/db")

    @testing.skip_if_no_postgresql
    def needs_postgresql():
        raise AssertionError("must not run")

    monkeypatch.setenv("CI", "true")
    with pytest.raises(AssertionError, match="not reachable"):
        needs_postgresql()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(unittest.SkipTest):
        needs_postgresql()


def test_legacy_support_module_is_an_alias():
    assert legacy_support.BaseWebTest is testing.BaseWebTest
    assert legacy_support.USER_PRINCIPAL == testing.USER_PRINCIPAL
