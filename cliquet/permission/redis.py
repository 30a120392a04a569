"""Permissions in Redis: one set per user and per (object, permission).

Keys are ``user:<user_id>`` and ``permission:<object_id>:<permission>``;
Redis deletes a set when its last member goes. Permission names may contain
``:`` (``record:create``); in object ids, ``:`` and ``\\`` are escaped with a
``\\`` so that the first unescaped ``:`` ends the object id. Within a request, writes
remember what they changed (members added or removed, previous sets) so that
an abort puts it back (:mod:`cliquet._transaction`).
"""
import os
import re
from collections import defaultdict  # noqa: F401  (a Cliquet 3.1 public name of this module)
from collections.abc import Iterable, Iterator

from cliquet.permission import (
    BoundPermissions,
    PermissionBase,
    bound_pairs,
    pattern_pairs,
    pattern_regexp,
)
from cliquet import _transaction as undo
from cliquet._redis import RedisBackend, create_from_config, wrap_redis_error

_ACE_PREFIX = "permission:"
_USER_PREFIX = "user:"
_SCAN_COUNT = 1000


def _ace_key(object_id: str, permission: str) -> str:
    return f"{_ACE_PREFIX}{_escape(object_id)}:{permission}"


def _escape(object_id: str) -> str:
    if ":" in object_id or "\\" in object_id:
        return object_id.replace("\\", "\\\\").replace(":", "\\:")
    return object_id


def _split_ace(key: str) -> tuple[str, str]:
    """``(object_id, permission)`` of an ACE key."""
    rest = key[len(_ACE_PREFIX):]
    if "\\" not in rest:
        object_id, _, permission = rest.partition(":")
        return object_id, permission
    match = _ACE_KEY.fullmatch(rest)
    assert match is not None, key  # every ACE key is written by _ace_key()
    escaped, permission = match.groups()
    return _UNESCAPE.sub(r"\1", escaped), permission


