"""Conditional requests: ``If-Match``, ``If-None-Match``, timestamp headers.

The protocol is in docs/protocol.rst, "Timestamps and synchronisation",
"Concurrency control".

Pure functions, testable without a request: parsing the headers, the 304 and
412 decisions, and the responses they lead to.
"""
import functools
import re
from email.utils import formatdate

from pyramid import httpexceptions

from cliquet._validation import MAX_TIMESTAMP
from cliquet.errors import ERRORS, http_error
from cliquet.resource._querystring import InvalidParameter
from cliquet.utils import set_headers

__all__ = [
    "ANY", "etag", "is_conditional", "last_modified", "not_modified", "parse_if_match",
    "parse_if_none_match", "precondition_failed", "set_timestamp_headers",
    "modified_meanwhile_error", "not_modified_response",
]

#: ``If-None-Match: *``
ANY = "*"

#: Longest ``If-Match``/``If-None-Match`` value parsed (a 64-bit integer in
#: quotes takes 22 characters); a longer one is invalid.
MAX_HEADER_LENGTH = 64

_QUOTED_INTEGER = re.compile(r'^"(-?[0-9]+)"$')
_INVALID_IF_MATCH = ("Invalid value for If-Match. The value should be integer between "
                     "double quotes.")
_INVALID_IF_NONE_MATCH = "Invalid value for If-None-Match"


def parse_if_match(value: str | None) -> int | None:
    """Timestamp of an ``If-Match: "<int>"`` header, ``None`` when absent.

    :raises InvalidParameter: not a quoted integer.
    """
    if value is None:
        return None
    match = _QUOTED_INTEGER.match(value) if len(value) <= MAX_HEADER_LENGTH else None
    if match is None:
        raise InvalidParameter("headers", None, _INVALID_IF_MATCH)
    return int(match.group(1))


def parse_if_none_match(value: str | None) -> int | str | None:
    """Timestamp of ``If-None-Match: "<int>"``, :data:`ANY` for ``*``, ``None`` when absent.

    :raises InvalidParameter: neither a quoted integer nor ``*``.
    """
    if value is None:
        return None
    if value == ANY:
        return ANY
    match = _QUOTED_INTEGER.match(value) if len(value) <= MAX_HEADER_LENGTH else None
    if match is None:
        raise InvalidParameter("headers", None, _INVALID_IF_NONE_MATCH)
    return int(match.group(1))


def is_conditional(headers) -> bool:
    """Whether a request sent ``If-Match`` or ``If-None-Match``."""
    return "If-Match" in headers or "If-None-Match" in headers


def not_modified(if_none_match, current: int) -> bool:
    """304 decision of GET: the client already holds ``current``."""
    return isinstance(if_none_match, int) and current <= if_none_match


def precondition_failed(if_match: int | None, if_none_match_any: bool, current: int,
                        existing: dict | None = None, deleted_field: str = "deleted") -> bool:
    """412 decision (docs/protocol.rst, "Concurrency control").

    :param if_match: parsed ``If-Match``; ``None`` when absent.
    :param if_none_match_any: ``If-None-Match: *`` was sent.
    :param current: the timestamp the client's one is compared with.
    :param existing: the record at stake (possibly a tombstone), if any.
    """
    if if_none_match_any and existing is not None and not existing.get(deleted_field):
        return True
    return if_match is not None and current > if_match


def etag(timestamp: int) -> str:
    """``ETag`` value: the timestamp in double quotes."""
    return f'"{timestamp}"'


def last_modified(timestamp: int) -> str:
    """``Last-Modified`` value: the timestamp as an HTTP date, truncated to the second.

    Never raises: a timestamp outside what an HTTP date renders (years 1970 to
    9999) is rendered as the nearest bound.
    """
    try:
        seconds = min(max(int(timestamp), 0), MAX_TIMESTAMP) // 1000
    except (TypeError, ValueError, OverflowError):
        seconds = 0
    return _http_date(seconds)


@functools.lru_cache(maxsize=256)
def _http_date(seconds: int) -> str:
    """The HTTP date of ``seconds`` (recent ones are asked again and again)."""
    return formatdate(seconds, usegmt=True)


def set_timestamp_headers(response, timestamp: int) -> None:
    """Set ``ETag`` and ``Last-Modified`` of ``response``."""
    set_headers(response, {"ETag": etag(timestamp), "Last-Modified": last_modified(timestamp)})


def not_modified_response(timestamp: int):
    """The 304 to raise: no body, ``ETag`` and ``Last-Modified``."""
    response = httpexceptions.HTTPNotModified()
    set_timestamp_headers(response, timestamp)
    return response


def modified_meanwhile_error(timestamp: int, existing: dict | None = None):
    """The 412 to raise: errno 114, ``details.existing`` on record endpoints."""
    details = {"existing": existing} if existing is not None else {}
    response = http_error(httpexceptions.HTTPPreconditionFailed(),
                          errno=ERRORS.MODIFIED_MEANWHILE,
                          message="Resource was modified meanwhile",
                          details=details)
    set_timestamp_headers(response, timestamp)
    return response
