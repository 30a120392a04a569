import pytest
import webtest

from cliquet.testing import FormattedErrorMixin
from tests import testapp
from tests.support import MEMORY_SETTINGS, make_app

check = FormattedErrorMixin().assertFormattedError


@pytest.fixture
def app():
    return webtest.TestApp(testapp.main({}, **MEMORY_SETTINGS))


def test_unknown_url_is_json_404_111(app):
    response = app.get("/v1/nowhere", status=404)
    check(response, 404, 111, "Not Found",
          "The resource you are looking for could not be found.")


def test_unknown_version_is_404_116(app):
    response = app.get("/v9/nowhere", status=404)
    check(response, 404, 116, "Not Found",
          "The requested protocol version is not available on this server.")


def test_unversioned_url_is_404_116_when_redirect_disabled():
    app = make_app({"version_prefix_redirect_enabled": "false"})
    response = app.get("/articles", status=404)
    assert response.json["errno"] == 116


def test_unversioned_urls_redirect_with_querystring(app):
    response = app.get("/", status=307)
    assert response.headers["Location"] == "http://localhost/v1/"
    response = app.post("/articles?_since=4&a=%20b", status=307)
    assert response.headers["Location"] == "http://localhost/v1/articles?_since=4&a=%20b"


def test_trailing_slash_redirects(app):
    response = app.get("/v1/__heartbeat__/?x=1", status=307)
    assert response.headers["Location"] == "http://localhost/v1/__heartbeat__?x=1"
    response = app.get("/v1", status=307)
    assert response.headers["Location"] == "http://localhost/v1/"


def test_trailing_slash_redirect_can_be_disabled():
    app = make_app({"trailing_slash_redirect_enabled": "false"})
    check(app.get("/v1/__heartbeat__/", status=404), 404, 111, "Not Found",
          "The resource you are looking for could not be found.")


def test_method_not_allowed_is_405_115_with_allow(app):
    response = app.post("/v1/__heartbeat__", status=405)
    check(response, 405, 115, "Method Not Allowed", "Method not allowed on this endpoint.")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_unexpected_exception_is_500_999_without_traceback(app):
    response = app.get("/v1/crash", status=500)
    check(response, 500, 999, "Internal Server Error",
          "A programmatic error occured, developers have been informed.",
          info="https://github.com/mozilla-services/cliquet/issues/")
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


def test_unexpected_exception_is_logged(app, caplog):
    with caplog.at_level("ERROR", logger="cliquet"):
        app.get("/v1/crash", status=500)
    assert any("secret internal detail" in r.getMessage() for r in caplog.records)


def test_error_info_link_setting():
    app = webtest.TestApp(testapp.main({}, error_info_link="https://help.example.com/"))
    assert app.get("/v1/crash", status=500).json["info"] == "https://help.example.com/"


def test_backend_error_is_503_201_with_retry_after(app):
    response = app.get("/v1/backend", status=503)
    check(response, 503, 201, "Service Unavailable",
          "Service temporary unavailable due to overloading or maintenance, please retry later.")
    assert response.headers["Retry-After"] == "30"


def test_retry_after_setting():
    app = webtest.TestApp(testapp.main({}, retry_after_seconds="12"))
    assert app.get("/v1/backend", status=503).headers["Retry-After"] == "12"


def test_non_json_http_error_gets_envelope_and_retry_after(app):
    response = app.get("/v1/plain", status=429)
    check(response, 429, 999, "Too Many Requests")
    assert response.headers["Retry-After"] == "30"


def test_anonymous_on_private_view_is_401_104_with_challenge(app):
    response = app.get("/v1/private", status=401)
    check(response, 401, 104, "Unauthorized",
          "Please authenticate yourself to use this endpoint.")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Realm"'
    app.get("/v1/private", headers={"Authorization": "Basic bWF0OjE="}, status=200)


def test_malformed_authorization_is_anonymous(app):
    for value in ("Basic !!!notbase64", "Basic " + "bm9jb2xvbg==", "Bearer xyz",
                  "Basic " + "QQ==" * 5000, "Basic /w==", "Basic"):
        response = app.get("/v1/private", headers={"Authorization": value}, status=401)
        assert response.json["errno"] == 104


def test_errors_carry_cors_headers(app):
    headers = {"Origin": "http://app.example.com"}
    # Outside services the origin is echoed; services answer `*` (the setting).
    for path, status, allowed in (("/v1/nowhere", 404, "http://app.example.com"),
                                  ("/v1/crash", 500, "*"), ("/v1/backend", 503, "*"),
                                  ("/v1/private", 401, "*")):
        response = app.get(path, headers=headers, status=status)
        assert response.headers["Access-Control-Allow-Origin"] == allowed
        assert "Backoff" in response.headers["Access-Control-Expose-Headers"]
    response = app.post("/v1/__heartbeat__", headers=headers, status=405)
    assert "Access-Control-Allow-Origin" in response.headers


@pytest.mark.parametrize("path, location", [
    ("/v1/echo?name=%ff", "querystring"), ("/v1/%ff", "path"), ("/%ff/x", "path"),
])
def test_non_utf8_urls_are_400_not_500(app, path, location):
    response = app.get(path, status=400)
    check(response, 400, 107, "Invalid parameters", f"{location}: Invalid UTF-8 encoding")
    assert response.json["details"][0]["location"] == location


def test_non_utf8_url_in_batch_is_reported_in_its_slot(app):
    responses = app.post_json("/v1/batch", {"requests": [{"path": "/echo?a=%ff"}]}
                              ).json["responses"]
    assert responses[0]["status"] == 400


def test_cors_view_decorator_adds_the_cors_headers():
    from pyramid.response import Response
    from pyramid.testing import DummyRequest

    from cliquet.views.errors import cors

    @cors
    def view(request):
        """A view."""
        return Response("x")

    request = DummyRequest(headers={"Origin": "http://app.example"})
    request.registry.settings = {"cors_origins": "*"}
    response = view(request)
    assert view.__doc__ == "A view." and response.body == b"x"
    assert response.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "Backoff" in response.headers["Access-Control-Expose-Headers"]


def test_backend_errors_log_the_driver_error_as_critical(caplog):
    import json

    app = make_app(dict(MEMORY_SETTINGS, logging_renderer="cliquet.logs.MozillaHekaRenderer"),
                   scan="tests.testapp")
    with caplog.at_level("CRITICAL", logger="cliquet"):
        app.get("/v1/backend", status=503)
    [record] = [r for r in caplog.records if r.levelname == "CRITICAL"]
    logged = json.loads(record.getMessage())
    assert logged["Severity"] == 0
    assert logged["Type"] == "database gone"  # the driver's error, not the wrapper's


def test_service_error_handler_renders_cornice_errors_as_the_json_envelope():
    from pyramid.testing import DummyRequest

    from cliquet import Service

    request = DummyRequest()
    request.errors = type("Errors", (list,), {"status": 400})(
        [{"location": "body", "name": "title", "description": "Required"}])
    response = Service.error_handler(error=request.errors)  # the 3.1 parameter name
    assert response.status_code == 400
    assert response.json["errno"] == 107 and response.json["message"] == "title in body: Required"
