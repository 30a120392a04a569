"""Request methods and properties built into a request class once, instead of per request.

Pyramid applies what ``add_request_method`` declares (Cliquet's, Cornice's,
pyramid_tm's, the application's) to every request: properties by creating a
new class, methods by binding each to the request (a reference cycle, freed
only by the garbage collector). Once the application is created, they are
moved into one request class, so a request costs neither.
"""
from pyramid.events import ApplicationCreated
from pyramid.interfaces import IRequestFactory


def _build_request_class(event) -> None:
    router = event.app
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


def setup_request_class(config) -> None:
    """Step ``cliquet.initialization.setup_request_class``: one request class, built once.

    Once the application is created, the router's request extensions
    (``Router.request_extensions.descriptors`` and ``.methods``) move into a subclass of its
    request factory, registered as ``IRequestFactory``. Dropping the step from
    ``initialization_sequence`` keeps Pyramid's class per request (same requests).
    """
    config.add_subscriber(_build_request_class, ApplicationCreated)
