"""The order of JSON values in which the Python backends filter and sort.

It is PostgreSQL's JSONB order, so that every backend returns the same pages:
``null < strings < numbers < booleans < arrays < objects``, with an empty
top-level array before ``null``; numbers compare numerically, strings by code
point. A missing field never matches an equality, ``in_`` or comparison
filter, always matches ``not_``/``exclude_``, and sorts after every value in
ascending order.

:func:`json_key` is the reference. :func:`select`, :func:`sort_keys` and
:func:`index_key` are its fast paths: they compare strings and numbers as
Python does, which is the same order for values of one kind
(``tests/test_jsonorder.py`` checks that they agree with the reference).
Nothing here knows about a backend.
"""
import operator

from cliquet.utils import COMPARISON

#: The value of a missing field (``record.get(field, MISSING)``).
MISSING = object()


def json_key(value, top_level: bool = True) -> tuple:
    """Total-order key of a JSON value, matching PostgreSQL's JSONB ordering."""
    if value is None:
        return (0,)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bool):
        return (3, value)
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, (list, tuple)):
        if top_level and not value:
            return (-1,)
        return (4, len(value), tuple(json_key(item, False) for item in value))
    if isinstance(value, dict):
        # JSONB stores object keys shortest first, then bytewise.
        keys = sorted(value, key=lambda k: (len(k.encode("utf-8")), k.encode("utf-8")))
        return (5, len(value), tuple((k, json_key(value[k], False)) for k in keys))
    return (6, str(value))


#: Rank in :func:`json_key` of the exact types of scalar values whose Python
#: comparison is the JSONB one among values of the same rank: for them,
#: ``json_key(value) == (SCALAR_KINDS[type(value)], value)``. ``bool`` is not
#: one (``True == 1`` in Python, never in JSONB).
SCALAR_KINDS = {kind: json_key(kind())[0] for kind in (str, int, float)}

# Comparison operators, of JSON keys or of scalars of one kind.
_OPERATORS = {
    COMPARISON.EQ: operator.eq, COMPARISON.LT: operator.lt, COMPARISON.MAX: operator.le,
    COMPARISON.GT: operator.gt, COMPARISON.MIN: operator.ge,
}


def predicate(flt, pagination: bool = False):
    """Compile a filter into ``record -> bool``, comparing :func:`json_key` keys.

    In ``pagination`` mode a missing value counts as greater than any value,
    consistently with the ascending sort order.
    """
    field, value, op = flt
    if op in (COMPARISON.IN, COMPARISON.EXCLUDE):
        values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
        keys = {json_key(v) for v in values}
        if op == COMPARISON.IN:
            return lambda r: (v := r.get(field, MISSING)) is not MISSING and json_key(v) in keys
        return lambda r: (v := r.get(field, MISSING)) is MISSING or json_key(v) not in keys

    key = json_key(value)
    if op == COMPARISON.EQ:
        return lambda r: (v := r.get(field, MISSING)) is not MISSING and json_key(v) == key
    if op == COMPARISON.NOT:
        return lambda r: (v := r.get(field, MISSING)) is MISSING or json_key(v) != key
    compare = _OPERATORS[COMPARISON(op)]
    missing = pagination and op in (COMPARISON.GT, COMPARISON.MIN)

    def match(record):
        v = record.get(field, MISSING)
        if v is MISSING:
            return missing
        return compare(json_key(v), key)

    return match


def select(records: list, flt, pagination: bool = False) -> list:
    """The ``records`` matching one filter (see :func:`predicate`), in their order.

    Values of the filter's own scalar kind are compared in the loop itself,
    without a call per record; the others go through the full predicate.
    """
    field, value, op = flt
    kind = SCALAR_KINDS.get(type(value))
    compare = _OPERATORS.get(op) if kind is not None else None
    if compare is None:
        match = predicate(flt, pagination)
        return [r for r in records if match(r)]
    if op == COMPARISON.EQ:  # cheap equality first, then kinds (``1 == True``)
        equal = [r for r in records if r.get(field) == value]
        return [r for r in equal if SCALAR_KINDS.get(type(r[field])) == kind]
    match = predicate(flt, pagination)
    kinds = SCALAR_KINDS
    return [r for r in records
            if (compare(v, value) if kinds.get(type(v := r.get(field))) == kind
                else match(r))]


def sort_keys(records: list, field: str) -> list:
    """A sort key of each record for ``field``: :func:`json_key` order, missing values last."""
    values = [r.get(field, MISSING) for r in records]
    kinds = {SCALAR_KINDS.get(type(v)) for v in values}
    if len(kinds) == 1 and None not in kinds:
        return values  # one scalar kind: Python orders them as JSONB does
    keys: list[tuple] = []
    for value in values:
        kind = SCALAR_KINDS.get(type(value))
        if kind is not None:
            keys.append((0, (kind, value)))  # json_key(value), built faster
        else:
            keys.append((1,) if value is MISSING else (0, json_key(value)))
    return keys


def indexable_filter(filters):
    """The first equality filter on a string or number, which :func:`index_key` can serve."""
    for flt in filters or ():
        _, value, op = flt
        if op == COMPARISON.EQ and type(value) in SCALAR_KINDS:
            return flt
    return None


def index_key(value) -> tuple:
    """Key of a string or number (:data:`SCALAR_KINDS`) in an equality index.

    Equal for values the equality filter matches (``1`` and ``1.0``, never ``True``).
    """
    return SCALAR_KINDS[type(value)], value
