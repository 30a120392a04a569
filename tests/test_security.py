"""Nobody reads or changes what they were not given: every endpoint, and batch.

Runs the demo service on every backend: ``/v1/mushrooms`` (private to each
user) and ``/v1/bookmarks`` (shareable; any authenticated user may create).
"""
import base64
import json

import pytest
import transaction
import webtest

import demo
from tests import support

ALICE = {"Authorization": "Basic YWxpY2U6c2VjcmV0"}  # alice:secret
MALLORY = {"Authorization": "Basic bWFsbG9yeTpzZWNyZXQ="}  # mallory:secret


@pytest.fixture
def app(backend, flushed_backends):
    settings = dict(support.backend_settings(backend),
                    bookmark_create_principals="system.Authenticated")
    wsgi = demo.main({}, **settings)
    flushed_backends.append(wsgi.registry)
    with transaction.manager:
        for kind in ("storage", "permission", "cache"):
            getattr(wsgi.registry, kind).initialize_schema()
    return webtest.TestApp(wsgi)


def send(app, method, path, body=None, headers=None):
    headers = dict(headers or {})
    payload = b""
    if body is not None:
        headers["Content-Type"] = "application/json"
        payload = json.dumps(body).encode()
    return app.request(path, method=method, body=payload, headers=headers,
                       expect_errors=True)


def user_id(app, headers):
    return app.get("/v1/", headers=headers).json["user"]["id"]


def attempts(collection, record_id):
    """(method, path, body) of every way to read, change or delete a record."""
    record = f"/v1/{collection}/{record_id}"
    return [
        ("GET", record, None), ("HEAD", record, None),
        ("PUT", record, {"data": {"name": "stolen", "url": "http://x.org"}}),
        ("PATCH", record, {"data": {"name": "stolen", "title": "stolen"}}),
        ("DELETE", record, None),
    ]


def test_private_records_are_invisible_to_other_users(app):
    record = app.post_json("/v1/mushrooms", {"data": {"name": "cep"}}, headers=ALICE).json["data"]
    assert app.get("/v1/mushrooms", headers=MALLORY).json["data"] == []
    for method, path, _ in attempts("mushrooms", record["id"])[:2]:
        assert send(app, method, path, headers=MALLORY).status_code == 404
    # Mallory's PATCH/DELETE find nothing; her PUT creates her own record.
    app.patch_json(f"/v1/mushrooms/{record['id']}", {"data": {"name": "x"}},
                   headers=MALLORY, status=404)
    app.delete(f"/v1/mushrooms/{record['id']}", headers=MALLORY, status=404)
    app.delete("/v1/mushrooms", headers=MALLORY)
    app.put_json(f"/v1/mushrooms/{record['id']}", {"data": {"name": "mine"}},
                 headers=MALLORY, status=201)
    # Alice's record is untouched.
    assert app.get(f"/v1/mushrooms/{record['id']}", headers=ALICE).json["data"] == record
    app.get("/v1/mushrooms", status=401)


def test_shared_records_need_a_permission(app):
    created = app.post_json("/v1/bookmarks", {"data": {"url": "http://a.org"}},
                            headers=ALICE).json
    record_id = created["data"]["id"]
    assert app.get("/v1/bookmarks", headers=MALLORY, status=403).json["errno"] == 121
    app.delete("/v1/bookmarks", headers=MALLORY, status=403)
    for method, path, body in attempts("bookmarks", record_id):
        response = send(app, method, path, body, MALLORY)
        assert response.status_code == 403, (method, response.status_code)
        response = send(app, method, path, body)
        assert response.status_code == 401, (method, response.status_code)
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Realm"'
    # Nor can she share it with herself.
    app.patch_json(f"/v1/bookmarks/{record_id}",
                   {"permissions": {"read": [user_id(app, MALLORY)]}},
                   headers=MALLORY, status=403)
    assert app.app.registry.storage.get("bookmark", "", record_id)["url"] == "http://a.org"


