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


def resource_app(module):
    """The quickstart ``main`` of the seeds, scanning one of their resource modules."""
    import cliquet
    from pyramid.config import Configurator

    config = Configurator(settings=dict(MEMORY_SETTINGS))
    cliquet.initialize(config, '1.0')
    config.scan(module)
    return webtest.TestApp(config.make_wsgi_app())


HEADERS = {"Authorization": "Basic bWF0OjE="}
OTHER = {"Authorization": "Basic YWxleDox"}


def test_bookmark_resource_is_available_with_every_feature():
    with pytest.warns(DeprecationWarning):
        app = resource_app("myproject.bookmarks")
    created = app.post_json("/v1/bookmarks", {"data": {"url": "https://cliquet.readthedocs.io"}},
                            headers=HEADERS, status=201).json["data"]
    listing = app.get("/v1/bookmarks", headers=HEADERS)
    assert listing.json == {"data": [{"url": "https://cliquet.readthedocs.io",
                                      "id": created["id"],
                                      "last_modified": created["last_modified"]}]}
    assert listing.headers["ETag"] == f'"{created["last_modified"]}"'
    # Synchronisation, filtering, sorting, paging...
    app.post_json("/v1/bookmarks", {"data": {"url": "https://kinto.readthedocs.io"}},
                  headers=HEADERS)
    since = app.get(f"/v1/bookmarks?_since={created['last_modified']}", headers=HEADERS)
    assert [r["url"] for r in since.json["data"]] == ["https://kinto.readthedocs.io"]
    page = app.get("/v1/bookmarks?_sort=url&_limit=1", headers=HEADERS)
    assert page.json["data"][0]["url"] == "https://cliquet.readthedocs.io"
    assert app.get(page.headers["Next-Page"], headers=HEADERS).json["data"][0]["url"] == \
        "https://kinto.readthedocs.io"
    filtered = app.get("/v1/bookmarks?url=https://kinto.readthedocs.io", headers=HEADERS)
    assert len(filtered.json["data"]) == 1
    # ... and private records.
    assert app.get("/v1/bookmarks", headers=OTHER).json["data"] == []
    app.get("/v1/bookmarks", status=401)
    response = app.post_json("/v1/bookmarks", {"data": {"url": "not a url"}}, headers=HEADERS,
                             status=400)
    assert response.json["details"][0]["name"] == "data.url"


def test_bookmark_endpoints_and_behaviour_under_control():
    app = resource_app("myproject.user_bookmarks")
    app.get("/v1/bookmarks", headers=HEADERS, status=404)
    assert app.get("/v1/user/bookmarks", headers=HEADERS).json == {"data": []}
    app.post_json("/v1/user/bookmarks", {"data": {"url": "http://a.org", "title": "a"}},
                  headers=HEADERS, status=405)
    app.delete("/v1/user/bookmarks", headers=HEADERS, status=405)

    record_id = "1d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"
    url = f"/v1/user/bookmarks/{record_id}"
    created = app.put_json(url, {"data": {"url": "http://a.org", "title": "a"}},
                           headers=HEADERS, status=201).json["data"]
    assert created["device"] == ""
    # process_record: a device change is replaced by the User-Agent.
    replaced = app.put_json(url, {"data": {"url": "http://a.org", "title": "a",
                                           "device": "laptop"}},
                            headers=dict(HEADERS, **{"User-Agent": "Firefox"})).json["data"]
    assert replaced["device"] == "Firefox"
    # Read-only field.
    response = app.patch_json(url, {"data": {"device": "phone"}}, headers=HEADERS, status=400)
    assert response.json["message"] == "Cannot modify device"
    app.patch_json(url, {"data": {"title": "b"}}, headers=HEADERS, status=200)
    # Unique field.
    other = "2d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"
    response = app.put_json(f"/v1/user/bookmarks/{other}",
                            {"data": {"url": "http://a.org", "title": "c"}},
                            headers=HEADERS, status=409)
    assert response.json["details"]["field"] == "url"
    # Schema and fields.
    response = app.put_json(f"/v1/user/bookmarks/{other}", {"data": {"url": "http://b.org"}},
                            headers=HEADERS, status=400)
    assert response.json["message"] == "data.title in body: Required"


def test_mushroom_resource():
    with pytest.warns(DeprecationWarning):
        app = resource_app("myproject.mushrooms")
    created = app.post_json("/v1/mushrooms", {"data": {"name": "Amanite tue-mouches"}},
                            headers=HEADERS, status=201).json["data"]
    record_url = f"/v1/mushrooms/{created['id']}"
    assert app.get(record_url, headers=HEADERS).json["data"]["name"] == "Amanite tue-mouches"
    app.patch_json(record_url, {"data": {"name": "Cèpe"}}, headers=HEADERS)
    assert app.get("/v1/mushrooms?name=C%C3%A8pe", headers=HEADERS).json["data"][0]["id"] == \
        created["id"]
    app.delete(record_url, headers=HEADERS)
    assert app.get("/v1/mushrooms", headers=OTHER).json["data"] == []
