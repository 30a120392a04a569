"""Record endpoints and POST through HTTP, on every backend (PROTOCOL §2.2–§2.6)."""
import re

import pytest

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"


def create(app, headers, data=None, url="/v1/notes"):
    return app.post_json(url, {"data": data or {}}, headers=headers).json["data"]


def assert_error(response, code, errno, message=None):
    assert response.status_code == code
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    body = response.json
    assert (body["code"], body["errno"]) == (code, errno)
    if message is None:
        assert "message" not in body
    else:
        assert body["message"] == message
    return body


# POST


def test_post_creates_a_record_with_id_and_timestamp(app, alice):
    response = app.post_json("/v1/notes", {"data": {"title": "a", "unknown": 1}},
                             headers=alice, status=201)
    record = response.json["data"]
    assert UUID.match(record["id"])
    assert isinstance(record["last_modified"], int)
    assert record == {"id": record["id"], "last_modified": record["last_modified"],
                      "title": "a"}
    assert response.json == {"data": record}
    assert "ETag" not in response.headers
    assert "Last-Modified" not in response.headers


def test_post_without_data_when_the_schema_accepts_an_empty_object(app, alice):
    record = app.post_json("/v1/notes", {}, headers=alice, status=201).json["data"]
    assert set(record) == {"id", "last_modified"}
    record = app.post("/v1/notes", headers=dict(alice, **{"Content-Type": "application/json"}),
                      status=201).json["data"]
    assert set(record) == {"id", "last_modified"}


def test_post_without_data_when_the_schema_requires_fields(app, alice):
    body = assert_error(app.post_json("/v1/stricts", {}, headers=alice, status=400),
                        400, 107, "data is missing")
    assert body["details"] == [{"location": "body", "name": "data",
                                "description": "data is missing"}]
    assert body["error"] == "Invalid parameters"


def test_post_fills_schema_defaults(app, alice):
    record = create(app, alice, {"name": "x"}, url="/v1/stricts")
    assert isinstance(record["stamp"], int)


def test_post_with_a_new_client_id(app, alice):
    record = app.post_json("/v1/notes", {"data": {"id": UNKNOWN_ID, "title": "a"}},
                           headers=alice, status=201).json["data"]
    assert record["id"] == UNKNOWN_ID


def test_post_with_an_existing_id_returns_it_unchanged(app, alice):
    existing = create(app, alice, {"title": "a"})
    response = app.post_json("/v1/notes", {"data": {"id": existing["id"], "title": "b"}},
                             headers=alice, status=200)
    assert response.json == {"data": existing}
    assert app.get(f"/v1/notes/{existing['id']}", headers=alice).json["data"] == existing


def test_post_with_an_invalid_id(app, alice):
    for invalid in ("abc", 42, "4D5A7D2C-5A2B-4E9D-9A6C-8D0C3F1E2B7A"):
        response = app.post_json("/v1/notes", {"data": {"id": invalid}}, headers=alice,
                                 status=400)
        body = assert_error(response, 400, 107, "path: Invalid record id")
        assert body["details"] == [{"location": "path", "name": None,
                                    "description": "Invalid record id"}]


def test_post_with_a_unique_field_collision_returns_the_existing_record(app, alice):
    existing = create(app, alice, {"code": "A1"})
    response = app.post_json("/v1/notes", {"data": {"code": "A1", "title": "x"}},
                             headers=alice, status=200)
    assert response.json == {"data": existing}
    assert app.get("/v1/notes", headers=alice).headers["Total-Records"] == "1"


def test_unique_fields_ignore_other_users_and_tombstones(app, alice, bob):
    record = create(app, alice, {"code": "A1"})
    app.post_json("/v1/notes", {"data": {"code": "A1"}}, headers=bob, status=201)
    app.delete(f"/v1/notes/{record['id']}", headers=alice)
    app.post_json("/v1/notes", {"data": {"code": "A1"}}, headers=alice, status=201)


def test_forced_timestamp_on_post_is_kept_when_the_schema_keeps_it(app, alice):
    record = create(app, alice, {"last_modified": 1234567890123}, url="/v1/blobs")
    assert record["last_modified"] == 1234567890123
    record = create(app, alice, {"last_modified": 1234567890123, "title": "x"})
    assert record["last_modified"] != 1234567890123


# GET


def test_get_returns_the_record_and_its_timestamp_headers(app, alice):
    record = create(app, alice, {"title": "a"})
    response = app.get(f"/v1/notes/{record['id']}", headers=alice)
    assert response.json == {"data": record}
    assert response.headers["ETag"] == f'"{record["last_modified"]}"'
    assert re.match(r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$",
                    response.headers["Last-Modified"])
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Expires" not in response.headers


