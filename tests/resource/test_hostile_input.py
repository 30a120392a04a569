"""Hostile input never answers 5xx nor poisons a collection (Issue #16), on every backend.

Bad values are the client's error (400 errno 107), checked before any backend
sees them, so that memory, Redis and PostgreSQL answer the same.
"""
import json

import pytest

from cliquet import _validation
from cliquet._validation import MAX_JSON_DEPTH, MAX_TIMESTAMP
from cliquet.resource import UserResource

POISON = 1249000000000000000  # year 39 millions


def _send(app, method, url, body, headers, status):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {**headers, "Content-Type": "application/json"}
    return app.request(url, method=method, body=raw.encode() if isinstance(raw, str) else raw,
                       headers=headers, status=status)


def _invalid(response, name, location="body"):
    """Description of the error on ``name`` of a 400 errno 107. A body refused
    as a whole may also report what is then missing (``data is missing``,
    ``requests is missing``), as an invalid JSON body does (PROTOCOL §1.3)."""
    body = response.json
    assert (body["code"], body["errno"], body["error"]) == (400, 107, "Invalid parameters")
    first, *others = body["details"]
    assert (first["location"], first["name"]) == (location, name)
    assert all(other["description"].endswith(" is missing") for other in others)
    return first["description"]


def _nested(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


# Client last_modified.

def test_a_timestamp_beyond_year_9999_is_refused_and_does_not_poison_the_list(app, alice):
    response = app.post_json("/v1/blobs", {"data": {"last_modified": POISON}},
                             headers=alice, status=400)
    assert "is not between 1 and 253402300799999" in _invalid(response, "data.last_modified")
    assert app.get("/v1/blobs", headers=alice).json["data"] == []


@pytest.mark.parametrize("value", ["abc", 99999999999999999999999, -5, 0, True, 1.5,
                                   None, [1], MAX_TIMESTAMP + 1])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_last_modified_that_is_not_a_timestamp_is_refused(app, alice, method, value):
    record = app.post_json("/v1/blobs", {"data": {"a": 1}}, headers=alice).json["data"]
    url = "/v1/blobs" if method == "POST" else f"/v1/blobs/{record['id']}"
    response = _send(app, method, url, {"data": {"last_modified": value}}, alice, 400)
    _invalid(response, "data.last_modified")
    listed = app.get("/v1/blobs", headers=alice)
    assert listed.json["data"] == [record]
    assert listed.headers["ETag"] == f'"{record["last_modified"]}"'


def test_the_largest_timestamp_is_stored_and_rendered(app, alice):
    app.post_json("/v1/blobs", {"data": {"last_modified": MAX_TIMESTAMP}}, headers=alice,
                  status=201)
    listed = app.get("/v1/blobs", headers=alice)
    assert listed.headers["ETag"] == f'"{MAX_TIMESTAMP}"'
    assert listed.headers["Last-Modified"] == "Fri, 31 Dec 9999 23:59:59 GMT"


def test_a_resource_dropping_last_modified_still_ignores_any_value(app, alice):
    # The schema of /notes does not keep last_modified: dropped, as in 3.1.
    created = app.post_json("/v1/notes", {"data": {"last_modified": "abc"}}, headers=alice,
                            status=201).json["data"]
    assert isinstance(created["last_modified"], int)
    app.patch_json(f"/v1/notes/{created['id']}", {"data": {"last_modified": POISON}},
                   headers=alice, status=200)


def test_an_old_timestamp_is_kept_without_moving_the_collection_back(app, alice):
    current = app.post_json("/v1/blobs", {"data": {}}, headers=alice).json["data"]
    old = app.post_json("/v1/blobs", {"data": {"last_modified": 5}}, headers=alice,
                        status=201).json["data"]
    assert old["last_modified"] == 5  # forwarded as-is (PROTOCOL §2.4)
    etag = int(app.get("/v1/blobs", headers=alice).headers["ETag"].strip('"'))
    assert etag > current["last_modified"]
    later = app.post_json("/v1/blobs", {"data": {}}, headers=alice).json["data"]
    assert later["last_modified"] > etag


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_timestamp_already_taken_is_refused(app, alice, method):
    taken = app.post_json("/v1/blobs", {"data": {"last_modified": 5}}, headers=alice).json
    app.post_json("/v1/blobs", {"data": {}}, headers=alice)
    url = "/v1/blobs" if method == "POST" else \
        "/v1/blobs/9d8f4a9e-7a35-4e3a-8f2b-3b8e9bd1f5d2"
    response = _send(app, method, url, {"data": {"last_modified": 5}}, alice, 400)
    assert "Another record" in _invalid(response, "data.last_modified")
    records = app.get("/v1/blobs?last_modified=5", headers=alice).json["data"]
    assert records == [taken["data"]]


def test_a_tombstone_timestamp_is_taken_too(app, alice):
    record = app.post_json("/v1/blobs", {"data": {"last_modified": 7}}, headers=alice).json
    app.delete(f"/v1/blobs/{record['data']['id']}?last_modified=9", headers=alice)
    app.post_json("/v1/blobs", {"data": {}}, headers=alice)
    response = app.post_json("/v1/blobs", {"data": {"last_modified": 9}}, headers=alice,
                             status=400)
    _invalid(response, "data.last_modified")
    # Its own tombstone's timestamp does not block the record coming back.
    app.put_json(f"/v1/blobs/{record['data']['id']}", {"data": {"last_modified": 9}},
                 headers=alice, status=201)


def test_a_delete_timestamp_beyond_year_9999_is_refused(app, alice):
    record = app.post_json("/v1/blobs", {"data": {}}, headers=alice).json["data"]
    response = app.delete(f"/v1/blobs/{record['id']}?last_modified={POISON}", headers=alice,
                          status=400)
    _invalid(response, "last_modified", "querystring")
    assert app.get("/v1/blobs", headers=alice).json["data"] == [record]


def test_a_stored_timestamp_out_of_range_still_renders(app, alice):
    """Defence in depth: a record written around the HTTP checks."""
    created = app.post_json("/v1/blobs", {"data": {}}, headers=alice).json["data"]
    registry = app.app.registry
    parent_id = app.get("/v1/", headers=alice).json["user"]["id"]
    registry.storage.update(collection_id="blob", parent_id=parent_id,
                            object_id=created["id"],
                            record={"id": created["id"], "last_modified": POISON})
    import transaction
    transaction.commit()
    listed = app.get("/v1/blobs", headers=alice)
    assert listed.headers["Last-Modified"] == "Fri, 31 Dec 9999 23:59:59 GMT"
    one = app.get(f"/v1/blobs/{created['id']}", headers=alice)
    assert one.headers["Last-Modified"] == "Fri, 31 Dec 9999 23:59:59 GMT"


# NUL characters.

@pytest.mark.parametrize("body, name", [
    ({"data": {"title": "a\u0000b"}}, "data.title"),
    ({"data": {"a": ["x", "\u0000"]}}, "data.a.1"),
    ({"data": {"a\u0000": 1}}, "data"),
])
def test_a_nul_character_is_refused_on_every_backend(app, alice, body, name):
    response = app.post_json("/v1/blobs", body, headers=alice, status=400)
    assert "NUL character" in _invalid(response, name)
    assert app.get("/v1/blobs", headers=alice).json["data"] == []


def test_a_nul_character_in_a_principal_is_refused(app, alice):
    body = {"data": {"title": "t"}, "permissions": {"read": ["sys\u0000tem.Everyone"]}}
    response = app.post_json("/v1/articles", body, headers=alice, status=400)
    _invalid(response, "permissions.read.0")


def test_an_escaped_backslash_before_u0000_is_no_nul(app, alice):
    created = app.post_json("/v1/blobs", {"data": {"title": "\\u0000"}}, headers=alice,
                            status=201).json["data"]
    assert created["title"] == "\\u0000"


def test_a_nul_in_a_batch_subrequest_is_refused(app, alice):
    body = {"requests": [{"method": "POST", "path": "/blobs",
                          "body": {"data": {"title": "\u0000"}}}]}
    response = app.post_json("/v1/batch", body, headers=alice, status=400)
    _invalid(response, "requests.0.body.data.title")


# Nesting depth.

def test_the_nesting_limit_is_accepted(app, alice):
    body = '{"data": {"a": %s}}' % _nested(MAX_JSON_DEPTH - 2)
    app.post("/v1/blobs", body, headers={**alice, "Content-Type": "application/json"},
             status=201)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 1, 1000, 1030])
