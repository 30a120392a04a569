"""Authorization: principals of a request and the permission decision."""
from __future__ import annotations

import copy
import functools
from typing import Any, Callable, Iterable

from pyramid.authorization import Authenticated
from pyramid.interfaces import IAuthorizationPolicy, ISecurityPolicy
from pyramid.settings import aslist
from pyramid_multiauth import MultiAuthSecurityPolicy
from zope.interface import implementer

from cliquet import utils
from cliquet.authentication import prefixed_userid
from cliquet.storage import exceptions as storage_exceptions

DYNAMIC = "dynamic"
PRIVATE = "private"

_GROUPS_CACHE_KEY = "principals"


def groupfinder(userid: str, request: Any) -> list[str]:
    """Extra principals of the user, from the permission backend.

    Cached per request and shared across batch subrequests, keyed per user.
    Empty when no permission backend is configured.
    """
    backend = getattr(request.registry, "permission", None)
    if backend is None:
        return []
    authn_type = getattr(request, "authn_type", None)
    prefixed = f"{authn_type}:{userid}" if authn_type else userid
    cache = request.bound_data.setdefault(_GROUPS_CACHE_KEY, {})
    if prefixed not in cache:
        cache[prefixed] = list(backend.user_principals(prefixed))
    principals: list[str] = cache[prefixed]
    return principals


@implementer(IAuthorizationPolicy)
class AuthorizationPolicy:
    """Decide whether principals hold a permission on a context.

    See docs/protocol.rst, "Permissions", and docs/resources.rst, "Permissions".

    ``private`` (user resources) is granted to any authenticated request;
    ``dynamic`` is replaced by the permission the context requires. The
    context (a :class:`RouteFactory`) gives the principals allowed by the
    settings, checks the permission backend and lists the shared records.
    """

    #: Callable ``(object_id, permission) -> [(object_id, permission), ...]``
    #: listing every pair that grants the requested one; ``None``: no inheritance.
    get_bound_permissions: Callable[[str, str], list[tuple[str, str]]] | None = None

    def permits(self, context: Any, principals: Iterable[str], permission: str) -> bool:
        """Whether ``principals`` hold ``permission`` on ``context``."""
        if permission == PRIVATE:
            authenticated: bool = Authenticated in principals
            return authenticated
        if getattr(context, "check_permission", None) is None:
            return False  # not a RouteFactory: nothing grants a permission
        principals = _with_prefixed_userid(principals, context.get_prefixed_userid())
        if permission == DYNAMIC:
            permission = context.required_permission
        if permission == "create":
            permission = f"{context.resource_name}:create"
        bound = self.get_bound_permissions
        allowed_principals = context.allowed_principals
        allowed: bool
        if allowed_principals:
            allowed = not set(allowed_principals).isdisjoint(principals)
        else:
            allowed = context.check_permission(permission, principals,
                                               get_bound_permissions=bound)
        if not allowed and context.on_collection and permission in ("read", "write"):
            # Collection GET/HEAD/DELETE: the records shared with the principals.
            shared = context.fetch_shared_records(permission, principals,
                                                  get_bound_permissions=bound)
            allowed = len(shared) > 0
        return allowed

    def principals_allowed_by_permission(self, context: Any, permission: str) -> Any:
        raise NotImplementedError()  # Not in Cliquet 3.1 either (docs/compatibility.rst).


def _with_prefixed_userid(principals: Iterable[str], prefixed_userid: str | None) -> list:
    """The prefixed user id and its legacy ``<type>_<id>`` form replace the bare id."""
    if not prefixed_userid or ":" not in prefixed_userid:
        return list(principals)
    authn_type, userid = prefixed_userid.split(":", 1)
    return [p for p in principals if p != userid] + [prefixed_userid,
                                                     f"{authn_type}_{userid}"]


