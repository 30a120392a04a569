"""Views used by the error channel tests."""
from pyramid import httpexceptions
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet import Service
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
