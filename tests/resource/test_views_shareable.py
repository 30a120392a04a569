"""ShareableResource through HTTP: permissions in payloads and for the owner (§2.2, §3)."""
import pytest
import transaction

UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"


def principal(app, headers):
    return app.get("/v1/", headers=headers).json["user"]["id"]


def create(app, headers, data=None, permissions=None, status=201):
    body = {"data": data or {}}
    if permissions is not None:
        body["permissions"] = permissions
    return app.post_json("/v1/articles", body, headers=headers, status=status).json


def readable(app, headers, record_id):
    """Give the creator ``read`` on her record (``write`` alone does not imply it)."""
    me = principal(app, headers)
    return app.patch_json(f"/v1/articles/{record_id}", {"permissions": {"read": [me]}},
                          headers=headers).json


def test_post_gives_the_creator_write(app, alice):
    body = create(app, alice, {"title": "a"})
    me = principal(app, alice)
    assert body["permissions"] == {"write": [me]}
    assert body["data"]["title"] == "a"
    stored = app.app.registry.permission.object_permissions(f"/articles/{body['data']['id']}")
    assert stored == {"write": {me}}


def test_post_with_permissions(app, alice):
    body = create(app, alice, {}, {"read": ["system.Everyone", "group:x"]})
    me = principal(app, alice)
    assert sorted(body["permissions"]["read"]) == ["group:x", "system.Everyone"]
    assert body["permissions"]["write"] == [me]


def test_create_permission_comes_from_settings(app, alice):
    app.post_json("/v1/articles", {"data": {}}, status=401)


def test_create_permission_from_an_ace(make_app, alice, bob):
    app = make_app({"article_create_principals": ""})
    app.post_json("/v1/articles", {"data": {}}, headers=alice, status=403)
    app.app.registry.permission.add_principal_to_ace(
        "/articles", "article:create", principal(app, alice))
    transaction.commit()  # outside a request, PostgreSQL writes wait for a commit
    app.post_json("/v1/articles", {"data": {}}, headers=alice, status=201)
    app.post_json("/v1/articles", {"data": {}}, headers=bob, status=403)


@pytest.mark.parametrize("permissions,message", [
    ({"read": "book"}, 'permissions.read in body: "book" is not iterable'),
    ({"book": []}, 'permissions in body: "book" is not one of read, write'),
    ({"read": [1]}, "permissions.read.0 in body: 1 is not a string: {'': ''}"),
    ("x", "permissions in body: \"x\" is not a mapping type: "
          "Does not implement dict-like functionality."),
])
def test_invalid_permissions(app, alice, permissions, message):
    response = app.post_json("/v1/articles", {"data": {}, "permissions": permissions},
                             headers=alice, status=400)
    assert response.json["message"] == message


def test_write_does_not_imply_read(app, alice):
    record = create(app, alice)["data"]
    app.get(f"/v1/articles/{record['id']}", headers=alice, status=403)
    app.get("/v1/articles", headers=alice, status=403)


def test_owner_reads_updates_and_deletes(app, alice):
    record = create(app, alice, {"title": "a"})["data"]
    body = readable(app, alice, record["id"])
    me = principal(app, alice)
    assert body["permissions"] == {"read": [me], "write": [me]}
    response = app.get(f"/v1/articles/{record['id']}", headers=alice)
    assert response.json["permissions"] == {"read": [me], "write": [me]}
    assert response.json["data"]["title"] == "a"
    listing = app.get("/v1/articles", headers=alice)
    assert [r["id"] for r in listing.json["data"]] == [record["id"]]
    assert "permissions" not in listing.json
    replaced = app.put_json(f"/v1/articles/{record['id']}", {"data": {"title": "b"}},
                            headers=alice).json
    assert replaced["data"]["title"] == "b"
    assert replaced["permissions"] == {"read": [me], "write": [me]}
    deleted = app.delete(f"/v1/articles/{record['id']}", headers=alice).json
    assert deleted == {"data": {"id": record["id"], "deleted": True,
                                "last_modified": deleted["data"]["last_modified"]}}
    assert app.app.registry.permission.object_permissions(f"/articles/{record['id']}") == {}


def test_settings_open_reads(make_app, alice, bob):
    app = make_app({"article_read_principals": "system.Authenticated"})
    record = create(app, alice, {"title": "a"})["data"]
    assert app.get(f"/v1/articles/{record['id']}", headers=bob).json["data"] == record
    assert len(app.get("/v1/articles", headers=bob).json["data"]) == 1
    app.get(f"/v1/articles/{UNKNOWN_ID}", headers=bob, status=404)
    app.get("/v1/articles/abc", headers=bob, status=400)
    app.get("/v1/articles", status=401)  # anonymous: not in the list
    app.patch_json(f"/v1/articles/{record['id']}", {"data": {}}, headers=bob, status=403)


def test_unknown_or_invalid_ids_without_permission(app, alice):
    app.get(f"/v1/articles/{UNKNOWN_ID}", headers=alice, status=403)
    app.get("/v1/articles/abc", headers=alice, status=403)
    app.get(f"/v1/articles/{UNKNOWN_ID}", status=401)


def test_a_settings_list_decides_alone(make_app, alice, bob):
    app = make_app({"article_write_principals": principal(make_app(), bob)})
    record = create(app, alice)["data"]
    app.patch_json(f"/v1/articles/{record['id']}", {"data": {"title": "x"}}, headers=alice,
                   status=403)
    app.patch_json(f"/v1/articles/{record['id']}", {"data": {"title": "x"}}, headers=bob)


