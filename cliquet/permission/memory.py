"""Permissions kept in process memory: fast, per process, lost on restart."""
import re  # noqa: F401  (a Cliquet 3.1 public name of this module)
from collections.abc import Iterable

from cliquet.permission import (
    BoundPermissions,
    PermissionBase,
    pattern_pairs,
    pattern_regexp,
)
from cliquet import _transaction as undo


class Permission(PermissionBase):
    """Sets of principals per user and per (object, permission)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flush()

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Nothing to create in memory."""

    def flush(self) -> None:
        self._user_principals: dict[str, set[str]] = {}
        self._aces: dict[str, dict[str, set[str]]] = {}  # object -> permission -> principals

    def _remember(self, table: dict, *keys: str) -> None:
        """Record how to restore the entries ``keys`` of ``table`` (copied)."""
        if undo.recording():
            previous = {key: _deep_copy(table[key]) if key in table else None for key in keys}
            undo.record(self._restore, table, previous)

    @staticmethod
    def _restore(table: dict, previous: dict) -> None:
        for key, value in previous.items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value

    @staticmethod
    def _discard(principals_by_key: dict[str, set[str]], key: str, principal: str) -> None:
        principals = principals_by_key.get(key)
        if principals is not None:
            principals.discard(principal)
            if not principals:
                del principals_by_key[key]

    def add_user_principal(self, user_id: str, principal: str) -> None:
        self._remember(self._user_principals, user_id)
        self._user_principals.setdefault(user_id, set()).add(principal)

    def remove_user_principal(self, user_id: str, principal: str) -> None:
        self._remember(self._user_principals, user_id)
        self._discard(self._user_principals, user_id, principal)

    def remove_principal(self, principal: str) -> None:
        if undo.recording():
            self._remember(self._user_principals,
                           *(u for u, p in self._user_principals.items() if principal in p))
        for user_id in list(self._user_principals):
            self._discard(self._user_principals, user_id, principal)

    def user_principals(self, user_id: str) -> set[str]:
        return set(self._user_principals.get(user_id, ()))

    def add_principal_to_ace(self, object_id: str, permission: str, principal: str) -> None:
        self._remember(self._aces, object_id)
        self._aces.setdefault(object_id, {}).setdefault(permission, set()).add(principal)

    def remove_principal_from_ace(self, object_id: str, permission: str, principal: str) -> None:
        self._remember(self._aces, object_id)
        aces = self._aces.get(object_id, {})
        self._discard(aces, permission, principal)
        if not aces:
            self._aces.pop(object_id, None)

    def object_permission_principals(self, object_id: str, permission: str) -> set[str]:
        return set(self._aces.get(object_id, {}).get(permission, ()))

    def principals_accessible_objects(
        self,
        principals: Iterable[str],
        permission: str,
        object_id_match: str | None = None,
        get_bound_permissions: BoundPermissions | None = None,
    ) -> set[str]:
        principals = set(principals)
        searched = [
            (pattern_regexp(pattern), perm)
            for pattern, perm in pattern_pairs(object_id_match, permission, get_bound_permissions)
        ]
        return {
            object_id
            for object_id, aces in self._aces.items()
            for regexp, perm in searched
            if not principals.isdisjoint(aces.get(perm, ())) and regexp.fullmatch(object_id)
        }

    def object_permissions(
        self, object_id: str, permissions: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        aces = self._aces.get(object_id, {})
        if permissions is None:
            permissions = aces
        return {perm: set(aces[perm]) for perm in permissions if perm in aces}

    def replace_object_permissions(
        self, object_id: str, permissions: dict[str, Iterable[str]]
    ) -> None:
        self._remember(self._aces, object_id)
        aces = self._aces.setdefault(object_id, {})
        for perm, principals in permissions.items():
            aces[perm] = set(principals)
            if not aces[perm]:
                del aces[perm]
        if not aces:
            del self._aces[object_id]

    def delete_object_permissions(self, *object_ids: str) -> None:
        self._remember(self._aces, *object_ids)
        for object_id in object_ids:
            self._aces.pop(object_id, None)


def _deep_copy(value: set | dict) -> set | dict:
    """A copy of a principal set, or of a ``permission -> principals`` dict."""
    if isinstance(value, dict):
        return {key: set(principals) for key, principals in value.items()}
    return set(value)


def load_from_config(config) -> Permission:
    return Permission()
