"""Validation, content negotiation, methods, CORS and cache headers (§1.3–§1.8, §2.13–§2.14)."""
import pytest

UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"
JSON = {"Content-Type": "application/json"}


def details(response):
    return response.json["details"]


def test_schema_error_envelope(app, alice):
    response = app.post_json("/v1/stricts", {"data": {"name": 42}}, headers=alice, status=400)
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert response.json == {
        "code": 400, "errno": 107, "error": "Invalid parameters",
        "message": "data.name in body: 42 is not a string: {'name': ''}",
        "details": [{"location": "body", "name": "data.name",
                     "description": "42 is not a string: {'name': ''}"}]}


def test_nested_required_field(app, alice):
    response = app.post_json("/v1/stricts", {"data": {}}, headers=alice, status=400)
    assert response.json["message"] == "data.name in body: Required"


def test_data_must_be_an_object(app, alice):
    response = app.post_json("/v1/notes", {"data": 42}, headers=alice, status=400)
    assert details(response)[0]["name"] == "data"


def test_unknown_top_level_keys(app, alice):
    response = app.post_json("/v1/notes", {"data": {}, "permissions": {"read": []}},
                             headers=alice, status=400)
    assert response.json["message"] == "permissions is not allowed"
    assert details(response) == [{"location": "body", "name": "permissions",
                                  "description": "permissions is not allowed"}]


@pytest.mark.parametrize("method,url", [
    ("post_json", "/v1/notes"), ("put_json", f"/v1/notes/{UNKNOWN_ID}"),
    ("patch_json", f"/v1/notes/{UNKNOWN_ID}"),
])
def test_querystring_is_rejected_on_writes(app, alice, method, url):
    response = getattr(app, method)(url + "?_fields=title&_since=1", {"data": {}},
                                    headers=alice, status=400)
    assert response.json["message"] == "_fields is not allowed"
    assert details(response) == [
        {"location": "querystring", "name": "_fields", "description": "_fields is not allowed"},
        {"location": "querystring", "name": "_since", "description": "_since is not allowed"}]


def test_invalid_json(app, alice):
    response = app.post("/v1/stricts", "{'name': 1", headers=dict(alice, **JSON), status=400)
    first, missing = details(response)
    assert first["location"] == "body" and first["name"] is None
    assert first["description"].startswith("Invalid JSON request body: ")
    assert response.json["message"] == "body: " + first["description"]
    assert missing == {"location": "body", "name": "data", "description": "data is missing"}
    response = app.post("/v1/notes", "{", headers=dict(alice, **JSON), status=400)
    assert len(details(response)) == 1


def test_error_message_uses_the_first_error_by_name(app, alice):
    response = app.post_json("/v1/stricts?zz=1", {"data": {"name": 1}, "aa": 1},
                             headers=alice, status=400)
    assert response.json["message"] == "aa is not allowed"
    assert len(details(response)) == 3


def test_wrong_accept_is_406_before_authentication(app):
    for method in ("get", "delete"):
        response = getattr(app, method)("/v1/notes", headers={"Accept": "text/html"},
                                        status=406)
        assert response.json == {
            "code": 406, "errno": 107, "error": "Invalid parameters",
            "message": "Accept header should be one of ['application/json']",
            "details": [{"location": "header", "name": "Accept",
                         "description": "Accept header should be one of ['application/json']"}]}
    app.get("/v1/notes", headers={"Accept": "*/*"}, status=401)
    app.get("/v1/notes", headers={"Accept": "application/json; q=0.9"}, status=401)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415_before_authentication(app, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    for method, url in [("post", "/v1/notes"), ("put", f"/v1/notes/{UNKNOWN_ID}"),
                        ("patch", f"/v1/notes/{UNKNOWN_ID}")]:
        response = getattr(app, method)(url, "{}", headers=headers, status=415)
        assert response.json["code"] == 415
        assert response.json["errno"] == 107
        assert response.json["message"] == \
            "Content-Type header should be one of ['application/json']"
        assert details(response)[0]["location"] == "header"
        assert details(response)[0]["name"] == "Content-Type"


def test_a_request_without_body_needs_no_content_type(app, alice):
    # Downstream apps create containers with a body-less PUT (as in 3.1).
    response = app.put(f"/v1/blobs/{UNKNOWN_ID}", headers=alice, status=201)
    assert response.json["data"]["id"] == UNKNOWN_ID
    app.post("/v1/blobs", headers=alice, status=201)
    response = app.put(f"/v1/stricts/{UNKNOWN_ID}", headers=alice, status=400)
    assert response.json["message"] == "data is missing"  # its schema needs a name
    app.put(f"/v1/blobs/{UNKNOWN_ID}", "{}", headers=alice, status=415)


def test_content_type_parameters_are_ignored(app, alice):
    app.post("/v1/notes", '{"data": {}}', status=201,
             headers=dict(alice, **{"Content-Type": "application/json; charset=utf-8"}))


def test_unknown_method_is_405_before_authentication(app):
    response = app.put("/v1/notes", "{}", headers=JSON, status=405)
    assert (response.json["errno"], response.json["message"]) == (
        115, "Method not allowed on this endpoint.")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {
        "GET", "HEAD", "POST", "DELETE", "OPTIONS"}
    response = app.post(f"/v1/notes/{UNKNOWN_ID}", "{}", headers=JSON, status=405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {
        "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}


def test_methods_given_at_registration(app, alice):
    response = app.post_json("/v1/readonly/items", {"data": {}}, headers=alice, status=405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {
        "GET", "HEAD", "OPTIONS"}
    app.put_json(f"/v1/readonly/items/{UNKNOWN_ID}", {"data": {}}, headers=alice, status=201)
    app.patch_json(f"/v1/readonly/items/{UNKNOWN_ID}", {"data": {}}, headers=alice, status=405)


def test_endpoints_disabled_by_settings(make_app, alice):
    app = make_app({"collection_note_delete_enabled": "false",
                    "record_note_patch_enabled": "false"})
    app.delete("/v1/notes", headers=alice, status=405)
    app.patch_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {}}, headers=alice, status=405)
    app.get("/v1/notes", headers=alice, status=200)


def test_readonly_mode_keeps_read_endpoints_only(make_app, alice):
    app = make_app({"readonly": "true"})
    app.get("/v1/notes", headers=alice, status=200)
    app.post_json("/v1/notes", {"data": {}}, headers=alice, status=405)
    app.delete("/v1/notes", headers=alice, status=405)
    app.put_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {}}, headers=alice, status=405)
    app.get(f"/v1/notes/{UNKNOWN_ID}", headers=alice, status=404)


