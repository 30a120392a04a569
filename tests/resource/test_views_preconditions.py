"""If-Match / If-None-Match through HTTP: the table of PROTOCOL §2.5."""
from unittest import mock

import pytest

UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"


@pytest.fixture
def record(app, alice):
    return app.post_json("/v1/notes", {"data": {"title": "a"}}, headers=alice).json["data"]


def etag(value):
    return f'"{value}"'


def with_headers(headers, **extra):
    return dict(headers, **{k.replace("_", "-"): v for k, v in extra.items()})


def assert_412(response, existing, current):
    assert response.status_code == 412
    body = response.json
    assert (body["code"], body["errno"], body["error"], body["message"]) == (
        412, 114, "Precondition Failed", "Resource was modified meanwhile")
    assert body["details"] == ({"existing": existing} if existing is not None else {})
    assert response.headers["ETag"] == etag(current)
    assert "Last-Modified" in response.headers


# Collection GET


def test_collection_get_304_when_not_modified(app, alice, record):
    ts = record["last_modified"]
    for value in (ts, ts + 1):
        response = app.get("/v1/notes", headers=with_headers(alice, If_None_Match=etag(value)),
                           status=304)
        assert response.body == b""
        assert response.headers["ETag"] == etag(ts)
        assert "Last-Modified" in response.headers
        assert "Cache-Control" not in response.headers
    app.get("/v1/notes", headers=with_headers(alice, If_None_Match=etag(ts - 1)), status=200)


def test_collection_get_ignores_if_none_match_star(app, alice, record):
    app.get("/v1/notes", headers=with_headers(alice, If_None_Match="*"), status=200)


def test_collection_get_412_when_modified(app, alice, record):
    ts = record["last_modified"]
    response = app.get("/v1/notes", headers=with_headers(alice, If_Match=etag(ts - 1)),
                       status=412)
    assert_412(response, None, ts)
    app.get("/v1/notes", headers=with_headers(alice, If_Match=etag(ts)), status=200)


@pytest.mark.parametrize("value", ['""', "123", '"abc"', '"*"'])
def test_invalid_if_match(app, alice, record, value):
    urls = [("get", "/v1/notes"), ("get", f"/v1/notes/{record['id']}"),
            ("delete", f"/v1/notes/{record['id']}"), ("delete", "/v1/notes")]
    for method, url in urls:
        response = getattr(app, method)(url, headers=with_headers(alice, If_Match=value),
                                        status=400)
        assert response.json["message"] == ("headers: Invalid value for If-Match. The value "
                                            "should be integer between double quotes.")
        assert response.json["details"][0]["location"] == "headers"
    for method in ("patch_json", "post_json"):
        url = f"/v1/notes/{record['id']}" if method == "patch_json" else "/v1/notes"
        getattr(app, method)(url, {"data": {}}, headers=with_headers(alice, If_Match=value),
                             status=400)
    app.get(f"/v1/notes/{record['id']}", headers=alice)


@pytest.mark.parametrize("value", ['""', "123", '"abc"'])
def test_invalid_if_none_match_on_get(app, alice, record, value):
    for url in ("/v1/notes", f"/v1/notes/{record['id']}"):
        response = app.get(url, headers=with_headers(alice, If_None_Match=value), status=400)
        assert response.json["message"] == "headers: Invalid value for If-None-Match"


def test_if_none_match_values_are_not_parsed_outside_get(app, alice, record):
    app.patch_json(f"/v1/notes/{record['id']}", {"data": {"title": "b"}},
                   headers=with_headers(alice, If_None_Match="garbage"), status=200)


# Record GET


def test_record_get_304_and_412(app, alice, record):
    url = f"/v1/notes/{record['id']}"
    ts = record["last_modified"]
    app.get(url, headers=with_headers(alice, If_None_Match=etag(ts)), status=304)
    app.get(url, headers=with_headers(alice, If_None_Match=etag(ts - 1)), status=200)
    response = app.get(url, headers=with_headers(alice, If_Match=etag(ts - 1)), status=412)
    assert_412(response, record, ts)
    response = app.get(url, headers=with_headers(alice, If_None_Match="*"), status=412)
    assert_412(response, record, ts)


# POST


def test_post_if_match_against_the_collection(app, alice, record):
    ts = record["last_modified"]
    response = app.post_json("/v1/notes", {"data": {}},
                             headers=with_headers(alice, If_Match=etag(ts - 1)), status=412)
    assert_412(response, None, ts)
    app.post_json("/v1/notes", {"data": {}}, headers=with_headers(alice, If_Match=etag(ts)),
                  status=201)


def test_post_if_match_against_an_existing_record(app, alice, record):
    newer = app.post_json("/v1/notes", {"data": {}}, headers=alice).json["data"]
    headers = with_headers(alice, If_Match=etag(record["last_modified"]))
    # The collection moved on, the record did not: 200 with the record.
    app.post_json("/v1/notes", {"data": {"id": record["id"]}}, headers=headers, status=200)
    headers = with_headers(alice, If_Match=etag(record["last_modified"] - 1))
    response = app.post_json("/v1/notes", {"data": {"id": record["id"]}}, headers=headers,
                             status=412)
    assert_412(response, record, record["last_modified"])
    assert newer["last_modified"] > record["last_modified"]