class RouteFactory:
    """Authorization context of the shareable resources.

    See docs/protocol.rst, "Permissions", and docs/resources.rst, "Permissions".

    Tells which permission the request needs on which object, and which
    principals the ``<resource>_<permission>_principals`` setting allows.
    On collection GET/HEAD/DELETE denied at collection level,
    :attr:`shared_ids` lists the records the principals may still reach.
    Services that are not resources get a context whose attributes are all
    ``None``.
    """

    resource_name: str | None = None
    on_collection: bool | None = None
    required_permission: str | None = None
    allowed_principals: list[str] | None = None
    permission_object_id: str | None = None
    current_record: dict | None = None
    shared_ids: list[str] | None = None
    get_shared_ids: Callable[..., list[str]] | None = None

    method_permissions = {"head": "read", "get": "read", "post": "create",
                          "delete": "write", "patch": "write"}

    def __init__(self, request: Any) -> None:
        self.request = request
        self.get_prefixed_userid = functools.partial(prefixed_userid, request)

        service = utils.current_service(request)
        if getattr(service, "resource", None) is None:
            return
        self._service = service
        self.resource_name = request.current_resource_name
        self.on_collection = getattr(service, "endpoint_type", None) == "collection"
        self.get_shared_ids = self.fetch_shared_records
        method = request.method.lower()
        self.required_permission = self.method_permissions.get(method)
        self.permission_object_id = self.get_permission_object_id(request)
        if method == "put" and not self.on_collection:
            self._check_existing_record(request, service)
        self.allowed_principals = self._settings_principals(request)

    def _check_existing_record(self, request: Any, service: Any) -> None:
        # PUT replaces (write on the record) or creates (create on the collection).
        resource = service.resource(request=request, context=self)
        try:
            self.current_record = resource.model.get_record(resource.record_id)
            self.required_permission = "write"
        except storage_exceptions.RecordNotFoundError:
            self.required_permission = "create"
            self.permission_object_id = service.collection_path.format(**request.matchdict)

    def _settings_principals(self, request: Any) -> list:
        setting = f"{self.resource_name}_{self.required_permission}_principals"
        principals: list = aslist(request.registry.settings.get(setting) or "")
        return principals

    def check_permission(self, *args: Any, **kwargs: Any) -> bool:
        """The permission backend's ``check_permission(permission, principals,
        get_bound_permissions=None)`` on the object of the request.
        """
        backend = self.request.registry.permission
        allowed: bool = backend.check_permission(self.permission_object_id, *args, **kwargs)
        return allowed

    def fetch_shared_records(self, perm: str, principals: Iterable[str],
                             get_bound_permissions: Any = None) -> list:
        """Ids of the records of the collection on which ``principals`` hold ``perm``.

        Kept in :attr:`shared_ids`: the collection views only show those.
        """
        pattern = self.get_permission_object_id(self.request, "*")
        backend = self.request.registry.permission
        object_ids = backend.principals_accessible_objects(
            principals, perm, object_id_match=pattern,
            get_bound_permissions=get_bound_permissions)
        self.shared_ids = [self.extract_object_id(object_id) for object_id in object_ids]
        return self.shared_ids

    def record_context(self, record_id: str, permission: str) -> RouteFactory:
        """A copy of this context that decides ``permission`` on one record.

        For ``request.has_permission(permission, context)`` on a record the
        request did not target (e.g. the one a POST collides with).
        """
        context = copy.copy(self)
        context.on_collection = False
        context.required_permission = permission
        context.permission_object_id = self.get_permission_object_id(self.request, record_id)
        context.allowed_principals = context._settings_principals(self.request)
        return context

    def get_permission_object_id(self, request: Any, record_id: str | None = None) -> str:
        """Object id (URI without version prefix) of the request, or of a record of it."""
        if record_id is None:
            return utils.strip_uri_prefix(request.upath_info)
        path: str = self._service.record_path
        return path.format(**dict(request.matchdict or {}, id=record_id))

    @staticmethod
    def extract_object_id(object_uri: str) -> str:
        """Last path segment of an object URI (the record id)."""
        return object_uri.rsplit("/", 1)[-1]


class SecurityPolicy(MultiAuthSecurityPolicy):
    """pyramid_multiauth's policy, reading the user's groups only when needed.

    With Cliquet's own groupfinder, which never rejects a user, the groups
    are left out of the identity and added when the principals are computed.
    A ``private`` permission (user resources) needs an authenticated user
    only: no permission backend query for those requests.
    """

    _deferred_groupfinder: Callable[[str, Any], list[str]] | None = None
    _callback: Any  # pyramid_multiauth's groupfinder

    def defer_groupfinder(self) -> None:
        """Read groups with the principals only (Cliquet's groupfinder only)."""
        if self._callback is groupfinder:
            self._deferred_groupfinder, self._callback = self._callback, None

    def permits(self, request: Any, context: Any, permission: str) -> Any:
        if permission == PRIVATE and \
                isinstance(self._helper, AuthorizationPolicy):
            return self.authenticated_userid(request) is not None
        return super().permits(request, context, permission)

    def effective_principals(self, request: Any) -> Any:
        principals = super().effective_principals(request)  # cached on the request
        finder = self._deferred_groupfinder
        if finder is not None and Authenticated in principals and \
                not request.__dict__.get("_cliquet_groups_added"):
            principals.update(finder(self.authenticated_userid(request), request))
            request.__dict__["_cliquet_groups_added"] = True
        return principals


def setup_security_policy(config: Any) -> None:
    """Make pyramid_multiauth's policy a :class:`SecurityPolicy` (run after
    :func:`cliquet.authentication.setup_multiauth`, which includes it)."""

    def read_groups_when_needed() -> None:
        policy = config.registry.queryUtility(ISecurityPolicy)
        if type(policy) is MultiAuthSecurityPolicy:
            policy.__class__ = SecurityPolicy
            policy.defer_groupfinder()

    config.action(None, read_groups_when_needed)  # after pyramid_multiauth's own