def exposed(response):
    return {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}


BASE = {"Backoff", "Retry-After", "Alert", "Content-Length", "Vary"}


def test_cors_exposed_headers(app, alice):
    origin = {"Origin": "http://app.example.com"}
    headers = dict(alice, **origin)
    response = app.get("/v1/notes", headers=headers)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert exposed(response) == BASE | {"Next-Page", "Total-Records", "Last-Modified", "ETag",
                                        "Cache-Control", "Expires", "Pragma"}
    record = app.post_json("/v1/notes", {"data": {}}, headers=headers).json["data"]
    response = app.post_json("/v1/notes", {"data": {}}, headers=headers)
    assert exposed(response) == BASE
    response = app.get(f"/v1/notes/{record['id']}", headers=headers)
    assert exposed(response) == BASE | {"Last-Modified", "ETag", "Cache-Control", "Expires",
                                        "Pragma"}
    response = app.patch_json(f"/v1/notes/{record['id']}", {"data": {}}, headers=headers)
    assert exposed(response) == BASE
    response = app.get(f"/v1/notes/{UNKNOWN_ID}", headers=headers, status=404)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    response = app.post_json("/v1/stricts", {}, headers=headers, status=400)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight_on_resources(app):
    response = app.options("/v1/notes", headers={"Origin": "http://app.example.com",
                                                 "Access-Control-Request-Method": "POST"})
    methods = set(response.headers["Access-Control-Allow-Methods"].split(","))
    assert methods == {"GET", "HEAD", "POST", "DELETE", "OPTIONS"}


def test_cache_headers_for_anonymous_reads(make_app, alice):
    app = make_app({"article_read_principals": "system.Everyone",
                    "article_cache_expires_seconds": "3600"})
    response = app.get("/v1/articles")
    assert response.headers["Cache-Control"] == "max-age=3600"
    assert "Expires" in response.headers
    record = app.post_json("/v1/articles", {"data": {}}, headers=alice).json["data"]
    response = app.get(f"/v1/articles/{record['id']}")
    assert response.headers["Cache-Control"] == "max-age=3600"
    response = app.get("/v1/articles", headers=alice)
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Expires" not in response.headers
    response = app.get("/v1/articles", headers={"If-None-Match": response.headers["ETag"]},
                       status=304)
    assert "Cache-Control" not in response.headers


def test_current_resource_name(make_app, alice):
    from pyramid.events import NewResponse

    app = make_app()
    names = []
    app.app.registry.registerHandler(
        lambda event: names.append(event.request.current_resource_name), (NewResponse,))
    for url in ("/v1/notes", "/v1/lists/x/tasks", "/v1/readonly/items", "/v1/stricts", "/v1/"):
        app.get(url, headers=alice)
    assert names == ["note", "task", "item", "strict", None]


def test_readonly_collection_timestamp_that_cannot_be_written(make_app, alice, monkeypatch):
    from cliquet.storage.exceptions import BackendError

    app = make_app({"readonly": "true"})

    def fail(*args, **kwargs):
        raise BackendError(message="read-only transaction")

    monkeypatch.setattr(app.app.registry.storage, "collection_timestamp", fail)
    response = app.get("/v1/notes", headers=alice, status=503)
    assert response.json["errno"] == 201
    assert response.json["message"] == (
        "Collection timestamp cannot be written. Records endpoint must be hit at least once "
        "from a writable instance.")
    assert response.headers["Retry-After"]


def test_backend_errors_are_503(app, alice, monkeypatch):
    from cliquet.storage.exceptions import BackendError

    def fail(*args, **kwargs):
        raise BackendError(message="down")

    monkeypatch.setattr(app.app.registry.storage, "get_all", fail)
    response = app.get("/v1/notes", headers=alice, status=503)
    assert response.json["errno"] == 201
