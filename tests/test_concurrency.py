"""No lost update under concurrent writers, on every backend (PROTOCOL §2.5, §8.6).

Writers are threads, each with its own request transaction, calling one WSGI
app of the resource tests (so that the memory backend is shared too); on
Redis and PostgreSQL a real gunicorn with two worker processes is also
driven over HTTP. A barrier makes the writers of a round start together.
"""
import json
import os
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import transaction
import webtest

from cliquet.storage.postgresql.client import close_clients
from cliquet.testing import get_user_headers
from tests import support
from tests.processes import BIN, ROOT, free_port, stop, wait_for

ALICE = get_user_headers("alice")
SETTINGS = {
    "project_name": "testapp",
    "userid_hmac_secret": "concurrency tests",
    "article_create_principals": "system.Authenticated",
    "article_read_principals": "system.Authenticated",
}
PAIR_ROUNDS = 15
WRITERS, ROUNDS = 4, 15


def etag(record):
    return f'"{record["last_modified"]}"'


class Client:
    """Requests to the shared WSGI app, one ``TestApp`` per thread."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self._local = threading.local()

    def request(self, method, path, body=None, headers=None):
        app = getattr(self._local, "app", None)
        if app is None:
            app = self._local.app = webtest.TestApp(self.wsgi_app)
        headers = dict(ALICE, **(headers or {}))
        if body is None:
            response = app.request(path, method=method, headers=headers, expect_errors=True)
        else:
            response = app.request(path, method=method, headers=headers, expect_errors=True,
                                   body=json.dumps(body).encode(),
                                   content_type="application/json")
        return response.status_code, (response.json if response.body else None)

    def etag(self, path):
        """The ``ETag`` of a GET of ``path``."""
        return webtest.TestApp(self.wsgi_app).get(path, headers=ALICE).headers["ETag"]


class HTTPClient:
    """Requests to a real server."""

    def __init__(self, base):
        self.base = base

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers=dict(ALICE, **{"Content-Type": "application/json"}, **(headers or {})))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(autouse=True)
def _switch_threads_often():
    """Threads of the memory backend interleave within a request, as I/O makes them do
    on the others (by default the interpreter lets a thread run 5 ms, a whole request)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


@pytest.fixture
def client(backend):
    settings = dict(support.backend_settings(backend), **SETTINGS)
    wsgi_app = support.make_wsgi_app(settings, scan="tests.resource.resources",
                                     project_name="testapp")
    registry = wsgi_app.registry
    with transaction.manager:
        for kind in ("storage", "permission", "cache"):
            getattr(registry, kind).initialize_schema()
            getattr(registry, kind).flush()
    yield Client(wsgi_app)
    transaction.abort()
    for kind in ("storage", "permission", "cache"):
        getattr(registry, kind).flush()
    transaction.commit()
    close_clients(registry)


def together(*calls):
    """Run the calls (functions and their arguments) in threads started at once.

    :returns: their results, in order.
    """
    barrier = threading.Barrier(len(calls))

    def run(call):
        function, *args = call
        barrier.wait()
        return function(*args)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def create(client, path="/v1/blobs", data=None):
    status, body = client.request("POST", path, {"data": data or {"n": 0}})
    assert status == 201, body
    return body["data"]


def check_one_winner(client, path="/v1/blobs", base=None, field="by"):
    """Two writes with the same ``If-Match``: exactly one lands, the other gets 412."""
    base = base or {}
    record = create(client, path, dict(base, **{field: "-"}))
    url = f"{path}/{record['id']}"
    for round_ in range(PAIR_ROUNDS):
        _, current = client.request("GET", url)
        if_match = {"If-Match": etag(current["data"])}
        second = "PUT" if round_ % 3 == 1 else "PATCH"  # PUT against PATCH too
        results = together(
            (client.request, "PATCH", url, {"data": dict(base, **{field: f"a{round_}"})},
             if_match),
            (client.request, second, url, {"data": dict(base, **{field: f"b{round_}"})},
             if_match))
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 412], results
        winner = next(body for status, body in results if status == 200)["data"]
        loser = next(body for status, body in results if status == 412)
        assert loser["details"]["existing"][field] == winner[field]
        _, final = client.request("GET", url)
        assert final["data"][field] == winner[field]
        assert final["data"]["last_modified"] == winner["last_modified"]


def test_one_of_two_writers_with_the_same_if_match_wins(client):
    check_one_winner(client)


def test_one_of_two_writers_of_a_shared_record_wins(client):
    check_one_winner(client, path="/v1/articles", field="title")


