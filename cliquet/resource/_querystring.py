"""Querystring of collection endpoints: filters, sorting, page size and fields.

Pure functions of the protocol (docs/protocol.rst, "Filtering", "Sorting",
"Pagination", "Partial responses"), testable without a request. They raise
:class:`InvalidParameter`, which the resource turns into a 400 error.

Values reaching the storage are kept to what every backend can store and
compare: JSON values, 64-bit integers, text without NUL characters.
"""
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeGuard

from cliquet._validation import MAX_TIMESTAMP
from cliquet.storage import Filter, Sort
from cliquet.utils import COMPARISON, native_value

_OPERATOR_PARAM = re.compile(r"^(min|max|not|lt|gt|in|exclude)_(\w+)$")
_SORT_ITEM = re.compile(r"^([-+]?)(\w+)$")
_OPERATORS = {
    "min": COMPARISON.MIN, "max": COMPARISON.MAX, "not": COMPARISON.NOT,
    "lt": COMPARISON.LT, "gt": COMPARISON.GT, "in": COMPARISON.IN,
    "exclude": COMPARISON.EXCLUDE,
}
_TIMESTAMP_PARAMS = {"_since": COMPARISON.GT, "_before": COMPARISON.LT, "_to": COMPARISON.LT}

_MIN_INT = -(2 ** 63)
_MAX_INT = 2 ** 63 - 1

#: ``(message, url)`` of the ``Alert`` sent when the deprecated ``_to`` is used.
TO_ALERT = ("_to is now deprecated, you should use _before instead",
            "http://cliquet.rtfd.org/en/2.4.0/api/resource.html"
            "#list-of-available-url-parameters")


class InvalidParameter(ValueError):
    """A request parameter the protocol rejects (HTTP 400).

    :param location: ``querystring``, ``headers``, or ``body`` (``_fields``, a quirk).
    :param name: the parameter name, or ``None``.
    :param description: the error description.
    """

    def __init__(self, location: str, name: str | None, description: str):
        super().__init__(description)
        self.location = location
        self.name = name
        self.description = description


def is_integer(value: object) -> TypeGuard[int]:
    """An integer every backend stores (64-bit, booleans excluded)."""
    return isinstance(value, int) and not isinstance(value, bool) and \
        _MIN_INT <= value <= _MAX_INT


