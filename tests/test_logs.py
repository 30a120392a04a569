import json
import os

import pytest

from cliquet.logs import ClassicLogRenderer, MozillaHekaRenderer
from tests.support import make_app

ANSI = __import__("re").compile(r"\x1b\[[0-9;]*m")


def summary_lines(caplog):
    return [r.getMessage() for r in caplog.records if "request.summary" in r.getMessage()]


def test_classic_renderer_request_line():
    renderer = ClassicLogRenderer({})
    line = renderer(None, "info", {
        "event": "request.summary", "method": "GET", "path": "/v1/articles",
        "querystring": {"_sort": "title"}, "code": 200, "t": 3, "uid": "abc",
        "nb_records": 2, "errno": None})
    assert ANSI.sub("", line) == \
        '"GET   /v1/articles?_sort=title" 200 (3 ms) request.summary nb_records=2 uid=abc'
    assert "\x1b[" in line


def test_classic_renderer_without_request():
    line = ClassicLogRenderer({})(None, "info", {"event": "app starting", "pid": 4})
    assert ANSI.sub("", line) == "app starting pid=4"


def test_classic_renderer_missing_fields_are_question_marks():
    line = ClassicLogRenderer({})(None, "info", {"event": "x", "path": "/v1/"})
    assert ANSI.sub("", line) == '"?     /v1/" ? (? ms) x'


def test_heka_renderer_fields():
    renderer = MozillaHekaRenderer({"project_name": "notes"})
    line = renderer(None, "warning", {
        "event": "request.summary", "path": "/v1/", "querystring": {"a": "b"},
        "tags": ["x", "y"], "numbers": [1, 2], "code": 200})
    record = json.loads(line)
    assert record["Type"] == "request.summary"
    assert record["Logger"] == "notes"
    assert record["Severity"] == 4
    assert record["EnvVersion"] == "2.0"
    assert record["Pid"] == os.getpid()
    assert record["Hostname"]
    assert record["Timestamp"] > 1_400_000_000_000_000_000
    assert record["Fields"] == {"path": "/v1/", "querystring": '{"a":"b"}',
                                "tags": ["x", "y"], "numbers": "[1,2]", "code": 200}


def test_heka_severity_levels():
    renderer = MozillaHekaRenderer({})
    for level, severity in (("critical", 0), ("error", 2), ("info", 6), ("debug", 7)):
        assert json.loads(renderer(None, level, {"event": "e"}))["Severity"] == severity


@pytest.mark.parametrize("renderer", ["cliquet.logs.ClassicLogRenderer",
                                      "cliquet.logs.MozillaHekaRenderer"])
def test_one_summary_line_per_request(caplog, renderer):
    app = make_app({"logging_renderer": renderer})
    with caplog.at_level("INFO", logger="cliquet"):
        app.get("/v1/?x=1", headers={"User-Agent": "tester/1.0", "Accept-Language": "fr",
                                     "Authorization": "Basic bWF0OjE="})
    lines = summary_lines(caplog)
    assert len(lines) == 1
    if renderer.endswith("MozillaHekaRenderer"):
        fields = json.loads(lines[0])["Fields"]
        assert fields["path"] == "/v1/"
        assert fields["method"] == "GET"
        assert fields["code"] == 200
        assert fields["agent"] == "tester/1.0"
        assert fields["lang"] == "fr"
        assert json.loads(fields["querystring"]) == {"x": "1"}
        assert fields["authn_type"] == "basicauth"
        assert len(fields["uid"]) == 64
        assert isinstance(fields["t"], int)
        assert fields["time"]
    else:
        assert ANSI.sub("", lines[0]).startswith('"GET   /v1/?x=1" 200 (')


def test_error_summary_carries_errno(caplog):
    app = make_app({"logging_renderer": "cliquet.logs.MozillaHekaRenderer"})
    with caplog.at_level("INFO", logger="cliquet"):
        app.get("/v1/nowhere", status=404)
    fields = json.loads(summary_lines(caplog)[-1])["Fields"]
    assert fields["errno"] == 111
    assert fields["code"] == 404


def test_log_context_does_not_leak_between_requests(caplog):
    app = make_app({"logging_renderer": "cliquet.logs.MozillaHekaRenderer"})
    with caplog.at_level("INFO", logger="cliquet"):
        app.get("/v1/", headers={"Authorization": "Basic bWF0OjE="})
        app.get("/v1/")
    fields = json.loads(summary_lines(caplog)[-1])["Fields"]
    assert "uid" not in fields or fields["uid"] is None