def test_delete_and_patch_with_the_same_if_match(client):
    for _ in range(PAIR_ROUNDS // 3):
        record = create(client)
        url = f"/v1/blobs/{record['id']}"
        if_match = {"If-Match": etag(record)}
        results = together((client.request, "DELETE", url, None, if_match),
                           (client.request, "PATCH", url, {"data": {"n": 1}}, if_match))
        (deleted, _), (patched, _) = results
        # Whichever comes second sees the other's write: 412, or 404 once deleted.
        assert (deleted, patched) in ((200, 404), (412, 200)), results


def test_creating_put_with_if_none_match_star(client):
    star = {"If-None-Match": "*"}
    for n in range(PAIR_ROUNDS // 3):
        url = f"/v1/blobs/4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7{n}"
        results = together(*[(client.request, "PUT", url, {"data": {"by": who}}, star)
                             for who in "ab"])
        assert sorted(status for status, _ in results) == [201, 412], results


def test_collection_writes_with_the_same_if_match(client):
    """POSTs, and a collection DELETE, sent with the collection's ETag: one lands."""
    for round_ in range(PAIR_ROUNDS // 3):
        create(client)
        if_match = {"If-Match": client.etag("/v1/blobs")}
        calls = [(client.request, "POST", "/v1/blobs", {"data": {"by": who}}, if_match)
                 for who in "abc"]
        if round_ % 2:
            calls.append((client.request, "DELETE", "/v1/blobs", None, if_match))
        statuses = [status for status, _ in together(*calls)]
        landed = [status for status in statuses if status != 412]
        assert len(landed) == 1 and landed[0] in (200, 201), statuses


def test_one_of_concurrent_writers_of_the_same_old_timestamp_wins(client):
    """Client ``last_modified`` values are unique in a collection, raced or not."""
    for _ in range(PAIR_ROUNDS // 3):
        first = create(client)
        create(client)
        value = first["last_modified"] - 1
        results = together(*[(client.request, "POST", "/v1/blobs",
                              {"data": {"by": who, "last_modified": value}})
                             for who in "abcd"])
        statuses = sorted(status for status, _ in results)
        assert statuses == [201, 400, 400, 400], results


def increment(client, url, rounds):
    """GET then PATCH ``n + 1`` with ``If-Match``, retried on 412: the number of 200s."""
    successes = 0
    for _ in range(rounds):
        while True:
            status, current = client.request("GET", url)
            assert status == 200, current
            record = current["data"]
            status, body = client.request("PATCH", url, {"data": {"n": record["n"] + 1}},
                                          {"If-Match": etag(record)})
            if status == 200:
                successes += 1
                break
            assert status == 412, body
    return successes


def check_counter(client, writers=WRITERS, rounds=ROUNDS):
    record = create(client)
    url = f"/v1/blobs/{record['id']}"
    successes = together(*[(increment, client, url, rounds)] * writers)
    _, final = client.request("GET", url)
    assert sum(successes) == writers * rounds
    assert final["data"]["n"] == writers * rounds


def test_no_increment_is_lost(client):
    check_counter(client)


def test_patches_of_different_fields_all_land(client):
    record = create(client)
    url = f"/v1/blobs/{record['id']}"
    for round_ in range(PAIR_ROUNDS // 3):
        fields = [f"f{round_}_{i}" for i in range(4)]
        results = together(*[(client.request, "PATCH", url, {"data": {field: True}})
                             for field in fields])
        assert [status for status, _ in results] == [200] * 4, results
    _, final = client.request("GET", url)
    expected = {f"f{r}_{i}" for r in range(PAIR_ROUNDS // 3) for i in range(4)}
    assert expected <= set(final["data"])


@pytest.mark.parametrize("backend", ["redis", "postgresql"])
def test_gunicorn_workers_lose_no_update(backend, tmp_path):
    """The scenario of the report: two worker processes, one record."""
    settings = support.backend_settings(backend)
    wsgi_app = support.make_wsgi_app(dict(settings, **SETTINGS), project_name="testapp")
    registry = wsgi_app.registry
    with transaction.manager:
        for kind in ("storage", "permission", "cache"):
            getattr(registry, kind).initialize_schema()
            getattr(registry, kind).flush()
    close_clients(registry)
    ini = tmp_path / "app.ini"
    lines = ["[app:main]", "use = egg:cliquet#demo"]
    lines += [f"cliquet.{key} = {value}" for key, value in settings.items()]
    lines += ["cliquet.userid_hmac_secret = concurrency tests"]
    ini.write_text("\n".join(lines) + "\n")
    port = free_port()
    process = _spawn([os.path.join(BIN, "gunicorn"), "--paste", str(ini),
                      "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4"])
    try:
        wait_for(f"http://127.0.0.1:{port}/v1/__lbheartbeat__", process)
        client = HTTPClient(f"http://127.0.0.1:{port}")
        check_one_winner(client, path="/v1/mushrooms", base={"name": "x"})
        record = create(client, "/v1/mushrooms", {"name": "counter", "n": 0})
        url = f"/v1/mushrooms/{record['id']}"
        successes = together(*[(increment, client, url, ROUNDS)] * WRITERS)
        _, final = client.request("GET", url)
        assert final["data"]["n"] == sum(successes) == WRITERS * ROUNDS
    finally:
        stop(process)
        with transaction.manager:
            registry.storage.flush()
        close_clients(registry)


def _spawn(command):
    import subprocess

    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
