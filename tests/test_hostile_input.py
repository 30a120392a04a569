"""Hostile requests sent for real to the demo served by gunicorn: 4xx, never 5xx (Issue #16).

The request bodies a server fails to read (malformed chunked encoding, a body
shorter than its ``Content-Length``) surface while the application reads them;
resource-level hostile input is covered on every backend by
``tests/resource/test_hostile_input.py``.
"""
import base64
import json
import os
import socket

import pytest

from cliquet.views.errors import refused_value
from tests.processes import BIN, free_port, stop, wait_for

AUTH = "Basic " + base64.b64encode(b"hostile:secret").decode()


@pytest.fixture(scope="module")
def server():
    import subprocess

    from tests.processes import ROOT

    port = free_port()
    process = subprocess.Popen(
        [os.path.join(BIN, "gunicorn"), "--paste", "demo/memory.ini",
         "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/v1/__lbheartbeat__", process)
        yield port
    finally:
        stop(process)


def _exchange(port, head: bytes, body: bytes = b"") -> tuple[int, dict]:
    """Send raw bytes, half-close, read the whole answer: ``(status, json body)``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(payload)


def _head(method, path, *extra):
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Authorization: {AUTH}",
             "Content-Type: application/json", "Connection: close", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _assert_invalid_body(status, body):
    assert (status, body["errno"]) == (400, 107)
    assert body["details"][0]["location"] == "body"
    assert body["details"][0]["description"].startswith("Invalid request body: ")


@pytest.mark.parametrize("path", ["/v1/mushrooms", "/v1/batch"])
@pytest.mark.parametrize("chunks", [
    b"zz\r\n{}\r\n0\r\n\r\n",                       # chunk size not hexadecimal
    b"ff\r\n{\"data\": {}}\r\n",                     # chunk shorter than announced
    b"5\r\n{\"dat\n0\r\n\r\n",                       # no terminator after the chunk
])
def test_a_malformed_chunked_body_is_a_400(server, path, chunks):
    status, body = _exchange(server, _head("POST", path, "Transfer-Encoding: chunked"), chunks)
    _assert_invalid_body(status, body)


def test_a_wellformed_chunked_body_is_served(server):
    payload = b'{"data": {"name": "chunked"}}'
    chunks = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
    status, body = _exchange(server, _head("POST", "/v1/mushrooms",
                                           "Transfer-Encoding: chunked"), chunks)
    assert status == 201 and body["data"]["name"] == "chunked"


def test_a_body_shorter_than_its_content_length_is_a_400(server):
    status, body = _exchange(server, _head("POST", "/v1/mushrooms", "Content-Length: 50"),
                             b'{"data"')
    _assert_invalid_body(status, body)


@pytest.mark.parametrize("path", ["/é", "/mushrooms/é", "/\u4e00?\u4e00=1"])
def test_a_non_ascii_batch_path_is_no_server_error(server, path):
    payload = json.dumps({"requests": [{"path": path}]}, ensure_ascii=False).encode()
    status, body = _exchange(server, _head("POST", "/v1/batch",
                                           f"Content-Length: {len(payload)}"), payload)
    assert status == 200
    assert body["responses"][0]["status"] in (400, 404)


def test_an_encoded_batch_path_does_not_nest_batches(server):
    nested = {"requests": [{"path": "/"}] * 25}
    payload = json.dumps({"requests": [{"method": "POST", "path": "/bat%63h", "body": nested}]
                          * 25}).encode()
    status, body = _exchange(server, _head("POST", "/v1/batch",
                                           f"Content-Length: {len(payload)}"), payload)
    assert (status, body["errno"]) == (400, 107)
    assert body["message"] == "requests in body: Recursive call on /batch endpoint is forbidden."


def test_precondition_headers_of_5000_digits_are_a_400(server):
    value = '"' + "9" * 5000 + '"'
    for header in ("If-Match", "If-None-Match"):
        status, body = _exchange(server, _head("GET", "/v1/mushrooms", f"{header}: {value}"))
        assert (status, body["errno"]) == (400, 107)
        assert body["details"][0]["location"] == "headers"


# Which backend errors are the client's.

def test_refused_values_are_postgresql_data_and_timestamp_unique_errors():
    psycopg2 = pytest.importorskip("psycopg2")
    assert refused_value(psycopg2.DataError("bad")) == (None, "Invalid value: invalid value")
    assert refused_value(psycopg2.OperationalError("server closed the connection")) is None
    assert refused_value(psycopg2.IntegrityError("other")) is None  # not a timestamp index
    assert refused_value(ConnectionError("redis down")) is None
    assert refused_value(None) is None