def test_startup_message(caplog):
    with caplog.at_level("INFO", logger="cliquet"):
        make_app(project_name="notes", version="1.2")
    assert any("notes 1.2 starting." in r.getMessage() for r in caplog.records)


def test_secrets_never_appear_in_log_lines(caplog):
    import base64

    password = "hunter2-Pa55word"
    authorization = "Basic " + base64.b64encode(f"mat:{password}".encode()).decode()
    app = make_app({"logging_renderer": "cliquet.logs.MozillaHekaRenderer",
                    "userid_hmac_secret": "hmac-S3CRET"})
    with caplog.at_level("DEBUG"):
        app.get(f"/v1/?access_token={password}&api_key={password}&_token=abc",
                headers={"Authorization": authorization})
        app.post_json("/v1/batch", {"requests": [
            {"path": f"/?password={password}", "headers": {"Authorization": authorization}}]},
            headers={"Authorization": authorization})
        app.get("/v1/nowhere", headers={"Authorization": authorization}, status=404)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "request.summary" in text
    for secret in (password, authorization, "hmac-S3CRET",
                   base64.b64encode(f"mat:{password}".encode()).decode()):
        assert secret not in text
    assert "_token" in text and "abc" in text  # pagination tokens are not secrets


def test_resources_bind_their_collection_and_listing_figures(caplog):
    app = make_app({"logging_renderer": "cliquet.logs.MozillaHekaRenderer",
                    "userid_hmac_secret": "s",
                    **{f"{kind}_backend": f"cliquet.{kind}.memory"
                       for kind in ("storage", "cache", "permission")}}, scan="tests.testapp")
    headers = {"Authorization": "Basic bWF0OjE="}
    with caplog.at_level("INFO", logger="cliquet"):
        record = app.post_json("/v1/todos", {"data": {"title": "a"}}, headers=headers).json["data"]
        app.post_json("/v1/todos", {"data": {"title": "b"}}, headers=headers)
        listing = app.get("/v1/todos?_limit=1", headers=headers)
        app.get(f"/v1/todos/{record['id']}", headers=headers)
    create, _, collection, single = [json.loads(line)["Fields"] for line in summary_lines(caplog)]
    assert create["collection_id"] == single["collection_id"] == "todo"
    assert collection["collection_id"] == "todo"
    assert collection["collection_timestamp"] == int(listing.headers["ETag"].strip('"'))
    assert (collection["nb_records"], collection["limit"]) == (1, 1)
    assert "nb_records" not in single


def test_heka_fields_may_be_given_directly(monkeypatch):
    from cliquet import utils

    monkeypatch.setattr(utils, "msec_time", lambda: 12)
    record = json.loads(MozillaHekaRenderer({})(None, "info", {"Fields": {"win": 11}, "x": 1}))
    assert record["Fields"] == {"win": 11, "x": 1}
    assert record["Timestamp"] == 12_000_000


def test_classic_renderer_decodes_bytes():
    from cliquet.logs import decode_value

    assert decode_value(b"\xc3\xa8") == "è" and decode_value(3) == "3"
    line = ClassicLogRenderer({})(None, "info", {"event": "e", "value": b"\xc3\xa8"})
    assert ANSI.sub("", line) == "e value=è"


def test_request_context_is_complete_even_when_info_is_disabled(caplog):
    from cliquet import logger

    app = make_app()
    with caplog.at_level("WARNING", logger="cliquet"):
        app.get("/v1/", headers={"User-Agent": "agent/1", "Accept-Language": "fr"})
    context = logger._context._dict
    assert (context["path"], context["method"], context["code"]) == ("/v1/", "GET", 200)
    assert context["agent"] == "agent/1" and context["lang"] == "fr"
    assert context["time"] and context["t"] is not None
    assert not summary_lines(caplog)


def test_disabled_info_never_reaches_structlog(monkeypatch, caplog):
    from cliquet import logger

    calls = []
    monkeypatch.setattr(logger, "_structlog", type("S", (), {
        "info": lambda self, *a, **k: calls.append(a), "debug": None})())
    with caplog.at_level("WARNING", logger="cliquet"):
        logger.info("request.summary")
    with caplog.at_level("INFO", logger="cliquet"):
        logger.info("request.summary")
    assert calls == [("request.summary",)]


