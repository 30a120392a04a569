"""The fast paths of ``cliquet.storage._jsonorder`` order values like its reference.

The reference is :func:`json_key` (PostgreSQL's JSONB order) plus the rules
on missing fields, written again below as plainly as possible. Random JSON
values of every kind (nested, big integers, non-ASCII strings, missing
fields) go through each fast path: the filters of ``select`` (normal and
pagination mode), the sort keys of ``sort_keys`` and ``apply_sorting``, the
keys of the equality index, and the memory backend serving equality filters
from that index. Examples are derandomized: the same ones on every run.
"""
import functools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cliquet.storage import Filter, Sort, memory
from cliquet.storage._jsonorder import (
    MISSING,
    SCALAR_KINDS,
    index_key,
    indexable_filter,
    json_key,
    predicate,
    select,
    sort_keys,
)
from cliquet.storage._recordset import apply_filters, apply_pagination, apply_sorting
from cliquet.utils import COMPARISON

FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# Integers past 64 bits, floats JSON can hold (no NaN nor infinity), any text
# but surrogates (st.text's default), and values that tie or nearly tie
# across kinds and types (``True == 1 == 1.0`` in Python; 2 ** 53 + 1 is no float).
integers = st.one_of(st.integers(-3, 3), st.integers(),
                     st.sampled_from([2 ** 53, 2 ** 53 + 1, 2 ** 63, -(2 ** 63) - 1, 10 ** 30]))
floats = st.one_of(st.sampled_from([0.0, -0.0, 1.0, 0.5, 2.0 ** 53, 1e30, -1e300]),
                   st.floats(allow_nan=False, allow_infinity=False))
strings = st.one_of(
    st.sampled_from(["", "a", "B", "é", "1", "10", "9", "ß", "日本", "\U0001f600"]),
    st.text(max_size=4))
ties = st.sampled_from([None, True, False, 0, 1, 0.0, 1.0, "", "1", "true", "null"])
scalars = st.one_of(ties, st.none(), st.booleans(), integers, floats, strings)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(strings, children, max_size=3)),
    max_leaves=6)
# One kind of scalars only, where ``sort_keys`` returns the values themselves.
one_kind = st.one_of(st.lists(strings, max_size=5), st.lists(st.one_of(integers, floats),
                                                             max_size=5))


@st.composite
def record_sets(draw, fields=("f",)):
    """Records whose ``fields`` hold values of a small pool, maybe other values or nothing."""
    pool = draw(st.one_of(st.lists(ties, min_size=1, max_size=5),
                          st.lists(scalars, min_size=1, max_size=5),
                          st.lists(json_values, min_size=1, max_size=5),
                          one_kind.filter(bool)))
    values = st.sampled_from(pool)
    if draw(st.booleans()):  # else every record holds a pool value (maybe all of one kind)
        values = st.one_of(values, values, json_values, st.just(MISSING))
    records = []
    for i in range(draw(st.integers(0, 12))):
        record = {"id": f"r{i}"}
        for field in fields:
            value = draw(values)
            if value is not MISSING:
                record[field] = value
        records.append(record)
    return records, pool


def reference_match(record, flt, pagination) -> bool:
    """Whether ``record`` matches ``flt``: :func:`json_key` and the rules on missing fields."""
    field, value, op = flt
    if field not in record:
        if op in (COMPARISON.NOT, COMPARISON.EXCLUDE):
            return True
        return pagination and op in (COMPARISON.GT, COMPARISON.MIN)
    key = json_key(record[field])
    if op in (COMPARISON.IN, COMPARISON.EXCLUDE):
        values = value if isinstance(value, list) else [value]
        found = any(key == json_key(v) for v in values)
        return found if op == COMPARISON.IN else not found
    other = json_key(value)
    return {
        COMPARISON.EQ: key == other, COMPARISON.NOT: key != other,
        COMPARISON.LT: key < other, COMPARISON.MAX: key <= other,
        COMPARISON.GT: key > other, COMPARISON.MIN: key >= other,
    }[op]


def ids(records) -> list:
    return [r["id"] for r in records]


def reference_key(record, field) -> tuple:
    """Sort key of ``record`` for ``field``: JSONB order, missing after every value."""
    return (1,) if field not in record else (0, json_key(record[field]))


def reference_sorted(records, sorting) -> list:
    """``records`` ordered by each sort in turn (descending: reversed), ties kept in order."""

    def compare(a, b):
        for field, direction in sorting:
            ka, kb = reference_key(a, field), reference_key(b, field)
            if ka != kb:
                return direction if ka > kb else -direction
        return 0

    return sorted(records, key=functools.cmp_to_key(compare))


