"""ViewSet: Cornice arguments and request validation (PROTOCOL §6.4, §1.8.4)."""
import colander
import pytest
from cornice.errors import Errors

from cliquet.resource import ResourceSchema, ShareableResource, UserResource
from cliquet.resource.viewset import (
    CONTENT_TYPES, RAW_BODY_KEY, ShareableViewSet, ViewSet, require_body, validate_request,
)
from cliquet.testing import DummyRequest


class Schema(ResourceSchema):
    title = colander.SchemaNode(colander.String())


class Note(UserResource):
    mapping = Schema()


class Article(ShareableResource):
    mapping = Schema()


class Empty(UserResource):
    mapping = ResourceSchema()


def test_default_attributes():
    viewset = ViewSet()
    assert viewset.collection_path == "/{resource_name}s"
    assert viewset.record_path == "/{resource_name}s/{{id}}"
    assert viewset.collection_methods == ("GET", "POST", "DELETE")
    assert viewset.record_methods == ("GET", "PUT", "PATCH", "DELETE")
    assert viewset.readonly_methods == ("GET", "OPTIONS", "HEAD")
    assert viewset.get_service_arguments() == {"description": "Collection of {resource_name}"}
    assert viewset.get_service_arguments() is not viewset.service_arguments


def test_update_and_kwargs_override_attributes():
    viewset = ViewSet(collection_methods=("GET",))
    assert viewset.collection_methods == ("GET",)
    viewset.update(record_path="/x/{{id}}")
    assert viewset.record_path == "/x/{{id}}"


def test_view_arguments_are_merged_by_priority():
    viewset = ViewSet(default_arguments={"permission": "private", "accept": CONTENT_TYPES},
                      default_record_arguments={"permission": "record"},
                      default_get_arguments={"permission": "get", "extra": 1},
                      record_get_arguments={"cors_headers": ("X",)})
    args = viewset.get_view_arguments("record", Note, "GET")
    assert args["permission"] == "get"
    assert args["extra"] == 1 and args["cors_headers"] == ("X",)
    assert "validators" not in args
    args = viewset.record_arguments(Note, "PATCH")
    assert args["permission"] == "record" and args["content_type"] == CONTENT_TYPES
    assert args["validators"] == [validate_request]
    args = viewset.collection_arguments(Note, "GET")
    assert "Next-Page" in args["cors_headers"]


def test_views():
    viewset = ViewSet()
    assert viewset.get_view("record", "GET") == "get"
    assert viewset.get_view("collection", "DELETE") == "collection_delete"


def test_endpoint_enabled():
    viewset = ViewSet()
    assert viewset.is_endpoint_enabled("collection", "note", "delete", {})
    settings = {"collection_note_delete_enabled": False}
    assert not viewset.is_endpoint_enabled("collection", "note", "DELETE", settings)
    assert viewset.is_endpoint_enabled("record", "note", "delete", settings)
    readonly = {"readonly": "true"}
    assert viewset.is_endpoint_enabled("record", "note", "get", readonly)
    assert not viewset.is_endpoint_enabled("record", "note", "put", readonly)


def test_schemas():
    viewset = ViewSet()
    assert isinstance(viewset.get_record_schema(Note, "GET"), colander.MappingSchema)
    post = viewset.get_record_schema(Note, "POST")
    assert post.children == [Note.mapping]  # the request body: its ``data`` is the mapping
    assert Note.mapping.name == "data"
    patch = viewset.get_record_schema(Note, "PATCH")
    assert patch["data"].required
    assert patch["data"].deserialize({"any": 1}) == {"any": 1}


def test_every_view_gets_a_schema_only_validated_ones_get_validators():
    viewset = ViewSet()
    get = viewset.collection_arguments(Note, "GET")
    assert "schema" in get and "validators" not in get
    post = viewset.record_arguments(Note, "put")
    assert post["schema"].children == [Note.mapping]
    assert post["validators"] == [validate_request]


def test_shareable_viewset():
    viewset = ShareableViewSet()
    args = viewset.get_view_arguments("record", Article, "PATCH")
    assert args["permission"] == "dynamic"
    assert args["validators"] == [require_body, validate_request]
    body = args["schema"]
    assert not body["data"].required
    assert body["permissions"].known_perms == ("read", "write")
    from cliquet.authorization import RouteFactory

    assert viewset.get_service_arguments()["factory"] is RouteFactory


def validate(resource_cls, method, body=b"", params=None, viewset=None):
    viewset = viewset or ViewSet()
    request = DummyRequest(params=params or {})
    request.body = body
    request.errors = Errors()
    request.validated = {}
    request.info = {}
    schema = viewset.get_record_schema(resource_cls, method)
    validate_request(request, schema=schema)
    return request


def test_validate_request_success():
    request = validate(Note, "POST", b'{"data": {"title": "a", "x": 1}}')
    assert list(request.errors) == []
    assert request.validated == {"data": {"title": "a"}}
    assert request.info[RAW_BODY_KEY] == {"data": {"title": "a", "x": 1}}


def test_validate_request_defaults_data_when_the_schema_accepts_empty():
    assert validate(Empty, "POST").validated == {"data": {}}
    request = validate(Note, "PUT")
    assert list(request.errors) == [{"location": "body", "name": "data",
                                     "description": "data is missing"}]


@pytest.mark.parametrize("body,errors", [
    (b'{"data": {"title": 1}}',
     [("body", "data.title", "1 is not a string: {'title': ''}")]),
    (b'{"data": {}, "other": 1}', [("body", "other", "other is not allowed"),
                                   ("body", "data.title", "Required")]),
    (b'[]', [("body", None, "Invalid JSON request body: should be an object"),
             ("body", "data", "data is missing")]),
])
def test_validate_request_errors(body, errors):
    request = validate(Note, "POST", body)
    found = {(e["location"], e["name"], e["description"]) for e in request.errors}
    assert found == set(errors)


def test_validate_request_rejects_invalid_json_with_the_decoder_message():
    request = validate(Note, "POST", b"{nope")
    first = request.errors[0]
    assert first["name"] is None
    assert first["description"].startswith("Invalid JSON request body: ")
    assert len(first["description"]) > len("Invalid JSON request body: ")


@pytest.mark.parametrize("body,message", [
    (b"{'foo>}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b'{"foo": "\\u0d1"}', "Invalid \\uXXXX escape sequence: line 1 column 11 (char 10)"),
])
def test_invalid_json_is_described_as_3_1_described_it(body, message):
    request = validate(Note, "POST", body)
    assert request.errors[0]["description"] == f"Invalid JSON request body: {message}"


def test_validate_request_rejects_querystring():
    request = validate(Note, "PATCH", b'{"data": {}}', params={"a": "1", "_since": "2"})
    assert [(e["location"], e["name"], e["description"]) for e in request.errors] == [
        ("querystring", "a", "a is not allowed"),
        ("querystring", "_since", "_since is not allowed")]


def test_require_body():
    request = DummyRequest()
    request.body = b""
    request.errors = Errors()
    require_body(request)
    assert request.errors[0]["description"] == "Provide at least one of data or permissions"
