"""``GET /v1/__api__``: the OpenAPI 3.1 description, and its agreement with the server.

The agreement checks validate real responses against the description (status
declared, required headers present, body matching its schema), the way a
client generated from the description would rely on them.
"""
import colander
import pytest
import webtest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pyramid.exceptions import ConfigurationError

import demo
from cliquet import resource
from cliquet.testing import get_user_headers
from tests import testapp
from tests.support import MEMORY_SETTINGS, make_app

ALICE = get_user_headers("alice")
DEMO_SETTINGS = dict(MEMORY_SETTINGS, bookmark_create_principals="system.Authenticated")


class TicketSchema(resource.ResourceSchema):
    title = colander.SchemaNode(colander.String(), validator=colander.Length(min=2, max=20))
    status = colander.SchemaNode(colander.String(), missing="open",
                                 validator=colander.OneOf(["open", "closed"]))
    priority = colander.SchemaNode(colander.Integer(), missing=colander.drop,
                                   validator=colander.Range(min=1, max=5))
    tags = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(colander.String()),
                               missing=colander.drop)
    due = colander.SchemaNode(colander.DateTime(), missing=colander.drop)


@resource.register()
class Ticket(resource.UserResource):
    """``/tickets``: a downstream resource with validators, and no OpenAPI code."""

    mapping = TicketSchema()


def description_of(app) -> dict:
    return app.get("/v1/__api__").json


@pytest.fixture(scope="module")
def demo_app():
    return webtest.TestApp(demo.main({}, **DEMO_SETTINGS))


@pytest.fixture(scope="module")
def tickets_app():
    return make_app(MEMORY_SETTINGS, scan="tests.test_openapi")


def _schema_validator(description: dict, schema: dict) -> Draft202012Validator:
    return Draft202012Validator(dict(schema, components=description["components"]))


def _resolve(description: dict, item: dict) -> dict:
    while "$ref" in item:
        kind, name = item["$ref"].split("/")[-2:]
        item = description["components"][kind][name]
    return item


def check_response(description: dict, path: str, method: str, response) -> None:
    """``response`` is one the description declares for ``path`` and ``method``."""
    operation = description["paths"][path][method.lower()]
    declared = operation["responses"]
    assert str(response.status_int) in declared, (response.status, sorted(declared))
    expected = _resolve(description, declared[str(response.status_int)])
    for name, header in expected.get("headers", {}).items():
        header = _resolve(description, header)
        if header.get("required"):
            assert name in response.headers, f"{name} missing from {response.status}"
    content = expected.get("content")
    if content is None:
        assert not response.body
        return
    media_type = response.headers["Content-Type"].split(";")[0]
    assert media_type in content
    if media_type == "application/json":
        validator = _schema_validator(description, content[media_type]["schema"])
        errors = [error.message for error in validator.iter_errors(response.json)]
        assert not errors, (response.json, errors)


# The document.

def test_description_of_the_demo_is_valid_openapi_3_1(demo_app):
    description = description_of(demo_app)
    validate(description)
    assert description["openapi"] == "3.1.0"
    assert description["info"]["title"] == "demo"
    assert description["info"]["version"] == "1.0.0"
    assert description["servers"] == [{"url": "/v1"}]


def test_description_of_the_test_apps_is_valid_openapi_3_1(tickets_app):
    validate(description_of(webtest.TestApp(testapp.main({}, **MEMORY_SETTINGS))))
    validate(description_of(tickets_app))
    resources = make_app(dict(MEMORY_SETTINGS, article_create_principals="system.Everyone"),
                         scan="tests.resource.resources")
    description = description_of(resources)
    validate(description)
    tasks = description["paths"]["/lists/{list_id}/tasks/{id}"]
    assert [p["name"] for p in tasks["parameters"]] == ["list_id", "id"]


def test_every_service_and_method_is_described(demo_app):
    description = description_of(demo_app)
    services = demo_app.app.registry.cornice_services.values()
    assert len(description["paths"]) == len(services)
    for service in services:
        methods = {method.lower() for method, _, _ in service.definitions} - {"options"}
        assert set(description["paths"][service.path]) - {"parameters"} == methods
    assert set(description["paths"]["/mushrooms/{id}"]) == {
        "get", "head", "put", "patch", "delete", "parameters"}


def test_disabled_methods_are_not_described():
    app = make_app(dict(MEMORY_SETTINGS, readonly="true"), scan="tests.test_openapi")
    description = description_of(app)
    validate(description)
    assert set(description["paths"]["/tickets"]) == {"get", "head"}
    assert set(description["paths"]["/tickets/{id}"]) == {"get", "head", "parameters"}


