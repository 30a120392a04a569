"""Registering resources, names, deprecated aliases (PROTOCOL §6.3, §6.5)."""
import warnings

import colander
import pytest
from pyramid import httpexceptions
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

import cliquet
from cliquet import resource
from cliquet.resource import model as model_module
from cliquet.resource import viewset as viewset_module
from cliquet.testing import DummyRequest
from tests import support


def test_public_names():
    for name in ("register", "register_resource", "UserResource", "ShareableResource",
                 "BaseResource", "ProtectedResource", "Model", "ShareableModel",
                 "ResourceSchema", "ViewSet", "ShareableViewSet", "Filter", "Sort",
                 "COMPARISON"):
        assert hasattr(resource, name), name
    assert hasattr(model_module, "ProtectedModel")
    assert hasattr(viewset_module, "ProtectedViewSet")
    assert viewset_module.CONTENT_TYPES == ["application/json"]


def test_scanning_without_storage_fails():
    config = Configurator(settings={})
    cliquet.initialize(config, "1.0", "testapp")
    with pytest.raises(ConfigurationError,
                       match="Mandatory storage backend is missing from configuration."):
        config.scan("tests.resource.resources")


def test_register_resource_with_an_explicit_viewset_and_settings():
    class Gadget(resource.UserResource):
        pass

    viewset = resource.ViewSet(collection_methods=("GET",))
    callback = resource.register_resource(Gadget, viewset=viewset, name="widget",
                                          settings={"record_widget_put_enabled": "false"})
    assert viewset.name == "widget"
    config = Configurator(settings=dict(support.MEMORY_SETTINGS))
    cliquet.initialize(config, "1.0", "testapp")
    context = type("Context", (), {"config": config})()
    callback(context, "Gadget", Gadget)
    import webtest

    app = webtest.TestApp(config.make_wsgi_app())
    headers = support_headers()
    app.get("/v1/widgets", headers=headers)
    app.post_json("/v1/widgets", {}, headers=headers, status=405)
    app.put_json("/v1/widgets/4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a", {}, headers=headers,
                 status=405)
    services = [s for s in config.registry.cornice_services.values()
                if getattr(s, "resource_name", None) == "widget"]
    assert {s.description for s in services} == {"Collection of widget"}
    # Views that validate nothing get no schema (no body validator on GET).
    collection = next(s for s in services if s.endpoint_type == "collection")
    [(_, _, get_arguments)] = [d for d in collection.definitions if d[0] == "GET"]
    assert "schema" not in get_arguments


def test_services_are_built_with_the_service_class_of_the_package(monkeypatch):
    built = []

    class RecordingService(resource.Service):
        def __init__(self, name, path, *args, **kwargs):
            built.append((name, path, kwargs.get("depth")))
            super().__init__(name, path, *args, **kwargs)

    class Gizmo(resource.UserResource):
        pass

    monkeypatch.setattr(resource, "Service", RecordingService)
    callback = resource.register_resource(Gizmo, name="gizmo",
                                          collection_path="/gizmos/{parent:[a-z]+}",
                                          record_path="/gizmos/{parent:[a-z]+}/{{id}}")
    config = Configurator(settings=dict(support.MEMORY_SETTINGS))
    cliquet.initialize(config, "1.0", "testapp")
    callback(type("Context", (), {"config": config})(), "Gizmo", Gizmo)
    assert built == [("gizmo-collection", "/gizmos/{parent:[a-z]+}", 1),
                     ("gizmo-record", "/gizmos/{parent:[a-z]+}/{id}", 1)]
    [service] = [s for s in config.registry.cornice_services.values()
                 if s.name == "gizmo-record"]
    # Templates of the permission object ids, without the placeholders' regexes.
    assert (service.collection_path, service.record_path) == ("/gizmos/{parent}",
                                                              "/gizmos/{parent}/{id}")


def support_headers():
    from cliquet.testing import get_user_headers

    return get_user_headers("alice")


def test_name_resolution():
    class Thing(resource.UserResource):
        pass

    class Named(resource.UserResource):
        name = "other"

    class Method(resource.UserResource):
        def name(self):
            return "ignored"

    viewset = resource.ViewSet()
    assert viewset.get_name(Thing) == "thing"
    assert viewset.get_name(Named) == "other"
    assert viewset.get_name(Method) == "method"
    assert resource.ViewSet(name="forced").get_name(Named) == "forced"
    assert viewset.get_service_name("record", Named) == "other-record"


def test_subclassing_deprecated_aliases_warns():
    with pytest.warns(DeprecationWarning,
                      match=r"^BaseResource is deprecated\. Use UserResource instead\.$") as seen:
        class Old(resource.BaseResource):
            pass
    assert seen[0].filename == __file__  # the warning points at the subclass

    with pytest.warns(DeprecationWarning, match="ProtectedResource is deprecated"):
        class OldShared(resource.ProtectedResource):
            pass

    assert issubclass(Old, resource.UserResource)
    assert issubclass(OldShared, resource.ShareableResource)
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class New(resource.UserResource):
            pass


def test_deprecated_model_and_viewset_warn():
    with pytest.warns(DeprecationWarning):
        model_module.ProtectedModel(storage=None)
    with pytest.warns(DeprecationWarning):
        viewset_module.ProtectedViewSet()


def make_request(**kwargs):
    request = DummyRequest(**kwargs)
    registry = request.registry
    from cliquet.storage import memory
    from cliquet.storage.generators import UUID4

    registry.storage = memory.Storage()
    registry.id_generator = UUID4()
    registry.settings = {}
    return request


