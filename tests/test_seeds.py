"""The quickstart snippets of the seeds (tests/seeds/myproject), as written."""
import os
import sys

import pytest
import webtest

from tests.support import MEMORY_SETTINGS

SEEDS = os.path.join(os.path.dirname(__file__), "seeds")


@pytest.fixture(autouse=True)
def seeds_on_path(monkeypatch):
    monkeypatch.syspath_prepend(SEEDS)
    yield
    for name in [n for n in sys.modules if n == "myproject" or n.startswith("myproject.")]:
        del sys.modules[name]


def test_step1_hello_and_heartbeat():
    from myproject.step1 import main

    app = webtest.TestApp(main({}, **MEMORY_SETTINGS))
    hello = app.get("/v1/").json
    assert hello["project_version"] == "1.0"
    assert hello["http_api_version"] == "1.0"
    assert app.get("/v1/__heartbeat__").json == {
        "storage": True, "cache": True, "permission": True}


def test_step2_score_service_stores_validated_body():
    from myproject import main

    app = webtest.TestApp(main({}, **MEMORY_SETTINGS))
    headers = {"Authorization": "Basic bWF0OjE="}
    record = app.post_json("/v1/score/chess", {"value": 42}, headers=headers).json
    assert record["value"] == 42
    assert record["id"] and record["last_modified"]
    storage = app.app.registry.storage
    user_id = app.get("/v1/", headers=headers).json["user"]["id"].split(":", 1)[1]
    stored = storage.get("scores-chess", user_id, record["id"])
    assert stored["value"] == 42


def test_step2_score_service_validates_and_has_error_channel():
    from myproject import main

    app = webtest.TestApp(main({}, **MEMORY_SETTINGS))
    response = app.post_json("/v1/score/chess", {"value": "much"}, status=400)
    assert response.json["errno"] == 107
    assert response.json["details"][0]["location"] == "body"
    assert response.headers["Access-Control-Expose-Headers"]


def test_profiling_snippet(tmp_path):
    from myproject.profiling import main

    settings = dict(MEMORY_SETTINGS, **{"cliquet.profiler_enabled": "true",
                                        "cliquet.profiler_dir": str(tmp_path)})
    app = webtest.TestApp(main({}, **settings))
    app.get("/v1/")
    assert len(os.listdir(tmp_path)) == 1
