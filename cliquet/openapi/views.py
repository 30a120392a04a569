"""``GET /{prefix}/__api__``: the OpenAPI description, serialized once."""
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet._service import Service
from cliquet.errors import JSON_CONTENT_TYPE
from cliquet.openapi.generator import build_description
from cliquet.utils import json

openapi = Service(name="openapi", path="/__api__", description="OpenAPI description")


def description_json(registry) -> bytes:
    """The description as JSON, built on the first call and then reused."""
    if registry.openapi_json is None:
        registry.openapi_json = json.dumps(build_description(registry)).encode("utf-8")
    return registry.openapi_json


@openapi.get(permission=NO_PERMISSION_REQUIRED)
def get_openapi(request):
    """The OpenAPI 3.1 description of this service."""
    return Response(body=description_json(request.registry), content_type=JSON_CONTENT_TYPE,
                    charset=None)
