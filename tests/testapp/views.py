"""Views used by the error channel and transaction tests."""
from pyramid import httpexceptions
from pyramid.events import subscriber
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet import Service
from cliquet.events import ACTIONS, ResourceChanged
from cliquet.storage.exceptions import BackendError

crash = Service(name="crash", path="/crash", description="Raises")
backend_down = Service(name="backend_down", path="/backend", description="Backend fails")
plain_error = Service(name="plain_error", path="/plain", description="Non JSON error")
private = Service(name="private", path="/private", description="Needs authentication")


@crash.get(permission=NO_PERMISSION_REQUIRED)
def get_crash(request):
    raise ValueError("secret internal detail")


@backend_down.get(permission=NO_PERMISSION_REQUIRED)
def get_backend(request):
    raise BackendError(original=ConnectionError("database gone"))


@plain_error.get(permission=NO_PERMISSION_REQUIRED)
def get_plain(request):
    raise httpexceptions.HTTPTooManyRequests()


@private.get(permission="private")
def get_private(request):
    return {"ok": True}


echo = Service(name="echo", path="/echo", description="Echoes what it receives")


@echo.post(permission=NO_PERMISSION_REQUIRED)
def post_echo(request):
    return {"body": request.json_body if request.body else None,
            "user": request.prefixed_userid,
            "headers": {k: v for k, v in request.headers.items() if k.startswith("X-")}}


@echo.get(permission=NO_PERMISSION_REQUIRED)
def get_echo(request):
    return {"querystring": dict(request.GET)}


# Backend writes, then a failure: ``{"calls": [[backend, method, args], ...], "fail": ...}``
# where ``args`` is a list (positional) or an object (keywords) and ``fail`` is
# ``"crash"`` (500), ``"http"`` (a raised 404), ``"backend"`` (503), ``"event"``
# (a failing ResourceChanged subscriber) or absent.
writes = Service(name="writes", path="/writes", description="Writes then fails")
writes.resource_name = "writes"  # names its events, like a resource


@writes.post(permission=NO_PERMISSION_REQUIRED)
def post_writes(request):
    body = request.json_body
    for backend, method, args in body["calls"]:
        call = getattr(getattr(request.registry, backend), method)
        if isinstance(args, list):
            call(*args)
        else:
            call(**args)
    fail = body.get("fail")
    if fail == "crash":
        raise ValueError("after writing")
    if fail == "http":
        raise httpexceptions.HTTPNotFound()
    if fail == "backend":
        raise BackendError(original=ConnectionError("gone after writing"))
    if fail == "event":
        request.notify_resource_event(0, {"id": "x"}, ACTIONS.CREATE)
    return {"ok": True}


@subscriber(ResourceChanged, for_resources=("writes",))
def fail_on_writes(event):
    raise ValueError("subscriber fails")


whoami = Service(name="whoami", path="/whoami", description="What security knows of the user")


@whoami.get(permission=NO_PERMISSION_REQUIRED)
def get_whoami(request):
    return {"authenticated_userid": request.authenticated_userid,
            "prefixed_userid": request.prefixed_userid,
            "authn_type": getattr(request, "authn_type", None),
            "principals": sorted(request.effective_principals)}
