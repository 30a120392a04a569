"""Collection GET and DELETE through HTTP: filters, sorting, pages, fields (§2.6–§2.11)."""
import base64
import json
from urllib.parse import parse_qs, urlparse

import pytest
import transaction


def create(app, headers, data=None, url="/v1/notes"):
    return app.post_json(url, {"data": data or {}}, headers=headers).json["data"]


@pytest.fixture
def notes(app, alice):
    data = [{"title": "a", "rank": 1, "done": True}, {"title": "b", "rank": 2, "done": False},
            {"title": "c", "rank": 3}, {"title": "b", "rank": 4, "author": {"name": "x"}}]
    return [create(app, alice, d) for d in data]


def titles(response):
    return [r.get("title") for r in response.json["data"]]


def test_list_is_newest_first_with_headers(app, alice, notes):
    response = app.get("/v1/notes", headers=alice)
    assert response.json["data"] == list(reversed(notes))
    assert response.headers["Total-Records"] == "4"
    assert response.headers["ETag"] == f'"{notes[-1]["last_modified"]}"'
    assert "Next-Page" not in response.headers
    assert response.headers["Cache-Control"] == "no-cache"


def test_empty_collection_has_a_stable_timestamp(app, alice):
    first = app.get("/v1/notes", headers=alice)
    assert first.json == {"data": []} and first.headers["Total-Records"] == "0"
    assert app.get("/v1/notes", headers=alice).headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize("query,expected", [
    ("title=b", ["b", "b"]), ("rank=3", ["c"]), ("min_rank=2", ["b", "c", "b"]),
    ("max_rank=2", ["a", "b"]), ("lt_rank=2", ["a"]), ("gt_rank=3", ["b"]),
    ("not_title=b", ["a", "c"]), ("in_rank=1,3", ["a", "c"]), ("exclude_rank=1,3", ["b", "b"]),
    ("done=true", ["a"]), ("done=false", ["b"]), ("title=b&min_rank=3", ["b"]),
    ("title=B", []), ("title=%22b%22", ["b", "b"]), ("in_title=a,c", ["a", "c"]),
])
def test_filters(app, alice, notes, query, expected):
    response = app.get(f"/v1/notes?{query}&_sort=rank", headers=alice)
    assert titles(response) == expected
    assert response.headers["Total-Records"] == str(len(expected))


def test_filters_on_id_and_timestamps(app, alice, notes):
    ids = ",".join(n["id"] for n in notes[:2])
    assert len(app.get(f"/v1/notes?in_id={ids}", headers=alice).json["data"]) == 2
    assert len(app.get(f"/v1/notes?id={notes[0]['id']}", headers=alice).json["data"]) == 1
    second = notes[1]["last_modified"]
    assert titles(app.get(f"/v1/notes?_since={second}&_sort=rank", headers=alice)) == \
        ["c", "b"]
    assert titles(app.get(f'/v1/notes?_before="{second}"', headers=alice)) == ["a"]
    assert titles(app.get(f"/v1/notes?gt_last_modified={second}&_sort=rank",
                          headers=alice)) == ["c", "b"]


def test_to_is_deprecated(app, alice, notes):
    response = app.get(f"/v1/notes?_to={notes[1]['last_modified']}", headers=alice)
    assert titles(response) == ["a"]
    assert json.loads(response.headers["Alert"]) == {
        "code": "soft-eol", "message": "_to is now deprecated, you should use _before instead",
        "url": "http://cliquet.rtfd.org/en/2.4.0/api/resource.html"
               "#list-of-available-url-parameters"}


@pytest.mark.parametrize("query,name,message", [
    ("size=1", "size", "Unknown filter field 'size'"),
    ("min_size=1", "min_size", "Unknown filter field 'min_size'"),
    ("_since=abc", "_since", "Invalid value for _since"),
    ("_before=1.5", "_before", "Invalid value for _before"),
    ("in_id=1,2", "in_id", "Invalid value for in_id"),
    ("in_last_modified=a", "in_last_modified", "Invalid value for in_last_modified"),
])
def test_invalid_filters(app, alice, query, name, message):
    for method in ("get", "delete"):
        response = getattr(app, method)(f"/v1/notes?{query}", headers=alice, status=400)
        assert response.json["errno"] == 107
        assert response.json["message"] == message
        assert response.json["details"] == [
            {"location": "querystring", "name": name, "description": message}]


