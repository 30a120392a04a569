"""Pure helpers of conditional requests (PROTOCOL §2.4, §2.5)."""
import json

import pytest

from cliquet.resource import _preconditions as pre
from cliquet.resource._querystring import InvalidParameter


@pytest.mark.parametrize("value,parsed", [(None, None), ('"123"', 123), ('"-1"', -1)])
def test_parse_if_match(value, parsed):
    assert pre.parse_if_match(value) == parsed


@pytest.mark.parametrize("value", ['""', "123", '"abc"', '"*"', "*", '"1.5"', "W/\"1\""])
def test_invalid_if_match(value):
    with pytest.raises(InvalidParameter) as error:
        pre.parse_if_match(value)
    assert (error.value.location, error.value.name) == ("headers", None)
    assert error.value.description == (
        "Invalid value for If-Match. The value should be integer between double quotes.")


@pytest.mark.parametrize("value,parsed", [(None, None), ('"7"', 7), ("*", pre.ANY)])
def test_parse_if_none_match(value, parsed):
    assert pre.parse_if_none_match(value) == parsed


@pytest.mark.parametrize("value", ['""', "7", '"x"', "**"])
def test_invalid_if_none_match(value):
    with pytest.raises(InvalidParameter) as error:
        pre.parse_if_none_match(value)
    assert error.value.description == "Invalid value for If-None-Match"


@pytest.mark.parametrize("if_none_match,current,expected", [
    (None, 5, False), (pre.ANY, 5, False), (5, 5, True), (6, 5, True), (4, 5, False),
])
def test_not_modified(if_none_match, current, expected):
    assert pre.not_modified(if_none_match, current) is expected


RECORD = {"id": "a", "last_modified": 10}
TOMBSTONE = {"id": "a", "last_modified": 10, "deleted": True}


@pytest.mark.parametrize("if_match,any_,current,existing,expected", [
    (None, False, 10, None, False),
    (10, False, 10, RECORD, False),
    (9, False, 10, RECORD, True),
    (11, False, 10, None, False),
    (None, True, 10, RECORD, True),       # If-None-Match: * on an existing record
    (10, True, 10, RECORD, True),         # ... wins over If-Match
    (None, True, 10, None, False),        # nothing to test: ignored
    (9, True, 10, None, True),            # ... If-Match still applies
    (None, True, 10, TOMBSTONE, False),   # a tombstone does not block
    (9, True, 10, TOMBSTONE, True),
])
def test_precondition_failed(if_match, any_, current, existing, expected):
    assert pre.precondition_failed(if_match, any_, current, existing) is expected


def test_timestamp_headers():
    assert pre.etag(1458000000123) == '"1458000000123"'
    assert pre.last_modified(1458000000999) == "Tue, 15 Mar 2016 00:00:00 GMT"


def test_not_modified_response():
    response = pre.not_modified_response(1458000000123)
    assert response.status_code == 304
    assert response.headers["ETag"] == '"1458000000123"'
    assert response.headers["Last-Modified"] == "Tue, 15 Mar 2016 00:00:00 GMT"


def test_modified_meanwhile_error():
    error = pre.modified_meanwhile_error(12, {"id": "a", "last_modified": 12})
    assert error.status_code == 412
    assert error.headers["ETag"] == '"12"'
    assert json.loads(error.body) == {
        "code": 412, "errno": 114, "error": "Precondition Failed",
        "message": "Resource was modified meanwhile",
        "details": {"existing": {"id": "a", "last_modified": 12}}}
    assert json.loads(pre.modified_meanwhile_error(12).body)["details"] == {}
