"""Structured logging: the shared logger, request context and renderers.

One convention for the loggers of the package:

* ``logger``, in any module, is the shared structlog logger of this module
  (:data:`logger`, standard logger name ``cliquet``; also
  ``cliquet.logger``), imported with ``from cliquet.logs import logger``
  (a Cliquet 3.1 name of the modules that had it). Everything logged while
  serving a request goes through it, as an event with key-value fields,
  so the line carries the request context: the request summaries, errors
  answered, heartbeat and listener failures.
* Library internals, which know nothing of the request they may serve
  (schema migrations, connection code and pools, Redis errors of
  ``wrap_redis_error``, the transaction's undo log, scripts), use the standard
  library logger of their module, ``_log = logging.getLogger(__name__)``,
  with ``%``-style arguments.

No module builds a structlog logger of its own, nor names a standard logger
by a literal (``tests/test_architecture_imports.py`` checks it).
"""
from __future__ import annotations

import logging
import os
import platform
import re
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlencode

import structlog

from cliquet import utils
from cliquet.utils import json


class RequestContext(dict):
    """The log context of a request: its fields, some of them computed on first read.

    A field that costs work to compute (the redacted querystring, the time of
    the answer as text) is *deferred*: a function and the plain values it
    needs are kept, and called only when a line is logged or the context is
    read, so a request whose summary is not logged never computes them. A
    field bound explicitly, before or after, wins over a deferred one of the
    same name.
    """

    __slots__ = ("_deferred",)

    def __init__(self, fields: dict) -> None:
        super().__init__(fields)
        self._deferred: list | None = None

    def defer(self, compute: Callable[..., dict], *arguments: Any) -> None:
        """Add the fields ``compute(*arguments)`` returns, when the context is first read."""
        deferred = self._deferred
        if deferred is None:
            self._deferred = [(compute, arguments)]
        else:
            deferred.append((compute, arguments))

    def resolved(self) -> RequestContext:
        """The context with its deferred fields computed."""
        deferred = self._deferred
        if deferred:
            self._deferred = None
            for compute, arguments in deferred:
                for key, value in compute(*arguments).items():
                    self.setdefault(key, value)
        return self


# One dict per request (per thread or task): cheaper than a variable per key.
_request_context: ContextVar[RequestContext | None] = ContextVar("cliquet_log_context",
                                                                 default=None)


def current_request_context() -> dict:
    """The log context of the current request, deferred fields computed."""
    context = _request_context.get()
    return context.resolved() if context is not None else {}


class _CurrentRequestContext:
    """``logger._context._dict``: the log context of the current request."""

    __slots__ = ()

    @property
    def _dict(self) -> dict:
        return current_request_context()


class Logger:
    """Cliquet's structlog logger (``cliquet.logger``).

    ``info`` and ``debug`` return at once when the ``cliquet`` standard logger
    is not enabled for their level (the per-request summaries cost nothing
    then), and a logger of :meth:`new` is only built for a line that is
    logged; every other method is structlog's (``error``, ``bind``...).
    ``_context._dict`` is the log context of the current request.
    """

    _context = _CurrentRequestContext()

    def __init__(self, name: str) -> None:
        self._name = name
        self._fields: Any = None  # the values of a logger of new()
        self._stdlib = logging.getLogger(name)
        self._structlog = structlog.get_logger(name)

    def __getattr__(self, name: str) -> Any:
        if name == "_structlog":  # a logger of new(): built on first use
            self._structlog = structlog.get_logger(self._name).new(**self._fields)
            return self._structlog
        return getattr(self._structlog, name)

    def new(self, **fields: Any) -> Logger:
        """A logger with ``fields`` as its only values (structlog's ``new``)."""
        bound = object.__new__(Logger)
        bound._name, bound._fields, bound._stdlib = self._name, fields, self._stdlib
        return bound

    def info(self, event: Any = None, *args: Any, **fields: Any) -> None:
        if self._stdlib.isEnabledFor(logging.INFO):
            self._structlog.info(event, *args, **fields)

    def debug(self, event: Any = None, *args: Any, **fields: Any) -> None:
        if self._stdlib.isEnabledFor(logging.DEBUG):
            self._structlog.debug(event, *args, **fields)


logger = Logger("cliquet")


def bind_request_context(**fields: Any) -> None:
    """Bind ``fields`` to the log context of the current request."""
    context = _request_context.get()
    if context is None:
        _request_context.set(RequestContext(fields))
    else:
        context.update(fields)


def reset_request_context(**fields: Any) -> RequestContext:
    """Start a fresh log context for a new request; return it (to defer fields)."""
    context = RequestContext(fields)
    _request_context.set(context)
    return context


def defer_request_context(compute: Callable[..., dict], *arguments: Any) -> None:
    """Bind the fields ``compute(*arguments)`` returns once the context is read
    (:meth:`RequestContext.defer`); ``arguments`` should be plain values, not the request."""
    context = _request_context.get()
    if context is None:
        context = reset_request_context()
    context.defer(compute, *arguments)


_IDENTITY_FIELDS = ("uid", "authn_type")