_ACE_KEY = re.compile(r"((?:[^\\:]|\\.)*):(.*)", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class Permission(RedisBackend, PermissionBase):
    """Permission backend backed by a Redis client (see :func:`load_from_config`).

    :param client: a ``redis.Redis`` client.
    """

    def _members(self, key: str) -> set[str]:
        return {_text(member) for member in self._client.smembers(key)}

    def _scan(self, glob: str) -> Iterator[str]:
        for key in self._client.scan_iter(match=glob, count=_SCAN_COUNT):
            yield _text(key)

    def _scan_aces(self, object_glob: str) -> Iterator[tuple[str, str, str]]:
        """Yield ``(key, object_id, permission)`` of the ACE keys matching (ids escaped)."""
        for key in self._scan(f"{_ACE_PREFIX}{object_glob}"):
            yield key, *_split_ace(key)

    @wrap_redis_error
    def _restore(self, previous: dict) -> None:
        """Replace the sets named by ``previous`` with the members it maps them to."""
        with self._client.pipeline() as pipe:  # MULTI/EXEC
            for key, members in previous.items():
                pipe.delete(key)
                if members:
                    pipe.sadd(key, *members)
            pipe.execute()

    @wrap_redis_error
    def _restore_member(self, keys: list, member: str) -> None:
        """Add ``member`` back to the sets ``keys``."""
        with self._client.pipeline() as pipe:  # MULTI/EXEC
            for key in keys:
                pipe.sadd(key, member)
            pipe.execute()

    def _add(self, key: str, principal: str) -> None:
        if self._client.sadd(key, principal):
            undo.record(self._client.srem, key, principal)

    def _remove(self, key: str, principal: str) -> None:
        if self._client.srem(key, principal):
            undo.record(self._client.sadd, key, principal)

    @wrap_redis_error
    def add_user_principal(self, user_id: str, principal: str) -> None:
        self._add(_USER_PREFIX + user_id, principal)

    @wrap_redis_error
    def remove_user_principal(self, user_id: str, principal: str) -> None:
        self._remove(_USER_PREFIX + user_id, principal)

    @wrap_redis_error
    def remove_principal(self, principal: str) -> None:
        keys = list(set(self._scan(_USER_PREFIX + "*")))
        if keys:
            with self._client.pipeline() as pipe:
                for key in keys:
                    pipe.srem(key, principal)
                removed = pipe.execute()
            if undo.recording():
                undo.record(self._restore_member, [k for k, r in zip(keys, removed) if r],
                            principal)

    @wrap_redis_error
    def user_principals(self, user_id: str) -> set[str]:
        return self._members(_USER_PREFIX + user_id)

    @wrap_redis_error
    def add_principal_to_ace(self, object_id: str, permission: str, principal: str) -> None:
        self._add(_ace_key(object_id, permission), principal)

    @wrap_redis_error
    def remove_principal_from_ace(self, object_id: str, permission: str, principal: str) -> None:
        self._remove(_ace_key(object_id, permission), principal)

    @wrap_redis_error
    def object_permission_principals(self, object_id: str, permission: str) -> set[str]:
        return self._members(_ace_key(object_id, permission))

    @wrap_redis_error
    def object_permission_authorized_principals(
        self,
        object_id: str,
        permission: str,
        get_bound_permissions: BoundPermissions | None = None,
    ) -> set[str]:
        pairs = bound_pairs(object_id, permission, get_bound_permissions)
        keys = [_ace_key(bound_object_id, bound_perm) for bound_object_id, bound_perm in pairs]
        if not keys:
            return set()
        members = self._client.sunion(keys)
        # types-redis widens set members to numbers too: they are bytes or str.
        return {_text(member) for member in members}  # type: ignore[arg-type]

    @wrap_redis_error
    def principals_accessible_objects(
        self,
        principals: Iterable[str],
        permission: str,
        object_id_match: str | None = None,
        get_bound_permissions: BoundPermissions | None = None,
    ) -> set[str]:
        principals = list(set(principals))
        perms_by_pattern: dict[str, set[str]] = {}
        for pattern, perm in pattern_pairs(object_id_match, permission, get_bound_permissions):
            perms_by_pattern.setdefault(pattern, set()).add(perm)
        candidates = {}  # key -> object_id
        for pattern, perms in perms_by_pattern.items():
            regexp = pattern_regexp(pattern)
            parts = pattern.split("*")
            object_glob = "*".join(_glob_escape(_escape(part)) for part in parts) + ":*"
            for key, object_id, perm in self._scan_aces(object_glob):
                if perm in perms and regexp.fullmatch(object_id):
                    candidates[key] = object_id
        if not candidates or not principals:
            return set()
        with self._client.pipeline(transaction=False) as pipe:
            for key in candidates:
                pipe.smismember(key, principals)
            found = pipe.execute()
        return {
            object_id
            for object_id, flags in zip(candidates.values(), found, strict=True)
            if any(flags)
        }

    @wrap_redis_error
    def object_permissions(
        self, object_id: str, permissions: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        if permissions is None:
            object_glob = _glob_escape(_escape(object_id)) + ":*"
            permissions = {
                perm for _, obj, perm in self._scan_aces(object_glob) if obj == object_id
            }
        permissions = list(permissions)
        with self._client.pipeline(transaction=False) as pipe:
            for perm in permissions:
                pipe.smembers(_ace_key(object_id, perm))
            members = pipe.execute()
        return {
            perm: {_text(principal) for principal in principals}
            for perm, principals in zip(permissions, members, strict=True)
            if principals
        }

    @wrap_redis_error
    def replace_object_permissions(
        self, object_id: str, permissions: dict[str, Iterable[str]]
    ) -> None:
        if not permissions:
            return
        keys = [_ace_key(object_id, perm) for perm in permissions]
        recording = undo.recording()
        with self._client.pipeline() as pipe:  # MULTI/EXEC
            for key in keys if recording else ():
                pipe.smembers(key)
            for key, principals in zip(keys, permissions.values(), strict=True):
                pipe.delete(key)
                principals = set(principals)
                if principals:
                    pipe.sadd(key, *principals)
            replies = pipe.execute()
        if recording:
            undo.record(self._restore, dict(zip(keys, replies, strict=False)))

    @wrap_redis_error
    def delete_object_permissions(self, *object_ids: str) -> None:
        if not object_ids:
            return
        wanted = set(object_ids)
        # One scan for them all, narrowed to the ids' common prefix.
        object_glob = _glob_escape(_escape(os.path.commonprefix(object_ids))) + "*"
        keys = list({key for key, obj, _ in self._scan_aces(object_glob) if obj in wanted})
        if not keys:
            return
        recording = undo.recording()
        with self._client.pipeline() as pipe:  # MULTI/EXEC
            for key in keys if recording else ():
                pipe.smembers(key)
            pipe.delete(*keys)
            replies = pipe.execute()
        if recording:
            undo.record(self._restore, dict(zip(keys, replies, strict=False)))


def load_from_config(config) -> Permission:
    """Connect to ``permission_url`` with a pool of ``permission_pool_size`` connections."""
    return Permission(create_from_config(config, prefix="permission_"))