def test_head_gives_the_headers_without_body(app, alice):
    record = create(app, alice, {"title": "a"})
    response = app.head(f"/v1/notes/{record['id']}", headers=alice)
    assert response.body == b""
    assert response.headers["ETag"] == f'"{record["last_modified"]}"'
    response = app.head("/v1/notes", headers=alice)
    assert response.headers["Total-Records"] == "1"


def test_get_unknown_record_is_404_110(app, alice):
    response = app.get(f"/v1/notes/{UNKNOWN_ID}", headers=alice, status=404)
    body = assert_error(response, 404, 110)
    assert body["error"] == "Not Found"


def test_get_invalid_id_is_400(app, alice):
    response = app.get("/v1/notes/not-a-uuid", headers=alice, status=400)
    assert_error(response, 400, 107, "path: Invalid record id")


def test_records_are_private_to_each_user(app, alice, bob):
    record = create(app, alice, {"title": "a"})
    app.get(f"/v1/notes/{record['id']}", headers=bob, status=404)
    assert app.get("/v1/notes", headers=bob).json == {"data": []}
    app.delete(f"/v1/notes/{record['id']}", headers=bob, status=404)


def test_anonymous_requests_are_401(app):
    for method, url in [("get", "/v1/notes"), ("post", "/v1/notes"),
                        ("get", f"/v1/notes/{UNKNOWN_ID}")]:
        response = getattr(app, method)(url, status=401, headers={
            "Content-Type": "application/json"} if method == "post" else {})
        body = assert_error(response, 401, 104,
                            "Please authenticate yourself to use this endpoint.")
        assert body["error"] == "Unauthorized"
        assert "Basic" in response.headers["WWW-Authenticate"]


# PUT


def test_put_creates_a_missing_record(app, alice):
    response = app.put_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {"title": "a"}},
                            headers=alice, status=201)
    record = response.json["data"]
    assert record["id"] == UNKNOWN_ID and record["title"] == "a"
    assert response.headers["ETag"] == f'"{record["last_modified"]}"'


def test_put_that_creates_logs_no_error(app, alice, caplog):
    with caplog.at_level("INFO", logger="cliquet"):
        app.put_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {}}, headers=alice, status=201)
    summaries = [r.getMessage() for r in caplog.records if "request.summary" in r.getMessage()]
    assert "201" in summaries[-1] and "errno" not in summaries[-1]


def test_put_replaces_the_whole_record(app, alice):
    record = create(app, alice, {"title": "a", "rank": 2})
    response = app.put_json(f"/v1/notes/{record['id']}", {"data": {"title": "b"}},
                            headers=alice, status=200)
    replaced = response.json["data"]
    assert replaced == {"id": record["id"], "title": "b",
                        "last_modified": replaced["last_modified"]}
    assert replaced["last_modified"] > record["last_modified"]
    assert response.headers["ETag"] == f'"{replaced["last_modified"]}"'


def test_put_over_a_tombstone_creates(app, alice):
    record = create(app, alice, {"title": "a"})
    tombstone = app.delete(f"/v1/notes/{record['id']}", headers=alice).json["data"]
    response = app.put_json(f"/v1/notes/{record['id']}", {"data": {"title": "b"}},
                            headers=alice, status=201)
    assert response.json["data"]["last_modified"] > tombstone["last_modified"]
    changes = app.get(f"/v1/notes?_since={record['last_modified']}", headers=alice).json
    assert changes["data"] == [response.json["data"]]


def test_put_body_id_is_dropped_by_a_schema_that_does_not_keep_it(app, alice):
    response = app.put_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {"id": "other"}},
                            headers=alice, status=201)
    assert response.json["data"]["id"] == UNKNOWN_ID


def test_put_body_id_must_match_on_schemaless_resources(app, alice):
    other = "0d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"
    response = app.put_json(f"/v1/blobs/{UNKNOWN_ID}", {"data": {"id": other}},
                            headers=alice, status=400)
    body = assert_error(response, 400, 107, "Record id does not match existing record")
    assert body["details"] == [{"location": "body", "name": "id",
                                "description": "Record id does not match existing record"}]
    app.put_json(f"/v1/blobs/{UNKNOWN_ID}", {"data": {"id": UNKNOWN_ID}}, headers=alice,
                 status=201)


