"""Operations of plain services: Cliquet's own, and any other ``cliquet.Service``.

Cliquet's utility endpoints get their documented bodies
(docs/protocol.rst, "Utility endpoints", "Batch").
Any other service is described from its Cornice arguments: the ``schema``
(the JSON body, or Cornice 6's nested ``body``/``querystring``/``header``),
the permission, and the view's docstring.
"""
import inspect
from typing import Any

from cliquet.openapi import _components as c
from cliquet.openapi._jsonschema import node_schema

UTILITIES_TAG = "utilities"

_ANY_OBJECT = {"type": "object"}
_HEARTBEAT = {"type": "object", "description": "Result of each check; `false` is a failure.",
              "additionalProperties": {"type": ["boolean", "null"]}}
_HELLO = {
    "type": "object",
    "required": ["project_name", "project_version", "http_api_version", "project_docs",
                 "cliquet_protocol_version", "url", "settings", "capabilities"],
    "properties": {
        "project_name": {"type": "string"},
        "project_version": {"type": "string"},
        "http_api_version": {"type": "string"},
        "project_docs": {"type": "string"},
        "cliquet_protocol_version": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "openapi": {"type": "string", "format": "uri",
                    "description": "URL of this OpenAPI description."},
        "eos": {"type": "string", "description": "End of service date."},
        "settings": {"type": "object", "description": "Public settings."},
        "user": {"type": "object", "required": ["id"],
                 "properties": {"id": {"type": "string"}}},
        "capabilities": {"type": "object", "additionalProperties": {"type": "object"}},
    },
}
_BATCH_RESPONSES = {
    "type": "object",
    "required": ["responses"],
    "properties": {"responses": {"type": "array", "items": {
        "type": "object",
        "required": ["path", "status", "headers", "body"],
        "properties": {
            "path": {"type": "string"},
            "status": {"type": "integer"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"description": "The JSON body, a string if it is not JSON."},
        },
    }}},
}

#: Service name → (summary, {status: (description, JSON schema)}).
BUILTINS: dict[str, tuple[str | None, dict[int, tuple[str, Any]]]] = {
    "hello": ("What this service is: version, public settings, capabilities.",
              {200: ("The service.", _HELLO)}),
    "heartbeat": ("Health of the backends.",
                  {200: ("Every check succeeded.", _HEARTBEAT),
                   503: ("A check failed.", _HEARTBEAT)}),
    "lbheartbeat": ("Health of this web head, for load balancers.",
                    {200: ("Always an empty object.", _ANY_OBJECT)}),
    "batch": ("Several requests in one, in one transaction.",
              {200: ("One response per request, in order.", _BATCH_RESPONSES)}),
    "openapi": ("This OpenAPI description.",
                {200: ("An OpenAPI 3.1 document.", _ANY_OBJECT)}),
    "openapi-explorer": ("A page to explore and try this description.",
                         {200: ("An HTML page.", None)}),
}


class PlainOperations:
    """Builds the operations of a plain service (not a resource).

    :param settings: the application settings (limits of Cliquet's endpoints).
    """

    def __init__(self, service, settings=None):
        self.service = service
        self.settings = settings or {}

    def tag(self) -> str:
        """Tag grouping the operations of this service."""
        return UTILITIES_TAG if self.service.name in BUILTINS else self.service.name

    def operation(self, method: str, view, args: dict) -> dict:
        """The operation of ``method``, served by ``view`` with Cornice arguments ``args``."""
        service = self.service
        summary, bodies = BUILTINS.get(service.name, (None, {200: ("Success.", _ANY_OBJECT)}))
        result: dict[str, Any] = {"tags": [self.tag()],
                  "summary": summary or _docstring(service, view) or service.name,
                  "operationId": f"{method.lower()}_{service.name}".replace("-", "_")}
        statuses = {500, 503} | c.auth_statuses(args.get("permission"))
        schema = args.get("schema")
        if schema is not None:
            result.update(_request(schema, method))
            statuses.add(400)
        if service.name == "batch" and "requestBody" in result:
            _describe_batch(result["requestBody"]["content"]["application/json"]["schema"],
                            self.settings["batch_max_requests"])
        responses = {}
        for status, (description, body) in bodies.items():
            response = {"description": description, "headers": c.headers()}
            if body is None:
                response["content"] = {"text/html": {"schema": {"type": "string"}}}
            else:
                response["content"] = c.json_content(body)
            responses[str(status)] = response
            statuses.discard(status)
        responses.update(c.error_responses(statuses))
        result["responses"] = dict(sorted(responses.items()))
        return result


def _describe_batch(payload: dict, max_requests) -> None:
    """What the batch view adds to its Colander schema.

    ``defaults`` is merged into each request before it is validated: a request
    needs a ``path`` only when ``defaults`` has none. Headers are strings, a
    path leading to the batch endpoint itself is refused, and the number of
    requests is limited by the ``batch_max_requests`` setting.
    """
    properties = payload["properties"]
    requests = properties["requests"]
    request = requests["items"]
    for each in (request, properties["defaults"]):
        each["properties"]["headers"]["additionalProperties"] = {"type": "string"}
        each["properties"]["path"]["description"] = (
            "Path of the request, version prefix optional; not the batch endpoint itself "
            "(`/batch`, even percent-encoded).")
    request["properties"]["path"]["not"] = {"type": "string", "pattern": "/batch"}
    request["required"] = [name for name in request.get("required", []) if name != "path"]
    if not request["required"]:
        del request["required"]
    payload["anyOf"] = [
        {"required": ["defaults"], "properties": {"defaults": {"required": ["path"]}}},
        {"properties": {"requests": {"items": {"required": ["path"]}}}},
    ]
    payload["description"] = ("Each request is merged with `defaults` (its own values win): "
                              "it needs a `path` unless `defaults` has one.")
    if max_requests and int(max_requests) > 0:
        requests["maxItems"] = int(max_requests)


def _docstring(service, view) -> str | None:
    if isinstance(view, str):
        view = getattr(getattr(service, "klass", None), view, None)
    doc = inspect.getdoc(view) if view is not None else None
    return doc.splitlines()[0] if doc else None


def _request(schema, method: str) -> dict:
    """Parameters and body of a Cornice schema, nested (Cornice 6) or not."""
    nested = {child.name: child for child in schema.children
              if child.name in ("body", "querystring", "header", "headers", "path")}
    if not nested:
        nested = {"body": schema}
    result: dict[str, Any] = {}
    parameters = []
    for location, name in (("query", "querystring"), ("header", "header"),
                           ("header", "headers")):
        node = nested.get(name)
        for child in node.children if node is not None else ():
            parameters.append({"name": child.name, "in": location, "required": child.required,
                               "schema": node_schema(child)})
    if parameters:
        result["parameters"] = parameters
    body = nested.get("body")
    if body is not None and method in ("POST", "PUT", "PATCH"):
        result["requestBody"] = {"required": body.required,
                                 "content": c.json_content(node_schema(body))}
    return result