def test_listing_is_restricted_to_shared_records(app, alice, bob):
    readers = [principal(app, bob), principal(app, alice)]
    first = create(app, alice, {"title": "a"}, {"read": readers})["data"]
    create(app, alice, {"title": "b"})
    response = app.get("/v1/articles", headers=bob)
    assert [r["id"] for r in response.json["data"]] == [first["id"]]
    assert response.headers["Total-Records"] == "1"
    assert app.get("/v1/articles?title=b", headers=bob).json["data"] == []
    assert len(app.get("/v1/articles", headers=alice).json["data"]) == 1
    app.get("/v1/articles", status=401)


def test_bulk_delete_only_deletes_writable_records(app, alice, bob):
    mine = create(app, alice, {"title": "a"})["data"]
    theirs = create(app, bob, {"title": "b"})["data"]
    deleted = app.delete("/v1/articles", headers=alice).json["data"]
    assert [r["id"] for r in deleted] == [mine["id"]]
    assert "permissions" not in app.delete("/v1/articles", headers=bob).json
    assert app.app.registry.permission.object_permissions(f"/articles/{theirs['id']}") == {}


def test_collection_delete_without_any_permission(app, alice):
    app.delete("/v1/articles", headers=alice, status=403)


def test_put_replaces_mentioned_permissions_and_resets_the_others(app, alice):
    me = principal(app, alice)
    record = create(app, alice, {}, {"read": ["group:a"]})["data"]
    url = f"/v1/articles/{record['id']}"
    body = app.put_json(url, {"data": {}, "permissions": {"write": [me, "group:w"]}},
                        headers=alice).json
    assert sorted(body["permissions"]["write"]) == sorted([me, "group:w"])
    assert "read" not in body["permissions"]
    body = app.put_json(url, {"data": {"title": "x"}, "permissions": {}}, headers=alice).json
    assert sorted(body["permissions"]["write"]) == sorted([me, "group:w"])


def test_put_creates_with_the_create_permission(app, alice, bob):
    body = app.put_json(f"/v1/articles/{UNKNOWN_ID}", {"data": {"title": "a"}},
                        headers=bob, status=201).json
    assert body["permissions"] == {"write": [principal(app, bob)]}
    app.put_json(f"/v1/articles/{UNKNOWN_ID}", {"data": {}}, headers=alice, status=403)
    app.put_json(f"/v1/articles/{UNKNOWN_ID}", {"data": {}}, headers=bob, status=200)


def test_patch_replaces_only_mentioned_permissions(app, alice):
    me = principal(app, alice)
    record = create(app, alice, {}, {"read": ["group:r"]})["data"]
    url = f"/v1/articles/{record['id']}"
    body = app.patch_json(url, {"permissions": {"write": []}}, headers=alice).json
    assert body["permissions"] == {"read": ["group:r"], "write": [me]}
    body = app.patch_json(url, {"permissions": {"read": []}}, headers=alice).json
    assert body["permissions"] == {"write": [me]}


def test_patch_always_writes(app, alice):
    record = create(app, alice)["data"]
    url = f"/v1/articles/{record['id']}"
    first = app.patch_json(url, {}, headers=alice).json["data"]
    assert first["last_modified"] > record["last_modified"]
    second = app.patch_json(url, {"permissions": {"read": ["group:x"]}},
                            headers=alice).json["data"]
    assert second["last_modified"] > first["last_modified"]


def test_patch_with_an_empty_body(app, alice):
    record = create(app, alice)["data"]
    response = app.patch(f"/v1/articles/{record['id']}", "", status=400,
                         headers=dict(alice, **{"Content-Type": "application/json"}))
    assert response.json["message"] == "Provide at least one of data or permissions"
    assert response.json["details"] == [{
        "location": "body", "name": "data",
        "description": "Provide at least one of data or permissions"}]


def test_responses_without_permissions(app, alice):
    record = create(app, alice, {"title": "a", "url": "http://example.org"},
                    {"read": [principal(app, alice)]})["data"]
    url = f"/v1/articles/{record['id']}"
    assert "permissions" not in app.get(f"{url}?_fields=title", headers=alice).json
    light = app.patch_json(url, {"data": {"title": "b"}},
                           headers=dict(alice, **{"Response-Behavior": "light"})).json
    assert light == {"data": {"title": "b"}}
    again = create(app, alice, {"url": "http://example.org"}, status=200)
    assert "permissions" not in again and again["data"]["id"] == record["id"]
    response = app.get(url, headers=dict(alice, **{"If-Match": '"1"'}), status=412)
    assert "__permissions__" not in response.json["details"]["existing"]
    assert "permissions" not in response.json["details"]["existing"]


def test_unique_fields_and_readonly_fields(app, alice):
    create(app, alice, {"url": "http://example.org"})
    other = create(app, alice, {"url": "http://example.com", "device": "x"})["data"]
    url = f"/v1/articles/{other['id']}"
    response = app.patch_json(url, {"data": {"url": "http://example.org"}}, headers=alice,
                              status=409)
    assert response.json["details"]["field"] == "url"
    assert "__permissions__" not in response.json["details"]["existing"]
    response = app.patch_json(url, {"data": {"device": "y"}}, headers=alice, status=400)
    assert response.json["message"] == "Cannot modify device"


def test_unknown_fields_cannot_smuggle_permissions(app, alice):
    record = create(app, alice, {"__permissions__": {"read": ["system.Everyone"]}})
    assert "read" not in record["permissions"]
