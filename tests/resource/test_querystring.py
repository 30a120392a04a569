"""Pure helpers reading the querystring (PROTOCOL §2.7, §2.9–§2.11)."""
import pytest

from cliquet.resource import _querystring as qs
from cliquet.storage import Filter, Sort
from cliquet.utils import COMPARISON

KNOWN = {"title", "rank", "done", "id", "last_modified", "deleted", "author"}


def filters_of(query, known=KNOWN):
    return qs.extract_filters(query, known.__contains__)


def invalid(callable_, *args):
    with pytest.raises(qs.InvalidParameter) as error:
        callable_(*args)
    return error.value


@pytest.mark.parametrize("param,operator", [
    ("title", COMPARISON.EQ), ("min_rank", COMPARISON.MIN), ("max_rank", COMPARISON.MAX),
    ("lt_rank", COMPARISON.LT), ("gt_rank", COMPARISON.GT), ("not_rank", COMPARISON.NOT),
])
def test_each_prefix_gives_its_operator(param, operator):
    filters, _ = filters_of([(param, "3")])
    field = param.split("_", 1)[1] if "_" in param else param
    assert filters == [Filter(field, 3, operator)]


@pytest.mark.parametrize("raw,value", [
    ("12", 12), ("1.5", 1.5), ("true", True), ("Off", False), ("YES", True), ("None", None),
    ('"12"', "12"), ("[1, 2]", [1, 2]), ("1.2.3", "1.2.3"), ("MoFo", "MoFo"), ("", ""),
    ("1j", "1j"), ("{1, 2}", "{1, 2}"), ("1e400", "1e400"),
])
def test_values_are_coerced_to_native_json_values(raw, value):
    filters, _ = filters_of([("title", raw)])
    assert filters[0].value == value


def test_in_and_exclude_split_and_coerce_each_item():
    filters, _ = filters_of([("in_rank", "1,2,x"), ("exclude_title", "a,true")])
    assert filters == [Filter("rank", [1, 2, "x"], COMPARISON.IN),
                       Filter("title", ["a", True], COMPARISON.EXCLUDE)]


@pytest.mark.parametrize("param,raw", [
    ("in_id", "a,12"), ("exclude_id", "true"), ("in_last_modified", "1,x"),
    ("exclude_last_modified", "1.5"), ("last_modified", "abc"), ("gt_last_modified", "true"),
    ("min_last_modified", str(2 ** 64)), ("title", "a\x00b"), ("in_title", "a,\x00"),
])
def test_invalid_values_for_ids_and_timestamps(param, raw):
    error = invalid(filters_of, [(param, raw)])
    assert (error.location, error.name, error.description) == (
        "querystring", param, f"Invalid value for {param}")


def test_id_equality_keeps_the_text():
    filters, _ = filters_of([("id", "12"), ("not_id", "true")])
    assert [f.value for f in filters] == ["12", "true"]


def test_unknown_field_names_the_full_parameter():
    error = invalid(filters_of, [("min_size", "3")])
    assert (error.name, error.description) == ("min_size", "Unknown filter field 'min_size'")
    error = invalid(filters_of, [("has_title", "1")])
    assert error.description == "Unknown filter field 'has_title'"


def test_prefix_is_always_interpreted():
    known = KNOWN | {"min_x"}
    error = invalid(filters_of, [("min_x", "1")], known)
    assert error.description == "Unknown filter field 'min_x'"


def test_underscore_parameters_are_ignored_except_timestamps():
    filters, deprecated = filters_of([("_limit", "2"), ("_sort", "x"), ("_foo", "1"),
                                      (" _since ", '"10"'), ("_before", "20")])
    assert filters == [Filter("last_modified", 10, COMPARISON.GT),
                       Filter("last_modified", 20, COMPARISON.LT)]
    assert deprecated is False


def test_to_is_an_alias_of_before_flagged_as_deprecated():
    filters, deprecated = filters_of([("_to", "20")])
    assert filters == [Filter("last_modified", 20, COMPARISON.LT)]
    assert deprecated is True
    assert qs.TO_ALERT[0] == "_to is now deprecated, you should use _before instead"


@pytest.mark.parametrize("param", ["_since", "_before", "_to"])
@pytest.mark.parametrize("raw", ["abc", '"1.5"', "", "true", '""'])
def test_invalid_timestamp_parameters(param, raw):
    error = invalid(filters_of, [(param, raw)])
    assert (error.name, error.description) == (param, f"Invalid value for {param}")


def test_has_modified_filter():
    assert qs.has_modified_filter([Filter("last_modified", 1, COMPARISON.GT)])
    assert not qs.has_modified_filter([Filter("title", 1, COMPARISON.EQ)])


def test_sorting_appends_last_modified_descending():
    known = KNOWN.__contains__
    assert qs.extract_sorting(None, known) == [Sort("last_modified", -1)]
    assert qs.extract_sorting("title,-rank,+done", known) == [
        Sort("title", 1), Sort("rank", -1), Sort("done", 1), Sort("last_modified", -1)]
    assert qs.extract_sorting(" last_modified ", known) == [Sort("last_modified", 1)]
    # Quirk: ``-last_modified`` does not count as present; the repeat is harmless
    # and dropped, like any repeated field.
    assert qs.extract_sorting("-last_modified", known) == [Sort("last_modified", -1)]
    assert qs.extract_sorting("rank,-rank", known) == [Sort("rank", 1),
                                                      Sort("last_modified", -1)]


def test_sorting_skips_malformed_items_and_rejects_unknown_fields():
    known = KNOWN.__contains__
    assert qs.extract_sorting(",,--rank,a b", known) == [Sort("last_modified", -1)]
    error = invalid(qs.extract_sorting, "title,size", known)
    assert (error.name, error.description) == (None, "Unknown sort field 'size'")


@pytest.mark.parametrize("raw,paginate_by,limit", [
    (None, None, None), (None, 20, 20), ("5", None, 5), ("5", 2, 2), ("5", 20, 5),
    ("0", 20, None), ("", 20, None), ("-3", None, None), (" 7 ", None, 7),
])
def test_limit(raw, paginate_by, limit):
    assert qs.extract_limit(raw, paginate_by) == limit


@pytest.mark.parametrize("raw", ["abc", "1.5", "1e3", str(2 ** 64)])
def test_invalid_limit(raw):
    error = invalid(qs.extract_limit, raw, None)
    assert (error.name, error.description) == (None, "_limit should be an integer")


def test_fields_always_keep_id_and_timestamp():
    assert qs.extract_fields(None, KNOWN) is None
    assert qs.extract_fields("", KNOWN) is None
    assert qs.extract_fields("title,author.name", KNOWN) == [
        "title", "author.name", "id", "last_modified"]


def test_unknown_fields_are_reported_in_body_unless_preserved():
    error = invalid(qs.extract_fields, "title,zz,aa.b", KNOWN)
    assert (error.location, error.name, error.description) == (
        "body", "Invalid _fields parameter", "Fields aa,zz do not exist")
    assert qs.extract_fields("zz", KNOWN, True) == ["zz", "id", "last_modified"]


@pytest.mark.parametrize("raw,value", [("12", 12), ('"12"', 12), ("-3", -3)])
def test_parse_timestamp(raw, value):
    assert qs.parse_timestamp(raw) == value


@pytest.mark.parametrize("raw", ["x", "1.0", "True", str(2 ** 63)])
def test_parse_timestamp_rejects(raw):
    with pytest.raises(ValueError):
        qs.parse_timestamp(raw)
