"""The Pyramid internals the steps ``setup_request_class`` and ``setup_multiviews`` patch.

These tests fail when a Pyramid release moves what the two steps rely on;
``setup.cfg`` pins ``pyramid`` to the minor versions they are known to work with.
"""
import configparser
import gc
import os
import re
from importlib.metadata import version

import pytest
import webtest

import cliquet
from pyramid.config import views as pyramid_views
from pyramid.interfaces import IMultiView, IRequestFactory
from pyramid.request import Request
from pyramid.router import Router

from cliquet import _defaults
from cliquet._multiview import PredicateCheckingMultiView
from tests.support import MEMORY_SETTINGS, make_wsgi_app

SETUP_CFG = os.path.join(os.path.dirname(os.path.dirname(__file__)), "setup.cfg")
STEPS = ("cliquet.initialization.setup_request_class", "cliquet.initialization.setup_multiviews")
SEQUENCE_3_1 = " ".join(step for step in _defaults.DEFAULT_SETTINGS["initialization_sequence"]
                        if step not in STEPS)


def _pyramid_pin() -> tuple[tuple[int, int], tuple[int, int]]:
    parser = configparser.ConfigParser()
    parser.read(SETUP_CFG)
    requirements = parser["options"]["install_requires"]
    match = re.search(r"^pyramid>=(\d+)\.(\d+),<(\d+)\.(\d+)$", requirements, re.MULTILINE)
    assert match, "pyramid is pinned to a minor range: pyramid>=X.Y,<X.Z"
    low_major, low_minor, high_major, high_minor = map(int, match.groups())
    return (low_major, low_minor), (high_major, high_minor)


def test_the_installed_pyramid_is_in_the_pinned_range():
    low, high = _pyramid_pin()
    installed = tuple(int(part) for part in version("pyramid").split(".")[:2])
    assert low <= installed < high


def test_multiview_has_what_setup_multiviews_relies_on():
    assert issubclass(PredicateCheckingMultiView, pyramid_views.MultiView)
    view = pyramid_views.MultiView("name")
    assert callable(view.get_views) and view.name == "name"
    assert IMultiView.providedBy(view)
    view.__class__ = PredicateCheckingMultiView  # what the step does to each one
    assert IMultiView.providedBy(view)


def test_router_has_what_setup_request_class_relies_on():
    app = make_wsgi_app(dict(MEMORY_SETTINGS, initialization_sequence=SEQUENCE_3_1))
    assert isinstance(app, Router)
    assert isinstance(app.request_factory, type) and issubclass(app.request_factory, Request)
    # Cliquet's, Cornice's and pyramid_tm's reified request properties are there.
    assert "current_service" in app.request_extensions.descriptors
    assert app.registry.queryUtility(IRequestFactory) in (None, app.request_factory)


def _multiviews(app) -> list:
    return [registration.factory for registration in app.registry.registeredAdapters()
            if registration.provided is IMultiView]


def test_the_default_sequence_applies_both_steps():
    app = make_wsgi_app(dict(MEMORY_SETTINGS))
    assert app.request_extensions.descriptors == {}
    assert "current_service" in vars(app.request_factory)
    assert app.registry.queryUtility(IRequestFactory) is app.request_factory
    views = _multiviews(app)
    assert views and all(type(view) is PredicateCheckingMultiView for view in views)


@pytest.mark.parametrize("path", ["/v1/", "/v1/__heartbeat__", "/v1/unknown"])
def test_a_3_1_sequence_works_the_same_without_the_steps(path):
    patched = webtest.TestApp(make_wsgi_app(dict(MEMORY_SETTINGS)))
    plain_app = make_wsgi_app(dict(MEMORY_SETTINGS, initialization_sequence=SEQUENCE_3_1))
    assert all(type(view) is pyramid_views.MultiView for view in _multiviews(plain_app))
    plain = webtest.TestApp(plain_app)
    expected, got = patched.get(path, status="*"), plain.get(path, status="*")
    assert (got.status, got.json) == (expected.status, expected.json)


def test_views_made_by_pyramid_are_called_below_their_predicate_wrapper():
    """What ``setup_multiviews`` relies on to check a view's predicates once."""
    from cliquet._multiview import _below_predicate_wrapper

    app = make_wsgi_app(dict(MEMORY_SETTINGS), scan="tests.testapp.resources")
    views = [view for multiview in _multiviews(app) for _, view, _ in multiview.views
             if getattr(view, "__predicates__", None)]
    assert views and all(_below_predicate_wrapper(view) is not None for view in views)


_AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}
_REQUESTS = [
    (method, path, headers, body)
    for path in ("/v1/todos", "/v1/todos/not-there")
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
    for headers in ({}, {"Accept": "text/html"}, {"Accept": "text/html, application/json;q=0.5"},
                    {"Content-Type": "text/plain"}, {"Content-Type": "application/json"},
                    {"Origin": "http://x", "Access-Control-Request-Method": "GET"})
    for body in (None, b'{"data": {"title": "a"}}')
]