def subrequest_context(**fields: Any) -> _SubrequestContext:
    """Log context of a batch subrequest, starting with ``fields`` (a context manager).

    The context of the parent request is back when the block exits, with the
    user identified by the subrequest if the parent had none.
    """
    return _SubrequestContext(fields)


class _SubrequestContext:
    __slots__ = ("_fields", "_parent", "_token")

    def __init__(self, fields: dict) -> None:
        self._fields = RequestContext(fields)

    def __enter__(self) -> dict:
        self._parent = _request_context.get()
        self._token = _request_context.set(self._fields)
        return self._fields

    def __exit__(self, *exc_info: Any) -> None:
        _request_context.reset(self._token)
        parent, fields = self._parent, self._fields
        if parent is not None:
            for key in _IDENTITY_FIELDS:
                if parent.get(key) is None and fields.get(key) is not None:
                    parent[key] = fields[key]


def merge_request_context(logger: Any, name: str, event_dict: Any) -> Any:
    """structlog processor: add the request context (event values win)."""
    for key, value in current_request_context().items():
        event_dict.setdefault(key, value)
    return event_dict


_SECRET_MARKERS = re.compile("password|passwd|secret|token|auth|signature|key")
_PUBLIC_PARAMETERS = {"_token"}  # the pagination token is not a credential


def redact_querystring(params: Any) -> dict:
    """Querystring parameters for the logs, values of credential-like names hidden."""
    redacted = {}
    for name, value in params.items():
        lowered = name.lower()
        if lowered not in _PUBLIC_PARAMETERS and _SECRET_MARKERS.search(lowered):
            value = "***"
        redacted[name] = value
    return redacted


def configure(renderer: Callable[[Any, str, Any], Any], level_filter: bool = True) -> None:
    """Route structlog events through the standard ``logging`` module.

    ``renderer`` turns an event dict into the final line. Handlers, levels
    and Sentry integration are configured with standard ``logging``.
    """
    processors: list[Any] = [structlog.stdlib.filter_by_level] if level_filter else []
    processors += [
        merge_request_context,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        context_class=dict,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


_RESET = "\x1b[0m"
_BRIGHT = "\x1b[1m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_MAGENTA = "\x1b[35m"

_REQUEST_FIELDS = ("method", "path", "querystring", "code", "t")


class ClassicLogRenderer:
    """One coloured human readable line, for development.

    ``"GET   /v1/articles?_sort=title" 200 (3 ms) request.summary uid=… nb_records=2``
    """

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings or {}

    def __call__(self, logger: Any, name: str, event_dict: Any) -> str:
        event = event_dict.pop("event", "")
        if "path" in event_dict:
            method = event_dict.pop("method", None) or "?"
            path = event_dict.pop("path")
            querystring = event_dict.pop("querystring", None)
            code = event_dict.pop("code", None)
            duration = event_dict.pop("t", None)
            if querystring:
                path += "?" + urlencode(querystring, doseq=True)
            pattern = (
                f'{_BRIGHT}"{method:<5} {path}"{_RESET} '
                f"{_YELLOW}{'?' if code is None else code} "
                f"({'?' if duration is None else duration} ms){_RESET} {event}"
            )
        else:
            pattern = f"{event}"
        extra = " ".join(
            f"{_CYAN}{key}{_RESET}={_MAGENTA}{decode_value(value)}{_RESET}"
            for key, value in sorted(event_dict.items())
            if value is not None and key not in _REQUEST_FIELDS
        )
        return f"{pattern} {extra}" if extra else pattern


_SYSLOG_LEVELS = {
    "critical": 0,
    "fatal": 0,
    "exception": 2,
    "error": 2,
    "warning": 4,
    "warn": 4,
    "info": 6,
    "debug": 7,
}


class MozillaHekaRenderer:
    """One JSON object per line, in the MozLog format, for production."""

    ENV_VERSION = "2.0"

    def __init__(self, settings: Any = None) -> None:
        settings = settings or {}
        self.appname = settings.get("project_name", "")
        self.hostname = os.environ.get("HOSTNAME") or platform.node()
        self.pid = os.getpid()

    def __call__(self, logger: Any, name: str, event_dict: Any) -> str:
        fields = dict(event_dict)
        given_fields = fields.pop("Fields", None)
        if isinstance(given_fields, dict):
            fields = {**given_fields, **fields}
        event = fields.pop("event", "")
        record = {
            "Timestamp": utils.msec_time() * 1_000_000,
            "Logger": self.appname,
            "Type": event if isinstance(event, str) else decode_value(event),
            "Hostname": self.hostname,
            "Severity": _SYSLOG_LEVELS.get(name, 6),
            "Pid": self.pid,
            "EnvVersion": self.ENV_VERSION,
        }
        for key in record:
            if key in fields:
                record[key] = fields.pop(key)
        record["Fields"] = {key: _heka_value(value) for key, value in fields.items()}
        return json.dumps(record)


def decode_value(value: Any) -> str:
    """Text of a logged value (bytes are decoded as UTF-8)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _heka_value(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, (list, tuple)) and not all(isinstance(v, str) for v in value):
        return json.dumps(value)
    return value


def iso_time(seconds: float) -> str:
    """``seconds`` since the epoch in ISO 8601 (UTC)."""
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