@pytest.mark.parametrize("method, url", [
    ("POST", "/v1/blobs"), ("PUT", "/v1/blobs/9d8f4a9e-7a35-4e3a-8f2b-3b8e9bd1f5d2"),
    ("PATCH", None), ("POST", "/v1/articles"),
])
def test_a_body_nested_too_deep_is_refused(app, alice, method, url, depth):
    if url is None:
        record = app.post_json("/v1/blobs", {"data": {}}, headers=alice).json["data"]
        url = f"/v1/blobs/{record['id']}"
    body = '{"data": {"a": %s}}' % _nested(depth)
    response = _send(app, method, url, body, alice, 400)
    description = _invalid(response, None)
    assert description.startswith("Invalid JSON request body: ")


def test_permissions_nested_too_deep_are_refused(app, alice):
    body = '{"data": {}, "permissions": {"read": %s}}' % _nested(1000)
    response = _send(app, "POST", "/v1/articles", body, alice, 400)
    assert _invalid(response, None) == \
        f"Invalid JSON request body: nested deeper than {MAX_JSON_DEPTH} levels"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 1000, 2000])
def test_a_batch_nested_too_deep_is_refused(app, alice, depth):
    body = ('{"requests": [{"method": "POST", "path": "/blobs", "body": {"data": {"a": %s}}}]}'
            % _nested(depth))
    response = _send(app, "POST", "/v1/batch", body, alice, 400)
    assert _invalid(response, None) == \
        f"Invalid JSON request body: nested deeper than {MAX_JSON_DEPTH} levels"


