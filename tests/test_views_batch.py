"""Batch requests (§4): plain services, then resources on every backend."""
import pytest
import transaction
import webtest

from cliquet.testing import FormattedErrorMixin, get_user_headers
from tests import testapp
from tests.support import MEMORY_SETTINGS

check = FormattedErrorMixin().assertFormattedError
AUTH = {"Authorization": "Basic bWF0OjE="}
ALICE, BOB = get_user_headers("alice"), get_user_headers("bob")
UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"


@pytest.fixture
def app():
    return webtest.TestApp(testapp.main({}, **MEMORY_SETTINGS))


def test_requests_run_in_order_with_defaults(app):
    payload = {
        "defaults": {"method": "POST", "path": "/echo", "headers": {"X-Default": "d"}},
        "requests": [
            {"body": {"n": 1}},
            {"body": {"n": 2}, "headers": {"X-Default": "overridden"}},
            {"method": "GET", "path": "/echo?a=1"},
        ],
    }
    responses = app.post_json("/v1/batch", payload).json["responses"]
    assert [r["status"] for r in responses] == [200, 200, 200]
    assert responses[0]["body"]["body"] == {"n": 1}
    assert responses[0]["body"]["headers"] == {"X-Default": "d"}
    assert responses[1]["body"]["headers"] == {"X-Default": "overridden"}
    assert responses[2]["body"] == {"querystring": {"a": "1"}}
    assert responses[2]["path"] == "/v1/echo"
    assert responses[0]["headers"]["Content-Type"].startswith("application/json")


def test_paths_with_or_without_prefix(app):
    payload = {"requests": [{"path": "/v1/"}, {"path": "/"}]}
    responses = app.post_json("/v1/batch", payload).json["responses"]
    assert [r["status"] for r in responses] == [200, 200]
    assert responses[1]["path"] == "/v1/"


def test_authentication_applies_to_subrequests(app):
    payload = {"requests": [{"path": "/private"}, {"path": "/private", "headers": AUTH}]}
    responses = app.post_json("/v1/batch", payload).json["responses"]
    assert responses[0]["status"] == 401
    assert responses[0]["body"]["errno"] == 104
    assert responses[1]["status"] == 200
    responses = app.post_json("/v1/batch", {"requests": [{"path": "/private"}]},
                              headers=AUTH).json["responses"]
    assert responses[0]["status"] == 200


def test_errors_are_reported_in_their_slot_and_later_requests_run(app):
    payload = {"requests": [{"path": "/nowhere"}, {"path": "/plain"}, {"path": "/"}]}
    responses = app.post_json("/v1/batch", payload).json["responses"]
    assert [r["status"] for r in responses] == [404, 429, 200]
    assert responses[0]["body"]["errno"] == 111
    assert responses[1]["body"] == {"code": 429, "errno": 999, "error": "Too Many Requests"}


def test_redirects_are_followed_once(app):
    responses = app.post_json("/v1/batch", {"requests": [{"path": "/echo/?a=1"}]}
                              ).json["responses"]
    assert responses[0]["status"] == 200
    assert responses[0]["path"] == "/v1/echo"
    assert responses[0]["body"] == {"querystring": {"a": "1"}}


def test_head_body_is_empty_string(app):
    responses = app.post_json("/v1/batch", {"requests": [{"method": "HEAD", "path": "/"}]}
                              ).json["responses"]
    assert responses[0] == {**responses[0], "status": 200, "body": ""}


def test_server_error_aborts_the_whole_batch(app):
    payload = {"requests": [{"path": "/"}, {"path": "/crash"}]}
    check(app.post_json("/v1/batch", payload, status=500), 500, 999,
          "Internal Server Error",
          "A programmatic error occured, developers have been informed.",
          info="https://github.com/mozilla-services/cliquet/issues/")
    response = app.post_json("/v1/batch", {"requests": [{"path": "/backend"}]}, status=503)
    assert response.json["errno"] == 201
    assert response.headers["Retry-After"] == "30"


@pytest.mark.parametrize("payload, message", [
    ({}, "requests is missing"),
    ({"requests": "x"}, 'requests in body: "x" is not iterable'),
    ({"requests": [{}]}, "requests.0.path in body: Required"),
    ({"requests": [{"path": "x"}]},
     "requests.0.path in body: String does not match expected pattern"),
    ({"requests": [{"path": "/", "method": "get"}]},
     'requests.0.method in body: "get" is not one of GET, HEAD, DELETE, TRACE, POST, PUT, PATCH'),
    ({"requests": [{"path": "/", "headers": {"X": 1}}]},
     "requests.0.headers in body: X is not a string: {X: 1}"),
    ({"requests": [{"path": "/", "body": [1]}]},
     'requests.0.body in body: "[1]" is not a mapping type: '
     "Does not implement dict-like functionality."),
    ({"requests": [{"path": "/batch"}]},
     "requests in body: Recursive call on /batch endpoint is forbidden."),
    ({"requests": [{"path": "/"}] * 26}, "Number of requests is limited to 25"),
])
def test_malformed_batches_are_400(app, payload, message):
    response = app.post_json("/v1/batch", payload, status=400)
    check(response, 400, 107, "Invalid parameters", message)
    assert response.json["message"] == message


