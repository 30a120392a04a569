from cliquet.testing import USER_PRINCIPAL, get_user_headers
from tests.support import make_app


def test_hello_lists_every_field():
    app = make_app({"project_docs": "https://docs.example.com/"}, version="1.4.2",
                   project_name="notes")
    body = app.get("/v1/").json
    assert body == {
        "project_name": "notes",
        "project_version": "1.4.2",
        "http_api_version": "1.4",
        "project_docs": "https://docs.example.com/",
        "cliquet_protocol_version": "2",
        "url": "http://localhost/v1/",
        "openapi": "http://localhost/v1/__api__",
        "settings": {"batch_max_requests": 25, "readonly": False},
        "capabilities": {},
    }


def test_hello_is_json_with_charset_and_unescaped_slashes():
    response = make_app({"project_docs": "https://docs.example.com/"}).get("/v1/")
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert "\\/" not in response.text
    assert "https://docs.example.com/" in response.text


def test_hello_shows_authenticated_user():
    app = make_app()
    body = app.get("/v1/", headers={"Authorization": "Basic bWF0OjE="}).json
    assert body["user"] == {"id": USER_PRINCIPAL}
    assert "user" not in app.get("/v1/").json


def test_user_id_depends_on_hmac_secret():
    plain = make_app().get("/v1/", headers=get_user_headers("alice")).json["user"]["id"]
    salted = make_app({"userid_hmac_secret": "s3cr3t"}).get(
        "/v1/", headers=get_user_headers("alice")).json["user"]["id"]
    assert plain.startswith("basicauth:") and salted.startswith("basicauth:")
    assert len(salted.split(":")[1]) == 64
    assert plain != salted


def test_hello_url_honours_forced_scheme_and_host():
    app = make_app({"http_scheme": "https", "http_host": "api.example.com:8443"})
    assert app.get("/v1/").json["url"] == "https://api.example.com:8443/v1/"


def test_hello_shows_eos_and_readonly():
    app = make_app({"eos": "2999-01-01", "readonly": "true"})
    body = app.get("/v1/").json
    assert body["eos"] == "2999-01-01"
    assert body["settings"]["readonly"] is True


def test_public_settings_can_be_extended_with_prefixed_names():
    from pyramid.config import Configurator
    import webtest
    import cliquet

    config = Configurator(settings={"paginate_by": "10"})
    cliquet.initialize(config, "1.0", "notes")
    config.registry.public_settings.add("notes.paginate_by")
    config.registry.public_settings.add("cliquet.batch_max_requests")
    app = webtest.TestApp(config.make_wsgi_app())
    settings = app.get("/v1/").json["settings"]
    assert settings["notes.paginate_by"] == 10
    assert settings["cliquet.batch_max_requests"] == 25


def test_capabilities_are_listed_and_unique():
    from pyramid.config import Configurator
    import pytest
    import webtest
    import cliquet

    config = Configurator()
    cliquet.initialize(config, "1.0", "notes")
    config.add_api_capability("search", description="Full text", url="https://x/y",
                              version="1.2")
    with pytest.raises(ValueError):
        config.add_api_capability("search")
    app = webtest.TestApp(config.make_wsgi_app())
    assert app.get("/v1/").json["capabilities"] == {
        "search": {"description": "Full text", "url": "https://x/y", "version": "1.2"}
    }


def test_environment_variable_changes_project_name(monkeypatch):
    monkeypatch.setenv("CLIQUET_PROJECT_NAME", "from-env")
    assert make_app(project_name="testapp").get("/v1/").json["project_name"] == "from-env"


def test_version_prefix_follows_http_api_version():
    app = make_app({"http_api_version": "2.7"}, version="1.0")
    assert app.get("/v2/").json["http_api_version"] == "2.7"
    app = make_app(version="0.0.1")
    assert app.get("/v0/").json["http_api_version"] == "0.0"
