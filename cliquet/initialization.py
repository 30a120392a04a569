"""The initialization sequence: small ``setup_*(config)`` steps and ``initialize``.

Each step is named by dotted path in the ``initialization_sequence`` setting,
so an application can drop, reorder or replace any of them.

Two steps patch Pyramid internals to save work per request, with the same
responses: :func:`setup_request_class` and :func:`setup_multiviews`. They
rely on attributes of Pyramid 2.0 and 2.1 (``Router.request_extensions``,
``MultiView.get_views``); ``tests/test_architecture_pyramid.py`` checks them.
An application that drops them, or lists its own Cliquet 3.1 sequence,
works the same, only without these optimizations.
"""
import fnmatch
import os
import re
import time
import warnings
from datetime import datetime
from typing import Any

from cornice.renderer import CorniceRenderer
from dateutil import parser as dateparser
from pyramid.events import NewRequest, NewResponse
from pyramid.exceptions import ConfigurationError
from pyramid.httpexceptions import HTTPGone, HTTPTemporaryRedirect
from pyramid.renderers import JSON as JSONRenderer
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.settings import asbool, aslist
from webob.compat import parse_qsl_text

from cliquet import errors, utils
from cliquet._defaults import DEFAULT_SETTINGS, setting_or_default
from cliquet._multiview import setup_multiviews  # noqa: F401 (a step of the sequence)
from cliquet._request import setup_request_class  # noqa: F401 (a step of the sequence)
from cliquet.events import (  # noqa: F401 (names of cliquet.initialization in 3.1)
    ACTIONS, EventActionFilter, EventResourceFilter, ResourceChanged, ResourceRead,
)

# Other names Cliquet 3.1 code imports from cliquet.initialization.
import structlog  # noqa: F401
from pyramid.interfaces import IAuthenticationPolicy  # noqa: F401
from pyramid_multiauth import MultiAuthenticationPolicy, MultiAuthPolicySelected  # noqa: F401

from cliquet import cache, permission, statsd, storage  # noqa: F401
from cliquet.logs import (
    bind_request_context, configure as configure_logging, defer_request_context, iso_time,
    logger, redact_querystring, reset_request_context,
)

try:
    import newrelic.agent
except ImportError:  # optional: the ``newrelic_config`` setting needs it
    newrelic = None

try:
    from werkzeug.middleware.profiler import ProfilerMiddleware as _WerkzeugProfiler
except ImportError:  # optional: the ``profiler_enabled`` setting needs it
    ProfilerMiddleware = None
else:
    # None above without werkzeug: an optional import mypy cannot type otherwise.
    class ProfilerMiddleware(_WerkzeugProfiler):  # type: ignore[no-redef]
        """Werkzeug's profiler: one ``.prof`` file per request in ``profile_dir``.

        ``restrictions`` is a shell-style pattern (``*cliquet*``) limiting the
        functions printed after each request.
        """

        def __init__(self, app: Any, profile_dir: str, restrictions: str = "*cliquet*") -> None:
            super().__init__(
                app, profile_dir=profile_dir, restrictions=(fnmatch.translate(restrictions),),
                filename_format="{method}.{path}.{elapsed:06.0f}ms.{time:.0f}.prof",
            )

JSON_CONTENT_TYPE = "application/json"


def setup_request_bound_data(config: Any) -> None:
    """``request.bound_data``: a dict shared by a request and its batch subrequests."""

    def bound_data(request: Any) -> Any:
        parent = getattr(request, "parent", None)
        return parent.bound_data if parent is not None else {}

    config.add_request_method(bound_data, name="bound_data", reify=True)


def setup_json_serializer(config: Any) -> None:
    """Render views with the fast JSON encoder (no slash escaping)."""
    config.add_renderer("json", JSONRenderer(serializer=utils.json_serializer))
    config.add_renderer("cornicejson", CorniceRenderer(serializer=utils.json_serializer))

    def force_json_charset(event: Any) -> None:
        headers = event.response.headers
        if headers.get("Content-Type") == JSON_CONTENT_TYPE:  # no charset given
            headers["Content-Type"] = "application/json; charset=UTF-8"

    config.add_subscriber(force_json_charset, NewResponse)


# A path that percent-encoding leaves as it is.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.~-]*")


