"""Permissions in PostgreSQL: tables ``user_principals`` and ``access_control_entries``.

Every method is a single statement; lists travel as arrays. Writes join the
request transaction when ``transaction_per_request`` is on.
"""
import os
from collections import defaultdict  # noqa: F401  (a Cliquet 3.1 public name of this module)
from collections.abc import Iterable
from typing import Any

from cliquet.logs import logger  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet.permission import (
    BoundPermissions,
    PermissionBase,
    bound_pairs,
    pattern_pairs,
)
from cliquet._postgresql import (
    PostgreSQLClient, create_from_config, create_schema,
)

_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schema.sql")

_AUTHORIZED_PRINCIPALS = """
SELECT DISTINCT principal
  FROM access_control_entries
  JOIN unnest(CAST(:object_ids AS TEXT[]), CAST(:permissions AS TEXT[]))
       AS bound(object_id, permission) USING (object_id, permission)
"""

_ACCESSIBLE_OBJECTS = """
SELECT DISTINCT object_id
  FROM access_control_entries
  JOIN unnest(CAST(:patterns AS TEXT[]), CAST(:permissions AS TEXT[]))
       AS searched(pattern, permission) USING (permission)
 WHERE principal = ANY(CAST(:principals AS TEXT[]))
   AND object_id LIKE searched.pattern
"""

# Deletes and inserts touch disjoint rows, so one statement does both.
_REPLACE_OBJECT_PERMISSIONS = """
WITH wanted AS (
    SELECT DISTINCT permission, principal
      FROM unnest(CAST(:ace_permissions AS TEXT[]), CAST(:ace_principals AS TEXT[]))
           AS wanted(permission, principal)
), removed AS (
    DELETE FROM access_control_entries ace
     WHERE ace.object_id = :object_id
       AND ace.permission = ANY(CAST(:permissions AS TEXT[]))
       AND NOT EXISTS (SELECT 1 FROM wanted
                        WHERE wanted.permission = ace.permission
                          AND wanted.principal = ace.principal)
)
INSERT INTO access_control_entries (object_id, permission, principal)
SELECT :object_id, permission, principal FROM wanted
ON CONFLICT DO NOTHING
"""


