"""Sentry reports, received for real by a local HTTP endpoint."""
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
import webtest

from tests import testapp
from tests.support import MEMORY_SETTINGS


class _Collector(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.init()  # back to a disabled client
    server.shutdown()


def events(server) -> list:
    sentry_sdk.flush(timeout=5)
    found = []
    for envelope in server.envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2]):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def make_app(server, **settings):
    port = server.server_address[1]
    settings = dict(MEMORY_SETTINGS, sentry_dsn=f"http://public@127.0.0.1:{port}/1",
                    sentry_env="staging", **settings)
    return webtest.TestApp(testapp.main({}, **settings))


def test_server_error_is_reported_once_with_request_context(sentry_server):
    app = make_app(sentry_server)
    app.get("/v1/crash?page=2", headers={"Authorization": "Basic bWF0OjE=",
                                         "User-Agent": "tester"}, status=500)
    reported = events(sentry_server)
    assert len(reported) == 1
    event = reported[0]
    assert event["exception"]["values"][-1]["value"] == "secret internal detail"
    assert event["environment"] == "staging"
    assert event["release"] == "testapp@1.0"
    assert event["request"]["method"] == "GET"
    assert event["request"]["url"] == "http://localhost/v1/crash"
    assert event["request"]["query_string"] == "page=2"
    assert event["request"]["headers"]["User-Agent"] == "tester"
    assert "Authorization" not in event["request"]["headers"]


def test_personal_data_is_not_collected_whatever_the_sdk_version(sentry_server):
    make_app(sentry_server)
    options = sentry_sdk.get_client().options
    if int(sentry_sdk.VERSION.split(".")[0]) < 3:
        assert options["send_default_pii"] is False
    else:  # sentry-sdk 3 collects user data unless told not to
        assert options["data_collection"]["user_info"] is False


def test_client_errors_are_not_reported(sentry_server):
    app = make_app(sentry_server)
    app.get("/v1/nowhere", status=404)
    app.get("/v1/private", status=401)
    app.post_json("/v1/batch", {}, status=400)
    assert events(sentry_server) == []


def test_backend_errors_are_reported(sentry_server):
    make_app(sentry_server).get("/v1/backend", status=503)
    assert len(events(sentry_server)) == 1


def test_raven_style_logging_handler(sentry_server):
    import logging

    from cliquet.sentry import SentryHandler

    port = sentry_server.server_address[1]
    handler = SentryHandler(f"http://public@127.0.0.1:{port}/1")
    log = logging.getLogger("tests.sentry")
    log.addHandler(handler)
    try:
        try:
            raise KeyError("boom")
        except KeyError:
            log.exception("failed")
        log.warning("not reported: below ERROR")
    finally:
        log.removeHandler(handler)
    reported = events(sentry_server)
    assert len(reported) == 1
    assert reported[0]["exception"]["values"][-1]["type"] == "KeyError"


def test_no_sentry_without_dsn():
    app = webtest.TestApp(testapp.main({}, **MEMORY_SETTINGS))
    assert app.app.registry.sentry_enabled is False


RAVEN_INI = """\
[app:main]
use = egg:cliquet#demo
cliquet.storage_backend = cliquet.storage.memory

[loggers]
keys = root

[handlers]
keys = sentry

[formatters]
keys = plain

[logger_root]
level = INFO
handlers = sentry

[handler_sentry]
class = raven.handlers.logging.SentryHandler
args = ('http://public:secret@127.0.0.1:9/1',)
level = ERROR
formatter = plain

[formatter_plain]
format = %(message)s
"""


def test_cliquet_migrate_says_what_replaces_the_raven_handler(tmp_path):
    from cliquet.scripts.cliquet import main

    ini = tmp_path / "app.ini"
    ini.write_text(RAVEN_INI)
    with pytest.raises(SystemExit) as exited:
        main(["--ini", str(ini), "migrate"])
    message = str(exited.value.code)
    assert "[handler_sentry] uses raven.handlers.logging.SentryHandler" in message
    assert "class = cliquet.sentry.SentryHandler" in message


def test_the_written_replacement_of_the_raven_handler_reports(tmp_path, sentry_server):
    import logging.config

    from cliquet.sentry import SentryHandler

    port = sentry_server.server_address[1]
    ini = tmp_path / "app.ini"
    ini.write_text(RAVEN_INI.replace("raven.handlers.logging.SentryHandler",
                                     "cliquet.sentry.SentryHandler")
                            .replace("127.0.0.1:9", f"127.0.0.1:{port}"))
    root = logging.getLogger()
    previous = root.handlers[:], root.level
    try:
        logging.config.fileConfig(str(ini), disable_existing_loggers=False)
        assert isinstance(root.handlers[0], SentryHandler)
        logging.getLogger("myapp").error("disk full")
    finally:
        root.handlers[:], root.level = previous
    assert [e.get("logentry", {}).get("message") or e.get("message")
            for e in events(sentry_server)] == ["disk full"]
