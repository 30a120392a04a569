"""``GET /v1/__api__``: the OpenAPI 3.1 description, and its agreement with the server.

The agreement checks validate real responses against the description (status
declared, required headers present, body matching its schema), the way a
client generated from the description would rely on them.
"""
import base64

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
    # Colander reads "" as a value not sent: an optional string may be empty.
    empty = {"const": "", "description": "Read as not sent."}
    assert properties["status"] == {"anyOf": [{"type": "string", "enum": ["open", "closed"]},
                                              empty], "default": "open"}
    assert properties["priority"] == {"type": "integer", "format": "int64",
                                      "minimum": 1, "maximum": 5}
    # A required string is not empty: Colander reads "" as a missing value.
    assert properties["tags"] == {"type": "array", "items": {"type": "string", "minLength": 1}}
    assert properties["due"] == {"anyOf": [{"type": "string", "format": "date-time"}, empty]}
    rejected = [{"title": "x"}, {"title": "Fix", "status": "lost"},
                {"title": "Fix", "priority": 6}, {"title": "Fix", "priority": 0},
                {"title": "Fix", "tags": "one"}, {"title": "Fix", "tags": [""]},
                {"title": "Fix", "due": "soon"}]
    for data in rejected:
        tickets_app.post_json("/v1/tickets", {"data": data}, headers=ALICE, status=400)
    accepted = {"title": "Fix", "status": "closed", "priority": 5, "tags": ["a"],
                "due": "2016-03-15T10:00:00+00:00"}
    tickets_app.post_json("/v1/tickets", {"data": accepted}, headers=ALICE, status=201)
    response = tickets_app.post_json("/v1/tickets", {"data": {"title": "Fix", "status": "",
                                                              "due": ""}}, headers=ALICE)
    assert response.json["data"]["status"] == "open"
    assert "due" not in response.json["data"]


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
    # Neither key is required, but a body is: an empty one is a 400.
    assert "required" not in body["content"]["application/json"]["schema"]
    assert body["required"] is True
    record = "/v1/bookmarks/8c0b1e4c-9ab5-4d86-a0e3-7a4d3d38a1b2"
    demo_app.put_json(record, {"data": {"url": "http://a.org"}}, headers=ALICE, status=201)
    demo_app.patch(record, headers=ALICE, status=400)
    demo_app.patch_json(record, {}, headers=ALICE, status=200)
    demo_app.patch_json(record, {"permissions": {"share": ["bob"]}}, headers=ALICE, status=400)
    response = demo_app.patch_json(record, {"permissions": {"read": ["bob"]}}, headers=ALICE)
    check_response(description, "/bookmarks/{id}", "PATCH", response)


def _filter_type(schema: dict) -> str:
    """The meaningful type of a filter's values (the first one of an ``anyOf``)."""
    if schema.get("type") == "array":
        schema = schema["items"]
    return schema["anyOf"][0]["type"] if "anyOf" in schema else schema["type"]


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
        value = values[_filter_type(parameter["schema"])]
        tickets_app.get(f"/v1/tickets?{parameter['name']}={value}", headers=ALICE)
    assert {"status", "min_priority", "not_title", "in_id", "exclude_last_modified",
            "gt_deleted"} <= names
    tickets_app.get("/v1/tickets?undescribed=1", headers=ALICE, status=400)
    sort = next(p for p in operation["parameters"] if p.get("name") == "_sort")
    for field in sort["schema"]["items"]["enum"]:
        tickets_app.get(f"/v1/tickets?_sort={field}", headers=ALICE)
    assert {"_since", "_before", "_limit", "_fields"} <= {
        p.get("name") for p in operation["parameters"]}


