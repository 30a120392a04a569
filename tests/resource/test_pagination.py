"""Pure helpers of keyset pagination (PROTOCOL §2.10)."""
import base64
import json
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cliquet.resource import _pagination
from cliquet.resource._querystring import InvalidParameter
from cliquet.storage import Filter, Sort
from cliquet.utils import COMPARISON

SORTING = [Sort("title", 1), Sort("rank", -1), Sort("last_modified", -1)]
LAST = {"title": "b", "rank": 3, "last_modified": 42, "id": "x"}


def test_rules_follow_the_sort_order():
    rules = _pagination.build_rules(SORTING, LAST)
    assert rules == [
        [Filter("title", "b", COMPARISON.EQ), Filter("rank", 3, COMPARISON.EQ),
         Filter("last_modified", 42, COMPARISON.LT)],
        [Filter("title", "b", COMPARISON.EQ), Filter("rank", 3, COMPARISON.LT)],
        [Filter("title", "b", COMPARISON.GT)],
    ]


def test_rules_use_null_for_missing_values():
    rules = _pagination.build_rules([Sort("title", 1)], {})
    assert rules == [[Filter("title", None, COMPARISON.GT)]]


def test_token_is_base64_json_of_sort_values_and_offset():
    token = _pagination.build_token(SORTING, LAST, 20)
    assert json.loads(base64.b64decode(token)) == {
        "last_record": {"title": "b", "rank": 3, "last_modified": 42}, "offset": 20}
    assert _pagination.decode_token(token) == (
        {"title": "b", "rank": 3, "last_modified": 42}, 20)


def test_token_stores_null_for_missing_sort_fields():
    token = _pagination.build_token([Sort("title", 1)], {"last_modified": 1}, 1)
    assert json.loads(base64.b64decode(token))["last_record"] == {"title": None}


def encode(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize("token", [
    "abc", "%%%", encode([1]), encode({"offset": 1}), encode({"last_record": {}}),
    encode({"last_record": [], "offset": 1}), encode({"last_record": {}, "offset": "1"}),
    encode({"last_record": {}, "offset": True}),
    encode({"last_record": {"last_modified": "x"}, "offset": 1}),
    encode({"last_record": {"title": "a\u0000"}, "offset": 1}),
    base64.b64encode(b"\xff\xfe").decode(),
])
def test_invalid_tokens(token):
    with pytest.raises(InvalidParameter) as error:
        _pagination.decode_token(token)
    assert (error.value.location, error.value.name, error.value.description) == (
        "querystring", None, "_token has invalid content")


@pytest.mark.parametrize("limit,size,offset,total,expected", [
    (None, 10, 10, 20, False), (10, 9, 9, 20, False), (10, 10, 20, 20, False),
    (10, 10, 10, 20, True), (10, 10, 10, 11, True), (0, 0, 0, 5, False),
])
def test_next_page_decision(limit, size, offset, total, expected):
    assert _pagination.has_next_page(limit, size, offset, total) is expected


def test_next_page_url_keeps_every_parameter_and_replaces_limit_and_token():
    params = [("title", "a b"), ("_sort", "-rank"), ("_limit", "99"), ("_token", "old"),
              ("in_rank", "1,2")]
    url = _pagination.next_page_url("https://api.example.com/v1/notes", params, 10, "t/+=")
    parsed = urlparse(url)
    assert (parsed.scheme, parsed.netloc, parsed.path) == (
        "https", "api.example.com", "/v1/notes")
    assert parse_qsl(parsed.query) == [("title", "a b"), ("_sort", "-rank"),
                                       ("in_rank", "1,2"), ("_limit", "10"), ("_token", "t/+=")]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4),
       st.text(max_size=12))
def test_next_page_url_encodes_the_parameters_as_urlencode_does(params, token):
    url = _pagination.next_page_url("http://x/v1/notes", params, 10, token)
    items = [(k, v) for k, v in params if k not in ("_limit", "_token")]
    assert url == "http://x/v1/notes?" + urlencode([*items, ("_limit", "10"), ("_token", token)])
