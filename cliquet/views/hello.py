"""``GET /{prefix}/``: what this service is, its public settings and capabilities."""
from pyramid.authorization import Authenticated  # noqa: F401 (a 3.1 name of this module)
from pyramid.interfaces import IRoutesMapper
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet._service import Service
from cliquet._version import PROTOCOL_VERSION

hello = Service(name="hello", path="/", description="Welcome")


def _public_settings(registry) -> dict:
    settings = registry.settings
    project_name = settings["project_name"]
    public = {}
    for name in registry.public_settings:
        unprefixed = name
        for prefix in ("cliquet.", f"{project_name}."):
            if name.startswith(prefix):
                unprefixed = name[len(prefix):]
                break
        public[name] = settings.get(unprefixed)
    return public


def get_eos(request):
    """The end of service date (``eos`` setting), or ``None``."""
    return request.registry.settings["eos"]


@hello.get(permission=NO_PERMISSION_REQUIRED)
def get_hello(request):
    """Service name, version, URLs, documentation, public settings, capabilities."""
    settings = request.registry.settings
    data = {
        "project_name": settings["project_name"],
        "project_version": settings["project_version"],
        "http_api_version": settings["http_api_version"],
        "project_docs": settings["project_docs"],
        "cliquet_protocol_version": PROTOCOL_VERSION,
        "url": request.route_url(hello.name),
    }
    if request.registry.getUtility(IRoutesMapper).get_route("openapi") is not None:
        data["openapi"] = request.route_url("openapi")  # the setup_openapi step ran
    eos = get_eos(request)
    if eos:
        data["eos"] = eos
    data["settings"] = _public_settings(request.registry)
    prefixed_userid = request.prefixed_userid
    if prefixed_userid:
        data["user"] = request.get_user_info()
    data["capabilities"] = request.registry.api_capabilities
    return data
