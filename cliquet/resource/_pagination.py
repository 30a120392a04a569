"""Keyset pagination: the opaque ``_token`` and the ``Next-Page`` decision.

The protocol is in docs/protocol.rst, "Pagination".

Pure functions, testable without a request.
"""
import binascii
import hashlib
import re
from typing import Any, NamedTuple
from urllib.parse import quote_plus

from cliquet.resource._querystring import InvalidParameter, is_integer, is_json_value
from cliquet.storage import Filter
from cliquet.utils import COMPARISON, decode64, encode64, json

__all__ = ["Count", "build_rules", "build_token", "count_scope", "decode_token",
           "decode_token_count", "has_next_page", "next_page_url"]

MODIFIED_FIELD = "last_modified"

_INVALID_TOKEN = "_token has invalid content"


def build_rules(sorting, last_record: dict) -> list:
    """Filters of the records that follow ``last_record`` in the ``sorting`` order.

    For sorts ``s1..sn``, rule k (from n down to 1) is ``s1 == v1 AND ... AND
    s(k-1) == v(k-1) AND sk >/< vk``; the rules are ORed by the storage.
    """
    rules = []
    for k in range(len(sorting), 0, -1):
        rule = [Filter(field, last_record.get(field), COMPARISON.EQ)
                for field, _ in sorting[:k - 1]]
        field, direction = sorting[k - 1]
        operator = COMPARISON.GT if direction > 0 else COMPARISON.LT
        rule.append(Filter(field, last_record.get(field), operator))
        rules.append(rule)
    return rules


class Count(NamedTuple):
    """The total of a listing, valid while its collection keeps ``timestamp``.

    ``scope`` names what else the total depends on (user, filters): see
    :func:`count_scope`.
    """

    total: int
    timestamp: int
    scope: str


def build_token(sorting, last_record: dict, offset: int, count: Count | None = None) -> str:
    """Base64 JSON of the sort values of the last record and the offset, and
    of the listing's ``count`` if given (so that the next page need not count)."""
    token = {
        "last_record": {field: last_record.get(field) for field, _ in sorting},
        "offset": offset,
    }
    if count is not None:
        token["count"] = list(count)
    return encode64(json.dumps(token))


def decode_token(token: str, modified_field: str = MODIFIED_FIELD) -> tuple[dict, int]:
    """``(last_record, offset)`` of a ``_token``.

    :raises InvalidParameter: the token is not base64 JSON of an object with
        ``last_record`` (an object) and ``offset`` (an integer).
    """
    last_record, offset, _ = decode_token_count(token, modified_field)
    return last_record, offset


def decode_token_count(token: str, modified_field: str = MODIFIED_FIELD
                       ) -> tuple[dict, int, Count | None]:
    """``(last_record, offset, count)`` of a ``_token``; ``count`` is ``None``
    when the token carries none (or an invalid one: it is only a hint).

    :raises InvalidParameter: as :func:`decode_token`.
    """
    try:
        info = json.loads(decode64(token))
    except (ValueError, binascii.Error, UnicodeError):
        info = None
    if not isinstance(info, dict):
        raise InvalidParameter("querystring", None, _INVALID_TOKEN)
    last_record: Any = info.get("last_record")
    offset: Any = info.get("offset")
    valid = (
        isinstance(last_record, dict) and is_integer(offset)
        and is_json_value(last_record)
        and (last_record.get(modified_field) is None
             or is_integer(last_record[modified_field]))
    )
    if not valid:
        raise InvalidParameter("querystring", None, _INVALID_TOKEN)
    count = info.get("count")
    if isinstance(count, list) and len(count) == 3 and is_integer(count[0]) and \
            count[0] >= 0 and is_integer(count[1]) and isinstance(count[2], str):
        count = Count(*count)
    else:
        count = None
    return last_record, offset, count


def count_scope(user_id: str | None, params) -> str:
    """What a listing's total depends on besides its collection: the user and the
    querystring (``_token`` and ``_limit`` aside), in any order. A short digest."""
    items = sorted((k, v) for k, v in params if k not in ("_token", "_limit"))
    text = f"{user_id or ''}\n{_urlencode(items)}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def has_next_page(limit: int | None, page_size: int, offset: int, total: int) -> bool:
    """A limit is in force, the page is full and records remain after ``offset``.

    :param offset: records returned by the previous pages plus this one.
    """
    return bool(limit) and page_size == limit and offset < total


def next_page_url(base_url: str, params, limit: int, token: str) -> str:
    """``base_url`` with every current parameter, ``_limit`` and ``_token`` replaced."""
    items = [(k, v) for k, v in params if k not in ("_limit", "_token")]
    items += [("_limit", str(limit)), ("_token", token)]
    return f"{base_url}?{_urlencode(items)}"


# What ``quote_plus`` leaves as it is, whatever the text.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _urlencode(items: list) -> str:
    """``urllib.parse.urlencode(items)`` of text pairs, without quoting what needs none."""
    def quoted(text: str) -> str:
        return text if _UNRESERVED.fullmatch(text) else quote_plus(text)

    return "&".join([f"{quoted(k)}={quoted(v)}" for k, v in items])