def is_json_value(value) -> bool:
    """A JSON value every backend stores and compares (no NUL, no infinity)."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, int):
        return is_integer(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(is_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_value(v) for k, v in value.items())
    return False


def filter_value(raw: str):
    """Native value of a filter; Python-only literals (``1j``, ``{1}``) stay text.

    See docs/protocol.rst, "Filtering".
    """
    value = native_value(raw)
    return value if is_json_value(value) else raw


def parse_timestamp(raw: str, maximum: int | None = MAX_TIMESTAMP) -> int:
    """Integer of a timestamp value, possibly between double quotes (``"123"``).

    :param maximum: the largest value accepted (a timestamp to store, such as
        the ``?last_modified=`` of a record DELETE, renders as an HTTP date);
        ``None`` for a 64-bit integer (filters).
    :raises ValueError: not an integer, or above ``maximum``.
    """
    value = native_value(raw.strip('"'))
    if not is_integer(value) or (maximum is not None and value > maximum):
        raise ValueError(raw)
    return value


def _valid_value(value, field: str, id_field: str, modified_field: str) -> bool:
    if not is_json_value(value):
        return False
    if field == id_field:
        return isinstance(value, str)
    if field == modified_field:
        return is_integer(value)
    return True


def extract_filters(params: Iterable[tuple[str, str]], is_known_field: Callable[[str], bool],
                    modified_field: str = "last_modified",
                    id_field: str = "id") -> tuple[list, bool]:
    """Filters of a collection querystring (docs/protocol.rst, "Filtering").

    :param params: the ``(name, value)`` pairs of the querystring.
    :param is_known_field: tells whether a field may be filtered.
    :returns: ``(filters, deprecated_to_used)``.
    :raises InvalidParameter: unknown field or invalid value.
    """
    filters = []
    deprecated_to = False
    value: Any
    for raw_name, raw_value in params:
        param = raw_name.strip()
        if param in _TIMESTAMP_PARAMS:
            try:
                value = parse_timestamp(raw_value, maximum=None)
            except ValueError:
                raise InvalidParameter("querystring", param,
                                       f"Invalid value for {param}") from None
            filters.append(Filter(modified_field, value, _TIMESTAMP_PARAMS[param]))
            deprecated_to = deprecated_to or param == "_to"
            continue
        if param.startswith("_"):
            continue

        match = _OPERATOR_PARAM.match(param)
        if match:
            operator, field = _OPERATORS[match.group(1)], match.group(2)
        else:
            operator, field = COMPARISON.EQ, param
        if not is_known_field(field):
            raise InvalidParameter("querystring", param, f"Unknown filter field '{param}'")

        if operator in (COMPARISON.IN, COMPARISON.EXCLUDE):
            value = [filter_value(item) for item in raw_value.split(",")]
            valid = all(_valid_value(v, field, id_field, modified_field) for v in value)
        else:
            value = filter_value(raw_value)
            if field == id_field and not isinstance(value, str):
                value = raw_value  # ids are text: ``?id=12`` looks for "12"
            valid = _valid_value(value, field, id_field, modified_field)
        if not valid:
            raise InvalidParameter("querystring", param, f"Invalid value for {param}")
        filters.append(Filter(field, value, operator))
    return filters, deprecated_to


def has_modified_filter(filters: Iterable, modified_field: str = "last_modified") -> bool:
    """Whether a filter targets the timestamp (tombstones are then included)."""
    return any(f.field == modified_field for f in filters)


def extract_sorting(raw: str | None, is_known_field: Callable[[str], bool],
                    modified_field: str = "last_modified") -> list:
    """Sorting of ``_sort=f1,-f2``, ending with ``last_modified`` descending.

    See docs/protocol.rst, "Sorting".

    Items not matching ``[-+]field`` are skipped. The final sort is added
    unless the list holds exactly ``last_modified``; a repeated field is kept
    once, in its first position.

    :raises InvalidParameter: unknown field.
    """
    items = [item.strip() for item in raw.split(",")] if raw else []
    sorting = []
    for item in items:
        match = _SORT_ITEM.match(item)
        if match is None:
            continue
        sign, field = match.groups()
        if not is_known_field(field):
            raise InvalidParameter("querystring", None, f"Unknown sort field '{field}'")
        sorting.append(Sort(field, -1 if sign == "-" else 1))
    if modified_field not in items:
        sorting.append(Sort(modified_field, -1))
    # A field sorted again never changes the order (e.g. the quirky trailing
    # ``-last_modified`` after ``_sort=-last_modified``): drop the repeats.
    unique: list[Sort] = []
    for sort in sorting:
        if all(kept.field != sort.field for kept in unique):
            unique.append(sort)
    return unique


def extract_limit(raw: str | None, paginate_by=None) -> int | None:
    """Page size: ``_limit`` capped by ``paginate_by``; ``None`` = unlimited.

    See docs/protocol.rst, "Pagination".

    ``_limit=0``, an empty or a negative ``_limit`` mean no limit, even with
    ``paginate_by`` (a quirk).

    :raises InvalidParameter: ``_limit`` is not a (64-bit) integer.
    """
    if raw is None:
        return int(paginate_by) if paginate_by else None
    if raw == "":
        return None
    try:
        limit = int(raw)
    except ValueError:
        limit = None
    if not is_integer(limit):
        raise InvalidParameter("querystring", None, "_limit should be an integer")
    if paginate_by:
        limit = min(limit, int(paginate_by))
    return limit if limit > 0 else None


def extract_fields(raw: str | None, known_fields: Iterable[str], preserve_unknown: bool = False,
                   id_field: str = "id", modified_field: str = "last_modified") -> list | None:
    """Fields of ``_fields=a,b.c``, always with the id and the timestamp.

    See docs/protocol.rst, "Partial responses".

    :returns: ``None`` when no projection is asked.
    :raises InvalidParameter: unknown root fields, unless unknown fields are preserved.
    """
    if not raw:
        return None
    fields = [field.strip() for field in raw.split(",")]
    if not preserve_unknown:
        unknown = {field.split(".", 1)[0] for field in fields} - set(known_fields)
        if unknown:
            raise InvalidParameter("body", "Invalid _fields parameter",
                                   f"Fields {','.join(sorted(unknown))} do not exist")
    return fields + [id_field, modified_field]
