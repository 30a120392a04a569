"""Components shared by every operation: the error envelope, headers, responses.

Operations refer to them with :func:`ref`; :func:`error_responses` picks the
error responses of an operation from the statuses it can answer.
"""
import copy
from typing import Any

from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet._validation import MAX_JSON_DEPTH, MAX_TIMESTAMP, MIN_TIMESTAMP
from cliquet.errors import ERRORS
from cliquet.resource._preconditions import MAX_HEADER_LENGTH

TIMESTAMP_PATTERN = r'^"-?[0-9]+"$'

_ERRORS_TABLE = ", ".join(f"{errno.value} {errno.name}" for errno in ERRORS)

SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "The error envelope of every error answered by the service.",
        "required": ["code", "errno", "error"],
        "properties": {
            "code": {"type": "integer", "description": "The HTTP status."},
            "errno": {"type": "integer", "description": f"Stable error number: {_ERRORS_TABLE}."},
            "error": {"type": "string", "description": "HTTP reason phrase, or "
                      "`Invalid parameters` for validation errors."},
            "message": {"type": "string", "description": "Human readable context."},
            "info": {"type": "string", "description": "A URL with more information."},
            "details": {
                "description": "Validation errors, or details of a conflict or a failed "
                               "precondition (`existing` record, `field`).",
                "anyOf": [
                    {"type": "array", "items": {"$ref": "#/components/schemas/ErrorDetail"}},
                    {"type": "object"},
                ],
            },
        },
    },
    "ErrorDetail": {
        "type": "object",
        "required": ["location", "name", "description"],
        "properties": {
            "location": {"type": "string",
                         "enum": ["body", "querystring", "headers", "header", "path"]},
            "name": {"type": ["string", "null"]},
            "description": {"type": "string"},
        },
    },
    "Tombstone": {
        "type": "object",
        "description": "What remains of a deleted record.",
        "required": ["id", "last_modified", "deleted"],
        "properties": {
            "id": {"type": "string"},
            "last_modified": {"type": "integer"},
            "deleted": {"const": True},
        },
        "additionalProperties": False,
    },
}

HEADERS: dict[str, dict[str, Any]] = {
    "Backoff": {"description": "Seconds the client should wait before its next requests.",
                "schema": {"type": "string"}},
    "Alert": {"description": "End-of-service or deprecation notice: a JSON object with "
                             "`code`, `message` and `url`.",
              "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "required": True,
                    "schema": {"type": "integer"}},
    "ETag": {"description": "Timestamp of the record or of the collection, between double "
                            "quotes.", "required": True,
             "schema": {"type": "string", "pattern": TIMESTAMP_PATTERN}},
    "Last-Modified": {"description": "The same timestamp as an HTTP date.", "required": True,
                      "schema": {"type": "string"}},
    "Total-Records": {"description": "Number of records matching the filters, all pages "
                                     "together.", "required": True,
                      "schema": {"type": "integer", "minimum": 0}},
    "Next-Page": {"description": "URL of the next page, when there is one: the same "
                                 "querystring with an opaque `_token` parameter, to be "
                                 "followed as is (any other `_token` is a 400).",
                  "schema": {"type": "string", "format": "uri"}},
    "Cache-Control": {"description": "`no-cache`, or `max-age` for anonymous reads when "
                                     "`<resource>_cache_expires_seconds` is set.",
                      "schema": {"type": "string"}},
    "Expires": {"description": "Expiry date of anonymous reads when caching is on.",
                "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "Authentication schemes accepted.",
                         "schema": {"type": "string"}},
}

#: Headers that any response may carry.
COMMON_HEADERS = ("Backoff", "Alert")

#: An ETag as the service reads it: a timestamp between double quotes.
_ETAG = {"type": "string", "pattern": TIMESTAMP_PATTERN, "maxLength": MAX_HEADER_LENGTH}

# An ETag, or ``*``.
_ETAG_OR_ANY = {"type": "string", "pattern": r'^("-?[0-9]+"|\*)$',
                "maxLength": MAX_HEADER_LENGTH}