def test_invalid_json_body(app):
    response = app.post("/v1/batch", "{not json", headers={"Content-Type": "application/json"},
                        status=400)
    details = response.json["details"]
    assert details[0]["location"] == "body" and details[0]["name"] is None
    assert details[0]["description"].startswith("Invalid JSON request body: ")
    assert {"location": "body", "name": "requests", "description": "requests is missing"} \
        in details
    assert response.json["message"].startswith("body: Invalid JSON request body: ")


def test_batch_limit_setting_and_unlimited():
    app = webtest.TestApp(testapp.main({}, **dict(MEMORY_SETTINGS, batch_max_requests="2")))
    app.post_json("/v1/batch", {"requests": [{"path": "/"}] * 3}, status=400)
    app = webtest.TestApp(testapp.main({}, **dict(MEMORY_SETTINGS, batch_max_requests="0")))
    assert len(app.post_json("/v1/batch", {"requests": [{"path": "/"}] * 30}
                             ).json["responses"]) == 30


def test_only_post_is_allowed(app):
    check(app.get("/v1/batch", status=405), 405, 115, "Method Not Allowed",
          "Method not allowed on this endpoint.")


def test_empty_requests_list(app):
    assert app.post_json("/v1/batch", {"requests": []}).json == {"responses": []}


def test_subrequests_get_cors_headers(app):
    origin = "http://app.example.com"
    payload = {"requests": [{"path": "/", "headers": {"Origin": origin}},
                            {"path": "/nowhere", "headers": {"Origin": origin}},
                            {"path": "/private", "headers": {"Origin": origin}}]}
    responses = app.post_json("/v1/batch", payload).json["responses"]
    assert [r["status"] for r in responses] == [200, 404, 401]
    allowed = [r["headers"]["Access-Control-Allow-Origin"] for r in responses]
    assert allowed == ["*", origin, "*"]  # unknown URLs echo the origin (§1.5)
    for response in responses:
        assert "Alert" in response["headers"]["Access-Control-Expose-Headers"]


def test_each_subrequest_is_logged_once(app, caplog):
    payload = {"requests": [{"path": "/"}, {"path": "/nowhere"}, {"path": "/private"}]}
    with caplog.at_level("INFO", logger="cliquet"):
        app.post_json("/v1/batch", payload)
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "subrequest.summary" in m]) == 3
    assert len([m for m in messages if "request.summary" in m
                and "subrequest.summary" not in m]) == 1


# Resources on every backend: /memos (shared) and /todos (private) of tests.testapp.

@pytest.fixture
def resource_app(make_backend_app):
    app = make_backend_app({"memo_create_principals": "system.Authenticated"},
                           scan="tests.testapp")
    with transaction.manager:
        for kind in ("storage", "permission", "cache"):
            getattr(app.app.registry, kind).initialize_schema()
    return app


def user_id(app, headers) -> str:
    return app.get("/v1/", headers=headers).json["user"]["id"]


def stored(app) -> tuple:
    """Memos, their ACEs, and Alice's todos, tombstones included."""
    registry = app.app.registry
    with transaction.manager:
        memos, _ = registry.storage.get_all("memo", "", include_deleted=True)
        todos, _ = registry.storage.get_all("todo", user_id(app, ALICE), include_deleted=True)
        aces = {memo["id"]: registry.permission.object_permissions(f"/memos/{memo['id']}")
                for memo in memos}
    return sorted(memos, key=lambda r: r["id"]), aces, sorted(todos, key=lambda r: r["id"])


def test_a_batch_of_25_creates_lands_whole(resource_app):
    payload = {"defaults": {"method": "POST", "path": "/memos"},
               "requests": [{"body": {"data": {"title": str(i)},
                                      "permissions": {"read": ["group:readers"]}}}
                            for i in range(25)]}
    responses = resource_app.post_json("/v1/batch", payload, headers=ALICE).json["responses"]
    assert [r["status"] for r in responses] == [201] * 25
    memos, aces, _ = stored(resource_app)
    assert sorted(m["title"] for m in memos) == sorted(str(i) for i in range(25))
    alice = user_id(resource_app, ALICE)
    assert all(ace == {"read": {"group:readers"}, "write": {alice}} for ace in aces.values())
    assert len(aces) == 25

    payload["requests"].append({})
    response = resource_app.post_json("/v1/batch", payload, headers=ALICE, status=400)
    assert response.json["message"] == "Number of requests is limited to 25"
    assert len(stored(resource_app)[0]) == 25