def test_user_resource_members():
    request = make_request()
    request.matchdict = {"id": "abc"}
    res = resource.UserResource(request)
    assert res.record_id == "abc"
    assert res.model.collection_id == "userresource"
    assert res.model.parent_id == "basicauth:bob"
    assert isinstance(res.timestamp, int)
    assert res.is_known_field("id") and res.is_known_field("deleted")
    assert not res.is_known_field("title")
    assert res.force_patch_update is False
    with pytest.warns(DeprecationWarning):
        assert res.collection is res.model


def test_process_record_drops_an_older_timestamp():
    res = resource.UserResource(make_request())
    assert res.process_record({"last_modified": 5}, old={"last_modified": 5}) == {}
    assert res.process_record({"last_modified": 6}, old={"last_modified": 5}) == \
        {"last_modified": 6}
    assert res.process_record({"last_modified": 4}) == {"last_modified": 4}


def test_apply_changes_and_postprocess():
    class Schema(resource.ResourceSchema):
        title = colander.SchemaNode(colander.String())
        device = colander.SchemaNode(colander.String(), missing=colander.drop)

        class Options:
            readonly_fields = ("device",)

    class Thing(resource.UserResource):
        mapping = Schema()

    request = make_request()
    notified = []
    request.notify_resource_event = lambda **kwargs: notified.append(kwargs)
    res = Thing(request)
    assert res.apply_changes({"title": "a", "id": "x"}, {"title": "b"}) == {"title": "b"}
    assert res.postprocess({"id": "x"}) == {"data": {"id": "x"}}
    assert notified[0]["action"].value == "read"


def test_shareable_resource_members():
    request = make_request()
    request.registry.permission = object()
    res = resource.ShareableResource(request)
    assert res.model.parent_id == ""
    assert res.permissions == ("read", "write")
    assert res.force_patch_update is True
    assert res.model.current_principal == "basicauth:bob"
    request.upath_info = "/v1/things"  # the path without the script name
    assert res.model.get_permission_object_id("abc") == "/things/abc"


@pytest.mark.parametrize("shared_ids,expected", [
    (None, 3), ([], 3), (["tata"], 0), ("first", 1),
])
def test_shared_ids_of_the_context_restrict_collections(shared_ids, expected):
    request = make_request()
    from cliquet.permission import memory

    request.registry.permission = memory.Permission()
    request.notify_resource_event = lambda **kwargs: None
    context = type("Context", (), {"shared_ids": None})()
    res = resource.ShareableResource(request, context)
    records = [res.model.create_record({}) for _ in range(3)]
    context.shared_ids = [records[0]["id"]] if shared_ids == "first" else shared_ids
    assert len(res.collection_get()["data"]) == expected


def test_apply_changes_asks_the_mapping_which_fields_are_readonly():
    class Schema(resource.ResourceSchema):
        title = colander.SchemaNode(colander.String())

        def is_readonly(self, field):
            return field == "title"

    class Thing(resource.UserResource):
        mapping = Schema()

    res = Thing(make_request())
    assert res.apply_changes({"title": "a"}, {"title": "a"}) == {"title": "a"}
    with pytest.raises(httpexceptions.HTTPBadRequest) as raised:
        res.apply_changes({"title": "a"}, {"title": "b"})
    assert raised.value.json["message"] == "Cannot modify title"


def test_views_read_the_record_of_the_request_the_context_already_read():
    request = make_request()
    request.notify_resource_event = lambda **kwargs: None
    stored = resource.UserResource(request).model.create_record({"title": "stored"})
    request.matchdict = {"id": stored["id"]}
    # The context's record is trusted as the request's record (no second read).
    read = {"id": "as-read", "title": "context", "last_modified": stored["last_modified"]}
    context = type("Context", (), {"current_record": read})()
    res = resource.UserResource(request, context)
    assert res.get()["data"]["title"] == "context"
    other = res.model.create_record({"title": "other"})
    assert res._find_record(other["id"])["title"] == "other"


def test_cache_expires_setting_is_named_after_the_context_resource():
    request = make_request()
    request.prefixed_userid = None
    request.notify_resource_event = lambda **kwargs: None
    request.registry.settings = {"memo_cache_expires_seconds": "3"}
    context = type("Context", (), {"resource_name": "memo"})()
    res = resource.UserResource(request, context)
    res.collection_get()
    assert request.response.cache_control.max_age == 3


def test_payload_falls_back_on_the_request_json_without_a_validated_body():
    request = make_request()
    request.json = {"data": {"title": "raw"}}
    assert resource.UserResource(request)._raw_payload() == {"data": {"title": "raw"}}
    request.info = {resource.RAW_BODY_KEY: ["not", "an", "object"]}
    assert resource.UserResource(request)._raw_payload() == {"data": {"title": "raw"}}
    request.info = {resource.RAW_BODY_KEY: {"data": {}}}
    assert resource.UserResource(request)._raw_payload() == {"data": {}}


def test_patch_of_a_model_returning_no_timestamp_gives_the_collection_one():
    class Model(resource.Model):
        def update_record(self, record, **kwargs):
            super().update_record(record, **kwargs)
            return {"title": record["title"]}

    class Thing(resource.UserResource):
        default_model = Model
        mapping = colander.SchemaNode(colander.Mapping(unknown="preserve"))

    request = make_request()
    request.notify_resource_event = lambda **kwargs: None
    stored = Thing(request).model.create_record({"title": "a"})
    request.matchdict = {"id": stored["id"]}
    request.json = {"data": {"title": "b"}}
    res = Thing(request)
    assert res.patch()["data"] == {"title": "b"}
    assert request.response.headers["ETag"] == f'"{res.model.timestamp()}"'