def setup_logging(config: Any) -> None:
    """Structured logs: the configured renderer and one summary line per request."""
    settings = config.get_settings()
    renderer_class = config.maybe_dotted(settings["logging_renderer"])
    configure_logging(renderer_class(settings))

    def on_new_request(event: Any) -> None:
        request = event.request
        # Subrequests of a batch log through their parent.
        if getattr(request, "parent", None) is not None:
            return
        environ = request.environ
        request.received_at = time.perf_counter()
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if not _PLAIN_PATH.fullmatch(path):
            try:
                path = request.path  # percent-encoded
            except UnicodeDecodeError:  # answered 400 by the error views
                path = utils.decode_header(environ.get("PATH_INFO", "").encode("latin-1"))
        context = reset_request_context(
            agent=environ.get("HTTP_USER_AGENT"),
            path=path,
            method=request.method,
            lang=environ.get("HTTP_ACCEPT_LANGUAGE"),
            uid=None,
            authn_type=None,
            errno=None,
        )
        querystring = environ.get("QUERY_STRING")
        if querystring:
            context.defer(_logged_querystring, querystring)
        else:
            context["querystring"] = {}

    def on_new_response(event: Any) -> None:
        request = event.request
        if getattr(request, "parent", None) is not None:
            return
        started = getattr(request, "received_at", None)
        duration = int((time.perf_counter() - started) * 1000) if started else None
        bind_request_context(code=event.response.status_code, t=duration)
        defer_request_context(_logged_time, time.time())
        logger.info("request.summary")  # returns at once when INFO is disabled

    config.add_subscriber(on_new_request, NewRequest)
    config.add_subscriber(on_new_response, NewResponse)


def _logged_querystring(querystring: str) -> dict:
    """The ``querystring`` field: parsed as ``request.GET``, credentials hidden."""
    try:
        return {"querystring": redact_querystring(dict(parse_qsl_text(querystring)))}
    except UnicodeError:  # not UTF-8 (a view that reads it answers 400): logged empty, as before
        return {"querystring": {}}


def _logged_time(seconds: float) -> dict:
    return {"time": iso_time(seconds)}


def setup_sentry(config: Any) -> None:
    """Report server errors to Sentry when ``sentry_dsn`` is set."""
    from cliquet.sentry import setup_sentry as _setup_sentry

    _setup_sentry(config)


def _setup_backend(config: Any, kind: str, base_class_path: str) -> Any:
    settings = config.get_settings()
    backend_name = settings[f"{kind}_backend"]
    if not backend_name:
        return None
    try:
        backend_module = config.maybe_dotted(backend_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"Cannot load {kind} backend {backend_name!r} ({kind}_backend setting): {exc}. "
            "PostgreSQL backends need `pip install cliquet[postgresql]`."
        ) from exc
    backend = backend_module.load_from_config(config)
    base_class = config.maybe_dotted(base_class_path)
    if not isinstance(backend, base_class):
        raise ConfigurationError(f"Invalid {kind} backend: {backend}")
    heartbeat = config.maybe_dotted(base_class_path.rsplit(".", 1)[0] + ".heartbeat")
    config.registry.heartbeats[kind] = heartbeat(backend)
    return backend


def setup_storage(config: Any) -> None:
    """Load the ``storage_backend`` and the ``id_generator``."""
    settings = config.get_settings()
    id_generator = config.maybe_dotted(settings["id_generator"])
    config.registry.id_generator = id_generator()
    backend = _setup_backend(config, "storage", "cliquet.storage.StorageBase")
    if backend is not None:
        config.registry.storage = backend


def setup_permission(config: Any) -> None:
    """Load the ``permission_backend``."""
    backend = _setup_backend(config, "permission", "cliquet.permission.PermissionBase")
    if backend is not None:
        config.registry.permission = backend


def setup_cache(config: Any) -> None:
    """Load the ``cache_backend``."""
    backend = _setup_backend(config, "cache", "cliquet.cache.CacheBase")
    if backend is not None:
        config.registry.cache = backend


def setup_requests_scheme(config: Any) -> None:
    """Force the scheme and host of generated URLs (``http_scheme``, ``http_host``)."""
    settings = config.get_settings()
    http_scheme = settings["http_scheme"]
    http_host = settings["http_host"]
    if not (http_scheme or http_host):
        return

    def on_new_request(event: Any) -> None:
        if http_scheme:
            event.request.scheme = http_scheme
        if http_host:
            event.request.host = http_host

    config.add_subscriber(on_new_request, NewRequest)


def setup_vary_headers(config: Any) -> None:
    """``Vary`` header on every response (``vary`` setting, default ``Authorization``)."""
    vary = ", ".join(aslist(config.get_settings()["vary"]))

    def on_new_response(event: Any) -> None:
        if vary:
            event.response.headers["Vary"] = vary
        else:
            event.response.headers.pop("Vary", None)

    config.add_subscriber(on_new_response, NewResponse)


