"""Redis storage: records as JSON strings, filtered and sorted in Python.

Key layout (``<c>`` collection id, ``<p>`` parent id): ``<c>.<p>.timestamp``,
the sets ``<c>.<p>.records`` and ``<c>.<p>.deleted`` of ids, and the JSON
strings ``<c>.<p>.<id>.records`` and ``<c>.<p>.<id>.deleted``, and
``<c>.<p>.<id>.lock`` while a request holds that id (``get_for_update``). Every write is
one Lua script, hence atomic; writes that depend on the collection content
(unique fields, ``delete_all``) pass the timestamp they read and are retried
if another write happened in between. Within a request, scripts also return
the previous values they overwrite, which an abort puts back.
"""
import functools
import random
import time
from functools import wraps  # noqa: F401  (a Cliquet 3.1 public name of this module)

import redis

from cliquet.storage import (
    DEFAULT_DELETED_FIELD,
    DEFAULT_ID_FIELD,
    DEFAULT_MODIFIED_FIELD,
    exceptions,  # noqa: F401  (a Cliquet 3.1 public name of this module)
)
from cliquet import utils  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet._redis import (  # the connection code, shared with cache, permission, listeners
    RedisBackend,
    create_from_config,
    wrap_redis_error,
)
from cliquet.logs import logger  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet.storage import _redis_scripts as scripts
from cliquet import _transaction as undo
from cliquet._defaults import setting_or_default
from cliquet.storage.exceptions import BackendError, RecordNotFoundError, UnicityError
from cliquet.storage._recordset import MemoryBasedStorage, copy_record
from cliquet.utils import json, msec_time

_MAX_ATTEMPTS = 100
_SKIP_CHECK = "skip"