@FAST
@given(record_sets(), st.data())
def test_select_matches_the_reference_filter(case, data):
    records, pool = case
    value = data.draw(st.one_of(st.sampled_from(pool), json_values))
    # in_/exclude_: a list of values, or a single one (a list of one).
    values = data.draw(st.one_of(st.lists(st.one_of(st.sampled_from(pool), json_values),
                                          max_size=4), st.just(value)))
    for op in COMPARISON:
        flt = Filter("f", values if op in (COMPARISON.IN, COMPARISON.EXCLUDE) else value, op)
        for pagination in (False, True):
            expected = ids(r for r in records if reference_match(r, flt, pagination))
            assert ids(select(records, flt, pagination=pagination)) == expected, (op, pagination)
            match = predicate(flt, pagination)
            assert ids(r for r in records if match(r)) == expected, (op, pagination)


@FAST
@given(record_sets(fields=("f", "g")), st.data())
def test_filters_and_pagination_rules_match_the_reference(case, data):
    records, pool = case
    ops = st.sampled_from(list(COMPARISON))
    value = st.one_of(st.sampled_from(pool), json_values)
    flt = st.builds(Filter, st.sampled_from(["f", "g"]), value, ops)
    rules = data.draw(st.lists(st.lists(flt, min_size=1, max_size=2), max_size=3))
    filters = [f for rule in rules for f in rule]

    expected = [r for r in records if all(reference_match(r, f, False) for f in filters)]
    assert ids(apply_filters(records, filters)) == ids(expected)

    expected, remaining = [], list(records)
    for rule in rules:  # each rule takes its matches out of what the next ones see
        taken = [r for r in remaining if all(reference_match(r, f, True) for f in rule)]
        expected += taken
        remaining = [r for r in remaining if r not in taken]
    assert ids(apply_pagination(records, rules)) == ids(expected if rules else records)


@FAST
@given(record_sets())
def test_sort_keys_order_like_the_reference_key(case):
    records, _ = case
    keys = sort_keys(records, "f")
    for a, key_a in zip(records, keys):
        for b, key_b in zip(records, keys):
            ref_a, ref_b = reference_key(a, "f"), reference_key(b, "f")
            assert (key_a < key_b, key_a == key_b) == (ref_a < ref_b, ref_a == ref_b)


@FAST
@given(record_sets(fields=("f", "g")), st.sampled_from([1, -1]), st.sampled_from([1, -1]),
       st.sampled_from([None, 0, 1, 3]))
def test_apply_sorting_orders_like_the_reference_key(case, first, second, limit):
    records, _ = case
    for sorting in ([Sort("f", first)], [Sort("f", first), Sort("g", second)]):
        expected = reference_sorted(records, sorting)
        if limit:
            expected = expected[:limit]
        assert ids(apply_sorting(records, sorting, limit)) == ids(expected)


@FAST
@given(scalars, scalars)
def test_index_keys_are_equal_for_values_equality_matches(a, b):
    indexable = [v for v in (a, b) if type(v) in SCALAR_KINDS]
    for value in indexable:
        assert json_key(value) == (SCALAR_KINDS[type(value)], value)
        flt = Filter("f", value, COMPARISON.EQ)
        assert indexable_filter([Filter("f", value, COMPARISON.NOT), flt]) is flt
    if len(indexable) == 2:
        equal = json_key(a) == json_key(b)
        assert (index_key(a) == index_key(b)) == equal
        assert not equal or hash(index_key(a)) == hash(index_key(b))
    for value in (a, b):
        if type(value) not in SCALAR_KINDS:
            assert indexable_filter([Filter("f", value, COMPARISON.EQ)]) is None


@FAST
@given(record_sets())
def test_the_equality_index_selects_what_equality_matches(case):
    records, pool = case
    index = {}
    for record in records:
        if type(record.get("f")) in SCALAR_KINDS:
            index.setdefault(index_key(record["f"]), []).append(record)
    for value in pool:
        if type(value) in SCALAR_KINDS:
            expected = [r for r in records
                        if reference_match(r, Filter("f", value, COMPARISON.EQ), False)]
            assert ids(index.get(index_key(value), [])) == ids(expected)


@settings(FAST, max_examples=60)
@given(record_sets(), st.data())
def test_the_memory_backend_serves_equality_filters_as_the_reference(case, data):
    records, pool = case
    storage = memory.Storage()
    for record in records:
        storage.create("c", "p", record)
    value = data.draw(st.one_of(st.sampled_from(pool), strings, integers, floats))
    filters = [Filter("f", value, COMPARISON.EQ)]
    expected = [r for r in records if reference_match(r, filters[0], False)]
    for _ in range(3):  # the second filter on "f" builds the index, the third uses it
        found, total = storage.get_all("c", "p", filters=filters, sorting=[Sort("id", 1)])
        assert ids(found) == sorted(ids(expected)) and total == len(expected)