def test_post_if_none_match_star(app, alice, record):
    headers = with_headers(alice, If_None_Match="*")
    response = app.post_json("/v1/notes", {"data": {"id": record["id"]}}, headers=headers,
                             status=412)
    assert_412(response, record, record["last_modified"])
    app.post_json("/v1/notes", {"data": {"id": UNKNOWN_ID}}, headers=headers, status=201)
    app.post_json("/v1/notes", {"data": {}}, headers=headers, status=201)
    app.delete(f"/v1/notes/{UNKNOWN_ID}", headers=alice)
    app.post_json("/v1/notes", {"data": {"id": UNKNOWN_ID}}, headers=headers, status=201)


def test_post_ignores_if_none_match_values(app, alice, record):
    headers = with_headers(alice, If_None_Match=etag(record["last_modified"]))
    app.post_json("/v1/notes", {"data": {}}, headers=headers, status=201)


# PUT


def test_put_if_match(app, alice, record):
    url = f"/v1/notes/{record['id']}"
    ts = record["last_modified"]
    response = app.put_json(url, {"data": {}}, headers=with_headers(alice, If_Match=etag(ts - 1)),
                            status=412)
    assert_412(response, record, ts)
    app.put_json(url, {"data": {}}, headers=with_headers(alice, If_Match=etag(ts)), status=200)


def test_put_on_an_unknown_record_does_not_parse_preconditions(app, alice):
    other_id = "0d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"
    for value, record_id in (('"1"', UNKNOWN_ID), ("garbage", other_id)):
        app.put_json(f"/v1/notes/{record_id}", {"data": {}},
                     headers=with_headers(alice, If_Match=value), status=201)


def test_put_if_match_against_a_tombstone(app, alice, record):
    url = f"/v1/notes/{record['id']}"
    tombstone = app.delete(url, headers=alice).json["data"]
    response = app.put_json(url, {"data": {}},
                            headers=with_headers(alice, If_Match=etag(record["last_modified"])),
                            status=412)
    assert_412(response, tombstone, tombstone["last_modified"])
    app.put_json(url, {"data": {}},
                 headers=with_headers(alice, If_Match=etag(tombstone["last_modified"])),
                 status=201)


def test_put_if_none_match_star(app, alice, record):
    url = f"/v1/notes/{record['id']}"
    headers = with_headers(alice, If_None_Match="*")
    response = app.put_json(url, {"data": {}}, headers=headers, status=412)
    assert_412(response, record, record["last_modified"])
    app.delete(url, headers=alice)
    app.put_json(url, {"data": {}}, headers=headers, status=201)  # a tombstone does not block
    app.put_json(f"/v1/notes/{UNKNOWN_ID}", {"data": {}}, headers=headers, status=201)


# PATCH, record DELETE, collection DELETE


@pytest.mark.parametrize("method", ["patch_json", "delete"])
def test_patch_and_delete_preconditions(app, alice, record, method):
    url = f"/v1/notes/{record['id']}"
    ts = record["last_modified"]
    args = (url, {"data": {"title": "b"}}) if method == "patch_json" else (url,)
    response = getattr(app, method)(*args, headers=with_headers(alice, If_Match=etag(ts - 1)),
                                    status=412)
    assert_412(response, record, ts)
    response = getattr(app, method)(*args, headers=with_headers(alice, If_None_Match="*"),
                                    status=412)
    assert_412(response, record, ts)
    getattr(app, method)(*args, headers=with_headers(alice, If_None_Match=etag(0)), status=200)


def test_schema_errors_win_over_412(app, alice, record):
    headers = with_headers(alice, If_Match=etag(0))
    url = f"/v1/notes/{record['id']}"
    app.put_json(url, {"data": {"rank": "x"}}, headers=headers, status=400)
    app.patch_json(url, {"data": "x"}, headers=headers, status=400)
    # The merged record is only validated after the preconditions.
    app.patch_json(url, {"data": {"rank": "x"}}, headers=headers, status=412)


def test_collection_delete_if_match(app, alice, record):
    ts = record["last_modified"]
    response = app.delete("/v1/notes", headers=with_headers(alice, If_Match=etag(ts - 1)),
                          status=412)
    assert_412(response, None, ts)
    app.delete("/v1/notes", headers=with_headers(alice, If_None_Match="*"), status=200)
    assert app.get("/v1/notes", headers=alice).json["data"] == []


@pytest.mark.parametrize("path", ["/v1/notes", "/v1/articles"])
def test_record_writes_read_their_record_for_update(app, alice, path):
    """Preconditions are checked on the record held until the write is applied
    (tests/test_concurrency.py races writers); reads and collections hold nothing."""
    body = {"data": {"title": "a"}}
    if path == "/v1/articles":  # the creator may read it too
        body["permissions"] = {"read": [app.get("/v1/", headers=alice).json["user"]["id"]]}
    record = app.post_json(path, body, headers=alice).json["data"]
    url = f"{path}/{record['id']}"
    storage = app.app.registry.storage
    requests = [("get", url, None, 0), ("patch_json", url, {"data": {"title": "b"}}, 1),
                ("put_json", url, dict(body, data={"title": "c"}), 1),
                ("put_json", f"{path}/{UNKNOWN_ID}", {"data": {"title": "d"}}, 1),
                ("get", path, None, 0), ("delete", url, None, 1), ("delete", path, None, 0)]
    for method, target, body, held in requests:
        with mock.patch.object(storage, "get_for_update", wraps=storage.get_for_update) as spy:
            args = (target,) if body is None else (target, body)
            response = getattr(app, method)(*args, headers=alice)
            assert response.status_code in (200, 201)
        # A shared record missing at a PUT is read twice: by the context, then by the view.
        assert bool(spy.call_count) == bool(held), (method, target)
        if held:
            assert spy.call_args.kwargs["object_id"] == target.rsplit("/", 1)[1]