def test_a_failing_4xx_subrequest_keeps_the_others(resource_app):
    theirs = resource_app.post_json("/v1/memos", {"data": {}}, headers=BOB).json
    requests = [
        {"method": "POST", "path": "/todos", "body": {"data": {"title": "kept"}}},
        {"method": "POST", "path": "/todos", "body": {"data": {}}},
        {"method": "PATCH", "path": f"/memos/{theirs['data']['id']}",
         "body": {"permissions": {"write": [user_id(resource_app, ALICE)]}}},
        {"method": "DELETE", "path": f"/todos/{UNKNOWN_ID}"},
        {"method": "POST", "path": "/memos", "body": {"data": {"title": "kept"},
                                                      "permissions": {"read": ["group:x"]}}},
    ]
    responses = resource_app.post_json("/v1/batch", {"requests": requests},
                                       headers=ALICE).json["responses"]
    assert [r["status"] for r in responses] == [201, 400, 403, 404, 201]
    assert responses[1]["body"]["message"] == "data.title in body: Required"
    memos, aces, todos = stored(resource_app)
    assert [t["title"] for t in todos] == ["kept"]
    assert aces[theirs["data"]["id"]] == {"write": {user_id(resource_app, BOB)}}
    assert aces[responses[4]["body"]["data"]["id"]]["read"] == {"group:x"}


@pytest.mark.parametrize("failure, status", [("/crash", 500), ("/backend", 503)])
def test_a_failing_5xx_subrequest_undoes_every_write(resource_app, failure, status):
    alice = user_id(resource_app, ALICE)
    first, second = (resource_app.post_json("/v1/memos", {
        "data": {"title": "before"}, "permissions": {"read": [alice]}}, headers=ALICE
    ).json["data"]["id"] for _ in range(2))
    resource_app.post_json("/v1/todos", {"data": {"title": "before"}}, headers=ALICE)
    before = stored(resource_app)
    requests = [
        {"method": "POST", "path": "/memos", "body": {"data": {"title": "new"},
                                                      "permissions": {"read": ["group:x"]}}},
        {"method": "PATCH", "path": f"/memos/{first}",
         "body": {"data": {"title": "changed"}, "permissions": {"read": ["group:y"]}}},
        {"method": "PUT", "path": f"/memos/{UNKNOWN_ID}", "body": {"data": {"title": "put"}}},
        {"method": "DELETE", "path": f"/memos/{second}"},
        {"method": "POST", "path": "/todos", "body": {"data": {"title": "new"}}},
        {"method": "DELETE", "path": "/todos"},
        {"method": "GET", "path": failure},
    ]
    resource_app.post_json("/v1/batch", {"requests": requests}, headers=ALICE, status=status)
    assert stored(resource_app) == before


def test_defaults_are_merged_by_the_schema_unflatten():
    from cliquet.views.batch import BatchPayloadSchema

    schema = BatchPayloadSchema()
    payload = {"defaults": {"path": "/", "headers": {"A": "1", "B": "2"}, "body": {"x": 1}},
               "requests": [{"method": "GET"}, {"path": "/b", "headers": {"A": "me"}}]}
    result = schema.deserialize(schema.unflatten(payload))
    first, second = result["requests"]
    assert (first["path"], first["body"]) == ("/", {"x": 1})
    assert second["path"] == "/b" and second["headers"] == {"A": "me", "B": "2"}


def test_non_ascii_subrequest_paths_are_percent_encoded(app):
    responses = app.post_json("/v1/batch", {"requests": [{"path": "/echo?param=©"}]}
                              ).json["responses"]
    assert responses[0]["status"] == 200
    assert responses[0]["path"] == "/v1/echo"
    assert responses[0]["body"] == {"querystring": {"param": "©"}}


def test_non_json_subresponse_bodies_are_the_raw_bytes():
    from pyramid.response import Response

    from cliquet.utils import build_response

    request = webtest.TestRequest.blank("/v1/x")
    built = build_response(Response(body=b"Internal Error", content_type="text/plain"), request)
    assert built["body"] == b"Internal Error"
    from cliquet.utils import json

    assert json.dumps(built).count('"body":"Internal Error"') == 1  # rendered as text


def test_hello_end_of_service_comes_from_get_eos(app, monkeypatch):
    from cliquet.views import hello

    monkeypatch.setattr(hello, "get_eos", lambda request: "2030-01-01")
    assert app.get("/v1/").json["eos"] == "2030-01-01"


def test_a_raised_redirection_is_followed_with_parent_and_bound_data(app):
    from pyramid import httpexceptions

    from cliquet.utils import follow_subrequest

    calls = []

    class Parent:
        registry = app.app.registry

        def invoke_subrequest(self, subrequest, **kwargs):
            calls.append(subrequest)
            if len(calls) == 1:
                raise httpexceptions.HTTPTemporaryRedirect("http://localhost/v1/echo?a=1")
            return "final"

    subrequest = webtest.TestRequest.blank("/v1/echo/?a=1", method="PUT", body=b"{}")
    subrequest.parent, subrequest.bound_data = "the parent", {"shared": True}
    response, redirected = follow_subrequest(Parent(), subrequest)
    assert response == "final" and redirected is calls[1]
    assert (redirected.path, redirected.GET["a"], redirected.method) == ("/v1/echo", "1", "PUT")
    assert redirected.body == b"{}"
    assert redirected.parent == "the parent" and redirected.bound_data == {"shared": True}