def test_batch_subrequests_log_their_own_summary(caplog):
    from cliquet import logger

    app = make_app({"logging_renderer": "cliquet.logs.MozillaHekaRenderer"})
    with caplog.at_level("INFO", logger="cliquet"):
        app.post_json("/v1/batch", {"requests": [
            {"path": "/unknown", "headers": {"User-Agent": "sub"}}, {"path": "/"}]},
            headers={"User-Agent": "batcher", "Authorization": "Basic bWF0OjE="})
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if "request.summary" in r.getMessage()]
    assert [(line["Type"], line["Fields"]["path"]) for line in lines] == [
        ("subrequest.summary", "/v1/unknown"), ("subrequest.summary", "/v1/"),
        ("request.summary", "/batch")]
    first, second, batch = (line["Fields"] for line in lines)
    assert (first["code"], first["agent"], first["errno"]) == (404, "sub", 111)
    assert second["code"] == 200 and second["uid"]
    assert (batch["code"], batch["batch_size"], batch["agent"]) == (200, 2, "batcher")
    assert batch["uid"] == second["uid"]  # the user identified by the subrequests
    context = logger._context._dict
    assert context["path"] == "/batch" and context.get("errno") is None  # as 3.1


def test_a_new_logger_is_only_built_for_a_line_that_is_logged(caplog, monkeypatch):
    import structlog

    from cliquet import logger
    from cliquet.logs import configure

    configure(ClassicLogRenderer({}))
    built = []
    real_get_logger = structlog.get_logger
    monkeypatch.setattr(structlog, "get_logger",
                        lambda *a: built.append(a) or real_get_logger(*a))
    with caplog.at_level("WARNING", logger="cliquet"):
        logger.new(code=200).info("subrequest.summary")
    assert built == []
    with caplog.at_level("INFO", logger="cliquet"):
        logger.new(code=201, path="/v1/x").info("subrequest.summary")
    assert built == [("cliquet",)]
    assert any('/v1/x" 201' in ANSI.sub("", r.getMessage()) for r in caplog.records)


@pytest.mark.parametrize("path, logged", [
    ("/v1/mushrooms/a-b_c.d~e", "/v1/mushrooms/a-b_c.d~e"),
    ("/v1/caf%C3%A9s/x%20y", "/v1/caf%C3%A9s/x%20y"),
    ("/v1/a:b@c", "/v1/a:b@c"),
])
def test_the_logged_path_is_percent_encoded_as_requested(path, logged):
    from cliquet import logger

    make_app().get(path, status=404)
    assert logger._context._dict["path"] == logged


def test_modules_logging_while_serving_requests_share_cliquet_logger():
    import cliquet.cache
    import cliquet.permission
    from cliquet.logs import logger

    assert cliquet.cache.logger is logger
    assert cliquet.permission.logger is logger


def test_costly_fields_are_computed_only_when_the_context_is_read(caplog, monkeypatch):
    import cliquet.initialization as initialization
    from cliquet import logger

    redacted = []
    real_redact = initialization.redact_querystring
    monkeypatch.setattr(initialization, "redact_querystring",
                        lambda params: redacted.append(dict(params)) or real_redact(params))
    app = make_app({"logging_renderer": "cliquet.logs.MozillaHekaRenderer"})
    with caplog.at_level("WARNING", logger="cliquet"):
        app.get("/v1/?secret_key=s3cr3t&a=1&a=2")
    assert redacted == []  # no summary line: the querystring was not looked at
    context = logger._context._dict
    assert context["querystring"] == {"secret_key": "***", "a": "2"}
    assert context["time"].endswith("+00:00") and context["code"] == 200
    assert len(redacted) == 1
    with caplog.at_level("INFO", logger="cliquet"):
        app.get("/v1/?b=%C3%A9")
    fields = json.loads(summary_lines(caplog)[-1])["Fields"]
    assert json.loads(fields["querystring"]) == {"b": "é"} and fields["time"]


def test_fields_bound_before_or_after_a_deferred_one_win():
    from cliquet.logs import (bind_request_context, current_request_context,
                              defer_request_context, reset_request_context)

    reset_request_context(path="/v1/x")
    defer_request_context(lambda path: {"path": path, "extra": 1}, "/deferred")
    bind_request_context(path="/batch")
    assert current_request_context() == {"path": "/batch", "extra": 1}
    defer_request_context(lambda: {"extra": 2, "late": True})
    assert current_request_context() == {"path": "/batch", "extra": 1, "late": True}


def test_an_undecodable_querystring_is_logged_empty(caplog):
    app = make_app({"logging_renderer": "cliquet.logs.MozillaHekaRenderer"})
    with caplog.at_level("INFO", logger="cliquet"):
        app.get("/v1/?name=%FF&b=1")  # the hello view reads no querystring
    fields = json.loads(summary_lines(caplog)[-1])["Fields"]
    assert (fields["code"], fields["path"], fields["querystring"]) == (200, "/v1/", "{}")