def test_put_invalid_id_is_400(app, alice):
    app.put_json("/v1/notes/abc", {"data": {}}, headers=alice, status=400)


def test_put_unique_conflict_is_409(app, alice):
    existing = create(app, alice, {"code": "A1"})
    other = create(app, alice, {"code": "B2"})
    response = app.put_json(f"/v1/notes/{other['id']}", {"data": {"code": "A1"}},
                            headers=alice, status=409)
    body = assert_error(response, 409, 122,
                        f"Conflict of field code on record {existing['id']}")
    assert body["details"] == {"field": "code", "existing": existing}
    app.put_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {"code": "A1"}}, headers=alice,
                 status=409)


def test_put_keeps_or_drops_a_forced_timestamp(app, alice):
    record = create(app, alice, {"x": 1}, url="/v1/blobs")
    old = record["last_modified"]
    stale = app.put_json(f"/v1/blobs/{record['id']}", {"data": {"last_modified": old - 10}},
                         headers=alice).json["data"]
    assert stale["last_modified"] > old
    forced = stale["last_modified"] + 1000
    newer = app.put_json(f"/v1/blobs/{record['id']}", {"data": {"last_modified": forced}},
                         headers=alice).json["data"]
    assert newer["last_modified"] == forced
    created = app.put_json(f"/v1/blobs/{UNKNOWN_ID}", {"data": {"last_modified": 12}},
                           headers=alice, status=201).json["data"]
    assert created["last_modified"] == 12


# PATCH


def test_patch_merges_changes(app, alice):
    record = create(app, alice, {"title": "a", "rank": 1})
    response = app.patch_json(f"/v1/notes/{record['id']}", {"data": {"rank": 2}},
                              headers=alice)
    patched = response.json["data"]
    assert patched["title"] == "a" and patched["rank"] == 2
    assert patched["last_modified"] > record["last_modified"]
    assert response.headers["ETag"] == f'"{patched["last_modified"]}"'


def test_patch_without_change_writes_nothing(app, alice):
    record = create(app, alice, {"title": "a"})
    response = app.patch_json(f"/v1/notes/{record['id']}", {"data": {"title": "a"}},
                              headers=alice)
    assert response.json["data"] == record
    assert response.headers["ETag"] == f'"{record["last_modified"]}"'
    response = app.patch_json(f"/v1/notes/{record['id']}", {"data": {"unknown": 1}},
                              headers=alice)
    assert response.json["data"] == record


def test_patch_with_a_dropped_timestamp_counts_as_a_change(app, alice):
    record = create(app, alice, {"title": "a"})
    patched = app.patch_json(f"/v1/notes/{record['id']}",
                             {"data": {"last_modified": record["last_modified"]}},
                             headers=alice).json["data"]
    assert patched["last_modified"] > record["last_modified"]


def test_patch_unknown_record_is_404(app, alice):
    response = app.patch_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {}}, headers=alice,
                              status=404)
    assert_error(response, 404, 110)


def test_patch_requires_data(app, alice):
    record = create(app, alice)
    response = app.patch_json(f"/v1/notes/{record['id']}", {}, headers=alice, status=400)
    assert_error(response, 400, 107, "data is missing")
    # Validation comes before the lookup.
    app.patch_json(f"/v1/notes/{UNKNOWN_ID}", {}, headers=alice, status=400)


def test_patch_validates_the_merged_record(app, alice):
    record = create(app, alice, {"name": "a"}, url="/v1/stricts")
    response = app.patch_json(f"/v1/stricts/{record['id']}", {"data": {"name": 42}},
                              headers=alice, status=400)
    body = assert_error(response, 400, 107, "data.name in body: 42 is not a string: {'name': ''}")
    assert body["details"] == [{"location": "body", "name": "data.name",
                                "description": "42 is not a string: {'name': ''}"}]


def test_patch_readonly_fields(app, alice):
    record = create(app, alice, {"title": "a"})
    url = f"/v1/notes/{record['id']}"
    # Absent from the stored record: may be set.
    app.patch_json(url, {"data": {"device": "phone"}}, headers=alice)
    # Same value: accepted.
    app.patch_json(url, {"data": {"device": "phone", "title": "b"}}, headers=alice)
    response = app.patch_json(url, {"data": {"device": "laptop"}}, headers=alice, status=400)
    body = assert_error(response, 400, 107, "Cannot modify device")
    assert body["details"] == [{"location": "body", "name": "device",
                                "description": "Cannot modify device"}]
    # PUT does not enforce read-only fields.
    assert app.put_json(url, {"data": {"device": "laptop"}},
                        headers=alice).json["data"]["device"] == "laptop"