def test_no_way_around_permissions_through_batch(app):
    record = app.post_json("/v1/mushrooms", {"data": {"name": "cep"}}, headers=ALICE).json["data"]
    shared = app.post_json("/v1/bookmarks", {"data": {"url": "http://a.org"}},
                           headers=ALICE).json["data"]
    requests = [{"method": m, "path": p.replace("/v1", ""), **({"body": b} if b else {})}
                for m, p, b in attempts("bookmarks", shared["id"])]
    requests += [{"method": "GET", "path": "/bookmarks"},
                 {"method": "GET", "path": f"/mushrooms/{record['id']}"},
                 {"method": "DELETE", "path": f"/mushrooms/{record['id']}"}]
    responses = app.post_json("/v1/batch", {"requests": requests},
                              headers=MALLORY).json["responses"]
    assert [r["status"] for r in responses] == [403] * 6 + [404, 404]
    # Anonymous batch: 401 everywhere.
    responses = app.post_json("/v1/batch", {"requests": requests}).json["responses"]
    assert {r["status"] for r in responses} == {401}
    assert app.get(f"/v1/mushrooms/{record['id']}", headers=ALICE).json["data"] == record
    assert app.app.registry.storage.get("bookmark", "", shared["id"])["url"] == "http://a.org"


def test_sharing_and_revoking(app):
    mallory = user_id(app, MALLORY)
    created = app.post_json("/v1/bookmarks", {"data": {"url": "http://a.org", "title": "a"},
                                              "permissions": {"read": [mallory]}},
                            headers=ALICE).json
    record_id = created["data"]["id"]
    # Shared for reading: Mallory sees it, in the list too, but may not write.
    assert app.get(f"/v1/bookmarks/{record_id}", headers=MALLORY).json["data"]["title"] == "a"
    listing = app.get("/v1/bookmarks", headers=MALLORY).json["data"]
    assert [r["id"] for r in listing] == [record_id]
    app.patch_json(f"/v1/bookmarks/{record_id}", {"data": {"title": "b"}},
                   headers=MALLORY, status=403)
    # Given write, she may change it.
    app.patch_json(f"/v1/bookmarks/{record_id}",
                   {"permissions": {"write": [user_id(app, ALICE), mallory]}}, headers=ALICE)
    app.patch_json(f"/v1/bookmarks/{record_id}", {"data": {"title": "b"}}, headers=MALLORY)
    # Revoked: nothing any more.
    app.patch_json(f"/v1/bookmarks/{record_id}",
                   {"permissions": {"read": [], "write": [user_id(app, ALICE)]}},
                   headers=ALICE)
    app.get(f"/v1/bookmarks/{record_id}", headers=MALLORY, status=403)
    app.get("/v1/bookmarks", headers=MALLORY, status=403)
    app.delete(f"/v1/bookmarks/{record_id}", headers=MALLORY, status=403)


def test_creating_over_a_record_does_not_reveal_it(app):
    secret = app.post_json("/v1/bookmarks", {"data": {"url": "http://a.org", "title": "secret"}},
                           headers=ALICE).json["data"]
    mine = app.post_json("/v1/bookmarks", {"data": {"url": "http://m.org"}},
                         headers=MALLORY).json["data"]
    url = f"/v1/bookmarks/{mine['id']}"
    attempts = [
        ("POST", "/v1/bookmarks", {"data": {"url": "http://a.org"}}, {}),  # unique field
        ("POST", "/v1/bookmarks", {"data": {"id": secret["id"], "url": "http://b.org"}}, {}),
        ("POST", "/v1/bookmarks", {"data": {"id": secret["id"], "url": "http://b.org"}},
         {"If-None-Match": "*"}),  # a 412 would show it
        ("PATCH", url, {"data": {"url": "http://a.org"}}, {}),  # a 409 would show it
        ("PUT", url, {"data": {"url": "http://a.org"}}, {}),
    ]
    for method, path, body, headers in attempts:
        response = send(app, method, path, body, dict(MALLORY, **headers))
        assert response.status_code == 403, (method, response.status_code)
        assert response.json["errno"] == 121
        assert "secret" not in response.text and secret["id"] not in response.text
    batch = [{"method": m, "path": p, "body": b, "headers": h} for m, p, b, h in attempts]
    responses = app.post_json("/v1/batch", {"requests": batch}, headers=MALLORY).json
    assert [r["status"] for r in responses["responses"]] == [403] * len(attempts)
    assert "secret" not in json.dumps(responses)
    assert len(app.app.registry.storage.get_all("bookmark", "")[0]) == 2
    # Once she may read it, the protocol's answers come back.
    app.patch_json(f"/v1/bookmarks/{secret['id']}",
                   {"permissions": {"read": ["system.Authenticated"]}}, headers=ALICE)
    again = app.post_json("/v1/bookmarks", {"data": {"url": "http://a.org"}}, headers=MALLORY)
    assert again.status_code == 200 and again.json["data"]["title"] == "secret"
    conflict = app.patch_json(url, {"data": {"url": "http://a.org"}}, headers=MALLORY, status=409)
    assert conflict.json["details"]["existing"]["id"] == secret["id"]