def setup_version_redirection(config: Any) -> None:
    """Redirect URLs without the version prefix to the versioned ones (307)."""
    settings = config.get_settings()
    if not asbool(settings["version_prefix_redirect_enabled"]):
        return
    route_prefix = config.route_prefix

    def redirect_to_version(request: Any) -> None:
        quoted_path = request.path_url[len(request.application_url):]
        location = f"{request.application_url}/{route_prefix}{quoted_path}"
        if request.query_string:
            location += "?" + request.query_string
        raise HTTPTemporaryRedirect(location)

    previous_prefix, config.route_prefix = config.route_prefix, None
    try:
        config.add_route(name="redirect_to_version", pattern=r"/{path:(?!v[0-9]+)[^\r\n]*}")
    finally:
        config.route_prefix = previous_prefix
    config.add_view(view=redirect_to_version, route_name="redirect_to_version",
                    permission=NO_PERMISSION_REQUIRED)


def setup_deprecation(config: Any) -> None:
    """End of service: ``Alert`` header before the ``eos`` date, 410 after.

    The ``eos*`` settings are read for each request (they may change at run
    time); the date is parsed once per value.
    """
    settings = config.get_settings()
    parsed: dict[Any, datetime] = {}

    def eos_date(value: Any) -> datetime:
        if value not in parsed:
            parsed.clear()
            parsed[value] = dateparser.parse(str(value)).replace(tzinfo=None)
        return parsed[value]

    def alert(code: str) -> str:
        url = settings["eos_url"] or settings["project_docs"]
        return errors.alert_header(code, message=settings["eos_message"], url=url)

    def add_soft_eol_alert(request: Any, response: Any) -> None:
        response.headers["Alert"] = alert("soft-eol")

    def on_new_request(event: Any) -> None:
        eos = settings["eos"]
        if not eos:
            return
        if eos_date(eos) > datetime.now():
            event.request.add_response_callback(add_soft_eol_alert)
            return
        response = errors.http_error(
            HTTPGone(),
            errno=errors.ERRORS.SERVICE_DEPRECATED,
            message="The service you are trying to connect no longer exists at this location.",
        )
        response.headers["Alert"] = alert("hard-eol")
        raise response

    config.add_subscriber(on_new_request, NewRequest)


def setup_authentication(config: Any) -> None:
    """Authentication policies from ``multiauth.*`` settings (pyramid_multiauth)."""
    from cliquet.authentication import setup_multiauth
    from cliquet.authorization import setup_security_policy

    setup_multiauth(config)
    setup_security_policy(config)


def setup_backoff(config: Any) -> None:
    """``Backoff`` header on every response while the ``backoff`` setting is set
    (read for each response: it may change at run time)."""
    settings = config.get_settings()

    def on_new_response(event: Any) -> None:
        backoff = settings["backoff"]
        if backoff is not None and backoff != "":
            event.response.headers["Backoff"] = str(backoff)

    config.add_subscriber(on_new_response, NewResponse)


def setup_statsd(config: Any) -> Any:
    """StatsD client when ``statsd_url`` is set (returned, and ``registry.statsd``);
    ``None`` and no instrumentation at all otherwise."""
    settings = config.get_settings()
    config.registry.statsd = None
    if not settings["statsd_url"]:
        return None
    client = config.registry.statsd = statsd.load_from_config(config)
    statsd.instrument(config)
    return client


def setup_listeners(config: Any) -> None:
    """Event listeners named in the ``event_listeners`` setting."""
    from cliquet.listeners import setup_listeners as _setup_listeners

    _setup_listeners(config)


def setup_openapi(config: Any) -> None:
    """``GET /__api__``, the OpenAPI description of every service, and its
    explorer page with ``api_explorer_enabled``.

    The description is built on the first request of ``__api__``, from every
    service registered by then: those of the steps after this one, of
    ``includes``, of the views of Cliquet and of the application are in it.
    An application can leave this step out of its sequence: no ``__api__``,
    and no ``openapi`` URL in the hello view.
    """
    config.include("cliquet.openapi")


def install_middlewares(app: Any, settings: Any = None) -> Any:
    """Wrap the WSGI ``app`` with New Relic (``newrelic_config``, ``newrelic_env``)
    and the profiler (``profiler_enabled``, ``profiler_dir``) when enabled."""
    if settings is None:
        settings = app.registry.settings

    newrelic_config = setting_or_default(settings, "newrelic_config")
    if newrelic_config:
        if newrelic is None:
            raise ImportError("newrelic_config is set but the newrelic package is missing: "
                              "pip install newrelic")
        environment = setting_or_default(settings, "newrelic_env")
        newrelic.agent.initialize(newrelic_config, environment)
        app = newrelic.agent.WSGIApplicationWrapper(app)

    if asbool(setting_or_default(settings, "profiler_enabled")):
        if ProfilerMiddleware is None:
            raise ImportError("profiler_enabled is set but the werkzeug package is missing: "
                              "pip install cliquet[monitoring]")
        profile_dir = (setting_or_default(settings, "profiler_dir")
                       or DEFAULT_SETTINGS["profiler_dir"])  # "" too: the default
        os.makedirs(profile_dir, exist_ok=True)
        app = ProfilerMiddleware(app, restrictions="*cliquet*", profile_dir=profile_dir)
    return app