class Storage(RedisBackend, MemoryBasedStorage):
    """Storage backend on a Redis client (see :func:`load_from_config`).

    A record read for update is held by its request transaction through the
    key ``<c>.<p>.<id>.lock``, a collection whose timestamp is read for update
    through ``<c>.<p>.lock``: set if absent with the transaction's token and
    deleted (if it still holds that token) when the transaction ends, after
    the undo actions of an abort; every process sharing the Redis database
    sees them. Write scripts refuse to write to a collection held by another
    transaction. A request finding a key taken retries with a growing pause
    (1 to 20 ms), at most ``lock_timeout`` seconds (then 503). A key expires
    after ``lock_ttl`` seconds, in case its process dies holding it.

    :param client: a ``redis.Redis`` client.
    :param lock_ttl: seconds (default :attr:`lock_ttl`).
    :param lock_timeout: seconds (default :attr:`lock_timeout`).
    """

    #: Seconds a record or collection read for update stays held at most.
    lock_ttl = 10.0
    #: Seconds a request waits for a record or collection held by another one.
    lock_timeout = 10.0

    def __init__(self, client: redis.Redis, *args, lock_ttl: float | None = None,
                 lock_timeout: float | None = None, **kwargs):
        super().__init__(client, *args, **kwargs)
        if lock_ttl is not None:
            self.lock_ttl = float(lock_ttl)
        if lock_timeout is not None:
            self.lock_timeout = float(lock_timeout)
        self._load_script = client.register_script(scripts.LOAD)
        self._write_script = client.register_script(scripts.WRITE)
        self._delete_script = client.register_script(scripts.DELETE)
        self._purge_script = client.register_script(scripts.PURGE)
        self._bump_script = client.register_script(scripts.BUMP)
        self._hold_script = client.register_script(scripts.HOLD)
        self._hold_collection_script = client.register_script(scripts.HOLD_COLLECTION)
        self._release_script = client.register_script(scripts.RELEASE)

    def _retry_while_held(self, attempt, what: str):
        """``attempt()`` until it returns something else than ``None`` (what it
        returns while a key is held by another transaction), pausing 1 to 20 ms.

        :raises BackendError: still held after :attr:`lock_timeout` seconds.
        """
        deadline, pause = None, 0.001
        while True:
            result = attempt()
            if result is not None:
                return result
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.lock_timeout
            elif now > deadline:
                raise BackendError(message=f"{what} held for too long")
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, 0.02)

    def _run_write(self, script, keys: list, args: list, base: str) -> list:
        """The result of a write script, run again while another transaction holds
        the collection ``base`` (the script then returns ``{'held'}``)."""
        return self._retry_while_held(
            lambda: None if (result := script(keys=keys, args=args))[0] == b"held" else result,
            base)

    @wrap_redis_error
    def _bump_timestamp(self, key: tuple, forced: int | None = None) -> int:
        base = "{}.{}".format(*key)
        _, value = self._run_write(self._bump_script, [f"{base}.timestamp", f"{base}.lock"],
                                   [msec_time(), "" if forced is None else forced, _token()],
                                   base)
        return int(value)

    @wrap_redis_error
    def collection_timestamp(self, collection_id, parent_id, auth=None) -> int:
        key = f"{collection_id}.{parent_id}.timestamp"
        with self._client.pipeline() as pipe:  # MULTI/EXEC
            pipe.set(key, msec_time(), nx=True)
            pipe.get(key)
            _, timestamp = pipe.execute()
        return int(timestamp)

    @wrap_redis_error
    def collection_timestamp_for_update(self, collection_id, parent_id, auth=None) -> int:
        """:meth:`collection_timestamp`, the collection held by the request transaction."""
        base = f"{collection_id}.{parent_id}"
        lock_key = f"{base}.lock"
        log = undo.active_log()
        if log is None or log.holds((self, lock_key)):
            return self.collection_timestamp(collection_id, parent_id, auth=auth)
        keys = [lock_key, f"{base}.timestamp"]

        def attempt():
            held, *value = self._hold_collection_script(
                keys=keys, args=[log.token, int(self.lock_ttl * 1000), msec_time()])
            return int(value[0]) if held else None

        timestamp = self._retry_while_held(attempt, base)
        log.hold((self, lock_key), functools.partial(self._release, lock_key, log.token))
        return timestamp

    def _load(self, base: str, include_deleted: bool) -> tuple[str, list, list]:
        """The raw timestamp, live records and (optionally) tombstones, atomically."""
        keys = [f"{base}.timestamp", f"{base}.records", f"{base}.deleted"]
        raw, records, tombstones = self._load_script(
            keys=keys, args=[f"{base}.", "1" if include_deleted else "0"])
        return raw.decode(), json.loads(records), json.loads(tombstones)

    def _write(self, mode, collection_id, parent_id, record, unique_fields, id_field,
               modified_field, exclude_id=None) -> dict:
        base = f"{collection_id}.{parent_id}"
        object_id = record[id_field]
        forced = record.pop(modified_field, None)
        body = json.dumps(record)
        keys = [f"{base}.timestamp", f"{base}.records", f"{base}.{object_id}.records",
                f"{base}.deleted", f"{base}.{object_id}.deleted", f"{base}.lock"]
        head = "{" + json.dumps(modified_field) + ":"
        for _ in range(_MAX_ATTEMPTS):
            expected = _SKIP_CHECK
            if unique_fields:
                expected, records, _ = self._load(base, include_deleted=False)
                self._check_unicity(records, record, unique_fields, id_field, exclude_id)
            args = [msec_time(), "" if forced is None else forced, expected, object_id,
                    head, body[1:], mode, _flag(), _token()]
            status, value, *previous = self._run_write(self._write_script, keys, args, base)
            if status == b"exists":
                raise UnicityError(id_field, json.loads(value))
            if status == b"ok":
                if undo.recording():
                    old_record, old_tombstone = previous
                    undo.record(self._restore, base, [(object_id, "records", old_record)] + (
                        [(object_id, "deleted", old_tombstone)] if mode == "create" else []))
                record[modified_field] = int(value)
                return record
        raise BackendError(message=f"Too many concurrent writes on {base}")

    @wrap_redis_error
    def create(self, collection_id, parent_id, record, id_generator=None, unique_fields=None,
               id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
               auth=None) -> dict:
        record = copy_record(record)
        if id_field in record:
            unique_fields = (id_field, *(unique_fields or ())) if unique_fields else None
        else:
            record[id_field] = (id_generator or self.id_generator)()
        return self._write("create", collection_id, parent_id, record, unique_fields,
                           id_field, modified_field)

    @wrap_redis_error
    def get(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
            modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> dict:
        value = self._client.get(f"{collection_id}.{parent_id}.{object_id}.records")
        if value is None:
            raise RecordNotFoundError(object_id)
        return json.loads(value)

    @wrap_redis_error
    def get_for_update(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
                       modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> dict:
        """:meth:`get`, the id held by the request transaction (see the class)."""
        base = f"{collection_id}.{parent_id}.{object_id}"
        lock_key = f"{base}.lock"
        log = undo.active_log()
        if log is None or log.holds((self, lock_key)):
            return self.get(collection_id, parent_id, object_id, id_field=id_field,
                            modified_field=modified_field, auth=auth)
        own_read = type(self).get is Storage.get  # else a subclass reads its own way
        keys = [lock_key, f"{base}.records"]
        args = [log.token, int(self.lock_ttl * 1000), "1" if own_read else "0"]

        def attempt():
            held, *value = self._hold_script(keys=keys, args=args)
            return value if held else None

        value = self._retry_while_held(attempt, f"Record {base}")
        log.hold((self, lock_key), functools.partial(self._release, lock_key, log.token))
        if not own_read:
            return self.get(collection_id, parent_id, object_id, id_field=id_field,
                            modified_field=modified_field, auth=auth)
        if value[0] is None:
            raise RecordNotFoundError(object_id)
        return json.loads(value[0])

    @wrap_redis_error
    def _release(self, lock_key: str, token: str) -> None:
        self._release_script(keys=[lock_key], args=[token])

    @wrap_redis_error
    def update(self, collection_id, parent_id, object_id, record, unique_fields=None,
               id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
               auth=None) -> dict:
        record = copy_record(record)
        record[id_field] = object_id
        return self._write("update", collection_id, parent_id, record, unique_fields,
                           id_field, modified_field, exclude_id=object_id)

    def _delete(self, base, object_ids, expected, with_deleted, id_field, modified_field,
                deleted_field, last_modified=None):
        """Run the delete script; ``None`` when the collection changed meanwhile."""
        keys = [f"{base}.timestamp", f"{base}.records", f"{base}.deleted", f"{base}.lock"]
        args = [msec_time(), expected, f"{base}.", "" if last_modified is None else last_modified,
                "1" if with_deleted else "0", json.dumps(id_field), json.dumps(modified_field),
                json.dumps(deleted_field), _flag(), _token()]
        for object_id in object_ids:
            args += [object_id, json.dumps(object_id)]
        status, *deleted = self._run_write(self._delete_script, keys, args, base)
        if status != b"ok":
            return None
        deleted_ids = [object_id.decode() for object_id in deleted[::4]]
        if undo.recording():
            kinds = ("records", "deleted") if with_deleted else ("records",)
            undo.record(self._restore, base, [
                (object_id, kind, value)
                for object_id, *olds in zip(deleted_ids, deleted[2::4], deleted[3::4])
                for kind, value in zip(kinds, olds)])
        return [{id_field: object_id, modified_field: int(stamp), deleted_field: True}
                for object_id, stamp in zip(deleted_ids, deleted[1::4])]

    @wrap_redis_error
    def delete(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
               with_deleted=True, modified_field=DEFAULT_MODIFIED_FIELD,
               deleted_field=DEFAULT_DELETED_FIELD, auth=None, last_modified=None) -> dict:
        base = f"{collection_id}.{parent_id}"
        tombstones = self._delete(base, [object_id], _SKIP_CHECK, with_deleted, id_field,
                                  modified_field, deleted_field, last_modified)
        if not tombstones:
            raise RecordNotFoundError(object_id)
        return tombstones[0]

    @wrap_redis_error
    def delete_all(self, collection_id, parent_id, filters=None, id_field=DEFAULT_ID_FIELD,
                   with_deleted=True, modified_field=DEFAULT_MODIFIED_FIELD,
                   deleted_field=DEFAULT_DELETED_FIELD, auth=None) -> list:
        base = f"{collection_id}.{parent_id}"
        for _ in range(_MAX_ATTEMPTS):
            expected, records, _ = self._load(base, include_deleted=False)
            matching, _ = self._extract_record_set(records, filters=filters)
            if not matching:
                return []
            tombstones = self._delete(base, [r[id_field] for r in matching], expected,
                                      with_deleted, id_field, modified_field, deleted_field)
            if tombstones is not None:
                return tombstones
        raise BackendError(message=f"Too many concurrent writes on {base}")

    @wrap_redis_error
    def purge_deleted(self, collection_id, parent_id, before=None, id_field=DEFAULT_ID_FIELD,
                      modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> int:
        base = f"{collection_id}.{parent_id}"
        removed, *purged = self._purge_script(
            keys=[f"{base}.deleted"],
            args=[f"{base}.", "" if before is None else before, modified_field, _flag()])
        if undo.recording():
            undo.record(self._restore, base, [(object_id.decode(), "deleted", tombstone)
                                              for object_id, tombstone in zip(purged[::2],
                                                                              purged[1::2])])
        return removed

    @wrap_redis_error
    def _restore(self, base: str, entries: list) -> None:
        """Put back ``(object_id, "records" or "deleted", previous JSON or None)`` values."""
        with self._client.pipeline() as pipe:  # MULTI/EXEC
            for object_id, kind, value in entries:
                if value is None:
                    pipe.delete(f"{base}.{object_id}.{kind}")
                    pipe.srem(f"{base}.{kind}", object_id)
                else:
                    pipe.set(f"{base}.{object_id}.{kind}", value)
                    pipe.sadd(f"{base}.{kind}", object_id)
            pipe.execute()

    @wrap_redis_error
    def get_all(self, collection_id, parent_id, filters=None, sorting=None,
                pagination_rules=None, limit=None, include_deleted=False,
                id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
                deleted_field=DEFAULT_DELETED_FIELD, auth=None, count=True) -> tuple[list, int]:
        # The total costs nothing more here: always returned.
        _, records, tombstones = self._load(f"{collection_id}.{parent_id}", include_deleted)
        return self._extract_record_set(records, tombstones, filters, sorting,
                                       pagination_rules, limit)


def _token() -> str:
    """Token of the request transaction of this context in lock keys, ``''`` outside one."""
    log = undo.active_log()
    return "" if log is None else log.token


def _flag() -> str:
    """Script argument asking for the previous values when they can be undone."""
    return "1" if undo.recording() else "0"


def load_from_config(config) -> Storage:
    """The Redis backend on ``storage_url`` (``storage_backend = cliquet.storage.redis``)."""
    settings = config.get_settings()
    return Storage(create_from_config(config, prefix="storage_"),
                   lock_ttl=setting_or_default(settings, "storage_lock_ttl"),
                   lock_timeout=setting_or_default(settings, "storage_lock_timeout"))