def test_patch_unique_conflict_is_409(app, alice):
    existing = create(app, alice, {"code": "A1"})
    other = create(app, alice, {"code": "B2"})
    response = app.patch_json(f"/v1/notes/{other['id']}", {"data": {"code": "A1"}},
                              headers=alice, status=409)
    assert response.json["details"] == {"field": "code", "existing": existing}


def test_patch_body_id_must_match_on_schemaless_resources(app, alice):
    record = create(app, alice, {"x": 1}, url="/v1/blobs")
    response = app.patch_json(f"/v1/blobs/{record['id']}", {"data": {"id": UNKNOWN_ID}},
                              headers=alice, status=400)
    assert response.json["message"] == "Record id does not match existing record"


@pytest.mark.parametrize("behavior,expected", [
    ("light", {"title": "B", "rank": 2}), ("LIGHT", {"title": "B", "rank": 2}),
    ("diff", {"title": "B"}), ("full", None), ("whatever", None),
])
def test_patch_response_behavior(app, alice, behavior, expected):
    record = create(app, alice, {"title": "a", "rank": 1, "done": True}, url="/v1/shouts")
    response = app.patch_json(
        f"/v1/shouts/{record['id']}", {"data": {"title": "b", "rank": 2, "done": True}},
        headers=dict(alice, **{"Response-Behavior": behavior}))
    stored = app.get(f"/v1/shouts/{record['id']}", headers=alice).json["data"]
    assert stored["title"] == "B"
    assert response.json["data"] == (stored if expected is None else expected)
    assert response.headers["ETag"] == f'"{stored["last_modified"]}"'


# DELETE


def test_delete_returns_the_tombstone(app, alice):
    record = create(app, alice, {"title": "a"})
    response = app.delete(f"/v1/notes/{record['id']}", headers=alice)
    tombstone = response.json["data"]
    assert tombstone == {"id": record["id"], "deleted": True,
                         "last_modified": tombstone["last_modified"]}
    assert tombstone["last_modified"] > record["last_modified"]
    assert "ETag" not in response.headers
    app.get(f"/v1/notes/{record['id']}", headers=alice, status=404)
    app.delete(f"/v1/notes/{record['id']}", headers=alice, status=404)


def test_delete_invalid_id_is_400(app, alice):
    app.delete("/v1/notes/abc", headers=alice, status=400)


def test_delete_with_a_forced_timestamp(app, alice):
    record = create(app, alice)
    forced = record["last_modified"] + 100000
    tombstone = app.delete(f'/v1/notes/{record["id"]}?last_modified="{forced}"',
                           headers=alice).json["data"]
    assert tombstone["last_modified"] == forced


def test_delete_ignores_an_older_forced_timestamp(app, alice):
    record = create(app, alice)
    tombstone = app.delete(f'/v1/notes/{record["id"]}?last_modified=12',
                           headers=alice).json["data"]
    assert tombstone["last_modified"] > record["last_modified"]


def test_delete_with_an_invalid_forced_timestamp(app, alice):
    record = create(app, alice)
    response = app.delete(f'/v1/notes/{record["id"]}?last_modified="abc"', headers=alice,
                          status=400)
    body = assert_error(response, 400, 107, "last_modified in querystring: Invalid value for abc")
    assert body["details"] == [{"location": "querystring", "name": "last_modified",
                                "description": "Invalid value for abc"}]
    app.get(f"/v1/notes/{record['id']}", headers=alice)


def test_timestamps_strictly_increase(app, alice):
    stamps = [create(app, alice)["last_modified"] for _ in range(20)]
    assert stamps == sorted(set(stamps))
    collection = app.get("/v1/notes", headers=alice).headers["ETag"]
    assert collection == f'"{stamps[-1]}"'


def test_custom_paths_with_placeholders(app, alice):
    record = app.post_json("/v1/lists/groceries/tasks", {"data": {"title": "milk"}},
                           headers=alice, status=201).json["data"]
    response = app.get(f"/v1/lists/groceries/tasks/{record['id']}", headers=alice)
    assert response.json["data"]["title"] == "milk"


def test_body_must_be_a_json_object(app, alice):
    headers = dict(alice, **{"Content-Type": "application/json"})
    response = app.post("/v1/notes", "[1, 2]", headers=headers, status=400)
    assert response.json["details"][0]["location"] == "body"
    assert response.json["details"][0]["name"] is None
