"""``POST /{prefix}/batch``: several requests in one, in one transaction."""
import time
from urllib.parse import unquote

import colander
from pyramid import httpexceptions
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet import errors
from cliquet._service import Service
from cliquet._validation import body_validator
from cliquet.events import restore_resource_events, snapshot_resource_events
from cliquet.logs import bind_request_context, logger, subrequest_context
from cliquet.utils import build_request, build_response, json, merge_dicts

HTTP_METHODS = ("GET", "HEAD", "DELETE", "TRACE", "POST", "PUT", "PATCH")
valid_http_method = colander.OneOf(HTTP_METHODS)


def string_values(node, cstruct):
    """Colander validator: every value of the mapping is a string."""
    for key, item in cstruct.items():
        if not isinstance(item, str):
            raise colander.Invalid(node, f"{key} is not a string: {{{key}: {item!r}}}")


class BatchRequestSchema(colander.MappingSchema):
    method = colander.SchemaNode(colander.String(), validator=valid_http_method,
                                 missing=colander.drop)
    path = colander.SchemaNode(colander.String(), validator=colander.Regex("^/"))
    headers = colander.SchemaNode(colander.Mapping(unknown="preserve"),
                                  validator=string_values, missing=colander.drop)
    body = colander.SchemaNode(colander.Mapping(unknown="preserve"), missing=colander.drop)


class BatchPayloadSchema(colander.MappingSchema):
    defaults = BatchRequestSchema(missing=colander.drop)
    requests = colander.SchemaNode(colander.Sequence(), BatchRequestSchema())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = self["defaults"].clone()  # children are shared with `requests`
        defaults["path"].missing = colander.drop  # optional in defaults
        self["defaults"] = defaults

    def unflatten(self, data):
        """``data`` with its ``defaults`` merged into each request (values of a
        request win); as in Cliquet 3.1, not colander's unflattening."""
        if isinstance(data, dict):
            defaults = data.get("defaults")
            requests = data.get("requests")
            if isinstance(defaults, dict) and isinstance(requests, list):
                for subrequest in requests:
                    if isinstance(subrequest, dict):
                        merge_dicts(subrequest, defaults)
        return data

    def deserialize(self, cstruct=colander.null):
        """Merge ``defaults`` into each request, then validate them."""
        return super().deserialize(self.unflatten(cstruct))


batch = Service(name="batch", path="/batch", description="Batch operations")


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
    # Paths are percent-decoded when routed: ``/bat%63h`` is ``/batch`` too.
    if any("/batch" in unquote(spec["path"], errors="replace") for spec in requests):
        request.errors.add("body", "requests",
                           "Recursive call on /batch endpoint is forbidden.")
        return

    responses = []
    for spec in requests:
        subrequest = build_request(request, spec)
        events = snapshot_resource_events(request)
        # Each subrequest logs in a context of its own; the batch one is kept.
        with subrequest_context(path=subrequest.path, method=subrequest.method,
                                agent=subrequest.headers.get("User-Agent"),
                                lang=subrequest.headers.get("Accept-Language")):
            started = time.perf_counter()
            try:
                response, subrequest = request.follow_subrequest(subrequest, use_tweens=False)
            except httpexceptions.HTTPException as error:
                response = error
            response = _json_error(response)
            if getattr(subrequest, "backend_refused", False):
                # The database refused a value (a 400) and lost the transaction:
                # the batch ends with that error, rolled back, as on a 5xx.
                raise response
            if int(response.status_code) >= 400:
                restore_resource_events(request, events)
            duration = int((time.perf_counter() - started) * 1000)
            logger.new(code=response.status_code, t=duration).info("subrequest.summary")
        responses.append(build_response(response, subrequest))

    bind_request_context(path="/batch", batch_size=len(requests))  # the service path, as 3.1
    return {"responses": responses}
