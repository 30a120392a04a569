import os
import re
import warnings

import pytest
import webtest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

import cliquet
from cliquet import initialization
from cliquet.initialization import load_default_settings
from tests.support import MEMORY_SETTINGS, make_app


def settings_after(defaults, settings, environ=None, project_name="myproject"):
    config = Configurator(settings=dict(settings, project_name=project_name))
    load_default_settings(config, defaults, environ=environ or {})
    return config.get_settings()


def test_defaults_apply_only_when_no_spelling_is_defined():
    settings = settings_after({"paginate_by": 10, "backoff": None},
                              {"cliquet.paginate_by": "5"})
    assert settings["paginate_by"] == 5
    assert settings["backoff"] is None


def test_project_prefix_is_unprefixed():
    settings = settings_after({}, {"myproject.storage_backend": "x.y"})
    assert settings["storage_backend"] == "x.y"


def test_conflicting_spellings_fail():
    with pytest.raises(ValueError, match="are in conflict"):
        settings_after({}, {"cliquet.backoff": "1", "myproject.backoff": "2"})
    settings = settings_after({}, {"cliquet.backoff": "1", "backoff": "1"})
    assert settings["backoff"] == 1


def test_environment_overrides_in_order():
    environ = {"BACKOFF": "1", "MYPROJECT_BACKOFF": "2"}
    assert settings_after({"backoff": None}, {}, environ)["backoff"] == 2
    environ["CLIQUET_BACKOFF"] = "3"
    assert settings_after({"backoff": None}, {}, environ)["backoff"] == 3
    environ = {"MULTIAUTH_POLICIES": "basicauth fxa"}
    assert settings_after({"multiauth.policies": "basicauth"}, {}, environ)[
        "multiauth.policies"] == "basicauth fxa"


def test_values_are_coerced_but_text_settings_stay_text():
    settings = settings_after(
        {"readonly": False, "batch_max_requests": 25, "project_version": "",
         "userid_hmac_secret": ""},
        {"readonly": "on", "batch_max_requests": "12", "project_version": "2.10",
         "userid_hmac_secret": "1234"})
    assert settings["readonly"] is True
    assert settings["batch_max_requests"] == 12
    assert settings["project_version"] == "2.10"
    assert settings["userid_hmac_secret"] == "1234"


def test_missing_project_version_fails_with_its_name():
    with pytest.raises(ConfigurationError, match="project_version"):
        cliquet.initialize(Configurator(), project_name="x")


def test_project_version_setting_wins_over_argument():
    app = make_app({"project_version": "3.4.5"}, version="1.0")
    assert app.get("/v3/").json["project_version"] == "3.4.5"


def test_missing_project_name_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cliquet.initialize(Configurator(), "1.0")
    assert any("project_name" in str(w.message) for w in caught)


def test_initialize_cliquet_is_deprecated():
    with pytest.warns(DeprecationWarning):
        cliquet.initialize_cliquet(Configurator(), "1.0", "x")


def test_default_settings_of_the_application_override_cliquet_ones():
    config = Configurator()
    cliquet.initialize(config, "1.0", "x", default_settings={"batch_max_requests": 7})
    assert config.get_settings()["batch_max_requests"] == 7
    config = Configurator(settings={"batch_max_requests": "3"})
    cliquet.initialize(config, "1.0", "x", default_settings={"batch_max_requests": 7})
    assert config.get_settings()["batch_max_requests"] == 3


def step_that_adds_a_capability(config):
    config.add_api_capability("custom-step")


def test_initialization_sequence_is_replaceable():
    sequence = ("cliquet.initialization.setup_request_bound_data "
                "cliquet.initialization.setup_json_serializer "
                "tests.test_initialization.step_that_adds_a_capability")
    app = make_app({"initialization_sequence": sequence, "storage_backend":
                    "cliquet.storage.memory"})
    assert "custom-step" in app.get("/v1/").json["capabilities"]
    # setup_storage was dropped from the sequence: no backend was loaded.
    assert not hasattr(app.app.registry, "storage")
    # Heartbeat has nothing to check.
    assert app.get("/v1/__heartbeat__").json == {}


def test_invalid_backend_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="Invalid storage backend"):
        make_app({"storage_backend": "cliquet.cache.memory"})
    with pytest.raises(ConfigurationError, match="storage_backend"):
        make_app({"storage_backend": "cliquet.storage.nonexistent"})


def test_includes_are_included_after_setup():
    app = make_app(dict(MEMORY_SETTINGS, includes="tests.testplugin"))
    assert app.get("/v1/plugin").json == {"storage": True}


def test_install_middlewares_profiler_writes_one_file_per_request(tmp_path):
    wsgi = make_app({"profiler_enabled": "true", "profiler_dir": str(tmp_path)}).app
    app = webtest.TestApp(cliquet.install_middlewares(wsgi))
    app.get("/v1/")
    app.get("/v1/__lbheartbeat__")
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 2
    assert names[0].startswith("GET.v1.") and names[0].endswith(".prof")