def test_unknown_filter_fields_fail_on_schemaless_resources(app, alice):
    app.get("/v1/blobs?color=red", headers=alice, status=400)


def test_tombstones_only_with_a_timestamp_filter(app, alice, notes):
    app.delete(f"/v1/notes/{notes[0]['id']}", headers=alice)
    first = notes[0]["last_modified"]
    listing = app.get("/v1/notes", headers=alice)
    assert len(listing.json["data"]) == 3 and listing.headers["Total-Records"] == "3"
    changes = app.get(f"/v1/notes?_since={first - 1}", headers=alice)
    assert changes.json["data"][0] == {"id": notes[0]["id"], "deleted": True,
                                       "last_modified": changes.json["data"][0]["last_modified"]}
    assert changes.headers["Total-Records"] == "3"
    assert len(changes.json["data"]) == 4
    only = app.get(f"/v1/notes?_since={first - 1}&deleted=true", headers=alice).json["data"]
    assert [r["id"] for r in only] == [notes[0]["id"]]
    live = app.get(f"/v1/notes?_since={first - 1}&not_deleted=true", headers=alice).json
    assert len(live["data"]) == 3
    assert app.get("/v1/notes?deleted=true", headers=alice).json["data"] == []
    with_not = app.get(f"/v1/notes?_since={first - 1}&not_title=b", headers=alice).json
    assert len(with_not["data"]) == 2  # "c" and the tombstone
    assert app.get(f"/v1/notes?_since={first - 1}&title=a", headers=alice).json["data"] == []


@pytest.mark.parametrize("sort,expected", [
    ("rank", ["a", "b", "c", "b"]), ("-rank", ["b", "c", "b", "a"]),
    ("title,-rank", ["a", "b", "b", "c"]), ("-title,rank", ["c", "b", "b", "a"]),
    ("last_modified", ["a", "b", "c", "b"]), ("-last_modified", ["b", "c", "b", "a"]),
    (" title , rank ", ["a", "b", "b", "c"]),
])
def test_sorting(app, alice, notes, sort, expected):
    assert titles(app.get(f"/v1/notes?_sort={sort}", headers=alice)) == expected


def test_unknown_sort_field(app, alice):
    response = app.get("/v1/notes?_sort=title,size", headers=alice, status=400)
    assert response.json["message"] == "querystring: Unknown sort field 'size'"
    assert response.json["details"] == [{"location": "querystring", "name": None,
                                         "description": "Unknown sort field 'size'"}]


def test_invalid_limit(app, alice):
    response = app.get("/v1/notes?_limit=abc", headers=alice, status=400)
    assert response.json["message"] == "querystring: _limit should be an integer"


def test_pagination_follows_next_page(app, alice, notes):
    response = app.get("/v1/notes?_limit=3&_sort=rank&min_rank=1", headers=alice)
    assert titles(response) == ["a", "b", "c"]
    assert response.headers["Total-Records"] == "4"
    next_page = response.headers["Next-Page"]
    parsed = urlparse(next_page)
    assert (parsed.scheme, parsed.netloc, parsed.path) == ("http", "localhost", "/v1/notes")
    query = parse_qs(parsed.query)
    assert query["_sort"] == ["rank"] and query["min_rank"] == ["1"]
    assert query["_limit"] == ["3"]
    token = json.loads(base64.b64decode(query["_token"][0]))
    total, timestamp, _ = token.pop("count")  # the total, as counted at that timestamp
    assert (total, timestamp) == (4, int(response.headers["ETag"].strip('"')))
    assert token == {"last_record": {"rank": 3, "last_modified": notes[2]["last_modified"]},
                     "offset": 3}
    second = app.get(next_page, headers=alice)
    assert titles(second) == ["b"]
    assert second.headers["Total-Records"] == "4"
    assert "Next-Page" not in second.headers


def next_page_token(response):
    query = parse_qs(urlparse(response.headers["Next-Page"]).query)
    return json.loads(base64.b64decode(query["_token"][0]))


@pytest.fixture
def counts(app, monkeypatch):
    """The ``count`` argument of each storage listing (the storage itself runs):
    a listing without precondition reads the page with the collection timestamp."""
    storage = app.app.registry.storage
    get_all_with_timestamp, calls = storage.get_all_with_timestamp, []

    def spy(*args, **kwargs):
        calls.append(kwargs.get("count", True))
        return get_all_with_timestamp(*args, **kwargs)

    monkeypatch.setattr(storage, "get_all_with_timestamp", spy)
    return calls


