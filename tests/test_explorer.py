"""``GET /v1/__api__/docs``: the API explorer, in WebTest and in a real headless Chromium.

The browser test serves the demo (``demo/memory.ini``, explorer on) with
pserve, drives Debian's ``chromium`` through the DevTools protocol, and tries
``GET /mushrooms`` from the page as a person would. Without ``chromium`` it
is skipped, or fails under ``CI=true``.
"""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
import websocket

from cliquet.testing import get_user_headers
from tests.support import MEMORY_SETTINGS, make_app
from tests.processes import BIN, ROOT, free_port, ini_on_port, stop, wait_for

TIMEOUT = 60


def test_explorer_is_off_by_default():
    app = make_app()
    assert app.get("/v1/__api__/docs", status=404).json["errno"] == 111
    app.get("/v1/__api__/assets/swagger-ui-bundle.js", status=404)


def test_explorer_page_and_its_assets_are_served_locally():
    app = make_app(dict(MEMORY_SETTINGS, api_explorer_enabled="true"))
    page = app.get("/v1/__api__/docs")
    assert page.headers["Content-Type"] == "text/html; charset=UTF-8"
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links and not [link for link in links if "//" in link]  # never a CDN
    for link in links:
        asset = app.get(f"/v1/__api__/{link}")
        assert asset.body
    assert 'url: "../__api__"' in page.text
    assert "/__api__/docs" in app.get("/v1/__api__").json["paths"]


class DevTools:
    """A minimal Chrome DevTools protocol client over one page's websocket."""

    def __init__(self, url: str):
        self.connection = websocket.create_connection(url, timeout=TIMEOUT,
                                                      suppress_origin=True)
        self.last_id = 0

    def send(self, method: str, **params) -> dict:
        self.last_id += 1
        self.connection.send(json.dumps({"id": self.last_id, "method": method,
                                         "params": params}))
        while True:
            message = json.loads(self.connection.recv())
            if message.get("id") == self.last_id:
                assert "error" not in message, message
                return message["result"]

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_for(self, expression: str):
        """The value of ``expression`` once it is truthy."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"{expression} stayed false for {TIMEOUT}s")

    def close(self):
        self.connection.close()


@pytest.fixture
def chromium(tmp_path):
    """Headless Chromium; yields a :class:`DevTools` client of its page."""
    binary = shutil.which("chromium")
    if binary is None:
        message = "chromium is not installed; run `make services`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    profile = tmp_path / "profile"
    process = subprocess.Popen(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + TIMEOUT
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None and time.monotonic() < deadline, "chromium failed"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
            pages = [t for t in json.loads(response.read()) if t["type"] == "page"]
        devtools = DevTools(pages[0]["webSocketDebuggerUrl"])
        yield devtools
        devtools.close()
    finally:
        stop(process)


@pytest.fixture
def demo_url(tmp_path):
    """Base URL of the demo served by pserve, with the explorer on."""
    port = free_port()
    process = subprocess.Popen([os.path.join(BIN, "pserve"), ini_on_port(tmp_path, port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/v1/__lbheartbeat__", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def _create_mushroom(base: str, name: str) -> None:
    request = urllib.request.Request(
        f"{base}/v1/mushrooms", method="POST", data=json.dumps({"data": {"name": name}}).encode(),
        headers=dict(get_user_headers("alice"), **{"Content-Type": "application/json"}))
    with urllib.request.urlopen(request) as response:
        assert response.status == 201


def test_explorer_lists_and_tries_the_demo_endpoints(chromium, demo_url):
    _create_mushroom(demo_url, "chanterelle")
    chromium.send("Page.enable")
    chromium.send("Page.navigate", url=f"{demo_url}/v1/__api__/docs")

    paths = chromium.wait_for(
        "[...document.querySelectorAll('.opblock-summary-path')]"
        ".map(e => e.getAttribute('data-path'))")
    assert {"/mushrooms", "/mushrooms/{id}", "/bookmarks", "/batch"} <= set(paths)
    loaded = chromium.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(demo_url) for url in loaded)  # no CDN

    # The credentials a person types in the "Authorize" dialog.
    chromium.evaluate("window.ui.preauthorizeBasic('basicAuth', 'alice', 'secret')")
    operation = "#operations-mushroom-get_mushroom_collection"
    chromium.evaluate(f"document.querySelector('{operation} .opblock-summary-control').click()")
    chromium.wait_for(f"!!document.querySelector('{operation} .try-out__btn')")
    chromium.evaluate(f"document.querySelector('{operation} .try-out__btn').click()")
    chromium.wait_for(f"!!document.querySelector('{operation} .execute')")
    chromium.evaluate(f"document.querySelector('{operation} .execute').click()")

    status = chromium.wait_for(
        f"document.querySelector('{operation} .live-responses-table tbody .response-col_status')"
        "?.textContent")
    assert status.strip() == "200"
    body = chromium.evaluate(
        f"document.querySelector('{operation} .live-responses-table .microlight')?.textContent")
    assert "chanterelle" in body
