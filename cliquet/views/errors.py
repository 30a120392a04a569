"""Error views: every error leaves as the protocol's JSON envelope, with CORS."""
import sys
from functools import wraps

from pyramid import httpexceptions
from pyramid.security import forget
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from webob.request import DisconnectionError

from cliquet.errors import ERRORS, JSON_CONTENT_TYPE, http_error
from cliquet.logs import logger
from cliquet.sentry import report_exception
from cliquet.storage.exceptions import BackendError
from cliquet._cors import reapply_cors

# Names Cliquet 3.1 code imports from cliquet.views.errors.
from pyramid.authorization import Authenticated  # noqa: F401
from pyramid.httpexceptions import HTTPTemporaryRedirect  # noqa: F401
from pyramid.security import NO_PERMISSION_REQUIRED  # noqa: F401
from pyramid.settings import asbool  # noqa: F401
from pyramid.view import view_config  # noqa: F401

from cliquet.storage import exceptions as storage_exceptions  # noqa: F401
from cliquet.utils import encode_header  # noqa: F401

try:  # what gunicorn raises while the application reads a malformed chunked body
    from gunicorn.http import errors as _gunicorn_errors
except ImportError:  # served by another server
    _gunicorn_errors = None
_UNREADABLE_BODY = (DisconnectionError, *(
    getattr(_gunicorn_errors, name) for name in (
        "NoMoreData", "InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension")
    if hasattr(_gunicorn_errors, name)))

_BACKEND_MESSAGE = ("Service temporary unavailable due to overloading or maintenance, "
                    "please retry later.")


def _is_json(response) -> bool:
    return (response.content_type or "").startswith("application/json")


def _with_retry_after(request, response):
    if response.status_code in (503, 429):
        response.headers.setdefault(
            "Retry-After", str(request.registry.settings["retry_after_seconds"]))
    return response


def cors(view):
    """View decorator: the response gets the CORS headers of the current service."""

    @wraps(view)
    def wrap_view(request, *args, **kwargs):
        return reapply_cors(request, view(request, *args, **kwargs))

    return wrap_view


@forbidden_view_config()
def authorization_required(request):
    """401 when anonymous (with ``WWW-Authenticate``), 403 otherwise."""
    if not request.authenticated_userid:
        error = http_error(
            httpexceptions.HTTPUnauthorized(),
            errno=ERRORS.MISSING_AUTH_TOKEN,
            message="Please authenticate yourself to use this endpoint.",
        )
        for name, value in forget(request):
            error.headers.add(name, value)
        return reapply_cors(request, error)
    error = http_error(
        httpexceptions.HTTPForbidden(),
        errno=ERRORS.FORBIDDEN,
        message="This user cannot access this resource.",
    )
    return reapply_cors(request, error)


@notfound_view_config()
def page_not_found(request):
    """Redirect trailing slashes, report unknown versions and unknown URLs."""
    context = request.exception
    settings = request.registry.settings
    route_prefix = request.registry.route_prefix
    if context is not None and _is_json(context) and context.status_code == 404 and \
            context.body:
        return reapply_cors(request, context)

    path = request.path
    if not path.startswith(f"/{route_prefix}"):
        error = http_error(
            httpexceptions.HTTPNotFound(),
            errno=ERRORS.VERSION_NOT_AVAILABLE,
            message="The requested protocol version is not available on this server.",
        )
        return reapply_cors(request, error)

    if settings["trailing_slash_redirect_enabled"]:
        target = None
        if path == f"/{route_prefix}":
            target = f"{request.application_url}/{route_prefix}/"
        elif path.endswith("/"):
            quoted = request.path_url[len(request.application_url):]
            target = request.application_url + quoted.rstrip("/")
        if target is not None:
            if request.query_string:
                target += "?" + request.query_string
            return httpexceptions.HTTPTemporaryRedirect(target)

    error = http_error(
        httpexceptions.HTTPNotFound(),
        errno=ERRORS.MISSING_RESOURCE,
        message="The resource you are looking for could not be found.",
    )
    return reapply_cors(request, error)


@exception_view_config(httpexceptions.HTTPMethodNotAllowed)
def method_not_allowed(context, request):
    """405 with errno 115 and the ``Allow`` header of the service."""
    if _is_json(context):
        return reapply_cors(request, context)
    allow = context.headers.get("Allow")
    error = http_error(
        httpexceptions.HTTPMethodNotAllowed(),
        errno=ERRORS.METHOD_NOT_ALLOWED,
        message="Method not allowed on this endpoint.",
    )
    if allow:
        error.headers["Allow"] = allow
    return reapply_cors(request, error)


@exception_view_config(UnicodeDecodeError)
def invalid_encoding(context, request):
    """A URL that is not UTF-8: 400 errno 107 on the path or the querystring."""
    raw_path = request.environ.get("PATH_INFO", "").encode("latin-1")
    try:
        raw_path.decode("utf-8")
        location = "querystring"
    except UnicodeDecodeError:
        location = "path"
    description = "Invalid UTF-8 encoding"
    error = http_error(
        httpexceptions.HTTPBadRequest(),
        errno=ERRORS.INVALID_PARAMETERS,
        error="Invalid parameters",
        message=f"{location}: {description}",
        details=[{"location": location, "name": None, "description": description}],
    )
    return reapply_cors(request, error)


