"""Error reporting to Sentry through ``sentry-sdk``.

Enabled by the ``sentry_dsn`` setting (with ``sentry_env``); the release is
``<project_name>@<project_version>``. Server errors (500 and backend 503) are
reported once each, with the request context; client errors never are.

Applications configured for Cliquet 3.1 added raven's logging handler to the
``.ini``; :class:`SentryHandler` takes its place:
``class = cliquet.sentry.SentryHandler`` with the same ``args = ('<dsn>',)``.
"""
import importlib.util
import logging

from pyramid.exceptions import ConfigurationError

_SENSITIVE_HEADERS = {"authorization", "cookie", "proxy-authorization"}


def _sentry_sdk():
    try:
        import sentry_sdk
    except ImportError as exc:
        raise ConfigurationError(
            "Sentry is configured but sentry-sdk is missing: "
            "pip install cliquet[monitoring]") from exc
    return sentry_sdk


def setup_sentry(config) -> None:
    """Initialize the Sentry client when ``sentry_dsn`` is set."""
    settings = config.get_settings()
    config.registry.sentry_enabled = False
    dsn = settings["sentry_dsn"]
    if not dsn:
        return
    release = f"{settings['project_name']}@{settings['project_version']}".lstrip("@")
    _sentry_sdk().init(
        dsn=dsn,
        environment=settings["sentry_env"] or None,
        release=release,
        default_integrations=False,
        auto_enabling_integrations=False,
        **_no_personal_data(),
    )
    config.registry.sentry_enabled = True


def _no_personal_data() -> dict:
    """The option keeping personal data out of events: ``send_default_pii``
    before sentry-sdk 3, ``data_collection`` since (which sends it by default)."""
    major = int(_sentry_sdk().VERSION.split(".")[0])
    if major < 3:
        return {"send_default_pii": False}
    return {"data_collection": {"user_info": False}}


def _request_context(request) -> dict:
    headers = {name: value for name, value in request.headers.items()
               if name.lower() not in _SENSITIVE_HEADERS}
    return {
        "url": request.path_url,
        "method": request.method,
        "query_string": request.query_string,
        "headers": headers,
    }


def report_exception(request, exception) -> None:
    """Send ``exception`` to Sentry with the request context, when enabled."""
    if not getattr(request.registry, "sentry_enabled", False):
        return
    sentry_sdk = _sentry_sdk()
    context = _request_context(request)

    def add_request(event, hint):
        event["request"] = context
        return event

    with sentry_sdk.new_scope() as scope:
        scope.add_event_processor(add_request)
        userid = getattr(request, "selected_userid", None)
        if userid:
            scope.set_user({"id": userid})
        sentry_sdk.capture_exception(exception)


class SentryHandler(logging.Handler):
    """Logging handler reporting ERROR records with a traceback to Sentry.

    A drop-in for raven's ``SentryHandler`` in ``.ini`` logging sections.
    """

    def __init__(self, dsn=None, level=logging.ERROR, **options):
        super().__init__(level=level)
        sentry_sdk = _sentry_sdk()
        if dsn and not sentry_sdk.get_client().dsn:
            sentry_sdk.init(dsn=dsn, default_integrations=False, **options)

    def emit(self, record):
        sentry_sdk = _sentry_sdk()
        if record.exc_info and record.exc_info[1] is not None:
            sentry_sdk.capture_exception(record.exc_info)
        else:
            sentry_sdk.capture_message(record.getMessage(), level=record.levelname.lower())


def raven_handler_error(parser) -> str | None:
    """What to write instead of raven's handler, when a parsed ``.ini`` needs it.

    ``None`` when no logging handler names ``raven`` or raven is installed.
    """
    for section in parser.sections():
        handler_class = parser.get(section, "class", fallback="")
        if section.startswith("handler_") and handler_class.startswith("raven."):
            if importlib.util.find_spec("raven") is None:
                return (f"[{section}] uses {handler_class}, from raven, which is not "
                        "installed (and no longer maintained): write "
                        "class = cliquet.sentry.SentryHandler, with the same args.")
    return None
