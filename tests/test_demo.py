"""The demo service, served for real by pserve and by gunicorn."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, process, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            return urllib.request.urlopen(url, timeout=2)
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # still booting
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout}s")


@pytest.fixture
def serve():
    processes = []

    def start(*command):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        process = subprocess.Popen(command, cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def get_json(url, method="GET"):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def check_demo(base):
    status, _, hello = get_json(f"{base}/v1/")
    assert status == 200 and hello["project_name"] == "demo"
    assert hello["url"] == f"{base}/v1/"
    status, _, body = get_json(f"{base}/v1/nowhere")
    assert (status, body["errno"]) == (404, 111)
    status, _, body = get_json(f"{base}/v1/__heartbeat__", method="POST")
    assert (status, body["errno"]) == (405, 115)
    status, _, body = get_json(f"{base}/v1/__heartbeat__")
    assert status == 200 and body == {"storage": True, "cache": True, "permission": True}


def ini_on_port(tmp_path, port) -> str:
    """A copy of demo/memory.ini serving on ``port``."""
    with open(os.path.join(ROOT, "demo", "memory.ini")) as source:
        content = source.read().replace("port = 8888", f"port = {port}")
    path = tmp_path / "demo.ini"
    path.write_text(content)
    return str(path)


def test_pserve_serves_the_demo(serve, tmp_path):
    port = free_port()
    process = serve(os.path.join(BIN, "pserve"), ini_on_port(tmp_path, port))
    wait_for(f"http://127.0.0.1:{port}/v1/__lbheartbeat__", process)
    check_demo(f"http://127.0.0.1:{port}")
    # GET / redirects to the version prefix.
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as raised:
        opener.open(f"http://127.0.0.1:{port}/")
    assert raised.value.code == 307
    assert raised.value.headers["Location"] == f"http://127.0.0.1:{port}/v1/"


def test_gunicorn_serves_the_demo_with_several_workers(serve):
    port = free_port()
    process = serve(os.path.join(BIN, "gunicorn"), "--paste", "demo/memory.ini",
                    "-b", f"127.0.0.1:{port}", "-w", "2")
    wait_for(f"http://127.0.0.1:{port}/v1/__lbheartbeat__", process)
    for _ in range(4):
        check_demo(f"http://127.0.0.1:{port}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