def test_filter_values_are_described_as_the_server_reads_them(tickets_app):
    parameters = {p.get("name"): p for p in
                  description_of(tickets_app)["paths"]["/tickets"]["get"]["parameters"]}
    # A filter on a field of the mapping accepts any text, compared as JSON or as text.
    assert parameters["min_priority"]["schema"] == {"anyOf": [
        {"type": "integer", "format": "int64"}, {"type": "string"}]}
    assert parameters["title"]["schema"] == {"type": "string"}
    tickets_app.get("/v1/tickets?min_priority=high&gt_deleted=maybe", headers=ALICE)
    # Timestamps are 64-bit integers, an empty list is none.
    int64 = {"type": "integer", "minimum": -2 ** 63, "maximum": 2 ** 63 - 1}
    for name in ("_since", "_before", "_to", "_limit", "gt_last_modified"):
        schema = parameters[name]["schema"]
        if name == "_limit":  # empty: no limit
            assert schema["anyOf"][1]["const"] == ""
            tickets_app.get("/v1/tickets?_limit=", headers=ALICE)
            schema = schema["anyOf"][0]
        assert schema == int64, name
        tickets_app.get(f"/v1/tickets?{name}={2 ** 63 - 1}", headers=ALICE)
        tickets_app.get(f"/v1/tickets?{name}={2 ** 63}", headers=ALICE, status=400)
    assert parameters["in_last_modified"]["schema"]["minItems"] == 1
    tickets_app.get("/v1/tickets?in_last_modified=", headers=ALICE, status=400)
    tickets_app.get("/v1/tickets?in_title=", headers=ALICE)
    # Unknown root fields of `_fields` are refused, unless unknown fields are kept.
    fields = parameters["_fields"]["schema"]["items"]["pattern"]
    assert fields == r"^(?:title|status|priority|tags|due|id|last_modified|deleted)(?:\..*)?$"
    tickets_app.get("/v1/tickets?_fields=title.x,due", headers=ALICE)
    tickets_app.get("/v1/tickets?_fields=owner", headers=ALICE, status=400)
    mushrooms = description_of(webtest.TestApp(demo.main({}, **DEMO_SETTINGS)))
    get = {p.get("name"): p for p in mushrooms["paths"]["/mushrooms"]["get"]["parameters"]}
    assert get["_fields"]["schema"]["items"] == {"type": "string"}


