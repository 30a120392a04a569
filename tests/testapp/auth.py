"""Custom security policies, plugged by dotted name in the settings."""
from pyramid.authentication import CallbackAuthenticationPolicy
from pyramid.authorization import Everyone

from cliquet.authorization import AuthorizationPolicy


class TokenAuthenticationPolicy(CallbackAuthenticationPolicy):
    """``Authorization: Token <name>`` authenticates user ``<name>``."""

    def __init__(self, realm="Tokens", **kwargs):
        self.realm = realm

    def unauthenticated_userid(self, request):
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return value or None if scheme == "Token" else None

    def callback(self, userid, request):
        return []

    def effective_principals(self, request):
        return [Everyone]

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request):
        return [("WWW-Authenticate", f'Token realm="{self.realm}"')]


class WriteImpliesReadPolicy(AuthorizationPolicy):
    """An application's authorization policy where ``write`` grants ``read`` too."""

    def get_bound_permissions(self, object_id, permission):
        if permission == "read":
            return [(object_id, "read"), (object_id, "write")]
        return [(object_id, permission)]