def test_install_middlewares_without_options_returns_app():
    wsgi = make_app().app
    assert cliquet.install_middlewares(wsgi, wsgi.registry.settings) is wsgi


def test_newrelic_without_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(initialization, "newrelic", None)
    wsgi = make_app().app
    with pytest.raises(ImportError, match="newrelic"):
        cliquet.install_middlewares(wsgi, {"newrelic_config": "/tmp/newrelic.ini"})


def test_newrelic_wraps_the_application_with_the_agent(monkeypatch):
    calls = []

    class Agent:
        @staticmethod
        def initialize(config_file, environment):
            calls.append((config_file, environment))

        @staticmethod
        def WSGIApplicationWrapper(app):
            return ("wrapped", app)

    monkeypatch.setattr(initialization, "newrelic", type("M", (), {"agent": Agent}))
    wrapped = cliquet.install_middlewares("app", {"newrelic_config": "/etc/nr.ini",
                                                  "newrelic_env": "prod"})
    assert wrapped == ("wrapped", "app")
    assert calls == [("/etc/nr.ini", "prod")]


def test_profiler_restrictions_are_shell_patterns(tmp_path):
    wsgi = make_app().app
    profiler = initialization.ProfilerMiddleware(wsgi, profile_dir=str(tmp_path))
    # pstats reads restrictions as regular expressions searched in "file:line(function)".
    [pattern] = profiler._restrictions
    assert re.search(pattern, "/src/cliquet/views/hello.py:23(get_hello)")
    assert not re.search(pattern, "/site-packages/webob/request.py:10(__init__)")
    webtest.TestApp(profiler).get("/v1/")
    assert len(os.listdir(tmp_path)) == 1


def test_initialize_cliquet_warning_names_the_replacement():
    with pytest.warns(DeprecationWarning, match='use "cliquet.initialize" instead'):
        cliquet.initialize_cliquet(Configurator(), "1.0", "x")


def test_setup_statsd_returns_the_client():
    config = Configurator(settings=dict(cliquet.DEFAULT_SETTINGS, statsd_url="udp://127.0.0.1:8125"))
    client = initialization.setup_statsd(config)
    assert client is config.registry.statsd is not None
    config = Configurator(settings=dict(cliquet.DEFAULT_SETTINGS))
    assert initialization.setup_statsd(config) is None


def test_defaults_may_be_prefixed_too():
    settings = settings_after({"paginate_by": None, "cliquet.paginate_by": 102,
                               "myproject.http_host": "h:1", "multiauth.policies": "basicauth"},
                              {})
    assert settings["paginate_by"] == 102
    assert settings["http_host"] == "h:1"
    assert settings["multiauth.policies"] == "basicauth"
    assert "cliquet.paginate_by" not in settings and "myproject.http_host" not in settings
    config = Configurator(settings={"cliquet.paginate_by": "5"})
    cliquet.initialize(config, "1.0", "x", default_settings={"cliquet.paginate_by": 10})
    assert config.get_settings()["paginate_by"] == 5


OPENAPI_STEP = "cliquet.initialization.setup_openapi"


def test_the_default_sequence_serves_an_api_description_of_every_service():
    assert OPENAPI_STEP in cliquet.DEFAULT_SETTINGS["initialization_sequence"]
    app = make_app(dict(MEMORY_SETTINGS, includes="tests.testplugin"),
                   scan="tests.testapp.resources")
    assert app.get("/v1/").json["openapi"] == "http://localhost/v1/__api__"
    # Built on first request: services of includes, of Cliquet and of the app are in it.
    paths = app.get("/v1/__api__").json["paths"]
    for path in ("/", "/__heartbeat__", "/batch", "/plugin", "/memos", "/memos/{id}",
                 "/todos/{id}", "/__api__"):
        assert path in paths, path


def test_a_sequence_without_the_openapi_step_serves_everything_else():
    sequence = " ".join(step for step in cliquet.DEFAULT_SETTINGS["initialization_sequence"]
                        if step != OPENAPI_STEP)
    app = make_app(dict(MEMORY_SETTINGS, initialization_sequence=sequence,
                        includes="tests.testplugin"), scan="tests.testapp.resources")
    app.get("/v1/__api__", status=404)
    hello = app.get("/v1/").json
    assert "openapi" not in hello
    assert hello["url"] == "http://localhost/v1/"
    assert app.get("/v1/__heartbeat__").status_code == 200
    assert app.get("/v1/plugin").json == {"storage": True}
    headers = {"Authorization": "Basic Ym9iOnNlY3JldA=="}
    app.post_json("/v1/todos", {"data": {"title": "a"}}, headers=headers, status=201)
    assert len(app.get("/v1/todos", headers=headers).json["data"]) == 1