def _answers(app) -> list:
    answers = []
    for method, path, headers, body in _REQUESTS:
        response = app.request(path, method=method, headers={**_AUTH, **headers},
                               body=body or b"", expect_errors=True)
        body_json = response.json if response.body and \
            response.content_type == "application/json" else None
        if isinstance(body_json, dict) and isinstance(body_json.get("data"), (dict, list)):
            body_json["data"] = len(body_json["data"])  # ids and timestamps differ
        answers.append((method, path, headers, body, response.status,
                        sorted(response.headers.keys()), body_json))
    return answers


def test_the_multiview_step_chooses_the_views_pyramid_chooses():
    """Requests of every method, Accept and Content-Type, in turn on one app
    (the multi-views remember the views of each method and Accept header)."""
    default = _defaults.DEFAULT_SETTINGS["initialization_sequence"]
    patched, plain = (
        webtest.TestApp(make_wsgi_app(dict(MEMORY_SETTINGS, initialization_sequence=sequence),
                                      scan="tests.testapp.resources"))
        for sequence in (default, SEQUENCE_3_1))
    expected = _answers(plain)
    assert len({answer[4] for answer in expected}) >= 6  # 200, 201, 404, 405, 406, 415...
    assert _answers(patched) == expected


def _cyclic_garbage_of(app, requests) -> int:
    """Objects only the garbage collector frees, left by answering ``requests``."""
    def answer_all():
        for method, path, body in requests:
            request = Request.blank(path, method=method, headers=_AUTH, POST=body)
            if body is not None:
                request.content_type = "application/json"
            status, headers, app_iter = request.call_application(app)
            b"".join(app_iter)

    answer_all()  # warm-up: caches filled once
    gc.collect()
    gc.disable()
    try:
        answer_all()
        return gc.collect()
    finally:
        gc.enable()


def test_finished_requests_are_freed_without_the_garbage_collector():
    """Records, pages with filters, errors, batches: nothing is left in reference cycles."""
    requests = [
        ("POST", "/v1/todos", b'{"data": {"title": "a"}}'),
        ("GET", "/v1/todos?title=a&_sort=-last_modified&_limit=5", None),
        ("GET", "/v1/todos/not-there", None),
        ("GET", "/v1/unknown", None),
        ("PATCH", "/v1/todos/not-there", b'{"data": {"title": "b"}}'),
        ("POST", "/v1/batch", b'{"requests": [{"path": "/todos"}, {"path": "/todos/x"}]}'),
    ]
    default = _defaults.DEFAULT_SETTINGS["initialization_sequence"]
    with_step, without_step = (
        _cyclic_garbage_of(make_wsgi_app(dict(MEMORY_SETTINGS, initialization_sequence=sequence),
                                         scan="tests.testapp.resources"), requests)
        for sequence in (default, SEQUENCE_3_1))
    assert without_step > 0  # Cornice's, WebOb's and the errors' cycles
    assert with_step == 0


def test_the_registry_notifies_the_subscribers_pyramid_would():
    """Single and multiple events, subscriber predicates, events nobody listens to."""
    from pyramid.config import Configurator
    from pyramid.events import NewRequest
    from zope.interface import Interface, implementer

    class IFirst(Interface):
        pass

    class ISecond(Interface):
        pass

    @implementer(IFirst)
    class First:
        pass

    @implementer(ISecond)
    class Second:
        pass

    class MethodIs:
        def __init__(self, value, config):
            self.value = value

        def text(self):
            return f"method_is = {self.value}"

        phash = text

        def __call__(self, event):
            return event.request.method == self.value

    def calls_of(sequence):
        config = Configurator(settings=dict(MEMORY_SETTINGS, initialization_sequence=sequence))
        cliquet.initialize(config, "1.0", "testapp")
        calls = []
        config.add_subscriber_predicate("method_is", MethodIs)
        config.add_subscriber(lambda e: calls.append("first"), IFirst)
        config.add_subscriber(lambda a, b: calls.append(("pair", type(a), type(b))),
                              [IFirst, ISecond])
        config.add_subscriber(lambda e: calls.append(("request", e.request.path)), NewRequest,
                              method_is="POST")
        app = config.make_wsgi_app()
        for notification in ((First(),), (Second(),), (First(), Second())):
            app.registry.notify(*notification)
        webtest.TestApp(app).get("/v1/", status="*")
        webtest.TestApp(app).post("/v1/", status="*")
        return app.registry, calls

    patched, with_step = calls_of(_defaults.DEFAULT_SETTINGS["initialization_sequence"])
    plain, without_step = calls_of(SEQUENCE_3_1)
    assert "notify" in vars(patched) and "notify" not in vars(plain)
    assert with_step == without_step == ["first", ("pair", First, Second), ("request", "/v1/")]