# Headers.

@pytest.mark.parametrize("header, method", [  # If-None-Match is only parsed on GET
    ("If-Match", "GET"), ("If-Match", "PATCH"), ("If-Match", "DELETE"), ("If-None-Match", "GET"),
])
def test_a_precondition_of_5000_digits_is_refused(app, alice, header, method):
    record = app.post_json("/v1/blobs", {"data": {}}, headers=alice).json["data"]
    headers = {**alice, header: '"' + "9" * 5000 + '"'}
    response = _send(app, method, f"/v1/blobs/{record['id']}", {"data": {}}, headers, 400)
    assert "Invalid value for If-" in _invalid(response, None, "headers")


# Batch.

@pytest.mark.parametrize("path", ["/bat%63h", "/%62atch", "/v1/batc%68", "/batch?x=1"])
def test_an_encoded_batch_path_is_refused_like_batch(app, alice, path):
    body = {"requests": [{"method": "POST", "path": path,
                          "body": {"requests": [{"path": "/"}] * 25}}]}
    response = app.post_json("/v1/batch", body, headers=alice, status=400)
    assert _invalid(response, "requests") == "Recursive call on /batch endpoint is forbidden."


def test_a_non_ascii_batch_path_is_a_404_in_its_slot(app, alice):
    body = {"requests": [{"path": "/\u00e9"}, {"path": "/blobs/\u4e00"}]}
    responses = app.post_json("/v1/batch", body, headers=alice).json["responses"]
    assert [r["status"] for r in responses] == [404, 400]


# PostgreSQL refusals that slip past the checks (races) are 400, not 503.

postgresql_only = pytest.mark.parametrize("backend", ["postgresql"])


@postgresql_only
def test_postgresql_unique_violation_on_a_timestamp_is_a_400(app, alice, monkeypatch):
    monkeypatch.setattr(UserResource, "_raise_400_if_timestamp_taken", lambda *a: None)
    app.post_json("/v1/blobs", {"data": {"last_modified": 5}}, headers=alice, status=201)
    response = app.post_json("/v1/blobs", {"data": {"last_modified": 5}}, headers=alice,
                             status=400)
    assert "Another record" in _invalid(response, "data.last_modified")
    assert "Retry-After" not in response.headers
    assert len(app.get("/v1/blobs", headers=alice).json["data"]) == 1


@postgresql_only
def test_postgresql_data_error_is_a_400(app, alice, monkeypatch):
    monkeypatch.setattr(_validation, "json_problem", lambda body, value: None)
    response = app.post_json("/v1/blobs", {"data": {"title": "\u0000"}}, headers=alice,
                             status=400)
    assert _invalid(response, None).startswith("Invalid value: ")
    assert "Retry-After" not in response.headers