def test_description_is_json_with_cors_like_other_views(demo_app):
    response = demo_app.get("/v1/__api__", headers={"Origin": "http://app.example.com"})
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"Backoff", "Retry-After", "Alert", "Content-Length", "Vary"}
    preflight = demo_app.options("/v1/__api__", headers={
        "Origin": "http://app.example.com", "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    demo_app.post("/v1/__api__", status=405)


def test_hello_links_to_the_description(demo_app):
    hello = demo_app.get("/v1/").json
    assert hello["openapi"] == "http://localhost/v1/__api__"
    assert demo_app.get(hello["openapi"]).json["openapi"] == "3.1.0"
    check_response(description_of(demo_app), "/", "GET", demo_app.get("/v1/", headers=ALICE))


def test_unversioned_url_redirects_or_is_404_116():
    response = make_app().get("/__api__", status=307)
    assert response.headers["Location"] == "http://localhost/v1/__api__"
    app = make_app({"version_prefix_redirect_enabled": "false"})
    assert app.get("/__api__", status=404).json["errno"] == 116


# Resources: what the description says is what the server does.

def test_required_fields_are_required_by_the_server(tickets_app):
    data = description_of(tickets_app)["components"]["schemas"]["TicketData"]
    assert data["required"] == ["title"]
    response = tickets_app.post_json("/v1/tickets", {"data": {"status": "open"}},
                                     headers=ALICE, status=400)
    assert response.json["details"][0]["name"] == "data.title"
    tickets_app.post_json("/v1/tickets", {"data": {"title": "Fix"}}, headers=ALICE, status=201)


def test_types_and_validators_match_what_the_server_accepts(tickets_app):
    properties = description_of(tickets_app)["components"]["schemas"]["TicketData"]["properties"]
    assert properties["title"] == {"type": "string", "minLength": 2, "maxLength": 20}
    assert properties["status"] == {"type": "string", "enum": ["open", "closed"],
                                    "default": "open"}
    assert properties["priority"] == {"type": "integer", "format": "int64",
                                      "minimum": 1, "maximum": 5}
    assert properties["tags"] == {"type": "array", "items": {"type": "string"}}
    assert properties["due"] == {"type": "string", "format": "date-time"}
    rejected = [{"title": "x"}, {"title": "Fix", "status": "lost"},
                {"title": "Fix", "priority": 6}, {"title": "Fix", "priority": 0},
                {"title": "Fix", "tags": "one"}, {"title": "Fix", "due": "soon"}]
    for data in rejected:
        tickets_app.post_json("/v1/tickets", {"data": data}, headers=ALICE, status=400)
    accepted = {"title": "Fix", "status": "closed", "priority": 5, "tags": ["a"],
                "due": "2016-03-15T10:00:00+00:00"}
    tickets_app.post_json("/v1/tickets", {"data": accepted}, headers=ALICE, status=201)


def test_unknown_payload_keys_are_forbidden_in_description_and_server(tickets_app):
    body = description_of(tickets_app)["paths"]["/tickets"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"data"}
    tickets_app.post_json("/v1/tickets", {"data": {"title": "Fix"}, "permissions": {}},
                          headers=ALICE, status=400)


def test_shareable_payloads_describe_their_permissions(demo_app):
    description = description_of(demo_app)
    body = description["paths"]["/bookmarks/{id}"]["patch"]["requestBody"]
    permissions = body["content"]["application/json"]["schema"]["properties"]["permissions"]
    assert set(permissions["properties"]) == {"read", "write"}
    assert permissions["additionalProperties"] is False
    assert body["required"] is False
    record = "/v1/bookmarks/8c0b1e4c-9ab5-4d86-a0e3-7a4d3d38a1b2"
    demo_app.put_json(record, {"data": {"url": "http://a.org"}}, headers=ALICE, status=201)
    demo_app.patch_json(record, {"permissions": {"share": ["bob"]}}, headers=ALICE, status=400)
    response = demo_app.patch_json(record, {"permissions": {"read": ["bob"]}}, headers=ALICE)
    check_response(description, "/bookmarks/{id}", "PATCH", response)


def test_every_described_filter_and_sort_is_accepted(tickets_app):
    description = description_of(tickets_app)
    operation = description["paths"]["/tickets"]["get"]
    values = {"string": "x", "integer": "3", "number": "1.5", "boolean": "true"}
    names = set()
    for parameter in operation["parameters"]:
        parameter = _resolve(description, parameter)
        if parameter["in"] != "query" or parameter["name"].startswith("_"):
            continue
        names.add(parameter["name"])
        schema = parameter["schema"]
        value = values[schema["items"]["type"] if schema["type"] == "array" else schema["type"]]
        tickets_app.get(f"/v1/tickets?{parameter['name']}={value}", headers=ALICE)
    assert {"status", "min_priority", "not_title", "in_id", "exclude_last_modified",
            "gt_deleted"} <= names
    tickets_app.get("/v1/tickets?undescribed=1", headers=ALICE, status=400)
    sort = next(p for p in operation["parameters"] if p.get("name") == "_sort")
    for field in sort["schema"]["items"]["enum"]:
        tickets_app.get(f"/v1/tickets?_sort={field}", headers=ALICE)
    assert {"_since", "_before", "_limit", "_token", "_fields"} <= {
        p.get("name") for p in operation["parameters"]}


def test_resource_responses_match_the_description(backend, make_backend_app):
    app = make_backend_app(scan="tests.test_openapi")
    if backend != "memory":
        for kind in ("storage", "permission", "cache"):
            getattr(app.app.registry, kind).initialize_schema()
    description = description_of(app)
    collection, record = "/tickets", "/tickets/{id}"
    for _ in range(3):
        response = app.post_json("/v1/tickets", {"data": {"title": "Fix", "priority": 2}},
                                 headers=ALICE, status=201)
        check_response(description, collection, "POST", response)
    record_id = response.json["data"]["id"]
    url = f"/v1/tickets/{record_id}"
    check_response(description, collection, "POST", app.post_json(
        "/v1/tickets", {"data": {"id": record_id, "title": "Again"}}, headers=ALICE))
    page = app.get("/v1/tickets?_limit=2&_sort=-priority", headers=ALICE)
    assert "Next-Page" in page.headers
    check_response(description, collection, "GET", page)
    check_response(description, collection, "HEAD", app.head("/v1/tickets", headers=ALICE))
    etag = page.headers["ETag"]
    check_response(description, collection, "GET", app.get(
        "/v1/tickets", headers=dict(ALICE, **{"If-None-Match": etag}), status=304))
    check_response(description, record, "GET", app.get(url + "?_fields=title", headers=ALICE))
    check_response(description, record, "PATCH", app.patch_json(
        url, {"data": {"status": "closed"}}, headers=dict(ALICE, **{"Response-Behavior": "diff"})))
    check_response(description, record, "PUT", app.put_json(
        url, {"data": {"title": "Replaced"}}, headers=ALICE))
    check_response(description, record, "PUT", app.put_json(
        url, {"data": {"title": "Stale"}}, headers=dict(ALICE, **{"If-Match": '"1"'}),
        status=412))
    check_response(description, record, "DELETE", app.delete(url, headers=ALICE))
    check_response(description, collection, "GET", app.get("/v1/tickets?_since=0",
                                                           headers=ALICE))
    check_response(description, record, "GET", app.get(url, headers=ALICE, status=404))
    check_response(description, collection, "DELETE", app.delete("/v1/tickets",
                                                                  headers=ALICE))


def test_error_responses_match_the_error_schema(tickets_app):
    description = description_of(tickets_app)
    check_response(description, "/tickets", "GET", tickets_app.get("/v1/tickets", status=401))
    check_response(description, "/tickets", "GET", tickets_app.get(
        "/v1/tickets?_limit=many", headers=ALICE, status=400))
    check_response(description, "/tickets", "GET", tickets_app.get(
        "/v1/tickets", headers=dict(ALICE, Accept="text/html"), status=406))
    check_response(description, "/tickets", "POST", tickets_app.post(
        "/v1/tickets", "title=x", headers=ALICE, status=415))
    check_response(description, "/tickets/{id}", "PATCH", tickets_app.patch_json(
        "/v1/tickets/4b0c5a8e-1df8-4a4a-9d6a-4c1e3e0f8b5d", {"data": {}}, headers=ALICE,
        status=404))


def test_headers_are_described(demo_app):
    description = description_of(demo_app)
    get = description["paths"]["/mushrooms"]["get"]
    assert {"ETag", "Last-Modified", "Total-Records", "Next-Page", "Backoff", "Alert"} <= set(
        get["responses"]["200"]["headers"])
    assert {"#/components/parameters/If-Match", "#/components/parameters/If-None-Match"} <= {
        p.get("$ref") for p in get["parameters"]}
    unavailable = description["components"]["responses"]["ServiceUnavailable"]
    assert "Retry-After" in unavailable["headers"]
    assert {"400", "401", "406", "412", "500", "503"} <= set(get["responses"])
    assert "403" not in get["responses"]  # a private resource: authenticated is enough
    assert "403" in description["paths"]["/bookmarks"]["get"]["responses"]


def test_plain_services_are_described(demo_app):
    description = description_of(demo_app)
    paths = description["paths"]
    assert set(paths) >= {"/", "/__heartbeat__", "/__lbheartbeat__", "/batch", "/__api__"}
    batch = paths["/batch"]["post"]
    requests = batch["requestBody"]["content"]["application/json"]["schema"]
    assert requests["properties"]["requests"]["type"] == "array"
    method = requests["properties"]["requests"]["items"]["properties"]["method"]
    assert "PATCH" in method["enum"]
    check_response(description, "/batch", "POST", demo_app.post_json(
        "/v1/batch", {"requests": [{"path": "/mushrooms"}]}))
    check_response(description, "/__heartbeat__", "GET", demo_app.get("/v1/__heartbeat__"))
    echo = description_of(webtest.TestApp(testapp.main({}, **MEMORY_SETTINGS)))["paths"]["/echo"]
    assert echo["post"]["summary"] == "echo"
    assert set(echo) == {"get", "head", "post"}


def test_basic_auth_is_the_security_scheme_when_configured(demo_app):
    description = description_of(demo_app)
    assert description["components"]["securitySchemes"] == {"basicAuth": {
        "type": "http", "scheme": "basic",
        "description": "Any user name and password: they identify the user."}}
    paths = description["paths"]
    assert paths["/mushrooms"]["get"]["security"] == [{"basicAuth": []}]
    assert paths["/bookmarks"]["get"]["security"] == [{"basicAuth": []}, {}]
    assert paths["/"]["get"]["security"] == [{"basicAuth": []}, {}]
    app = make_app({"multiauth.policies": "token",
                    "multiauth.policy.token.use": "tests.testapp.auth.TokenAuthenticationPolicy"})
    description = description_of(app)
    validate(description)
    assert "securitySchemes" not in description["components"]
    assert "security" not in description["paths"]["/"]["get"]


# Server fixes found by fuzzing from the description.

def test_integers_beyond_64_bits_are_invalid(tickets_app):
    response = tickets_app.post_json("/v1/tickets", {"data": {"title": "Fix", "priority": 1}},
                                     headers=ALICE)
    url = f"/v1/tickets/{response.json['data']['id']}"
    response = tickets_app.patch_json(url, {"data": {"priority": 1e30}}, headers=ALICE,
                                      status=400)
    assert response.json["details"][0]["name"] == "data.priority"
    app = webtest.TestApp(demo.main({}, **DEMO_SETTINGS))
    response = app.post_json("/v1/mushrooms", {"data": {"name": "x", "size": -2 ** 70}},
                             headers=ALICE, status=400)
    assert response.json["message"] == \
        f"data.size in body: {-2 ** 70} is not a 64-bit integer"


def test_batch_defaults_never_overwrite_a_non_object_value(demo_app):
    response = demo_app.post_json("/v1/batch", {
        "defaults": {"method": "POST", "body": {"data": {"name": "default"}}},
        "requests": [{"path": "/mushrooms", "body": {"data": ["not", "an", "object"]}}],
    }, headers=ALICE)
    assert response.json["responses"][0]["status"] == 400


def test_explorer_needs_the_assets_package(monkeypatch):
    import cliquet.openapi

    monkeypatch.setattr(cliquet.openapi, "ASSETS_PACKAGE", "no_such_swagger_ui_package")
    with pytest.raises(ConfigurationError, match=r"cliquet\[explorer\]"):
        make_app({"api_explorer_enabled": "true"})


# Colander → JSON Schema, for schemas the demo and the test apps do not use.

def test_colander_nodes_become_json_schema():
    from cliquet.openapi._jsonschema import node_schema

    class Opaque(colander.SchemaType):
        """A custom type: nothing is known of its values."""

        def deserialize(self, node, cstruct):
            return cstruct

    class Address(colander.MappingSchema):
        street = colander.SchemaNode(colander.String())
        zip = colander.SchemaNode(colander.String(), validator=colander.Regex(r"\d{5}"))

    class Contact(colander.MappingSchema):
        address = Address(typ=colander.Mapping(unknown="raise"))
        email = colander.SchemaNode(colander.String(), validator=colander.Email())
        nickname = colander.SchemaNode(colander.String(), missing=None)
        point = colander.SchemaNode(colander.Tuple(),
                                    colander.SchemaNode(colander.Float(), name="x"),
                                    colander.SchemaNode(colander.Float(), name="y"))
        anything = colander.SchemaNode(Opaque())

    schema = node_schema(Contact())
    address = schema["properties"]["address"]
    assert address["additionalProperties"] is False
    assert address["required"] == ["street", "zip"]
    assert address["properties"]["zip"]["pattern"] == r"^(?:\d{5})"
    assert schema["properties"]["email"] == {"type": "string", "format": "email"}
    assert schema["properties"]["nickname"] == {"type": ["string", "null"], "default": None}
    assert schema["properties"]["point"]["prefixItems"] == [{"type": "number"}] * 2
    assert schema["properties"]["anything"] == {}
    assert schema["required"] == ["address", "email", "point", "anything"]
    assert "required" not in node_schema(Contact(), partial=True)["properties"]["address"]
