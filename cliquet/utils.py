"""Helpers shared by Cliquet and the applications built on it."""
from __future__ import annotations

import ast
import base64
import enum
import functools
import hmac
import inspect
import os
import re
import time
import warnings
from binascii import hexlify
from typing import Any, Callable, Iterable
from urllib.parse import quote, unquote

import colander
import orjson
from pyramid import httpexceptions
from pyramid.request import Request, apply_request_extensions
from webob import Response as WebObResponse
from cornice.util import current_service as cornice_current_service

# Names Cliquet 3.1 code imports from cliquet.utils.
import hashlib  # noqa: F401
from base64 import b64decode, b64encode  # noqa: F401
from enum import Enum  # noqa: F401

from colander import null  # noqa: F401
from cornice import cors  # noqa: F401
from pyramid.settings import aslist  # noqa: F401
from pyramid.view import render_view_to_response  # noqa: F401

_MOVED_3_1_NAMES = {"reapply_cors": "cliquet._cors"}


def __getattr__(name: str) -> Any:
    """The 3.1 names that moved out of this module, resolved on first access.

    This module imports nothing of the package (everything else may import
    it); ``cliquet.utils.reapply_cors`` is the service's CORS behaviour, now
    in :mod:`cliquet._cors`, a module that imports nothing of the package
    either, so no import cycle can form.
    """
    module_name = _MOVED_3_1_NAMES.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


sqlalchemy: Any  # the module, or None
try:
    import sqlalchemy
except ImportError:  # the ``postgresql`` extra is not installed
    sqlalchemy = None


class _FastJSON:
    """A ``json``-like namespace backed by :mod:`orjson`.

    ``dumps`` returns text and never escapes forward slashes.
    """

    @staticmethod
    def loads(value: str | bytes | bytearray | memoryview, **kwargs: Any) -> Any:
        return orjson.loads(value)

    @staticmethod
    def dumps(value: Any, **kwargs: Any) -> str:
        option = orjson.OPT_NON_STR_KEYS
        if kwargs.get("sort_keys"):
            option |= orjson.OPT_SORT_KEYS
        if kwargs.get("indent"):
            option |= orjson.OPT_INDENT_2
        return _dumps(value, _json_default, option)


def _dumps(value: Any, default: Callable[[Any], Any] | None, option: int) -> str:
    """``orjson.dumps`` as text; the standard library's encoder for what orjson
    refuses to encode but JSON can hold (an integer beyond 64 bits, say, from a
    body the standard decoder parsed)."""
    try:
        return orjson.dumps(value, default=default, option=option).decode("utf-8")
    except orjson.JSONEncodeError:
        import json as stdlib_json

        return stdlib_json.dumps(value, default=default, ensure_ascii=False,
                                 separators=(",", ":"),
                                 sort_keys=bool(option & orjson.OPT_SORT_KEYS),
                                 indent=2 if option & orjson.OPT_INDENT_2 else None)


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


json = _FastJSON()


def json_serializer(v: Any, default: Callable[[Any], Any] | None = None,
                    **kwargs: Any) -> str:
    """Serialize ``v`` to JSON text, without escaping slashes.

    ``default`` (Pyramid's renderer adapters) serializes other objects.
    """
    if default is None:
        return json.dumps(v)

    def fallback(obj: Any) -> Any:
        try:
            return _json_default(obj)
        except TypeError:
            return default(obj)

    return _dumps(v, fallback, orjson.OPT_NON_STR_KEYS)


class COMPARISON(str, enum.Enum):
    """Comparison operators of collection filters."""

    LT = "<"
    MIN = ">="
    MAX = "<="
    NOT = "!="
    EQ = "=="
    GT = ">"
    IN = "in"
    EXCLUDE = "exclude"

    def __str__(self) -> str:
        return self.value


def msec_time() -> int:
    """Current epoch time in milliseconds (floored)."""
    return int(time.time() * 1000.0)


def classname(obj: object) -> str:
    """Lowercased class name of an instance."""
    return obj.__class__.__name__.lower()


def strip_whitespace(v: Any) -> Any:
    """Remove surrounding spaces, tabs and newlines (Colander null untouched)."""
    return v.strip(" \t\n\r") if v is not colander.null else v


def merge_dicts(a: dict, b: dict) -> None:
    """Recursively copy the keys of ``b`` into ``a`` without overwriting.

    A value of ``a`` that is not an object is kept as is, even where ``b``
    has an object.
    """
    for key, value in b.items():
        existing = a.setdefault(key, {} if isinstance(value, dict) else value)
        if isinstance(value, dict) and isinstance(existing, dict):
            merge_dicts(existing, value)


def random_bytes_hex(bytes_length: int) -> str:
    """Hexadecimal text of ``bytes_length`` random bytes."""
    return hexlify(os.urandom(bytes_length)).decode("utf-8")