#: SQLSTATE of a unique violation; PostgreSQL constraint name → field it guards.
_UNIQUE_VIOLATION = "23505"
_TIMESTAMP_INDEXES = ("idx_records_last_modified", "idx_deleted_last_modified")


def refused_value(original) -> tuple[str | None, str] | None:
    """``(name, description)`` when a backend refused a value the client sent.

    PostgreSQL data errors (``DataError``: a NUL character, an integer out of
    range...) and a unique violation on a record timestamp are the client's:
    400, not the outage a 503 announces. ``None`` for any other error.
    """
    psycopg2 = sys.modules.get("psycopg2")
    original = getattr(original, "orig", None) or original  # SQLAlchemy wraps the driver's
    if psycopg2 is None or not isinstance(original, psycopg2.Error):
        return None
    diag = getattr(original, "diag", None)
    primary = getattr(diag, "message_primary", None) or "invalid value"
    if isinstance(original, psycopg2.DataError):
        return None, f"Invalid value: {primary}"
    if isinstance(original, psycopg2.IntegrityError) and \
            getattr(original, "pgcode", None) == _UNIQUE_VIOLATION and \
            getattr(diag, "constraint_name", None) in _TIMESTAMP_INDEXES:
        return "data.last_modified", "Another record of the collection has this last_modified"
    return None


@exception_view_config(BackendError)
def service_unavailable(response, request):
    """A backend failure: 503 errno 201 with ``Retry-After``; its original
    error (the driver's) is logged as critical.

    A value the backend refused (:func:`refused_value`) is a 400 errno 107.
    """
    original = getattr(response, "original", None)
    refused = refused_value(original)
    if refused is not None:
        name, description = refused
        logger.info(f"Backend refused a value: {original}")
        # Its transaction is lost: a batch stops there (views/batch.py).
        request.backend_refused = True
        location = "body"
        if request.method == "DELETE" and name:  # a record DELETE's ?last_modified=
            location, name = "querystring", name.rsplit(".", 1)[-1]
        message = description if name and name in description else \
            (f"{name} in {location}: {description}" if name else f"{location}: {description}")
        error = http_error(
            httpexceptions.HTTPBadRequest(),
            errno=ERRORS.INVALID_PARAMETERS,
            error="Invalid parameters",
            message=message,
            details=[{"location": location, "name": name, "description": description}],
        )
        return reapply_cors(request, error)
    logger.critical(original if original is not None else response, exc_info=response)
    report_exception(request, response)
    error = http_error(
        httpexceptions.HTTPServiceUnavailable(),
        errno=ERRORS.BACKEND,
        message=_BACKEND_MESSAGE,
    )
    return reapply_cors(request, _with_retry_after(request, error))


@exception_view_config(httpexceptions.HTTPException)
def http_exception(context, request):
    """Other HTTP errors and redirects: JSON ones pass through, others get an envelope."""
    if context.status_code < 400:
        return context
    if _is_json(context):
        context.headers["Content-Type"] = JSON_CONTENT_TYPE
        return reapply_cors(request, _with_retry_after(request, context))
    if context.status_code == 503:
        error = http_error(httpexceptions.HTTPServiceUnavailable(), errno=ERRORS.BACKEND,
                           message=_BACKEND_MESSAGE)
    else:
        error = http_error(httpexceptions.exception_response(context.status_code))
    for name in ("Allow", "Location", "WWW-Authenticate"):
        if name in context.headers:
            error.headers[name] = context.headers[name]
    return reapply_cors(request, _with_retry_after(request, error))


def _invalid_body(request, description: str):
    error = http_error(
        httpexceptions.HTTPBadRequest(),
        errno=ERRORS.INVALID_PARAMETERS,
        error="Invalid parameters",
        message=f"body: {description}",
        details=[{"location": "body", "name": None, "description": description}],
    )
    return reapply_cors(request, error)


@exception_view_config(Exception)
def error(context, request):
    """Unexpected exception: 500 errno 999, no traceback in the body; logged.

    A request body that cannot be read (malformed chunked encoding, body
    shorter than its ``Content-Length``) is the client's error: 400 errno 107.
    """
    if isinstance(context, _UNREADABLE_BODY):
        logger.info(f"Unreadable request body: {context}")
        return _invalid_body(request, f"Invalid request body: {context}")
    logger.error(str(context) or context.__class__.__name__, exc_info=context)
    report_exception(request, context)
    response = http_error(
        httpexceptions.HTTPInternalServerError(),
        errno=ERRORS.UNDEFINED,
        message="A programmatic error occured, developers have been informed.",
        info=request.registry.settings["error_info_link"],
    )
    return reapply_cors(request, response)