def test_next_pages_reuse_the_total_while_the_collection_is_unchanged(app, alice, notes,
                                                                     counts):
    url, totals = "/v1/notes?_limit=1&_sort=rank", []
    while url:
        response = app.get(url, headers=alice)
        totals.append(response.headers["Total-Records"])
        url = response.headers.get("Next-Page")
    assert totals == ["4"] * 4
    assert counts == [True, False, False, False]


def test_a_write_between_pages_is_counted(app, alice, notes):
    first = app.get("/v1/notes?_limit=2", headers=alice)
    create(app, alice, {"title": "e"})
    second = app.get(first.headers["Next-Page"], headers=alice)
    assert second.headers["Total-Records"] == "5"
    app.delete(f"/v1/notes/{notes[0]['id']}", headers=alice)
    third = app.get(second.headers["Next-Page"], headers=alice)
    assert third.headers["Total-Records"] == "4"


def test_a_token_with_other_filters_or_another_user_counts_again(app, alice, bob, notes):
    token = next_page_token(app.get("/v1/notes?_limit=1", headers=alice))
    encoded = base64.b64encode(json.dumps(token).encode()).decode()
    other_filter = app.get(f"/v1/notes?title=b&_limit=1&_token={encoded}", headers=alice)
    assert other_filter.headers["Total-Records"] == "2"
    other_user = app.get(f"/v1/notes?_limit=1&_token={encoded}", headers=bob)
    assert other_user.headers["Total-Records"] == "0"


def test_a_forged_count_of_another_time_is_not_believed(app, alice, notes):
    token = next_page_token(app.get("/v1/notes?_limit=1", headers=alice))
    token["count"][0] = 1000
    token["count"][1] -= 1
    encoded = base64.b64encode(json.dumps(token).encode()).decode()
    response = app.get(f"/v1/notes?_limit=1&_token={encoded}", headers=alice)
    assert response.headers["Total-Records"] == "4"


def test_records_shared_one_by_one_are_counted_on_every_page(app, alice, bob):
    bob_id = app.get("/v1/", headers=bob).json["user"]["id"]
    ids = [app.post_json("/v1/articles", {"data": {"title": t}}, headers=alice).json["data"]["id"]
           for t in "abc"]
    for record_id in ids[:2]:
        app.patch_json(f"/v1/articles/{record_id}", {"permissions": {"read": [bob_id]}},
                       headers=alice)
    first = app.get("/v1/articles?_limit=1", headers=bob)
    assert first.headers["Total-Records"] == "2"
    assert "count" not in next_page_token(first)
    # Permissions written apart from the records leave the collection timestamp as it is.
    app.app.registry.permission.add_principal_to_ace(f"/articles/{ids[2]}", "read", bob_id)
    transaction.commit()
    second = app.get(first.headers["Next-Page"], headers=bob)
    assert second.headers["Total-Records"] == "3"


def test_no_next_page_when_the_last_page_is_exactly_full(app, alice, notes):
    response = app.get("/v1/notes?_limit=2", headers=alice)
    response = app.get(response.headers["Next-Page"], headers=alice)
    assert len(response.json["data"]) == 2
    assert "Next-Page" not in response.headers


def test_paginate_by_setting_caps_the_limit(make_app, alice):
    app = make_app({"paginate_by": "2"})
    for i in range(3):
        create(app, alice, {"rank": i})
    response = app.get("/v1/notes?_limit=10", headers=alice)
    assert len(response.json["data"]) == 2
    assert "_limit=2" in response.headers["Next-Page"]
    assert len(app.get("/v1/notes", headers=alice).json["data"]) == 2
    # Quirk: _limit=0 and an empty _limit bypass paginate_by.
    assert len(app.get("/v1/notes?_limit=0", headers=alice).json["data"]) == 3
    assert len(app.get("/v1/notes?_limit=", headers=alice).json["data"]) == 3


def test_next_page_honours_http_scheme_and_host(make_app, alice):
    app = make_app({"http_scheme": "https", "http_host": "api.example.com"})
    for _ in range(2):
        create(app, alice)
    next_page = app.get("/v1/notes?_limit=1", headers=alice).headers["Next-Page"]
    assert next_page.startswith("https://api.example.com/v1/notes?")


