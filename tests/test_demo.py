"""The demo service, served for real by pserve and by gunicorn."""
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.processes import BIN, ROOT, free_port, ini_on_port, stop, wait_for


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
        stop(process)


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