_TRUE_VALUES = ("true", "yes", "on")
_FALSE_VALUES = ("false", "no", "off")
# A decimal integer that int() and literal_eval() read alike (no sign "+", no "_").
_PLAIN_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
# Starts with an ASCII letter, no quote: literal_eval() accepts none but ``None``.
_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def native_value(value: Any) -> Any:
    """Coerce a string to the Python value it spells.

    ``true``/``yes``/``on`` (any case) give ``True``, ``false``/``no``/``off``
    give ``False``; otherwise a Python literal is tried (``12``, ``1.5``,
    ``"x"``, ``[1, 2]``, ``None``) and an unparsable string stays a string.
    Non-string values are returned unchanged.
    """
    if not isinstance(value, str):
        return value
    lowered = value.lower()
    if lowered in _TRUE_VALUES:
        return True
    if lowered in _FALSE_VALUES:
        return False
    # Shortcuts for the usual querystring values, same results as literal_eval's.
    if _PLAIN_INTEGER.fullmatch(value):
        return int(value)
    if _PLAIN_WORD.fullmatch(value) and value != "None":
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value


def read_env(key: str, value: Any, environ: Any = None) -> Any:
    """Value of the environment variable named after ``key``, else ``value``.

    The variable name is ``key`` uppercased with ``.`` and ``-`` replaced by
    ``_``; the result is passed through :func:`native_value`.
    """
    environ = os.environ if environ is None else environ
    envkey = key.replace(".", "_").replace("-", "_").upper()
    return native_value(environ.get(envkey, value))


def encode64(content: str, encoding: str = "utf-8") -> str:
    """Standard base64 text of ``content``."""
    return base64.b64encode(content.encode(encoding)).decode(encoding)


def decode64(encoded_content: str, encoding: str = "utf-8") -> str:
    """Decode standard base64 text (raises ``ValueError`` when malformed)."""
    return base64.b64decode(encoded_content.encode(encoding), validate=False).decode(encoding)


def hmac_digest(secret: str | bytes, message: str, encoding: str = "utf-8") -> str:
    """Lowercase hex HMAC-SHA256 of ``message`` keyed with ``secret``."""
    if isinstance(secret, str):
        secret = secret.encode(encoding)
    keyed = _keyed_hmac(secret).copy()
    keyed.update(message.encode(encoding))
    return keyed.hexdigest()


