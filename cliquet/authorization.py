"""Authorization: principals of a request and the permission decision."""
from pyramid.authorization import Authenticated

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
        if permission == PRIVATE:
            return Authenticated in principals
        check = getattr(context, "check_permission", None)
        if check is None:
            return False
        return check(permission, self._effective_principals(context, principals),
                     get_bound_permissions=self.get_bound_permissions)

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
