"""The authorization context of shareable resources (PROTOCOL §3.3–§3.5, §6.13)."""
import pytest
from pyramid.interfaces import IRoutesMapper
from pyramid.request import apply_request_extensions

from cliquet.authorization import AuthorizationPolicy, RouteFactory

UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"


def context_of(app, method, path, script_name="", **settings):
    """The RouteFactory of a request routed by the app (no view is called)."""
    registry = app.app.registry
    registry.settings.update(settings)
    request = app.app.request_factory.blank(path, method=method,
                                            base_url=f"http://localhost{script_name}")
    request.registry = registry
    apply_request_extensions(request)
    info = registry.getUtility(IRoutesMapper)(request)
    request.matchdict, request.matched_route = info["match"], info["route"]
    return RouteFactory(request)


@pytest.fixture
def app(make_app):
    return make_app()


def test_collection_context(app):
    context = context_of(app, "GET", "/v1/articles", article_read_principals="a  b")
    assert context.resource_name == "article"
    assert context.on_collection is True
    assert context.required_permission == "read"
    assert context.permission_object_id == "/articles"
    assert context.allowed_principals == ["a", "b"]
    assert context.current_record is None and context.shared_ids is None
    assert context.get_permission_object_id(context.request, "abc") == "/articles/abc"
    assert RouteFactory.extract_object_id("/articles/abc") == "abc"


def test_object_ids_ignore_the_script_name(app):
    context = context_of(app, "GET", "/v1/articles", script_name="/api")
    assert context.request.path == "/api/v1/articles"
    assert context.permission_object_id == "/articles"


@pytest.mark.parametrize("method,permission", [
    ("HEAD", "read"), ("POST", "create"), ("DELETE", "write"),
])
def test_required_permission_per_method(app, method, permission):
    assert context_of(app, method, "/v1/articles").required_permission == permission


def test_record_context(app):
    context = context_of(app, "PATCH", f"/v1/articles/{UNKNOWN_ID}")
    assert context.on_collection is False
    assert context.required_permission == "write"
    assert context.permission_object_id == f"/articles/{UNKNOWN_ID}"


def test_put_on_a_missing_record_needs_create_on_the_collection(app):
    context = context_of(app, "PUT", f"/v1/articles/{UNKNOWN_ID}")
    assert context.required_permission == "create"
    assert context.permission_object_id == "/articles"
    assert context.current_record is None


def test_put_on_an_existing_record_needs_write(app, alice):
    record = app.post_json("/v1/articles", {"data": {}}, headers=alice).json["data"]
    context = context_of(app, "PUT", f"/v1/articles/{record['id']}")
    assert context.required_permission == "write"
    assert context.current_record["id"] == record["id"]
    assert context.permission_object_id == f"/articles/{record['id']}"


def test_non_resource_services_get_an_empty_context(app):
    context = context_of(app, "GET", "/v1/__heartbeat__")
    assert (context.resource_name, context.required_permission, context.allowed_principals,
            context.permission_object_id, context.on_collection) == (None,) * 5


def permits(context, principals, permission="dynamic"):
    return AuthorizationPolicy().permits(context, principals, permission)


def test_settings_list_decides_alone(app):
    context = context_of(app, "GET", "/v1/articles", article_read_principals="group:a")
    app.app.registry.permission.add_principal_to_ace("/articles", "read", "group:b")
    assert permits(context, ["group:a"]) is True
    assert permits(context, ["group:b"]) is False


def test_context_checks_the_backend_on_the_object_of_the_request(app):
    app.app.registry.permission.add_principal_to_ace("/articles", "read", "group:b")
    context = context_of(app, "GET", "/v1/articles")
    assert context.check_permission("read", ["group:b"]) is True
    assert context.check_permission("write", ["group:b"]) is False
    assert permits(context, ["group:b"]) is True
    assert context.shared_ids is None


def test_shared_records_grant_collection_reads_and_deletes(app):
    backend = app.app.registry.permission
    backend.add_principal_to_ace("/articles/r1", "read", "group:b")
    backend.add_principal_to_ace("/articles/r2", "write", "group:b")
    context = context_of(app, "GET", "/v1/articles")
    assert context.check_permission("read", ["group:b"]) is False
    assert permits(context, ["group:b"]) is True
    assert context.shared_ids == ["r1"]
    context = context_of(app, "DELETE", "/v1/articles")
    assert permits(context, ["group:b"]) is True
    assert context.shared_ids == ["r2"]
    context = context_of(app, "POST", "/v1/articles")
    assert permits(context, ["group:b"]) is False
    assert context.shared_ids is None
    context = context_of(app, "GET", "/v1/articles")
    assert permits(context, ["group:c"]) is False
    assert context.fetch_shared_records("read", ["group:b"]) == ["r1"]


class FakeContext:
    """A context that records the permission checks the policy asks for."""

    def __init__(self, prefixed_userid=None, allowed_principals=(), allowed=True):
        self.prefixed_userid, self.allowed = prefixed_userid, allowed
        self.allowed_principals = list(allowed_principals)
        self.required_permission, self.resource_name = "create", "article"
        self.on_collection = False
        self.checks = []

    def get_prefixed_userid(self):
        return self.prefixed_userid

    def check_permission(self, permission, principals, get_bound_permissions=None):
        self.checks.append((permission, principals, get_bound_permissions))
        return self.allowed


def test_policy_resolves_dynamic_and_create():
    context = FakeContext()
    assert permits(context, ["system.Everyone"])
    assert permits(context, ["system.Everyone"], "read")
    assert [check[0] for check in context.checks] == ["article:create", "read"]
    assert permits(context, ["system.Authenticated"], "private")
    assert not permits(context, ["system.Everyone"], "private")
    assert not permits(object(), ["system.Everyone"], "read")


def test_policy_replaces_the_bare_userid_by_the_prefixed_ones():
    context = FakeContext(prefixed_userid="fxa:bob")
    policy = AuthorizationPolicy()
    policy.get_bound_permissions = bound = object()
    policy.permits(context, ["system.Everyone", "bob"], "read")
    assert context.checks == [("read", ["system.Everyone", "fxa:bob", "fxa_bob"], bound)]


def test_policy_asks_the_backend_only_without_settings_principals():
    context = FakeContext(allowed_principals=["group:a"], allowed=True)
    assert permits(context, ["group:a"]) is True
    assert permits(context, ["group:b"]) is False
    assert context.checks == []


def test_record_context_decides_on_another_record(app):
    context = context_of(app, "POST", "/v1/articles", article_read_principals="group:r",
                         article_create_principals="group:c")
    other = context.record_context("abc", "read")
    assert (other.permission_object_id, other.required_permission, other.on_collection,
            other.allowed_principals) == ("/articles/abc", "read", False, ["group:r"])
    assert context.required_permission == "create"  # the request's own context is untouched
    assert context.allowed_principals == ["group:c"]


def test_services_are_found_by_route_pattern_whatever_the_route_name():
    from unittest import mock

    from pyramid.request import Request

    request = Request.blank("/")
    request.matched_route = mock.Mock(pattern="foo")  # its name is not a string
    request.registry = mock.Mock(cornice_services={"foo": object()}, settings={})
    context = RouteFactory(request)
    assert (context.resource_name, context.required_permission, context.current_record,
            context.get_shared_ids) == (None,) * 4