@postgresql_only
def test_a_postgresql_refusal_in_a_batch_ends_it_with_that_400(app, alice, monkeypatch):
    monkeypatch.setattr(UserResource, "_raise_400_if_timestamp_taken", lambda *a: None)
    post = {"method": "POST", "path": "/blobs", "body": {"data": {"last_modified": 5}}}
    body = {"requests": [post, post, {"path": "/blobs"}]}
    response = app.post_json("/v1/batch", body, headers=alice, status=400)
    assert "Another record" in _invalid(response, "data.last_modified")
    assert "Retry-After" not in response.headers
    assert app.get("/v1/blobs", headers=alice).json["data"] == []  # rolled back


# Unpaired surrogates: no UTF-8 encoding, so no backend can store them.

@pytest.mark.parametrize("url, body, name", [
    ("/v1/blobs", '{"data": {"title": "\\udcff"}}', None),  # refused by the JSON parser
    ("/v1/batch", '{"requests": [{"method": "POST", "path": "/blobs",'
                  ' "body": {"data": {"title": "\\udcff"}}}]}', "requests.0.body.data.title"),
    ("/v1/batch", '{"requests": [{"path": "/\\ud800"}]}', "requests.0.path"),
    ("/v1/batch", '{"requests": [{"path": "/blobs", "headers": {"\\udfff": "x"}}]}',
     "requests.0.headers"),
])
def test_an_unpaired_surrogate_is_refused(app, alice, url, body, name):
    response = _send(app, "POST", url, body, alice, 400)
    _invalid(response, name)
    assert app.get("/v1/blobs", headers=alice).json["data"] == []


def test_a_surrogate_pair_is_a_character(app, alice):
    created = _send(app, "POST", "/v1/blobs", '{"data": {"title": "\\ud83c\\udf44"}}', alice,
                    201).json["data"]
    assert created["title"] == "\U0001F344"
    body = ('{"requests": [{"method": "POST", "path": "/blobs",'
            ' "body": {"data": {"t": "\\ud83c\\udf44"}}}]}')
    responses = _send(app, "POST", "/v1/batch", body, alice, 200).json["responses"]
    assert responses[0]["body"]["data"]["t"] == "\U0001F344"


def test_a_delete_timestamp_of_another_tombstone_is_a_400(app, alice):
    first = app.post_json("/v1/blobs", {"data": {"last_modified": 10}}, headers=alice).json
    second = app.post_json("/v1/blobs", {"data": {"last_modified": 11}}, headers=alice).json
    app.delete(f"/v1/blobs/{first['data']['id']}?last_modified=20", headers=alice)
    response = app.delete(f"/v1/blobs/{second['data']['id']}?last_modified=20", headers=alice,
                          status=400)
    _invalid(response, "last_modified", "querystring")
    assert "Retry-After" not in response.headers


# Integers beyond 64 bits.

@pytest.mark.parametrize("literal", ["-9223372036854775809", "-9223372036854776832",
                                     "9223372036854775808", "100000000000000000000"])
def test_an_integer_field_beyond_64_bits_is_refused_not_rounded(app, alice, literal):
    body = '{"data": {"rank": %s}}' % literal
    response = _send(app, "POST", "/v1/notes", body, alice, status=400)
    assert _invalid(response, "data.rank").endswith("is not a 64-bit integer")
    assert app.get("/v1/notes", headers=alice).json["data"] == []


def test_the_64_bit_bounds_are_integers(app, alice):
    for literal in ("-9223372036854775808", "9223372036854775807"):
        created = _send(app, "POST", "/v1/notes", '{"data": {"rank": %s}}' % literal, alice,
                        status=201).json["data"]
        assert created["rank"] == int(literal)


def test_a_batch_subrequest_with_an_integer_beyond_64_bits(app, alice):
    """Kept as a direct request keeps it in a field of no declared type (a number)."""
    body = ('{"requests": [{"method": "POST", "path": "/blobs",'
            ' "body": {"data": {"big": 100000000000000000000}}}]}')
    response = _send(app, "POST", "/v1/batch", body, alice, status=200).json["responses"][0]
    assert response["status"] == 201
    direct = _send(app, "POST", "/v1/blobs", '{"data": {"big": 100000000000000000000}}',
                   alice, status=201).json["data"]
    assert response["body"]["data"]["big"] == direct["big"] == 1e20
