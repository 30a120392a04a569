"""The demo's resources, configured from demo/memory.ini."""
import os

import pytest
import webtest
from pyramid.paster import get_appsettings

import demo
from cliquet.testing import get_user_headers

INI = os.path.join(os.path.dirname(demo.__file__), "memory.ini")


@pytest.fixture
def app():
    settings = get_appsettings(INI)
    return webtest.TestApp(demo.main({}, **settings))


def test_mushrooms_require_a_name_and_keep_unknown_fields(app):
    alice = get_user_headers("alice")
    response = app.post_json("/v1/mushrooms", {"data": {}}, headers=alice, status=400)
    assert response.json["message"] == "data.name in body: Required"
    record = app.post_json("/v1/mushrooms", {"data": {"name": "cep", "smell": "nice"}},
                           headers=alice).json["data"]
    assert record["smell"] == "nice"
    page = app.get("/v1/mushrooms?min_size=0&_sort=-size", headers=alice)
    assert page.json["data"] == []


def test_any_authenticated_user_creates_bookmarks(app):
    alice = get_user_headers("alice")
    body = app.post_json("/v1/bookmarks", {"data": {"url": "https://example.org"}},
                         headers=alice, status=201).json
    assert body["data"]["device"] == ""
    assert list(body["permissions"]) == ["write"]
    app.post_json("/v1/bookmarks", {"data": {"url": "https://example.org"}}, status=401)
    again = app.post_json("/v1/bookmarks", {"data": {"url": "https://example.org"}},
                          headers=alice, status=200)
    assert again.json["data"]["id"] == body["data"]["id"]
    response = app.post_json("/v1/bookmarks", {"data": {"title": "x"}}, headers=alice,
                             status=400)
    assert response.json["message"] == "data.url in body: Required"
