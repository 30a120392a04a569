"""The OpenAPI 3.1 description of a Cliquet application, from its registered services.

Every Cornice service of the application is described with its methods:
resources (:func:`cliquet.resource.register`) in detail, from their schema
and viewset; other services from their Cornice arguments. ``OPTIONS``, the
CORS preflight, is left out.
"""
import re
from typing import Any

from pyramid.settings import aslist

from cliquet._version import PROTOCOL_VERSION
from cliquet.authentication import BasicAuthAuthenticationPolicy
from cliquet.openapi import _components
from cliquet.openapi._resources import ResourceOperations
from cliquet.openapi._services import PlainOperations

OPENAPI_VERSION = "3.1.0"
BASIC_AUTH = "basicAuth"

_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_STAR_ARGUMENT = re.compile(r"\*(\w+)$")
_DESCRIPTION = """\
The HTTP API of {name}, built with Cliquet (protocol version {protocol}).

Every error answers the JSON error envelope (`Error`). Every endpoint also
accepts `HEAD` where it accepts `GET`, and `OPTIONS` for CORS preflight
requests."""


def build_description(registry) -> dict:
    """The OpenAPI 3.1 description (a JSON-serializable dict) of the application.

    :param registry: the application registry, once its services are registered.
    """
    settings = registry.settings
    basic_auth = _has_basic_auth(settings)
    components = _components.components()
    if basic_auth:
        components["securitySchemes"] = {BASIC_AUTH: {
            "type": "http", "scheme": "basic",
            "description": "Any user name and password are accepted, none is refused: the "
                           "pair identifies the user (another pair is another user, with "
                           "records of its own). Without credentials, an endpoint that "
                           "requires them answers 401."}}
    project_name = settings["project_name"] or "cliquet"
    description: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": project_name,
            "version": str(settings["project_version"] or "0"),
            "description": _DESCRIPTION.format(name=project_name, protocol=PROTOCOL_VERSION),
        },
        "servers": [{"url": f"/{registry.route_prefix}" if registry.route_prefix else "/"}],
        "tags": [],
        "paths": {},
        "components": components,
    }
    if settings["project_docs"]:
        description["externalDocs"] = {"url": settings["project_docs"]}

    tags: dict[str, dict] = {}
    builder: ResourceOperations | PlainOperations
    for service in sorted(registry.cornice_services.values(), key=lambda s: s.path):
        if getattr(service, "resource", None) is not None:
            id_pattern = registry.id_generator.regexp
            builder = ResourceOperations(service, components["schemas"], id_pattern)
            tags.setdefault(builder.tag(), _tag(builder.tag(), service.resource))
        else:
            builder = PlainOperations(service, settings)
            tags.setdefault(builder.tag(), {"name": builder.tag()})
            id_pattern = None
        path, parameters = _openapi_path(service.path, id_pattern)
        path_item = _path_item(service, builder, components["responses"], basic_auth)
        if parameters:
            path_item["parameters"] = parameters
        description["paths"][path] = path_item
    description["tags"] = list(tags.values())
    _drop_dangling_links(description)
    return description


def _path_item(service, builder, error_responses: dict, basic_auth: bool) -> dict:
    """The operations of each method of ``service`` (``OPTIONS`` excluded)."""
    path_item = {}
    for method, view, args in service.definitions:
        if method in ("OPTIONS", "HEAD"):
            continue
        operation = builder.operation(method, view, args)
        if basic_auth:
            operation["security"] = _security(args.get("permission"))
        path_item[method.lower()] = operation
        if method == "GET" and "HEAD" in service.defined_methods:
            path_item["head"] = _head_operation(operation, error_responses)
    return path_item


def _tag(name: str, resource) -> dict:
    doc = (resource.__doc__ or "").strip()
    return {"name": name, "description": doc} if doc else {"name": name}


def _security(permission) -> list:
    if permission == "private":
        return [{BASIC_AUTH: []}]
    return [{BASIC_AUTH: []}, {}]


def _has_basic_auth(settings) -> bool:
    """Whether one of the ``multiauth.policies`` is Cliquet's Basic Auth policy."""
    for name in aslist(settings["multiauth.policies"]):
        use = settings.get(f"multiauth.policy.{name}.use")
        if use in (BasicAuthAuthenticationPolicy,
                   f"{BasicAuthAuthenticationPolicy.__module__}."
                   f"{BasicAuthAuthenticationPolicy.__name__}"):
            return True
    return False


def _openapi_path(pattern: str, id_pattern: str | None = None) -> tuple[str, list]:
    """``/items/{id:\\d+}`` → ``/items/{id}`` and its path parameters.

    :param id_pattern: regular expression of the ``id`` of resource records.
    """
    path = _STAR_ARGUMENT.sub(r"{\1}", _PLACEHOLDER.sub(r"{\1}", pattern))
    parameters = []
    for name in re.findall(r"\{(\w+)\}", path):
        schema = {"type": "string"}
        if name == "id" and id_pattern:
            schema["pattern"] = id_pattern
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return path, parameters


def _head_operation(get: dict, error_responses: dict) -> dict:
    """``HEAD``: the ``GET`` operation, answered without bodies."""
    head = {key: value for key, value in get.items() if key != "responses"}
    head["summary"] = f"Headers of: {get['summary']}"
    head["operationId"] = "head" + get["operationId"][len("get"):]
    head["responses"] = {}
    for status, response in get["responses"].items():
        if "$ref" in response:
            response = error_responses[response["$ref"].rsplit("/", 1)[1]]
        head["responses"][status] = {key: value for key, value in response.items()
                                     if key not in ("content", "links")}
    return head


def _drop_dangling_links(description: dict) -> None:
    """Links to operations that are not enabled (e.g. read-only mode) are removed."""
    operations = [operation for path_item in description["paths"].values()
                  for key, operation in path_item.items() if key != "parameters"]
    operation_ids = {operation["operationId"] for operation in operations}
    for operation in operations:
        for response in operation["responses"].values():
            links = response.get("links")
            if links is None:
                continue
            for name in [name for name, link in links.items()
                         if link["operationId"] not in operation_ids]:
                del links[name]
            if not links:
                del response["links"]
