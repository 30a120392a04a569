"""Request properties built into a request class once, instead of per request.

Pyramid applies the properties declared with ``add_request_method(reify=True)``
(Cliquet's, Cornice's, pyramid_tm's, the application's) by creating a new class
for every request. Once the application is created, they are moved into one
request class, so a request costs no class creation.
"""
from pyramid.events import ApplicationCreated
from pyramid.interfaces import IRequestFactory


def _build_request_class(event) -> None:
    router = event.app
    extensions = router.request_extensions
    base = router.request_factory
    if extensions is None or not extensions.descriptors or not isinstance(base, type):
        return
    request_class = type(base.__name__, (base,), dict(extensions.descriptors))
    extensions.descriptors = {}
    router.request_factory = request_class
    router.registry.registerUtility(request_class, IRequestFactory)


def setup_request_class(config) -> None:
    """Step ``cliquet.initialization.setup_request_class``: one request class, built once.

    Once the application is created, the router's request extensions
    (``Router.request_extensions.descriptors``) move into a subclass of its
    request factory, registered as ``IRequestFactory``. Dropping the step from
    ``initialization_sequence`` keeps Pyramid's class per request (same requests).
    """
    config.add_subscriber(_build_request_class, ApplicationCreated)
