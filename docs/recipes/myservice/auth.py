"""API keys: ``Authorization: Bearer <key>``, keys listed in the settings."""
from pyramid.authentication import CallbackAuthenticationPolicy


class APIKeyAuthenticationPolicy(CallbackAuthenticationPolicy):
    """Authenticate the user owning the key; other requests are anonymous.

    :param keys: ``"<key>:<user> <key>:<user> ..."``, from the
        ``multiauth.policy.<name>.keys`` setting.
    :param realm: shown in the ``WWW-Authenticate`` header of 401 responses.
    """

    def __init__(self, keys="", realm="API"):
        self.users = dict(item.split(":", 1) for item in keys.split())
        self.realm = realm

    def unauthenticated_userid(self, request):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.users.get(key.strip())

    def callback(self, userid, request):
        return []  # no groups

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request):
        return [("WWW-Authenticate", f'Bearer realm="{self.realm}"')]
