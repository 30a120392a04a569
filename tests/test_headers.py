import json

from cliquet.testing import FormattedErrorMixin
from tests.support import make_app

check = FormattedErrorMixin().assertFormattedError


def test_vary_is_authorization_by_default_and_configurable():
    assert make_app().get("/v1/").headers["Vary"] == "Authorization"
    app = make_app({"vary": "Authorization Accept-Language"})
    assert app.get("/v1/").headers["Vary"] == "Authorization, Accept-Language"
    assert "Vary" not in make_app({"vary": ""}).get("/v1/").headers


def test_json_responses_declare_their_charset():
    app = make_app()
    for response in (app.get("/v1/"), app.get("/v1/nowhere", status=404)):
        assert response.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_backoff_on_every_response_when_set():
    app = make_app({"backoff": "10"})
    assert app.get("/v1/").headers["Backoff"] == "10"
    assert app.get("/v1/nowhere", status=404).headers["Backoff"] == "10"
    assert app.post("/v1/__heartbeat__", status=405).headers["Backoff"] == "10"
    assert "Backoff" not in make_app().get("/v1/").headers


def test_backoff_from_environment(monkeypatch):
    monkeypatch.setenv("CLIQUET_BACKOFF", "60")
    assert make_app().get("/v1/").headers["Backoff"] == "60"


def test_soft_end_of_life_adds_alert_header():
    app = make_app({"eos": "2999-12-31", "eos_message": "Upgrade!",
                    "eos_url": "https://example.com/eol"})
    response = app.get("/v1/")
    assert json.loads(response.headers["Alert"]) == {
        "code": "soft-eol", "message": "Upgrade!", "url": "https://example.com/eol"}
    assert app.get("/v1/nowhere", status=404).headers["Alert"]


def test_alert_url_defaults_to_project_docs():
    app = make_app({"eos": "2999-12-31", "project_docs": "https://docs/"})
    alert = json.loads(app.get("/v1/").headers["Alert"])
    assert alert == {"code": "soft-eol", "message": None, "url": "https://docs/"}


def test_hard_end_of_life_is_410_202_on_every_url():
    app = make_app({"eos": "2001-01-01", "eos_message": "Gone", "backoff": "5"})
    for method, path in (("get", "/v1/"), ("post", "/v1/batch"), ("get", "/v1/nowhere")):
        response = getattr(app, method)(path, status=410)
        check(response, 410, 202, "Gone",
              "The service you are trying to connect no longer exists at this location.")
        assert json.loads(response.headers["Alert"])["code"] == "hard-eol"
        assert response.headers["Backoff"] == "5"


def test_no_eos_means_no_alert():
    assert "Alert" not in make_app().get("/v1/").headers


def test_lbheartbeat_is_always_empty_object():
    response = make_app({"storage_backend": ""}).get("/v1/__lbheartbeat__")
    assert response.json == {}


def test_backoff_and_end_of_service_follow_settings_changed_at_run_time():
    app = make_app()
    settings = app.app.registry.settings
    assert "Backoff" not in app.get("/v1/").headers
    settings["backoff"] = 10
    assert app.get("/v1/").headers["Backoff"] == "10"
    settings.update(eos="2999-12-31", eos_message="Soon", eos_url="https://eol")
    assert json.loads(app.get("/v1/").headers["Alert"]) == {
        "code": "soft-eol", "message": "Soon", "url": "https://eol"}
    settings["eos"] = "2001-01-01"
    response = app.get("/v1/", status=410)
    assert json.loads(response.headers["Alert"])["code"] == "hard-eol"
    settings.update(eos=None, backoff=None)
    response = app.get("/v1/")
    assert "Alert" not in response.headers and "Backoff" not in response.headers