@pytest.mark.parametrize("token", ["abc", "e30=", base64.b64encode(b'{"offset": 1}').decode()])
def test_invalid_token(app, alice, token):
    response = app.get(f"/v1/notes?_token={token}", headers=alice, status=400)
    assert response.json["message"] == "querystring: _token has invalid content"


def test_partial_fields(app, alice, notes):
    response = app.get("/v1/notes?_fields=title&_sort=rank", headers=alice)
    assert response.json["data"][0] == {"id": notes[0]["id"], "title": "a",
                                        "last_modified": notes[0]["last_modified"]}
    assert response.headers["Total-Records"] == "4"
    nested = app.get(f"/v1/notes/{notes[3]['id']}?_fields=author.name,rank",
                     headers=alice).json["data"]
    assert nested == {"id": notes[3]["id"], "last_modified": notes[3]["last_modified"],
                      "author": {"name": "x"}, "rank": 4}


def test_unknown_partial_fields(app, alice, notes):
    for url in ("/v1/notes?_fields=title,zz", f"/v1/notes/{notes[0]['id']}?_fields=zz"):
        response = app.get(url, headers=alice, status=400)
        assert response.json["message"] == \
            "Invalid _fields parameter in body: Fields zz do not exist"
        assert response.json["details"] == [{"location": "body",
                                             "name": "Invalid _fields parameter",
                                             "description": "Fields zz do not exist"}]


def test_partial_fields_on_schemaless_resources(app, alice):
    create(app, alice, {"a": 1, "b": {"c": 2, "d": 3}}, url="/v1/blobs")
    data = app.get("/v1/blobs?_fields=b.c,zz", headers=alice).json["data"][0]
    assert set(data) == {"id", "last_modified", "b"} and data["b"] == {"c": 2}


def test_collection_timestamp_ignores_filters(app, alice, notes):
    etag = app.get("/v1/notes?title=zzz", headers=alice).headers["ETag"]
    assert etag == f'"{notes[-1]["last_modified"]}"'


# Collection DELETE


def test_delete_collection_returns_tombstones(app, alice, bob, notes):
    create(app, bob, {"title": "b"})
    response = app.delete("/v1/notes?title=b", headers=alice)
    deleted = response.json["data"]
    assert sorted(r["id"] for r in deleted) == sorted([notes[1]["id"], notes[3]["id"]])
    assert all(r["deleted"] is True and set(r) == {"id", "last_modified", "deleted"}
               for r in deleted)
    assert "ETag" not in response.headers
    assert titles(app.get("/v1/notes?_sort=rank", headers=alice)) == ["a", "c"]
    assert len(app.get("/v1/notes", headers=bob).json["data"]) == 1
    assert len(app.delete("/v1/notes", headers=alice).json["data"]) == 2
    assert app.delete("/v1/notes", headers=alice).json == {"data": []}


def test_delete_collection_ignores_sorting_and_pagination(app, alice, notes):
    response = app.delete("/v1/notes?_sort=zz&_limit=1&_token=x&_fields=zz", headers=alice)
    assert len(response.json["data"]) == 4


@pytest.fixture
def holds(app, monkeypatch):
    """Collections held for update (the storage itself runs)."""
    storage = app.app.registry.storage
    hold, calls = storage.collection_timestamp_for_update, []

    def hold_spy(*args, **kwargs):
        calls.append(kwargs.get("collection_id"))
        return hold(*args, **kwargs)

    monkeypatch.setattr(storage, "collection_timestamp_for_update", hold_spy)
    return calls


def test_only_a_collection_precondition_that_can_fail_holds_the_collection(app, alice, holds):
    app.post_json("/v1/notes", {"data": {"title": "a"}}, headers=dict(alice, **{
        "If-None-Match": "*"}), status=201)
    app.get("/v1/notes", headers=dict(alice, **{"If-Match": '"1"'}), status=412)
    app.delete("/v1/notes", headers=alice)
    assert holds == []
    etag = app.get("/v1/notes", headers=alice).headers["ETag"]
    app.post_json("/v1/notes", {"data": {"title": "b"}}, headers=dict(alice, **{
        "If-Match": etag}), status=201)
    assert len(holds) == 1
