"""Registration of resources: two Cornice services per resource class, at scan time."""
import re

import venusian
from pyramid.exceptions import ConfigurationError

_PLACEHOLDER_REGEX = re.compile(r"\{(\w+):[^{}]*\}")


def register(depth=1, **kwargs):
    """Class decorator registering a resource when its module is scanned.

    Any :class:`ViewSet` attribute may be given, e.g.
    ``register(collection_path='/my/notes', collection_methods=('GET',))``.
    """

    def wrapped(resource_cls):
        register_resource(resource_cls, depth=depth + 1, **kwargs)
        return resource_cls

    return wrapped


def register_resource(resource_cls, settings=None, viewset=None, depth=1, **kwargs):
    """Register the collection and record services of ``resource_cls`` at scan time.

    :param settings: decide which endpoints are enabled (docs/resources.rst,
        "Registration and viewsets"); the application settings by default.
    :param viewset: a :class:`ViewSet` instance, ``resource_cls.default_viewset``
        built with ``kwargs`` by default (else updated with them).
    :raises pyramid.exceptions.ConfigurationError: at scan time, when no
        storage backend is configured.
    """
    if viewset is None:
        viewset = resource_cls.default_viewset(**kwargs)
    else:
        viewset.update(**kwargs)

    def callback(context, name, ob):
        config = context.config.with_package(info.module)
        if getattr(config.registry, "storage", None) is None:
            raise ConfigurationError("Mandatory storage backend is missing from configuration.")
        for service in _build_services(resource_cls, viewset,
                                       settings or config.registry.settings):
            config.add_cornice_service(service)

    info = venusian.attach(resource_cls, callback, category="pyramid", depth=depth)
    return callback


def _build_services(resource_cls, viewset, settings) -> list:
    from cliquet import resource  # its ``Service``, which 3.1 code may replace

    resource_name = viewset.get_name(resource_cls)
    routes = {endpoint_type: viewset.get_service_name(endpoint_type, resource_cls)
              for endpoint_type in ("collection", "record")}
    paths = {endpoint_type: getattr(viewset, f"{endpoint_type}_path").format_map(
        _PathFormatter(resource_name=resource_name)) for endpoint_type in routes}
    # Object ids of the permission backend: ``path.format(**matchdict)``.
    templates = {endpoint_type: _PLACEHOLDER_REGEX.sub(r"{\1}", path)
                 for endpoint_type, path in paths.items()}
    services = []
    for endpoint_type, route_name in routes.items():
        path = paths[endpoint_type]
        arguments = viewset.get_service_arguments()
        service = resource.Service(route_name, path, depth=1, **arguments)
        description = arguments.get("description")
        if isinstance(description, str):
            service.description = description.format_map(
                _PathFormatter(resource_name=resource_name))
        service.resource_name = resource_name
        service.endpoint_type = endpoint_type
        service.resource = resource_cls
        service.viewset = viewset
        service.collection_route = routes["collection"]
        service.record_route = routes["record"]
        service.collection_path = templates["collection"]
        service.record_path = templates["record"]
        for method in getattr(viewset, f"{endpoint_type}_methods"):
            if not viewset.is_endpoint_enabled(endpoint_type, resource_name, method, settings):
                continue
            arguments = getattr(viewset, f"{endpoint_type}_arguments")(resource_cls, method)
            if not viewset._validates(method):
                arguments.pop("schema", None)  # nothing validates it: no body validator
            if "content_type" in arguments:
                # Cornice serves requests without Content-Type: one with a body gets a 415.
                arguments.setdefault("typed_body", True)
            service.add_view(method, viewset.get_view(endpoint_type, method),
                             klass=resource_cls, **arguments)
        services.append(service)
    return services


class TypedBodyPredicate:
    """View predicate ``typed_body=True``: a body comes with a ``Content-Type``.

    A request without body needs none (3.1 creates a record on a body-less PUT).
    """

    def __init__(self, value, config):
        self.value = bool(value)

    def text(self) -> str:
        return f"typed_body = {self.value}"

    phash = text

    def __call__(self, context, request) -> bool:
        return (bool(request.content_type) or not request.body) is self.value


class _Placeholder:
    def __init__(self, name):
        self.name = name

    def __format__(self, spec):
        return f"{{{self.name}:{spec}}}" if spec else f"{{{self.name}}}"


class _PathFormatter(dict):
    """``{resource_name}`` is substituted; other placeholders are kept for Pyramid."""

    def __missing__(self, key):
        return _Placeholder(key)