def _text_settings(defaults: dict) -> set:
    """Names of settings that stay text (their default is a string)."""
    names = {key for key, value in defaults.items() if isinstance(value, str)}
    return names | {"http_api_version", "project_version", "project_name"}


def _env_name(key: str) -> str:
    return key.replace(".", "_").replace("-", "_").upper()


def load_default_settings(config: Any, default_settings: dict, environ: Any = None) -> None:
    """Apply defaults, resolve prefixed spellings and environment overrides.

    A setting, or a default, may be written ``name``, ``cliquet.name`` or ``<project>.name``;
    it is stored under its unprefixed name. Environment variables ``NAME``,
    ``<PROJECT>_NAME`` then ``CLIQUET_NAME`` override it (later wins). Values
    are coerced with :func:`cliquet.utils.native_value`, except settings whose
    default is text (names, versions, secrets, URLs), which stay text.

    :raises ValueError: when two spellings of a setting disagree.
    """
    environ = os.environ if environ is None else environ
    settings = config.get_settings()
    project_name = settings.get("project_name") or ""
    prefixes = ["cliquet."] + ([f"{project_name}."] if project_name else [])

    def unprefixed(key: str) -> str:
        for prefix in prefixes:
            if key.startswith(prefix):
                return key[len(prefix):]
        return key

    # Defaults may be prefixed too; a later spelling overrides an earlier one.
    default_settings = {unprefixed(key): value for key, value in default_settings.items()}
    text_settings = _text_settings(default_settings)

    spellings: dict[str, list[str]] = {}
    for key in list(settings):
        spellings.setdefault(unprefixed(key), []).append(key)

    for keys in spellings.values():
        if len({str(settings[key]) for key in keys}) > 1:
            names = "', '".join(sorted(keys))
            raise ValueError(f"Settings '{names}' are in conflict.")

    for name, default in default_settings.items():
        if name not in spellings:
            settings[name] = default
            spellings[name] = [name]

    for name, keys in spellings.items():
        value = settings[keys[0]]
        env_names = [name] + ([f"{project_name}_{name}"] if project_name else [])
        for env_name in env_names + [f"cliquet_{name}"]:
            value = environ.get(_env_name(env_name), value)
        settings[name] = value if name in text_settings else utils.native_value(value)


def initialize(config: Any, version: str | None = None, project_name: str = "",
               default_settings: dict | None = None) -> None:
    """Turn the Pyramid ``config`` into a Cliquet service.

    :param version: the project version, unless the ``project_version`` setting is set.
    :param project_name: the project name, unless the ``project_name`` setting is set.
    :param default_settings: defaults of the application, overriding Cliquet's.
    :raises pyramid.exceptions.ConfigurationError: when the project version is missing.
    """
    settings = config.get_settings()
    project_name = (
        settings.pop("cliquet.project_name", None) or settings.get("project_name")
        or project_name
    )
    settings["project_name"] = project_name
    defaults = dict(DEFAULT_SETTINGS)
    defaults.update(default_settings or {})
    load_default_settings(config, defaults)
    settings = config.get_settings()
    if not settings["project_name"]:
        # Called exactly like 3.1 did (applications' tests mock warnings.warn).
        warnings.warn("No value specified for `project_name`")  # noqa: B028

    project_version = settings["project_version"] or version
    if not project_version:
        raise ConfigurationError(
            "Missing mandatory setting 'project_version' "
            "(or the `version` argument of cliquet.initialize())."
        )
    project_version = settings["project_version"] = str(project_version)
    http_api_version = settings.get("http_api_version")
    if not http_api_version:
        http_api_version = ".".join(project_version.split(".")[:2])
    http_api_version = settings["http_api_version"] = str(http_api_version)
    api_version = "v" + http_api_version.split(".")[0]

    config.include("cliquet", route_prefix=api_version)
    config.route_prefix = api_version


def initialize_cliquet(*args: Any, **kwargs: Any) -> None:
    """Deprecated alias of :func:`initialize`."""
    warnings.warn('cliquet.initialize_cliquet is now deprecated. '  # noqa: B028 (as 3.1)
                  'Please use "cliquet.initialize" instead', DeprecationWarning)
    return initialize(*args, **kwargs)
