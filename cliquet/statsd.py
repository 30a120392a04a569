"""StatsD metrics: timers around backends and views, counters per user."""
import time
import types
from urllib.parse import urlparse

from pyramid.events import NewResponse
from pyramid.interfaces import PHASE3_CONFIG, ISecurityPolicy

from cliquet import utils

try:
    import statsd as statsd_module
except ImportError:  # the ``monitoring`` extra is not installed
    statsd_module = None


class Client:
    """Thin wrapper of :class:`statsd.StatsClient` with Cliquet's helpers."""

    def __init__(self, host, port, prefix):
        if statsd_module is None:
            raise ImportWarning("statsd_url is set but the statsd package is missing: "
                                "pip install cliquet[monitoring]")
        self._client = statsd_module.StatsClient(host, port, prefix=prefix)

    def watch_execution_time(self, obj, prefix="", classname=None) -> None:
        """Time every public method of ``obj`` as ``<prefix>.<classname>.<method>``."""
        classname = classname or utils.classname(obj)
        for name in dir(obj):
            if name.startswith("_"):
                continue
            method = getattr(obj, name)
            if isinstance(method, types.MethodType):
                setattr(obj, name, self.timer(f"{prefix}.{classname}.{name}")(method))

    def timer(self, key):
        """A timer usable as decorator or context manager."""
        return self._client.timer(key)

    def timing(self, key, milliseconds: float) -> None:
        """Send a duration measured elsewhere to timer ``key``."""
        self._client.timing(key, milliseconds)

    def count(self, key, unique=None, count=1) -> None:
        """Increment counter ``key``, or add ``unique`` to the set metric ``key``."""
        if unique is None:
            self._client.incr(key, count=count)
        else:
            self._client.set(key, unique)


def statsd_count(request, count_key) -> None:
    """Increment ``count_key`` when StatsD is enabled; a no-op otherwise."""
    statsd = request.registry.statsd
    if statsd is not None:
        statsd.count(count_key)


def load_from_config(config) -> Client:
    """Client for ``statsd_url``, prefixed by the project name (else ``statsd_prefix``)."""
    settings = config.get_settings()
    uri = urlparse(settings["statsd_url"])
    prefix = settings["project_name"] or settings["statsd_prefix"]
    return Client(uri.hostname, uri.port, prefix)


def instrument(config) -> None:
    """Time the backends and authentication policies; count views and users."""
    registry = config.registry
    client = registry.statsd
    for kind in ("storage", "cache", "permission"):
        backend = getattr(registry, kind, None)
        if backend is not None:
            client.watch_execution_time(backend, prefix=kind)

    def watch_authentication_policies():
        policy = registry.queryUtility(ISecurityPolicy)
        for subpolicy in getattr(policy, "_policies", ()):
            name = getattr(subpolicy, "_pyramid_multiauth_name", None)
            client.watch_execution_time(subpolicy, prefix="authentication", classname=name)

    # Runs once the multiauth policies are built (they are made at commit time).
    config.action(None, watch_authentication_policies, order=PHASE3_CONFIG + 1)

    def on_new_response(event):
        request = event.request
        if getattr(request, "parent", None) is None:
            userid = request.prefixed_userid if request.authenticated_userid else None
            if userid:
                client.count("users", unique=userid)
                client.count(f"authn_type.{request.authn_type}")
        service = request.current_service
        if service is not None:
            key = f"view.{service.name}.{request.method}"
            client.count(key)
            started = getattr(request, "received_at", None)  # set by setup_logging
            if started is not None:
                client.timing(key, (time.perf_counter() - started) * 1000)

    config.add_subscriber(on_new_response, NewResponse)