PARAMETERS = {
    "If-Match": {
        "name": "If-Match", "in": "header",
        "description": "The ETag the client holds, a timestamp between double quotes "
                       '(`"1457350340000"`): answer 412 (errno 114) if the current timestamp '
                       "is more recent, that is, if the ETag is stale.",
        "schema": _ETAG,
    },
    "If-None-Match": {
        "name": "If-None-Match", "in": "header",
        "description": "The ETag the client holds: answer 304 if the record timestamp is not "
                       "more recent. `*`: answer 412 (errno 114) if the record exists.",
        "schema": _ETAG_OR_ANY,
    },
    "If-None-Match-List": {
        "name": "If-None-Match", "in": "header",
        "description": "The ETag the client holds: answer 304 if the collection timestamp is "
                       "not more recent (`*` has no effect on a list).",
        "schema": _ETAG_OR_ANY,
    },
    "If-None-Match-Any": {
        "name": "If-None-Match", "in": "header",
        "description": "`*`: answer 412 (errno 114) if the record already exists. Any other "
                       "value is ignored.",
        "schema": {"type": "string", "examples": ["*"]},
    },
}

_ERROR_RESPONSES = {
    400: ("BadRequest", "Invalid parameters (errno 107): querystring, headers or body; also "
                        f"a body nested deeper than {MAX_JSON_DEPTH} levels, holding a NUL "
                        "character, unreadable, or a `last_modified` outside "
                        f"{MIN_TIMESTAMP}..{MAX_TIMESTAMP} or held by another record of the "
                        "collection."),
    401: ("Unauthorized", "Authentication is required (errno 104): the request carries no "
                          "credentials that an authentication policy reads."),
    403: ("Forbidden", "The user cannot access this resource (errno 121)."),
    404: ("NotFound", "Unknown record (errno 110) or URL (errno 111)."),
    406: ("NotAcceptable", "The `Accept` header does not allow JSON (errno 107)."),
    409: ("Conflict", "A unique field conflicts with another record (errno 122)."),
    412: ("PreconditionFailed", "Modified meanwhile (errno 114): the `If-Match` ETag is "
                                "stale, or `If-None-Match: *` and the record exists."),
    415: ("UnsupportedMediaType", "The body is not JSON (errno 107)."),
    500: ("ServerError", "Unexpected error (errno 999)."),
    503: ("ServiceUnavailable", "A backend is unavailable (errno 201)."),
}


def auth_statuses(permission) -> set:
    """401 when the view needs authentication, and 403 when it may not be enough."""
    if permission in (None, NO_PERMISSION_REQUIRED):
        return set()
    if permission == "private":
        return {401}
    return {401, 403}


def ref(kind: str, name: str) -> dict:
    """A reference to the component ``name`` of ``kind`` (``schemas``, ``headers``...)."""
    return {"$ref": f"#/components/{kind}/{name}"}


def headers(*names: str, optional: tuple = ()) -> dict:
    """Response headers: ``names`` as declared, ``optional`` and the common ones optional."""
    result: dict[str, Any] = {name: ref("headers", name) for name in COMMON_HEADERS}
    for name in names:
        result[name] = ref("headers", name)
    for name in optional:
        schema = dict(HEADERS[name])
        schema.pop("required", None)
        result[name] = schema
    return result


def json_content(schema: dict) -> dict:
    """``content`` of a JSON body."""
    return {"application/json": {"schema": schema}}


def error_responses(statuses, with_body: bool = True) -> dict:
    """Responses of the error ``statuses`` (``HEAD`` answers them without body)."""
    responses = {}
    for status in sorted(statuses):
        name, description = _ERROR_RESPONSES[status]
        if with_body:
            responses[str(status)] = ref("responses", name)
        else:
            response = _error_response(status, description)
            response.pop("content")
            responses[str(status)] = response
    return responses


def _error_response(status: int, description: str) -> dict:
    response = {"description": description, "headers": headers(),
                "content": json_content(ref("schemas", "Error"))}
    if status == 401:
        response["headers"] = headers(optional=("WWW-Authenticate",))
    elif status == 412:
        response["headers"] = headers(optional=("ETag", "Last-Modified"))
    elif status == 503:
        response["headers"] = headers("Retry-After")
    return response


def components() -> dict:
    """A new ``components`` section, security schemes excluded."""
    return copy.deepcopy({
        "schemas": SCHEMAS,
        "headers": HEADERS,
        "parameters": PARAMETERS,
        "responses": {name: _error_response(status, description)
                      for status, (name, description) in _ERROR_RESPONSES.items()},
    })
