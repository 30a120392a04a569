"""Batch requests against plain services (resources are covered in tests/resource)."""
import pytest
import webtest

from cliquet.testing import FormattedErrorMixin
from tests import testapp
from tests.support import MEMORY_SETTINGS

check = FormattedErrorMixin().assertFormattedError
AUTH = {"Authorization": "Basic bWF0OjE="}


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
