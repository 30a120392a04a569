"""StatsD metrics, received for real on a UDP socket."""
import socket

import pytest

from cliquet import statsd
from tests.support import MEMORY_SETTINGS, make_app


@pytest.fixture
def udp_server():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    yield sock
    sock.close()


def received(sock) -> list:
    """Every metric received so far, as (name, value, type) tuples."""
    metrics = []
    while True:
        try:
            packet = sock.recv(65535).decode("utf-8")
        except socket.timeout:
            return metrics
        for line in packet.splitlines():
            name, rest = line.split(":", 1)
            value, kind = rest.split("|")[:2]
            metrics.append((name, value, kind))


def app_with_statsd(sock, **settings):
    port = sock.getsockname()[1]
    full = dict(MEMORY_SETTINGS, statsd_url=f"udp://127.0.0.1:{port}", **settings)
    return make_app(full, project_name=settings.pop("project_name", "notes"))


def test_no_client_when_statsd_url_is_unset():
    app = make_app(MEMORY_SETTINGS)
    assert app.app.registry.statsd is None


def test_view_timer_counter_users_and_authn_type(udp_server):
    app = app_with_statsd(udp_server)
    app.get("/v1/", headers={"Authorization": "Basic bWF0OjE="})
    metrics = received(udp_server)
    names = {(name, kind) for name, _, kind in metrics}
    assert ("notes.view.hello.GET", "c") in names
    assert ("notes.view.hello.GET", "ms") in names
    assert ("notes.authn_type.basicauth", "c") in names
    users = [value for name, value, kind in metrics if name == "notes.users"]
    assert users and users[0].startswith("basicauth:")
    assert ("notes.authentication.basicauth.unauthenticated_userid", "ms") in names


def test_backend_methods_are_timed(udp_server):
    app = app_with_statsd(udp_server)
    app.get("/v1/__heartbeat__")
    names = {name for name, _, kind in received(udp_server) if kind == "ms"}
    assert any(name.startswith("notes.storage.storage.") for name in names)
    assert any(name.startswith("notes.cache.cache.") for name in names)
    assert any(name.startswith("notes.permission.permission.") for name in names)


def test_prefix_falls_back_to_statsd_prefix(udp_server):
    port = udp_server.getsockname()[1]
    app = make_app(dict(MEMORY_SETTINGS, statsd_url=f"udp://127.0.0.1:{port}",
                        statsd_prefix="myprefix"), project_name="")
    app.get("/v1/")
    assert ("myprefix.view.hello.GET", "1", "c") in received(udp_server)


def test_statsd_count_is_a_noop_without_client():
    class Request:
        class registry:
            statsd = None

    statsd.statsd_count(Request(), "anything")  # no error, nothing sent


def test_watch_execution_time_wraps_public_methods(udp_server):
    port = udp_server.getsockname()[1]
    client = statsd.Client("127.0.0.1", port, "pfx")

    class Thing:
        def public(self):
            return 42

        def _private(self):
            return 0

    thing = Thing()
    client.watch_execution_time(thing, prefix="things")
    assert thing.public() == 42
    thing._private()
    client.count("hits", unique="alice")
    metrics = received(udp_server)
    assert [(n, k) for n, _, k in metrics] == [("pfx.things.thing.public", "ms"),
                                              ("pfx.hits", "s")]


def test_client_is_built_from_the_statsd_module_attribute(monkeypatch):
    built = []

    class FakeStatsClient:
        def __init__(self, host, port, prefix):
            built.append((host, port, prefix))

    monkeypatch.setattr(statsd, "statsd_module", type("M", (), {"StatsClient": FakeStatsClient}))
    statsd.Client("example.org", 8125, "pfx")
    assert built == [("example.org", 8125, "pfx")]


def test_client_without_the_statsd_package_raises(monkeypatch):
    monkeypatch.setattr(statsd, "statsd_module", None)
    with pytest.raises(ImportWarning):
        statsd.Client("example.org", 8125, "pfx")


def test_count_takes_unique_as_second_positional_argument(udp_server):
    client = statsd.Client("127.0.0.1", udp_server.getsockname()[1], "pfx")
    client.count("users", "alice")
    client.count("hits")
    assert received(udp_server) == [("pfx.users", "alice", "s"), ("pfx.hits", "1", "c")]
