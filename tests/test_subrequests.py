"""``cliquet.utils.build_request`` and ``build_response``: plugins make subrequests (§4.2)."""
import pytest
import webtest
from pyramid.config import Configurator
from pyramid.security import NO_PERMISSION_REQUIRED

import cliquet
from cliquet import Service
from cliquet.utils import build_request, build_response
from tests.support import MEMORY_SETTINGS

forward = Service(name="forward", path="/forward", description="Forwards its body to /echo")
seen_bound_data = []


@forward.post(permission=NO_PERMISSION_REQUIRED)
def post_forward(request):
    """What a plugin does: the same body, sent on to another endpoint."""
    mode = request.GET.get("mode", "bytes")
    body = {"bytes": request.body, "text": request.body.decode("utf-8"),
            "dict": request.json_body, "none": None}[mode]
    request.bound_data["marker"] = "parent"
    subrequest = build_request(request, {"method": "POST", "path": "/echo", "body": body})
    seen_bound_data.append(subrequest.bound_data)
    response = request.invoke_subrequest(subrequest)
    return build_response(response, subrequest)


@pytest.fixture
def app():
    config = Configurator(settings=dict(MEMORY_SETTINGS))
    cliquet.initialize(config, "1.0", "forwarding")
    config.scan("tests.testapp.views")
    config.add_cornice_service(forward)
    seen_bound_data.clear()
    return webtest.TestApp(config.make_wsgi_app())


@pytest.mark.parametrize("mode", ["bytes", "text", "dict"])
def test_a_forwarded_body_arrives_unchanged(app, mode):
    sent = {"data": {"name": "amanite", "url": "http://x/y"}}
    answer = app.post_json(f"/v1/forward?mode={mode}", sent).json
    assert answer["status"] == 200
    assert answer["path"] == "/v1/echo"  # the API prefix was added
    assert answer["body"]["body"] == sent


def test_a_str_body_keeps_the_headers_it_was_sent_with(app):
    answer = app.post("/v1/forward?mode=text", b'{"a": 1}',
                      headers={"Content-Type": "application/json", "X-Trace": "t1"}).json
    assert answer["body"] == {"body": {"a": 1}, "user": None, "headers": {"X-Trace": "t1"}}


def test_a_falsy_body_means_no_body(app):
    answer = app.post_json("/v1/forward?mode=none", {"ignored": True}).json
    assert answer["status"] == 200
    assert answer["body"]["body"] is None


def test_a_subrequest_shares_its_parents_bound_data(app):
    app.post_json("/v1/forward?mode=dict", {"a": 1})
    assert seen_bound_data == [{"marker": "parent"}]