def test_permissions_cannot_be_taken_by_any_endpoint(app):
    record_id = app.post_json("/v1/bookmarks", {"data": {"url": "http://a.org"}},
                              headers=ALICE).json["data"]["id"]
    url = f"/v1/bookmarks/{record_id}"
    before = app.app.registry.permission.object_permissions(f"/bookmarks/{record_id}")
    grab = {"read": [user_id(app, MALLORY)], "write": [user_id(app, MALLORY)]}
    attempts = [("PATCH", url, {"permissions": grab}),
                ("PUT", url, {"data": {"url": "http://a.org"}, "permissions": grab}),
                ("POST", "/v1/bookmarks", {"data": {"id": record_id, "url": "http://a.org"},
                                           "permissions": grab})]
    for method, path, body in attempts:
        assert send(app, method, path, body, MALLORY).status_code == 403
        assert send(app, method, path, body).status_code == 401
    batch = [{"method": m, "path": p, "body": b} for m, p, b in attempts]
    for headers, status in ((MALLORY, 403), ({}, 401)):
        responses = app.post_json("/v1/batch", {"requests": batch}, headers=headers).json
        assert [r["status"] for r in responses["responses"]] == [status] * 3
    assert app.app.registry.permission.object_permissions(f"/bookmarks/{record_id}") == before


def encoded(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("authorization", [
    "Basic", "Basic ", "Basic !!!not base64", "Basic " + encoded(b"alice-no-colon"),
    "Basic " + encoded(b":password"), "Basic " + "A" * 100_001, "Bearer alice", "basic",
    "Basic \xff\xfe",
])
def test_malformed_authorization_headers_are_anonymous(app, authorization):
    headers = {"Authorization": authorization}
    for path in ("/v1/mushrooms", "/v1/bookmarks"):
        response = app.get(path, headers=headers, status=401)
        assert response.json["errno"] == 104
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Realm"'
    assert "user" not in app.get("/v1/", headers=headers).json
    responses = app.post_json("/v1/batch", {"requests": [
        {"path": "/mushrooms", "headers": headers}]}).json["responses"]
    assert responses[0]["status"] == 401


@pytest.mark.parametrize("credentials", [
    b"\xff\xfe:\xfd",  # not UTF-8: read as Latin-1
    b"a" * 60_000 + b":b",
    "zoë:pässwörd".encode(),
])
def test_unusual_credentials_are_users_of_their_own(app, credentials):
    headers = {"Authorization": "Basic " + encoded(credentials)}
    record = app.post_json("/v1/mushrooms", {"data": {"name": "x"}}, headers=headers).json["data"]
    assert [r["id"] for r in app.get("/v1/mushrooms", headers=headers).json["data"]] == \
        [record["id"]]
    assert app.get("/v1/mushrooms", headers=ALICE).json["data"] == []


def test_each_batch_subrequest_acts_as_its_own_credentials(app):
    requests = [
        {"method": "POST", "path": "/mushrooms", "body": {"data": {"name": "alice's"}},
         "headers": ALICE},
        {"method": "POST", "path": "/mushrooms", "body": {"data": {"name": "mallory's"}},
         "headers": MALLORY},
        {"method": "POST", "path": "/mushrooms", "body": {"data": {"name": "alice's too"}},
         "headers": ALICE},
    ]
    responses = app.post_json("/v1/batch", {"requests": requests}, headers=MALLORY).json
    assert [r["status"] for r in responses["responses"]] == [201, 201, 201]
    names = lambda headers: sorted(r["name"] for r in  # noqa: E731
                                   app.get("/v1/mushrooms", headers=headers).json["data"])
    assert names(ALICE) == ["alice's", "alice's too"]
    assert names(MALLORY) == ["mallory's"]
