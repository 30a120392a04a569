"""Permission backends: the contract every backend honours, and its heartbeat.

An ACE (access control entry) grants a ``permission`` on an ``object_id`` to a
principal. Users may also hold extra principals (groups). A backend module
exposes ``load_from_config(config)`` returning a :class:`PermissionBase`.

``get_bound_permissions`` arguments are callables
``(object_id, permission) -> [(object_id, permission), ...]`` listing every
pair that grants the requested permission (e.g. ``write`` implies ``read``).
"""
import re
from collections.abc import Callable, Iterable
from typing import Any

from pyramid.settings import asbool

from cliquet.logs import logger

BoundPermissions = Callable[[str, str], Iterable[tuple[str, str]]]

_HEARTBEAT_KEY = "__heartbeat__"


class PermissionBase:
    """Store of user principals and ACEs.

    Every method may raise :class:`cliquet.storage.exceptions.BackendError`
    when the underlying server fails.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Create the tables the backend needs, if any.

        :param dry_run: only log what would be done.
        """
        raise NotImplementedError

    def flush(self) -> None:
        """Delete every user principal and every ACE."""
        raise NotImplementedError

    def add_user_principal(self, user_id: str, principal: str) -> None:
        """Give ``user_id`` the extra ``principal``."""
        raise NotImplementedError

    def remove_user_principal(self, user_id: str, principal: str) -> None:
        """Take the extra ``principal`` away from ``user_id``."""
        raise NotImplementedError

    def remove_principal(self, principal: str) -> None:
        """Take ``principal`` away from every user (ACEs are untouched)."""
        raise NotImplementedError

    def user_principals(self, user_id: str) -> set[str]:
        """:returns: the extra principals of ``user_id``."""
        raise NotImplementedError

    def add_principal_to_ace(self, object_id: str, permission: str, principal: str) -> None:
        """Grant ``permission`` on ``object_id`` to ``principal``."""
        raise NotImplementedError

    def remove_principal_from_ace(self, object_id: str, permission: str, principal: str) -> None:
        """Revoke ``permission`` on ``object_id`` from ``principal``."""
        raise NotImplementedError

    def object_permission_principals(self, object_id: str, permission: str) -> set[str]:
        """:returns: the principals granted ``permission`` on ``object_id``."""
        raise NotImplementedError

    def object_permission_authorized_principals(
        self,
        object_id: str,
        permission: str,
        get_bound_permissions: BoundPermissions | None = None,
    ) -> set[str]:
        """:returns: the principals granted any of the bound (object, permission) pairs.

        Without ``get_bound_permissions``, the principals of that very ACE.
        """
        principals = set()
        for bound_object_id, bound_permission in bound_pairs(
            object_id, permission, get_bound_permissions
        ):
            principals |= self.object_permission_principals(bound_object_id, bound_permission)
        return principals

    def check_permission(
        self,
        object_id: str,
        permission: str,
        principals: Iterable[str],
        get_bound_permissions: BoundPermissions | None = None,
    ) -> bool:
        """Whether one of ``principals`` is authorized.

        See :meth:`object_permission_authorized_principals`.
        """
        authorized = self.object_permission_authorized_principals(
            object_id, permission, get_bound_permissions
        )
        return not authorized.isdisjoint(principals)

    def principals_accessible_objects(
        self,
        principals: Iterable[str],
        permission: str,
        object_id_match: str | None = None,
        get_bound_permissions: BoundPermissions | None = None,
    ) -> set[str]:
        """Find the objects on which one of ``principals`` holds ``permission``.

        :param object_id_match: object id pattern where ``*`` matches anything
            (default ``*``).
        :param get_bound_permissions: called with the pattern; only the
            returned pairs whose object id ends with the pattern count.
        :returns: the matching object ids.
        """
        raise NotImplementedError

    def object_permissions(
        self, object_id: str, permissions: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        """Permission → principals of ``object_id``.

        Only the given ``permissions`` (every permission if ``None``);
        permissions nobody holds are absent.
        """
        raise NotImplementedError

    def replace_object_permissions(
        self, object_id: str, permissions: dict[str, Iterable[str]]
    ) -> None:
        """Replace the principals of each given permission of ``object_id``.

        An empty list removes the permission; permissions not given are kept.
        """
        raise NotImplementedError

    def delete_object_permissions(self, *object_ids: str) -> None:
        """Delete every ACE of ``object_ids``."""
        raise NotImplementedError


def bound_pairs(
    object_id: str, permission: str, get_bound_permissions: BoundPermissions | None
) -> list[tuple[str, str]]:
    """The (object, permission) pairs granting ``permission`` on ``object_id``."""
    if get_bound_permissions is None:
        return [(object_id, permission)]
    return list(get_bound_permissions(object_id, permission))


def pattern_pairs(
    object_id_match: str | None,
    permission: str,
    get_bound_permissions: BoundPermissions | None,
) -> list[tuple[str, str]]:
    """The (pattern, permission) pairs searched by ``principals_accessible_objects``."""
    pattern = "*" if object_id_match is None else object_id_match
    pairs = bound_pairs(pattern, permission, get_bound_permissions)
    return [(bound, perm) for bound, perm in pairs if bound.endswith(pattern)]


def pattern_regexp(pattern: str) -> re.Pattern:
    """Compile an object id pattern where only ``*`` is special (use ``fullmatch``)."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def heartbeat(backend: PermissionBase) -> Callable[[Any], bool]:
    """Build the ``permission`` check of ``__heartbeat__`` (read only in readonly mode)."""

    def ping(request: Any) -> bool:
        try:
            if asbool(request.registry.settings["readonly"]):
                backend.user_principals(_HEARTBEAT_KEY)
            else:
                backend.add_user_principal(_HEARTBEAT_KEY, "alive")
                backend.remove_user_principal(_HEARTBEAT_KEY, "alive")
        except Exception:
            logger.exception("Permission heartbeat failed", backend=type(backend).__module__)
            return False
        return True

    return ping
