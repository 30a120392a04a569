"""The JSON error channel: error numbers and the helpers that build errors."""
from __future__ import annotations

import enum
from typing import Any, NoReturn

from pyramid import httpexceptions

from cliquet._cors import reapply_cors
from cliquet.logs import bind_request_context
from cliquet.utils import json

# Names Cliquet 3.1 code imports from cliquet.errors.
from enum import Enum  # noqa: F401

from cliquet.logs import logger  # noqa: F401
from cliquet.utils import encode_header  # noqa: F401

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


class ERRORS(enum.IntEnum):
    """Stable error numbers (``errno``) of the protocol."""

    MISSING_AUTH_TOKEN = 104
    INVALID_AUTH_TOKEN = 105
    BADJSON = 106
    INVALID_PARAMETERS = 107
    MISSING_PARAMETERS = 108
    INVALID_POSTED_DATA = 109
    INVALID_RESOURCE_ID = 110
    MISSING_RESOURCE = 111
    MISSING_CONTENT_LENGTH = 112
    REQUEST_TOO_LARGE = 113
    MODIFIED_MEANWHILE = 114
    METHOD_NOT_ALLOWED = 115
    VERSION_NOT_AVAILABLE = 116
    CLIENT_REACHED_CAPACITY = 117
    FORBIDDEN = 121
    CONSTRAINT_VIOLATED = 122
    BACKEND = 201
    SERVICE_DEPRECATED = 202
    UNDEFINED = 999


def format_error(code: int, errno: int, error: str, message: str | None = None,
                 info: str | None = None, details: Any = None) -> dict:
    """The error envelope; keys that are not set are absent."""
    body: dict[str, Any] = {"code": code, "errno": int(errno), "error": error}
    if message is not None:
        body["message"] = message
    if info is not None:
        body["info"] = info
    if details is not None:
        body["details"] = details
    return body


def http_error(httpexception: Any, errno: int | None = None, code: int | None = None,
               error: str | None = None, message: str | None = None,
               info: str | None = None, details: Any = None) -> Any:
    """Return ``httpexception`` with the protocol's JSON envelope as body.

    :param httpexception: an instance of a :mod:`pyramid.httpexceptions` class.
    :param errno: stable error number (:class:`ERRORS`), 999 by default.
    :param code: HTTP status of the body, the exception's status by default.
    :param error: the error title, the exception's title by default.
    :param message: human readable context.
    :param info: a URL with more information.
    :param details: structured details (list or object).
    """
    errno = ERRORS.UNDEFINED if errno is None else errno
    body = format_error(
        code=code or httpexception.code,
        errno=errno,
        error=error or httpexception.title,
        message=message,
        info=info,
        details=details,
    )
    _bind_errno(errno)
    response = httpexception
    response.body = json.dumps(body).encode("utf-8")
    response.content_type = "application/json"
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    return response


def _bind_errno(errno: int) -> None:
    bind_request_context(errno=int(errno))


def _error_message(errors: list) -> str | None:
    """Message of a validation error list, built from the first error by name."""
    if not errors:
        return None
    first = sorted(errors, key=lambda e: str(e.get("name")))[0]
    location = first.get("location")
    name = first.get("name")
    description = first.get("description")
    if name:
        if name in str(description):
            return str(description)
        return f"{name} in {location}: {description}"
    return f"{location}: {description}"


def json_error_handler(errors: Any) -> Any:
    """Turn a Cornice error list (or a request holding one) into a 400-family response.

    The envelope has errno 107 and ``details`` lists every error as
    ``{location, name, description}``.
    """
    request = getattr(errors, "request", None)
    if hasattr(errors, "errors"):  # Cornice >= 2 passes the request.
        request, errors = errors, errors.errors
    details = []
    for error in errors:
        description = error.get("description")
        if isinstance(description, bytes):
            description = description.decode("utf-8")
        details.append(
            {"location": error.get("location"), "name": error.get("name") or None,
             "description": description}
        )
    status = getattr(errors, "status", 400)
    response = http_error(
        httpexceptions.exception_response(status),
        errno=ERRORS.INVALID_PARAMETERS,
        error="Invalid parameters",
        message=_error_message(details),
        details=details,
    )
    if request is not None:
        response = reapply_cors(request, response)
    return response


def raise_invalid(request: Any, location: str = "body", name: str | None = None,
                  description: Any = None, **kwargs: Any) -> NoReturn:
    """Add a validation error to ``request.errors`` and raise the 400 response."""
    request.errors.status = kwargs.pop("status", 400)
    request.errors.append(
        dict(location=location, name=name, description=description, **kwargs)
    )
    raise json_error_handler(request)


def send_alert(request: Any, message: str | None = None, url: str | None = None,
               code: str = "soft-eol") -> None:
    """Set the ``Alert`` response header (deprecation and end-of-life notices)."""
    if url is None:
        url = request.registry.settings["project_docs"]
    request.response.headers["Alert"] = alert_header(code, message, url)


def alert_header(code: str, message: str | None = None, url: str | None = None) -> str:

    """JSON value of an ``Alert`` header."""
    return json.dumps({"code": code, "message": message, "url": url})