def test_the_pagination_token_is_only_found_in_next_page(tickets_app):
    description = description_of(tickets_app)
    names = {p.get("name") for p in description["paths"]["/tickets"]["get"]["parameters"]}
    assert "_token" not in names
    assert "`_token`" in description["components"]["headers"]["Next-Page"]["description"]
    tickets_app.get("/v1/tickets?_token=not-a-token", headers=ALICE, status=400)


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
    assert {"#/components/parameters/If-Match",
            "#/components/parameters/If-None-Match-List"} <= {
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
    assert "PATCH" in method["anyOf"][0]["enum"]  # or "", read as not sent (GET)
    check_response(description, "/batch", "POST", demo_app.post_json(
        "/v1/batch", {"requests": [{"path": "/mushrooms"}]}))
    check_response(description, "/__heartbeat__", "GET", demo_app.get("/v1/__heartbeat__"))
    echo = description_of(webtest.TestApp(testapp.main({}, **MEMORY_SETTINGS)))["paths"]["/echo"]
    assert echo["post"]["summary"] == "echo"
    assert set(echo) == {"get", "head", "post"}


def test_basic_auth_is_the_security_scheme_when_configured(demo_app):
    description = description_of(demo_app)
    scheme = description["components"]["securitySchemes"]["basicAuth"]
    assert {key: scheme[key] for key in ("type", "scheme")} == {"type": "http", "scheme": "basic"}
    assert "none is refused" in scheme["description"]
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


# What the server reads, declared where fuzzing found the description said less.

def _operations(description: dict):
    for path, item in description["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_preconditions_declare_the_statuses_they_answer(demo_app):
    description = description_of(demo_app)
    conditional = 0
    for path, method, operation in _operations(description):
        names = {_resolve(description, p)["name"] for p in operation.get("parameters", ())}
        statuses = set(operation["responses"])
        if {"If-Match", "If-None-Match"} & names:
            conditional += 1
            assert {"400", "412"} <= statuses, (method, path)
        if path.endswith("/{id}"):
            assert "404" in statuses, (method, path)
        if method in ("get", "head") and "If-None-Match" in names:
            assert "304" in statuses, (method, path)
    assert conditional == 18  # every operation of both resources, HEAD included
    parameters = description["components"]["parameters"]
    assert parameters["If-Match"]["schema"]["pattern"] == '^"-?[0-9]+"$'
    record = "/v1/mushrooms/5b0ab4f3-92cc-4bb4-9c5c-93c9a8dfde32"
    etag = demo_app.put_json(record, {"data": {"name": "cep"}}, headers=ALICE).headers["ETag"]
    for value, status in (("0", 400), (etag.strip('"'), 400), ('"1"', 412), (etag, 200)):
        demo_app.get(record, headers=dict(ALICE, **{"If-Match": value}), status=status)
    # On a write, If-None-Match is only read when it is `*`.
    assert parameters["If-None-Match-Any"]["schema"] == {"type": "string", "examples": ["*"]}
    demo_app.put_json(record, {"data": {"name": "cep"}},
                      headers=dict(ALICE, **{"If-None-Match": etag}), status=200)
    demo_app.put_json(record, {"data": {"name": "cep"}},
                      headers=dict(ALICE, **{"If-None-Match": "*"}), status=412)
    # On a list, `*` has no effect.
    demo_app.get("/v1/mushrooms", headers=dict(ALICE, **{"If-None-Match": "*"}), status=200)
    demo_app.get(record, headers=dict(ALICE, **{"If-None-Match": "*"}), status=412)


def test_record_bodies_declare_what_the_server_reads(demo_app):
    description = description_of(demo_app)
    schemas = description["components"]["schemas"]
    # A required string is not empty; a PATCH cannot empty it either.
    assert schemas["MushroomData"]["properties"]["name"] == {"type": "string", "minLength": 1}
    assert schemas["MushroomChanges"]["properties"]["name"] == {"type": "string", "minLength": 1}
    assert "required" not in schemas["MushroomChanges"]
    record = "/v1/mushrooms/0d4a6f5e-7bd2-4c5a-a0e2-2bd8d3a0a7f1"
    demo_app.put_json(record, {"data": {"name": ""}}, headers=ALICE, status=400)
    demo_app.put_json(record, {"data": {"name": "morel"}}, headers=ALICE, status=201)
    demo_app.patch_json(record, {"data": {"name": ""}}, headers=ALICE, status=400)
    # The id of a POST may be chosen (the id pattern); the one of a PUT or a PATCH is the URL's.
    paths = description["paths"]
    post = paths["/mushrooms"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    chosen = post["properties"]["data"]["properties"]["id"]
    assert chosen["pattern"] == paths["/mushrooms/{id}"]["parameters"][0]["schema"]["pattern"]
    assert "id" not in schemas["MushroomData"]["properties"]
    assert "id" not in schemas["MushroomChanges"]["properties"]
    demo_app.post_json("/v1/mushrooms", {"data": {"name": "x", "id": "x"}}, headers=ALICE,
                       status=400)
    other = "1f0cb5d6-0b2f-4f0e-8f7e-0c4a2e7b1e11"
    demo_app.put_json(record, {"data": {"name": "x", "id": other}}, headers=ALICE, status=400)
    demo_app.patch_json(record, {"data": {"id": other}}, headers=ALICE, status=400)
    # A client timestamp is described in words only: one held by another record is refused.
    assert "last_modified" not in schemas["MushroomData"]["properties"]
    assert "is kept: an integer between 1 and 253402300799999" in \
        schemas["MushroomData"]["description"]
    assert "is ignored" in schemas["BookmarkData"]["description"]
    taken = demo_app.get(record, headers=ALICE).json["data"]["last_modified"]
    demo_app.post_json("/v1/mushrooms", {"data": {"name": "x", "last_modified": taken}},
                       headers=ALICE, status=400)
    # A PATCH answers some fields only with `Response-Behavior`, any other value meaning full.
    patch = paths["/mushrooms/{id}"]["patch"]
    answered = patch["responses"]["200"]["content"]["application/json"]["schema"]
    assert answered["properties"]["data"] == {"$ref": "#/components/schemas/MushroomPartial"}
    behavior = next(p for p in patch["parameters"] if p.get("name") == "Response-Behavior")
    assert "enum" not in behavior["schema"]
    response = demo_app.patch_json(record, {"data": {"size": 3}},
                                   headers=dict(ALICE, **{"Response-Behavior": "other"}))
    assert response.json["data"]["name"] == "morel"


def test_delete_timestamps_are_bounded(demo_app):
    operation = description_of(demo_app)["paths"]["/mushrooms/{id}"]["delete"]
    timestamp = next(p for p in operation["parameters"] if p.get("name") == "last_modified")
    bounded, empty = timestamp["schema"]["anyOf"]
    assert bounded["maximum"] == 253402300799999 and empty["const"] == ""
    record = "/v1/mushrooms/6a1e0c2b-2f53-4c1e-b0a4-8a3d7e9f2c10"
    for value, status in (("253402300800000", 400), ("", 200), ("253402300799999", 200)):
        demo_app.put_json(record, {"data": {"name": "x"}}, headers=ALICE)
        demo_app.delete(f"{record}?last_modified={value}", headers=ALICE, status=status)


def test_urls_and_read_only_fields_are_declared(demo_app):
    schemas = description_of(demo_app)["components"]["schemas"]
    url = schemas["BookmarkData"]["properties"]["url"]
    assert url["format"] == "uri" and url["minLength"] == 1
    demo_app.post_json("/v1/bookmarks", {"data": {"url": "0"}}, headers=ALICE, status=400)
    demo_app.post_json("/v1/bookmarks", {"data": {"url": "https://cliquet.example"}},
                       headers=ALICE, status=201)
    # `device` is read-only: a PATCH cannot change it, a PUT can.
    assert schemas["BookmarkChanges"]["properties"]["device"]["readOnly"] is True
    assert "readOnly" not in schemas["BookmarkData"]["properties"]["device"]
    record = "/v1/bookmarks/3c9d1f84-5e7a-4b6c-8d2e-1f0a9b8c7d6e"
    demo_app.put_json(record, {"data": {"url": "http://b.org", "device": "a"}}, headers=ALICE)
    demo_app.patch_json(record, {"data": {"device": "b"}}, headers=ALICE, status=400)
    demo_app.put_json(record, {"data": {"url": "http://b.org", "device": "b"}}, headers=ALICE)


def test_batch_requests_are_declared_as_merged_with_defaults(demo_app):
    description = description_of(demo_app)
    payload = description["paths"]["/batch"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    request = payload["properties"]["requests"]["items"]
    assert "required" not in request  # the path may come from `defaults`
    assert payload["anyOf"][0] == {"required": ["defaults"],
                                   "properties": {"defaults": {"required": ["path"]}}}
    assert payload["properties"]["requests"]["maxItems"] == 25  # batch_max_requests
    assert request["properties"]["headers"]["additionalProperties"] == {"type": "string"}
    assert request["properties"]["path"]["not"] == {"type": "string", "pattern": "/batch"}
    validator = _schema_validator(description, payload)
    accepted = [{"defaults": {"path": "/mushrooms"}, "requests": [{}]},
                {"requests": [{"path": "/"}] * 25}]
    refused = [{"requests": [{}]}, {"requests": [{"path": "/"}] * 26},
               {"requests": [{"path": "/", "headers": {"X-Count": 1}}]},
               {"requests": [{"path": "/v1/batch"}]}]
    for body in accepted:
        assert validator.is_valid(body), body
        demo_app.post_json("/v1/batch", body, headers=ALICE, status=200)
    for body in refused:
        assert not validator.is_valid(body), body
        demo_app.post_json("/v1/batch", body, headers=ALICE, status=400)


def test_any_basic_credentials_identify_a_user(demo_app):
    scheme = description_of(demo_app)["components"]["securitySchemes"]["basicAuth"]
    assert "Any user name and password are accepted, none is refused" in scheme["description"]
    for credentials in ("SCHEMATHESIS-INVALID-VALUE:SCHEMATHESIS-INVALID-VALUE", "a:", "é:b"):
        headers = {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
        assert demo_app.get("/v1/", headers=headers).json["user"]["id"].startswith("basicauth:")
        demo_app.get("/v1/mushrooms", headers=headers, status=200)
    demo_app.get("/v1/mushrooms", status=401)


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
    assert schema["properties"]["email"] == {"type": "string", "format": "email", "minLength": 1}
    assert schema["properties"]["nickname"] == {"type": ["string", "null"], "default": None}
    assert schema["properties"]["point"]["prefixItems"] == [{"type": "number"}] * 2
    assert schema["properties"]["anything"] == {}
    assert schema["required"] == ["address", "email", "point", "anything"]
    assert "required" not in node_schema(Contact(), partial=True)["properties"]["address"]


# The Schemathesis hooks of `make fuzz` (cliquet.openapi.fuzzing).

def _fuzz_case(mode, components, headers=None, data=None, body_schema=None):
    from types import SimpleNamespace

    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation.modes import GenerationMode

    modes = {"positive": GenerationMode.POSITIVE, "negative": GenerationMode.NEGATIVE}
    description = description_of(webtest.TestApp(demo.main({}, **DEMO_SETTINGS)))
    if_match = _resolve(description, {"$ref": "#/components/parameters/If-Match"})
    parameters = [SimpleNamespace(location=ParameterLocation.HEADER, name="If-Match",
                                  definition=if_match)]
    raw = {"requestBody": {"content": {"application/json": {"schema": body_schema or {}}}}}
    operation = SimpleNamespace(iter_parameters=lambda: iter(parameters),
                                definition=SimpleNamespace(raw=raw),
                                schema=SimpleNamespace(raw_schema=description))
    meta = SimpleNamespace(
        generation=SimpleNamespace(mode=modes[mode]),
        components={ParameterLocation(location): SimpleNamespace(mode=modes[component])
                    for location, component in components.items()},
        phase=SimpleNamespace(data=data))
    return SimpleNamespace(meta=meta, headers=headers, operation=operation,
                           media_type="application/json")


def test_fuzz_hooks_do_not_send_positive_requests_that_are_not():
    fuzzing = pytest.importorskip("cliquet.openapi.fuzzing")
    assert fuzzing.filter_case(None, _fuzz_case("positive", {"header": "positive"},
                                                 {"If-Match": '"1457350340000"'}))
    assert not fuzzing.filter_case(None, _fuzz_case("positive", {"header": "positive"},
                                                     {"If-Match": 0}))
    assert not fuzzing.filter_case(None, _fuzz_case("positive", {"header": "negative"}, {}))
    assert fuzzing.filter_case(None, _fuzz_case("negative", {"header": "negative"},
                                                {"If-Match": 0}))


def test_fuzz_hooks_accept_colander_reading_scalars_of_another_type():
    from types import SimpleNamespace

    fuzzing = pytest.importorskip("cliquet.openapi.fuzzing")
    from schemathesis.core.parameters import ParameterLocation

    st201, st202 = SimpleNamespace(code="ST201"), SimpleNamespace(code="ST202")

    def change(original, location=ParameterLocation.BODY, keywords=("type",)):
        return SimpleNamespace(parameter_location=location, keywords=keywords,
                               original_value=original)

    def fuzzed(*mutations, components=None):
        return _fuzz_case("negative", components or {"body": "negative"},
                          data=SimpleNamespace(mutations=mutations))

    assert not fuzzing.filter_failure(None, st201, fuzzed(change("boolean")), None)
    assert fuzzing.filter_failure(None, st202, fuzzed(change("boolean")), None)
    assert fuzzing.filter_failure(None, st201, fuzzed(change("object")), None)
    assert fuzzing.filter_failure(None, st201, fuzzed(change("string", keywords=("pattern",))),
                                  None)
    assert fuzzing.filter_failure(None, st201, fuzzed(
        change("string"), components={"body": "negative", "query": "negative"}), None)
    # The coverage phase names the `type` it violates, through references.
    body = {"type": "object", "properties": {
        "data": {"$ref": "#/components/schemas/MushroomData"},
        "list": {"type": "array", "items": {"type": "object"}}}}

    def covered(pointer):
        data = SimpleNamespace(mutations=(), scenario="incorrect_type", location=pointer)
        return _fuzz_case("negative", {"body": "negative"}, data=data, body_schema=body)

    size = "/properties/data/properties/size"
    assert not fuzzing.filter_failure(None, st201, covered(f"{size}/type"), None)
    assert fuzzing.filter_failure(None, st201, covered("/properties/list/items/type"), None)
    assert fuzzing.filter_failure(None, st201, covered(size), None)