@functools.lru_cache(maxsize=16)
def _keyed_hmac(secret: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with ``secret``, copied for each message: the key
    is prepared once (a request's user id costs a third of a full HMAC)."""
    return hmac.new(secret, digestmod="sha256")


def accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    """Whether ``function`` (or bound method) takes a keyword argument ``name``.

    Lets new code pass a new keyword only to the backends and models that
    take it (those written for Cliquet 3.1 do not). Computed once per function.
    """
    return _accepts_keyword(getattr(function, "__func__", function), name)


def replaced(method: Callable[..., Any], function: Callable[..., Any]) -> bool:
    """Whether the bound ``method`` is no longer ``function``: overridden by a
    subclass, or patched on the instance (then calls go through it)."""
    return getattr(method, "__func__", None) is not function


@functools.lru_cache(maxsize=512)
def _accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def dict_subset(d: dict, keys: Iterable[str]) -> dict:
    """Projection of ``d`` on ``keys``; dotted keys select nested fields.

    When an intermediate value is not an object, the whole value is kept.
    """
    result: dict = {}
    for key in keys:
        root, _, rest = key.partition(".")
        if root not in d:
            continue
        value = d[root]
        if rest and isinstance(value, dict):
            nested = dict_subset(value, [rest])
            existing = result.get(root)
            if isinstance(existing, dict):
                _deep_update(existing, nested)
            elif root not in result:
                result[root] = nested
        else:
            result[root] = value
    return result


def _deep_update(target: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


_URI_PREFIX = re.compile(r"^/v\d+")


def set_headers(response: Any, headers: dict[str, str]) -> None:
    """Set ``headers`` on ``response``: what ``response.headers[name] = value``
    does for each, in one pass over the header list of a WebOb response (one
    pass each otherwise). Other responses (test doubles) get ``headers[name]``."""
    if not isinstance(response, WebObResponse):
        for name, value in headers.items():
            response.headers[name] = value
        return
    names = {name.lower() for name in headers}
    headerlist = response.headerlist
    headerlist[:] = [item for item in headerlist if item[0].lower() not in names]
    headerlist.extend(headers.items())


def strip_uri_prefix(path: str) -> str:
    """Remove a leading ``/v<digits>`` from ``path``."""
    return _URI_PREFIX.sub("", path, count=1)


def encode_header(value: str | bytes, encoding: str = "utf-8") -> str:
    """Native string of a header value."""
    if isinstance(value, bytes):
        return value.decode(encoding)
    return value


def decode_header(value: str | bytes, encoding: str = "utf-8") -> str:
    """Unicode text of a header value (undecodable bytes replaced)."""
    if isinstance(value, bytes):
        return value.decode(encoding, errors="replace")
    return value


def current_service(request: Any) -> Any:
    """The Cornice service of the matched route, or ``None``.

    Looked up by route pattern, then (only if needed) by route name.
    """
    route = request.matched_route
    if not route:
        return None
    services = request.registry.cornice_services
    service = services.get(route.pattern)
    return service if service is not None else cornice_current_service(request)


def current_resource_name(request: Any) -> str | None:
    """Registered name of the resource behind the current request, or ``None``."""
    service = current_service(request)
    return getattr(service, "resource_name", None)


_URL_SAFE = "/?&=%:@!$'()*+,;#[]"


def build_request(original: Any, dict_obj: dict) -> Any:
    """The subrequest described by ``dict_obj``, sharing the parent's request data.

    ``dict_obj`` has a ``path`` (percent-encoded where needed; the API prefix of
    ``original`` is prepended when missing) and optional ``method`` (``GET``),
    ``headers`` (over those of ``original``) and ``body``: a dict is sent as
    JSON, ``str``/``bytes`` as is (headers untouched), a falsy body as no body.
    The subrequest's ``parent`` is ``original``.
    """
    prefix = "/" + original.upath_info.split("/")[1]
    path = quote(dict_obj["path"], safe=_URL_SAFE)
    if not path.startswith(prefix):
        path = prefix + path
    headers = dict(original.headers)
    headers.update(dict_obj.get("headers") or {})
    body = dict_obj.get("body") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        headers["Content-Type"] = "application/json; charset=utf-8"
        body = json.dumps(body).encode("utf-8")
    headers.pop("Content-Length", None)
    subrequest = _request_class(original).blank(path=path, headers=headers,
                                                method=dict_obj.get("method", "GET"))
    subrequest.body = body
    subrequest.registry = original.registry
    subrequest.parent = original
    apply_request_extensions(subrequest)
    return subrequest


def build_response(response: Any, request: Any) -> dict:
    """``{path, status, headers, body}`` of a subrequest's response."""
    body: Any = ""
    if request.method != "HEAD" and response.body:
        try:
            body = json.loads(response.body)
        except ValueError:
            body = response.body  # not JSON: the raw bytes (rendered as UTF-8 text)
    return {
        "path": unquote(request.path),
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": body,
    }


def follow_subrequest(request: Any, subrequest: Any, **kwargs: Any) -> tuple[Any, Any]:
    """Invoke ``subrequest``, rendering error views and following one redirect.

    A redirection raised by the subrequest, or an error rendered as one (the
    trailing slash redirection), is followed once, with the same method,
    headers and body, the same ``parent`` and ``bound_data``. A response the
    view returned is final.

    :returns: ``(response, final_subrequest)``.
    :raises Exception: errors that render as 5xx (or do not render) propagate.
    """
    try:
        return request.invoke_subrequest(subrequest, **kwargs), subrequest
    except httpexceptions.HTTPRedirection as redirection:
        location = redirection.location
    except Exception as exc:
        response = _render_error(subrequest, exc)
        if not 300 <= response.status_code < 400:
            return response, subrequest
        location = response.location

    redirected = _request_class(subrequest).blank(
        path=location, headers=dict(subrequest.headers), method=subrequest.method)
    if subrequest.method in _METHODS_WITH_BODY:
        redirected.body = subrequest.body
    redirected.registry = request.registry
    redirected.parent = subrequest.parent
    redirected.bound_data = subrequest.bound_data
    apply_request_extensions(redirected)
    try:
        return request.invoke_subrequest(redirected, **kwargs), redirected
    except Exception as exc:
        return _render_error(redirected, exc), redirected


_METHODS_WITH_BODY = ("POST", "PUT", "PATCH")


def _request_class(request: Any) -> type[Request]:
    """The class of ``request``; Pyramid's for an object that only looks like one."""
    return type(request) if isinstance(request, Request) else Request


def _render_error(subrequest: Any, exc: BaseException) -> Any:
    """The response of the exception view for ``exc``; ``exc`` when none or a 5xx."""
    try:
        response = subrequest.invoke_exception_view()
    except Exception:
        raise exc from None
    if response.status_code >= 500:
        raise exc
    # Rendered: its traceback, whose frames hold the error, is of no more use.
    exc.__traceback__ = None
    getattr(subrequest, "__dict__", {}).pop("exc_info", None)  # any request-like object
    return response


class DeprecatedMeta(type):
    """Metaclass of deprecated classes: defining a subclass of one warns.

    The ``DeprecationWarning`` message is the deprecated class's
    ``__deprecation_warning__``, by default ``"<name> is deprecated"``.
    """

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> DeprecatedMeta:

        for base in bases:
            if isinstance(base, DeprecatedMeta):
                message = getattr(base, "__deprecation_warning__",
                                  f"{base.__name__} is deprecated")
                warnings.warn(message, DeprecationWarning, stacklevel=2)
        return super().__new__(mcs, name, bases, attrs)
