"""Authentication: the Basic Auth policy, the prefixed user id, pyramid_multiauth.

Imports nothing of :mod:`cliquet.authorization`, which builds on it (its
``SecurityPolicy`` and :func:`~cliquet.authorization.setup_security_policy`).
"""
from typing import Any

from pyramid import authentication as base_auth
from pyramid.authorization import Everyone
from pyramid.interfaces import ISecurityPolicy
from pyramid_multiauth import MultiAuthPolicySelected

from cliquet import utils
from cliquet.logs import bind_request_context


class BasicAuthAuthenticationPolicy(base_auth.BasicAuthAuthenticationPolicy):
    """Basic Auth where any credentials are accepted.

    The user id is the HMAC-SHA256 of ``username:password`` keyed with the
    ``userid_hmac_secret`` setting; the password is never stored. An empty
    username, a malformed header or another scheme means anonymous.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("check", _accept_any_credentials)
        kwargs.setdefault("realm", "Realm")
        super().__init__(*args, **kwargs)

    def effective_principals(self, request: Any) -> list[str]:
        """Only ``system.Everyone``: the security policy adds the rest."""
        return [Everyone]

    def unauthenticated_userid(self, request: Any) -> str | None:
        """HMAC user id of the request credentials.

        Computed once per ``Authorization`` header for a request and its batch
        subrequests (never kept beyond the request).
        """
        header = request.environ.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        computed = request.bound_data.setdefault(_USERIDS_KEY, {})
        if header in computed:
            known: str | None = computed[header]
            return known
        userid = computed[header] = self._hmac_userid(request)
        return userid

    def callback(self, username: str, request: Any) -> Any:
        """No principals: any credentials are accepted (``check``, by default), so they
        are not decoded again; a ``check`` given to the policy is called as usual."""
        if self.check is _accept_any_credentials:
            return []
        return super().callback(username, request)

    @staticmethod
    def _hmac_userid(request: Any) -> str | None:
        credentials = base_auth.extract_http_basic_credentials(request)
        if credentials is None or not credentials.username:
            return None
        secret = str(request.registry.settings["userid_hmac_secret"])
        return utils.hmac_digest(secret, f"{credentials.username}:{credentials.password}")


_USERIDS_KEY = "basicauth_userids"


def _accept_any_credentials(username: str, password: str, request: Any) -> list[str]:
    return []


def prefixed_userid(request: Any) -> str | None:
    """``<authn_type>:<user id>`` of the authenticated user, or ``None``."""
    if request.authenticated_userid is None:
        return None
    authn_type = getattr(request, "authn_type", None)
    if authn_type is None:
        return None
    prefixed: str = authn_type + ":" + request.selected_userid
    return prefixed


def get_user_info(request: Any) -> dict:
    """``{"id": <prefixed user id>}`` of the current user."""
    return {"id": request.prefixed_userid}


def effective_principals(request: Any) -> list:
    """Principals of the request according to the security policy.

    See docs/protocol.rst, "Authentication".

    Pyramid 2 answers ``[Everyone]`` to ``request.effective_principals`` unless
    a legacy policy is in use; pyramid_multiauth's security policy knows better.
    """
    policy = request.registry.queryUtility(ISecurityPolicy)
    principals = getattr(policy, "effective_principals", None)
    return list(principals(request)) if principals is not None else [Everyone]


def setup_multiauth(config: Any) -> None:
    """Install pyramid_multiauth with the ``multiauth.*`` settings.

    The name of the policy that authenticates a request, lowercased, becomes
    ``request.authn_type``; the raw user id becomes ``request.selected_userid``.
    """
    config.include("pyramid_multiauth")
    config.add_request_method(effective_principals, "effective_principals", property=True)

    def on_policy_selected(event: Any) -> None:
        request = event.request
        authn_type = getattr(event.policy, "_pyramid_multiauth_name", None)
        if authn_type is None:
            authn_type = event.policy.__class__.__name__.replace("AuthenticationPolicy", "")
        request.authn_type = authn_type.lower()
        request.selected_userid = event.userid
        bind_request_context(uid=event.userid, authn_type=request.authn_type)

    config.add_subscriber(on_policy_selected, MultiAuthPolicySelected)
