"""``POST /{prefix}/batch``: several requests in one, in one transaction."""
import colander
from pyramid import httpexceptions
from pyramid.request import apply_request_extensions
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet import Service, errors
from cliquet._validation import body_validator
from cliquet.events import restore_resource_events, snapshot_resource_events
from cliquet.logs import bind_request_context, logger
from cliquet.utils import json, merge_dicts

HTTP_METHODS = ("GET", "HEAD", "DELETE", "TRACE", "POST", "PUT", "PATCH")


def _string_values(node, value):
    for key, item in value.items():
        if not isinstance(item, str):
            raise colander.Invalid(node, f"{key} is not a string: {{{key}: {item!r}}}")


class BatchRequestSchema(colander.MappingSchema):
    method = colander.SchemaNode(colander.String(), validator=colander.OneOf(HTTP_METHODS),
                                 missing=colander.drop)
    path = colander.SchemaNode(colander.String(), validator=colander.Regex("^/"))
    headers = colander.SchemaNode(colander.Mapping(unknown="preserve"),
                                  validator=_string_values, missing=colander.drop)
    body = colander.SchemaNode(colander.Mapping(unknown="preserve"), missing=colander.drop)


class BatchPayloadSchema(colander.MappingSchema):
    defaults = BatchRequestSchema(missing=colander.drop)
    requests = colander.SchemaNode(colander.Sequence(), BatchRequestSchema())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = self["defaults"].clone()  # children are shared with `requests`
        defaults["path"].missing = colander.drop  # optional in defaults
        self["defaults"] = defaults

    def deserialize(self, cstruct=colander.null):
        """Merge ``defaults`` into each request before validating them."""
        if isinstance(cstruct, dict):
            defaults = cstruct.get("defaults")
            requests = cstruct.get("requests")
            if isinstance(defaults, dict) and isinstance(requests, list):
                for subrequest in requests:
                    if isinstance(subrequest, dict):
                        merge_dicts(subrequest, defaults)
        return super().deserialize(cstruct)


batch = Service(name="batch", path="/batch", description="Batch operations")


def build_request(original, spec: dict):
    """The subrequest described by ``spec``, sharing the parent's request data."""
    prefix = "/" + original.path_info.split("/")[1]
    path = spec["path"]
    if not path.startswith(prefix):
        path = prefix + path
    headers = dict(original.headers)
    headers.update(spec.get("headers") or {})
    body = spec.get("body") or None
    payload = b""
    if body:
        headers["Content-Type"] = "application/json; charset=utf-8"
        payload = json.dumps(body).encode("utf-8")
    headers.pop("Content-Length", None)
    subrequest = original.__class__.blank(path=path, headers=headers,
                                          method=spec.get("method", "GET"))
    subrequest.body = payload
    subrequest.registry = original.registry
    subrequest.parent = original
    apply_request_extensions(subrequest)
    return subrequest


def build_response(response, request) -> dict:
    """``{path, status, headers, body}`` of a subrequest's response."""
    from urllib.parse import unquote

    body = ""
    if request.method != "HEAD" and response.body:
        try:
            body = json.loads(response.body)
        except ValueError:
            body = response.text
    return {
        "path": unquote(request.path),
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": body,
    }


def _json_error(response):
    if (response.content_type or "").startswith("application/json") or response.status_code < 400:
        return response
    reason = httpexceptions.status_map[response.status_code].title
    envelope = errors.format_error(response.status_code, errors.ERRORS.UNDEFINED, reason)
    response.body = json.dumps(envelope).encode("utf-8")
    response.content_type = "application/json"
    return response


@batch.post(permission=NO_PERMISSION_REQUIRED, schema=BatchPayloadSchema(),
            validators=(body_validator,))
def post_batch(request):
    """Run each subrequest in order; answer ``{"responses": [...]}``."""
    requests = request.validated["requests"]
    limit = request.registry.settings["batch_max_requests"]
    if limit and len(requests) > int(limit):
        request.errors.add("body", "requests", f"Number of requests is limited to {limit}")
        return
    if any("/batch" in spec["path"] for spec in requests):
        request.errors.add("body", "requests",
                           "Recursive call on /batch endpoint is forbidden.")
        return

    responses = []
    for spec in requests:
        subrequest = build_request(request, spec)
        events = snapshot_resource_events(request)
        try:
            response, subrequest = request.follow_subrequest(subrequest, use_tweens=False)
        except httpexceptions.HTTPException as error:
            response = error
        response = _json_error(response)
        if response.status_code >= 400:
            restore_resource_events(request, events)
        logger.info("subrequest.summary", path=subrequest.path, method=subrequest.method,
                    code=response.status_code)
        responses.append(build_response(response, subrequest))

    bind_request_context(path="/batch", method=request.method, batch_size=len(requests),
                         agent=request.headers.get("User-Agent"))
    return {"responses": responses}