def _like_pattern(pattern: str) -> str:
    """Translate an object id pattern (``*`` wildcard) into a LIKE pattern."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


class Permission(PermissionBase):
    """Permission backend backed by a PostgreSQL client (see :func:`load_from_config`).

    :param client: a :class:`~cliquet._postgresql.PostgreSQLClient`.
    """

    def __init__(self, client: PostgreSQLClient, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def _query(self, sql: str, readonly: bool = False, force_commit: bool = False,
               **params) -> list:
        with self.client.connect(readonly=readonly, force_commit=force_commit) as conn:
            rows = conn.execute(sql, params)
            return rows if isinstance(rows, list) else []

    def _column(self, sql: str, **params) -> set[str]:
        return {row[0] for row in self._query(sql, readonly=True, **params)}

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Create the tables if missing; with ``dry_run``, log the SQL only."""
        create_schema(self.client, _SCHEMA_FILE, "permission tables", dry_run)

    def flush(self) -> None:
        """Delete everything: in the request transaction if it wrote already, else at once.

        Called outside requests (tests, scripts), it never leaves a session
        idle in a transaction.
        """
        self._query(
            "WITH users AS (DELETE FROM user_principals) DELETE FROM access_control_entries",
            force_commit=not self.client.joined(),
        )

    def add_user_principal(self, user_id: str, principal: str) -> None:
        self._query(
            "INSERT INTO user_principals (user_id, principal) VALUES (:user_id, :principal)"
            " ON CONFLICT DO NOTHING",
            user_id=user_id,
            principal=principal,
        )

    def remove_user_principal(self, user_id: str, principal: str) -> None:
        self._query(
            "DELETE FROM user_principals WHERE user_id = :user_id AND principal = :principal",
            user_id=user_id,
            principal=principal,
        )

    def remove_principal(self, principal: str) -> None:
        self._query(
            "DELETE FROM user_principals WHERE principal = :principal", principal=principal
        )

    def user_principals(self, user_id: str) -> set[str]:
        return self._column(
            "SELECT principal FROM user_principals WHERE user_id = :user_id", user_id=user_id
        )

    def add_principal_to_ace(self, object_id: str, permission: str, principal: str) -> None:
        self._query(
            "INSERT INTO access_control_entries (object_id, permission, principal)"
            " VALUES (:object_id, :permission, :principal) ON CONFLICT DO NOTHING",
            object_id=object_id,
            permission=permission,
            principal=principal,
        )

    def remove_principal_from_ace(self, object_id: str, permission: str, principal: str) -> None:
        self._query(
            "DELETE FROM access_control_entries WHERE object_id = :object_id"
            " AND permission = :permission AND principal = :principal",
            object_id=object_id,
            permission=permission,
            principal=principal,
        )

    def object_permission_principals(self, object_id: str, permission: str) -> set[str]:
        return self._column(
            "SELECT principal FROM access_control_entries"
            " WHERE object_id = :object_id AND permission = :permission",
            object_id=object_id,
            permission=permission,
        )

    def object_permission_authorized_principals(
        self,
        object_id: str,
        permission: str,
        get_bound_permissions: BoundPermissions | None = None,
    ) -> set[str]:
        pairs = bound_pairs(object_id, permission, get_bound_permissions)
        if not pairs:
            return set()
        return self._column(
            _AUTHORIZED_PRINCIPALS,
            object_ids=[obj for obj, _ in pairs],
            permissions=[perm for _, perm in pairs],
        )

    def principals_accessible_objects(
        self,
        principals: Iterable[str],
        permission: str,
        object_id_match: str | None = None,
        get_bound_permissions: BoundPermissions | None = None,
    ) -> set[str]:
        principals = list(set(principals))
        pairs = pattern_pairs(object_id_match, permission, get_bound_permissions)
        if not pairs:
            return set()
        return self._column(  # no principals: nothing, yet the server is asked (errors show)
            _ACCESSIBLE_OBJECTS,
            patterns=[_like_pattern(pattern) for pattern, _ in pairs],
            permissions=[perm for _, perm in pairs],
            principals=principals,
        )

    def object_permissions(
        self, object_id: str, permissions: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        sql = (
            "SELECT permission, principal FROM access_control_entries"
            " WHERE object_id = :object_id"
        )
        params: dict[str, Any] = {"object_id": object_id}
        if permissions is not None:
            sql += " AND permission = ANY(CAST(:permissions AS TEXT[]))"
            params["permissions"] = list(permissions)
        result: dict[str, set[str]] = {}
        for permission, principal in self._query(sql, readonly=True, **params):
            result.setdefault(permission, set()).add(principal)
        return result

    def replace_object_permissions(
        self, object_id: str, permissions: dict[str, Iterable[str]]
    ) -> None:
        if not permissions:
            return
        aces = [(perm, principal) for perm, names in permissions.items() for principal in names]
        self._query(
            _REPLACE_OBJECT_PERMISSIONS,
            object_id=object_id,
            permissions=list(permissions),
            ace_permissions=[perm for perm, _ in aces],
            ace_principals=[principal for _, principal in aces],
        )

    def delete_object_permissions(self, *object_ids: str) -> None:
        if not object_ids:
            return
        self._query(
            "DELETE FROM access_control_entries"
            " WHERE object_id = ANY(CAST(:object_ids AS TEXT[]))",
            object_ids=list(object_ids),
        )


def load_from_config(config) -> Permission:
    """Connect to ``permission_url``; ``permission_pool_size`` and other
    ``permission_*`` SQL settings tune the engine."""
    return Permission(create_from_config(config, prefix="permission_"))
