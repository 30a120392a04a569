"""Authorization: principals of a request and the permission decision."""
import copy

from pyramid.authorization import Authenticated

from cliquet.storage.exceptions import RecordNotFoundError
from cliquet.utils import strip_uri_prefix

DYNAMIC = "dynamic"
PRIVATE = "private"

_GROUPS_CACHE_KEY = "principals"


def groupfinder(userid, request):
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
    return cache[prefixed]


class AuthorizationPolicy:
    """Decide whether principals hold a permission on a context (PROTOCOL §3.4).

    ``private`` (user resources) is granted to any authenticated request;
    ``dynamic`` is replaced by the permission the context requires and decided
    by the ``<resource>_<permission>_principals`` settings or the permission
    backend.
    """

    #: Callable ``(object_id, permission) -> [(object_id, permission), ...]``
    #: listing every pair that grants the requested one; ``None``: no inheritance.
    get_bound_permissions = None

    def permits(self, context, principals, permission):
        """Whether ``principals`` hold ``permission`` on ``context``."""
        if permission == PRIVATE:
            return Authenticated in principals
        check = getattr(context, "check_permission", None)
        if check is None:
            return False
        principals = self._effective_principals(context, principals)
        if permission == DYNAMIC:
            permission = context.required_permission
        if permission == "create":
            permission = f"{context.resource_name}:create"
        return check(permission, principals, get_bound_permissions=self.get_bound_permissions)

    @staticmethod
    def _effective_principals(context, principals) -> list:
        request = context.request
        principals = list(principals)
        userid = getattr(request, "selected_userid", None)
        prefixed = request.prefixed_userid
        if prefixed:
            if userid in principals:
                principals.remove(userid)
            principals.append(prefixed)
            principals.append(f"{request.authn_type}_{userid}")
        return principals

    def principals_allowed_by_permission(self, context, permission):
        raise NotImplementedError()  # PROTOCOL §6.13: not implemented in Cliquet


class RouteFactory:
    """Authorization context of the shareable resources (PROTOCOL §3.3–§3.5).

    Tells which permission the request needs on which object, and which
    principals the ``<resource>_<permission>_principals`` setting allows.
    On collection GET/HEAD/DELETE denied at collection level,
    :attr:`shared_ids` lists the records the principals may still reach.
    Services that are not resources get a context whose attributes are all
    ``None``.
    """

    method_permissions = {"head": "read", "get": "read", "post": "create",
                          "delete": "write", "patch": "write"}

    def __init__(self, request):
        self.request = request
        self.resource_name = None
        self.on_collection = None
        self.required_permission = None
        self.allowed_principals = None
        self.permission_object_id = None
        self.current_record = None
        self.shared_ids = None
        self.get_shared_ids = None

        service = request.current_service
        resource_name = getattr(service, "resource_name", None)
        if resource_name is None:
            return
        self._service = service
        self.resource_name = resource_name
        self.on_collection = service.endpoint_type == "collection"
        self.get_shared_ids = self.fetch_shared_records
        method = request.method.lower()
        self.required_permission = self.method_permissions.get(method)
        self.permission_object_id = self.get_permission_object_id(request)
        if method == "put" and not self.on_collection:
            self._check_existing_record(request, service)
        self.allowed_principals = self._settings_principals(request, resource_name)

    def _check_existing_record(self, request, service) -> None:
        # PUT replaces (write on the record) or creates (create on the collection).
        resource = service.resource(request=request, context=self)
        try:
            self.current_record = resource.model.get_record(resource.record_id)
            self.required_permission = "write"
        except RecordNotFoundError:
            self.required_permission = "create"
            collection_path = request.route_path(service.collection_route, **request.matchdict)
            self.permission_object_id = strip_uri_prefix(collection_path)

    def _settings_principals(self, request, resource_name) -> list:
        setting = f"{resource_name}_{self.required_permission}_principals"
        value = request.registry.settings.get(setting) or ""
        return value.split() if isinstance(value, str) else list(value)

    def check_permission(self, permission, principals, get_bound_permissions=None) -> bool:
        """Decide ``permission`` for ``principals`` (§3.4 steps 4 to 6).

        A non-empty settings list decides alone, else the permission backend;
        when denied on a collection GET/HEAD/DELETE, the records shared with
        the principals (if any) grant access to those only.
        """
        if self.allowed_principals:
            allowed = not set(self.allowed_principals).isdisjoint(principals)
        else:
            backend = self.request.registry.permission
            allowed = backend.check_permission(self.permission_object_id, permission,
                                               principals,
                                               get_bound_permissions=get_bound_permissions)
        if not allowed and self.on_collection and \
                self.request.method.lower() in ("get", "head", "delete"):
            allowed = len(self.fetch_shared_records(permission, principals,
                                                    get_bound_permissions)) > 0
        return allowed

    def fetch_shared_records(self, perm, principals, get_bound_permissions=None) -> list:
        """Ids of the records of the collection on which ``principals`` hold ``perm``."""
        pattern = self.get_permission_object_id(self.request, "*")
        backend = self.request.registry.permission
        object_ids = backend.principals_accessible_objects(
            principals, perm, object_id_match=pattern,
            get_bound_permissions=get_bound_permissions)
        self.shared_ids = [self.extract_object_id(object_id) for object_id in object_ids]
        return self.shared_ids

    def record_context(self, record_id, permission) -> "RouteFactory":
        """A copy of this context that decides ``permission`` on one record.

        For ``request.has_permission(permission, context)`` on a record the
        request did not target (e.g. the one a POST collides with).
        """
        context = copy.copy(self)
        context.on_collection = False
        context.required_permission = permission
        context.permission_object_id = self.get_permission_object_id(self.request, record_id)
        context.allowed_principals = context._settings_principals(self.request, self.resource_name)
        return context

    def get_permission_object_id(self, request, record_id=None) -> str:
        """Object id (URI without version prefix) of the request, or of a record of it."""
        if record_id is None:
            return strip_uri_prefix(request.path)
        matchdict = dict(request.matchdict or {}, id=record_id)
        return strip_uri_prefix(request.route_path(self._service.record_route, **matchdict))

    @staticmethod
    def extract_object_id(object_uri: str) -> str:
        """Last path segment of an object URI (the record id)."""
        return object_uri.rsplit("/", 1)[-1]
