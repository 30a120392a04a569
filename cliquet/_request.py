"""Request methods and properties built into a request class once, instead of per request.

Pyramid applies what ``add_request_method`` declares (Cliquet's, Cornice's,
pyramid_tm's, the application's) to every request: properties by creating a
new class, methods by binding each to the request (a reference cycle, freed
only by the garbage collector). Once the application is created, they are
moved into one request class, so a request costs neither.

The router also drops, once a request is finished, the references that would
otherwise tie it in cycles until the garbage collector runs (as Pyramid itself
does for ``request.context``): Cornice's ``request.cornice_args`` (which holds
the resource, which holds the request), WebOb's parsed querystring (which holds
the environ that holds it) and the traceback of a rendered error (whose frames
hold the error, often the response itself). Without cycles, a request and what
it built are freed as soon as it is answered, and the collector seldom runs.

Last, the registry's ``notify`` (six events per request, half of them with no
subscriber) asks zope's subscription lookup for the subscribers and calls
them, as ``Registry.notify`` does through three more layers of calls.
"""
from pyramid.events import ApplicationCreated
from pyramid.interfaces import IRequestFactory
from pyramid.registry import Registry
from zope.interface import providedBy

#: Where WebOb keeps ``request.GET`` in the environ (it points back to the environ).
_PARSED_QUERYSTRING = "webob._parsed_query_vars"


def _build_request_class(event) -> None:
    router = event.app
    _release_requests_when_finished(router)
    _notify_subscribers_directly(router.registry)
    extensions = router.request_extensions
    base = router.request_factory
    if extensions is None or not isinstance(base, type) or \
            not (extensions.descriptors or extensions.methods):
        return
    attributes = {**extensions.methods, **extensions.descriptors}
    request_class = type(base.__name__, (base,), attributes)
    extensions.descriptors = {}
    extensions.methods = {}
    router.request_factory = request_class
    router.registry.registerUtility(request_class, IRequestFactory)


def _release_requests_when_finished(router) -> None:
    finish_request = router.finish_request

    def finish_and_release(request) -> None:
        finish_request(request)  # the finished callbacks first: they may read anything
        request.__dict__.pop("cornice_args", None)
        request.environ.pop(_PARSED_QUERYSTRING, None)
        # The traceback of an error holds the frames that hold the error (often the response).
        request.__dict__.pop("exc_info", None)
        exception = request.__dict__.get("exception")
        if exception is not None:
            exception.__traceback__ = None

    router.finish_request = finish_and_release


def _notify_subscribers_directly(registry) -> None:
    if type(registry).notify is not Registry.notify:
        return  # a registry of its own making: left as it is

    def notify(*events) -> None:
        if registry.has_listeners:
            provided = [providedBy(event) for event in events]
            for subscriber in registry.adapters.subscriptions(provided, None):
                subscriber(*events)

    registry.notify = notify


def setup_request_class(config) -> None:
    """Step ``cliquet.initialization.setup_request_class``: one request class, built once.

    Once the application is created, the router's request extensions
    (``Router.request_extensions.descriptors`` and ``.methods``) move into a subclass of its
    request factory, registered as ``IRequestFactory``; the router's
    ``finish_request`` also drops the references that would keep a finished
    request in reference cycles, and the registry's ``notify`` calls the
    subscribers that zope's subscription lookup gives. Dropping the step from
    ``initialization_sequence`` keeps Pyramid's ways (same requests).
    """
    config.add_subscriber(_build_request_class, ApplicationCreated)
