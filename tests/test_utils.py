"""Helpers of cliquet.utils that applications written for Cliquet 3.1 use."""
import ast
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cliquet import utils


def test_subclassing_a_deprecated_class_warns():
    class Old(metaclass=utils.DeprecatedMeta):
        __deprecation_warning__ = "Old is deprecated, use New"

    class Plain(metaclass=utils.DeprecatedMeta):
        pass

    with pytest.warns(DeprecationWarning, match="Old is deprecated, use New"):
        class Derived(Old):
            pass

    with pytest.warns(DeprecationWarning, match="Plain is deprecated"):
        class OtherDerived(Plain):
            pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Derived()  # instances do not warn


def test_json_serializer_and_decode64_keep_the_3_1_parameter_names():
    assert utils.json_serializer(v={"a": "/"}) == '{"a":"/"}'
    assert utils.decode64(encoded_content=utils.encode64("é")) == "é"


def test_accepts_keyword_reads_signatures_of_functions_and_methods():
    from cliquet.utils import accepts_keyword

    class Backend31:
        def get_all(self, collection_id, parent_id, filters=None, auth=None):
            """Cliquet 3.1's signature: no ``count``."""

    class Lenient:
        def get_all(self, *args, **kwargs):
            """Takes anything."""

    assert not accepts_keyword(Backend31().get_all, "count")
    assert accepts_keyword(Backend31().get_all, "auth")
    assert accepts_keyword(Lenient().get_all, "count")
    assert not accepts_keyword(len, "count")


def _literal_or_string(value: str):
    """What ``native_value`` answers for a string that is no boolean word."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value


@pytest.mark.parametrize("value,expected", [
    ("10", 10), ("-0", 0), ("010", "010"), ("+3", 3), ("1_000", 1000), ("1.5", 1.5),
    ("mushroom-7", "mushroom-7"), ("None", None), ("None ", None), ("None-1", "None-1"),
    ("b'x'", b"x"), ("[1, 2]", [1, 2]), ("abc", "abc"), ("", ""), ("TRUE", True), ("Off", False),
])
def test_native_value_reads_querystring_values_like_python_literals(value, expected):
    result = utils.native_value(value)
    assert result == expected and type(result) is type(expected)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.one_of(
    st.from_regex(r"-?[0-9_]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z+\-. ][A-Za-z0-9_.\-+ #'\"]{0,12}", fullmatch=True),
    st.text(max_size=12),
))
def test_native_value_shortcuts_answer_what_literal_eval_answers(value):
    if value.lower() in ("true", "yes", "on", "false", "no", "off"):
        return
    expected = _literal_or_string(value)
    result = utils.native_value(value)
    assert result == expected and type(result) is type(expected)


def test_set_headers_replaces_each_name_as_setting_them_one_by_one_does():
    from pyramid.response import Response

    one_pass, one_by_one = Response(), Response()
    for response in (one_pass, one_by_one):
        response.headerlist.extend([("etag", '"1"'), ("X-Kept", "a"), ("ETag", '"2"')])
    new = {"ETag": '"3"', "Total-Records": "10", "content-type": "application/json"}
    utils.set_headers(one_pass, new)
    for name, value in new.items():
        one_by_one.headers[name] = value
    assert one_pass.headerlist == one_by_one.headerlist
    assert one_pass.headers["etag"] == '"3"' and one_pass.headers["X-Kept"] == "a"


def test_set_headers_sets_them_on_any_response_with_headers():
    class Double:
        def __init__(self):
            self.headers = {"ETag": '"1"'}

    response = Double()
    utils.set_headers(response, {"ETag": '"2"', "Total-Records": "3"})
    assert response.headers == {"ETag": '"2"', "Total-Records": "3"}
