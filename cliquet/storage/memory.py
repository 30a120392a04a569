"""Process-memory storage.

Records are filtered, sorted and paginated in Python
(:mod:`cliquet.storage._recordset`), comparing values the way PostgreSQL
orders JSONB (:mod:`cliquet.storage._jsonorder`), so that every backend
returns the same pages.
"""
import contextlib
import functools
import operator  # noqa: F401  (a Cliquet 3.1 public name of this module)
import threading
import time
from typing import Any
from collections import defaultdict

from cliquet import utils  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet.storage import (
    DEFAULT_DELETED_FIELD,
    DEFAULT_ID_FIELD,
    DEFAULT_MODIFIED_FIELD,
    Filter,  # noqa: F401  (a Cliquet 3.1 public name of this module)
    StorageBase,  # noqa: F401  (a Cliquet 3.1 public name of this module)
    exceptions,  # noqa: F401  (a Cliquet 3.1 public name of this module)
)
from cliquet import _transaction as undo
from cliquet._defaults import setting_or_default
from cliquet.storage._jsonorder import SCALAR_KINDS, index_key, indexable_filter
from cliquet.storage._recordset import (
    MemoryBasedStorage,
    apply_filters,
    apply_pagination,  # noqa: F401  (imported from here by earlier code)
    apply_sorting,  # noqa: F401  (a Cliquet 3.1 public name of this module)
    copy_record,
    get_unicity_rules,  # noqa: F401  (a Cliquet 3.1 public name of this module)
)
from cliquet.storage.exceptions import BackendError, RecordNotFoundError, UnicityError
from cliquet.utils import (
    COMPARISON,  # noqa: F401  (a Cliquet 3.1 public name of this module)
    msec_time,
)


def next_timestamp(previous: int | None, forced: int | None, now: int) -> int:
    """New collection timestamp after a write.

    See docs/protocol.rst, "Timestamps and synchronisation".

    Without a forced value: ``max(now, previous + 1)``. With one: the forced
    value if it is greater than ``previous``, else ``previous + 1``.
    """
    if previous is None:
        return now if forced is None else forced
    if forced is None:
        return max(now, previous + 1)
    return forced if forced > previous else previous + 1


def tree() -> defaultdict:
    """A dict creating nested such dicts on access: ``tree()['a']['b'] = 1``."""
    return defaultdict(tree)


class RecordLocks:
    """Ids held by request transactions of this process.

    Keys are ``(collection_id, parent_id, object_id)`` for a record read for
    update (``get_for_update``) and ``(collection_id, parent_id)`` for a
    collection (``collection_timestamp_for_update``).

    An id is held by the :class:`~cliquet._transaction.UndoLog` of a request
    transaction, which releases it when the transaction ends; a transaction
    asking again for an id it holds does not wait. Waiting for an id held by
    a transaction that itself waits, directly or not, for one held by the
    asker (two batches holding records in opposite orders) raises
    :class:`BackendError` at once instead of waiting forever; so does waiting
    more than ``timeout`` seconds.
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._condition = threading.Condition()
        self._owners: dict = {}  # id key -> log of the transaction holding it
        self._waiting: dict = {}  # log -> id key it waits for

    def hold(self, key, log) -> None:
        """Hold ``key`` for the transaction of ``log`` until it ends."""
        if log.holds((self, key)):
            return
        with self._condition:
            self._wait(key, log)
            self._owners[key] = log
        log.hold((self, key), functools.partial(self._release, key, log))

    def held_by_other(self, key, log) -> bool:
        """Whether a transaction other than the one of ``log`` (maybe ``None``) holds ``key``."""
        owner = self._owners.get(key)
        return owner is not None and owner is not log and not owner.closed

    def wait_for(self, key, log) -> None:
        """Wait until no transaction other than the one of ``log`` (maybe ``None``)
        holds ``key``, without holding it."""
        with self._condition:
            self._wait(key, object() if log is None else log)

    def _wait(self, key, log) -> None:
        deadline = None
        while True:
            owner = self._owners.get(key)
            if owner is None or owner is log or owner.closed:  # closed: released meanwhile
                return
            if self._waits_for(owner, log):
                raise BackendError(message=f"Deadlock on {_describe(key)}")
            if deadline is None:
                deadline = time.monotonic() + self.timeout
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendError(message=f"{_describe(key).capitalize()} held for too long")
            self._waiting[log] = key
            try:
                self._condition.wait(remaining)
            finally:
                del self._waiting[log]

    def _waits_for(self, owner, log) -> bool:
        """Whether ``owner`` waits, through a chain of holders, for ``log``."""
        seen = set()
        while owner is not None and owner not in seen:
            if owner is log:
                return True
            seen.add(owner)
            key = self._waiting.get(owner)
            owner = None if key is None else self._owners.get(key)
        return False

    def _release(self, key, log) -> None:
        with self._condition:
            if self._owners.get(key) is log:
                del self._owners[key]
                self._condition.notify_all()


def _describe(key: tuple) -> str:
    """``record (ids)`` or ``collection (ids)``, for the key of :class:`RecordLocks`."""
    return f"{'record' if len(key) == 3 else 'collection'} {key!r}"


class Storage(MemoryBasedStorage):
    """Storage backend keeping everything in process memory (lost on restart).

    Safe to share between threads. Stored records and tombstones are never
    mutated, only replaced, so that undoing a write can put them back.
    Records read for update, and collections whose timestamp is read for
    update, are held by their request transaction (see :class:`RecordLocks`);
    writes to a held collection wait for it. A request waits at most
    ``lock_timeout`` seconds for what another one holds.

    :param lock_timeout: seconds (default :attr:`lock_timeout`).
    """

    #: Seconds a request waits for a record or collection held by another one (then 503).
    lock_timeout = 10.0

    def __init__(self, *args, lock_timeout: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if lock_timeout is not None:
            self.lock_timeout = float(lock_timeout)
        self._lock = threading.RLock()
        self._record_locks = RecordLocks(self.lock_timeout)
        self.flush()

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Nothing to create."""

    def flush(self, auth=None) -> None:
        with self._lock:
            # (collection_id, parent_id) -> ...
            self._store: defaultdict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
            self._cemetery: defaultdict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
            self._timestamps: dict[tuple[str, str], int] = {}
            self._indexes: dict[tuple[str, str], Any] = {}

    def collection_timestamp(self, collection_id, parent_id, auth=None) -> int:
        with self._lock:
            return self._timestamps.setdefault((collection_id, parent_id), msec_time())

    def collection_timestamp_for_update(self, collection_id, parent_id, auth=None) -> int:
        """:meth:`collection_timestamp`, the collection held by the request transaction."""
        log = undo.active_log()
        if log is not None:
            self._record_locks.hold((collection_id, parent_id), log)
        return self.collection_timestamp(collection_id, parent_id, auth=auth)

    @contextlib.contextmanager
    def _writing(self, key):
        """Hold the storage lock for a write to the collection ``key``, once no other
        request transaction holds that collection."""
        log = undo.active_log()
        locks = self._record_locks
        while True:
            with self._lock:
                if not locks.held_by_other(key, log):
                    yield
                    return
            locks.wait_for(key, log)

    def _remember(self, key, object_id) -> None:
        """Record how to restore the record and tombstone of ``object_id``."""
        if undo.recording():
            undo.record(self._restore, key, object_id,
                        self._store.get(key, {}).get(object_id),
                        self._cemetery.get(key, {}).get(object_id))

    def _restore(self, key, object_id, record, tombstone) -> None:
        with self._lock:
            self._indexes.pop(key, None)
            for table, value in ((self._store, record), (self._cemetery, tombstone)):
                if value is None:
                    table[key].pop(object_id, None)
                else:
                    table[key][object_id] = value

    def _bump_timestamp(self, key, forced=None) -> int:
        with self._lock:
            current = next_timestamp(self._timestamps.get(key), forced, msec_time())
            self._timestamps[key] = current
        return forced if forced is not None else current

    def create(self, collection_id, parent_id, record, id_generator=None, unique_fields=None,
               id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
               auth=None) -> dict:
        id_generator = id_generator or self.id_generator
        key = (collection_id, parent_id)
        with self._writing(key):
            record = copy_record(record)
            store = self._store.get(key, {})
            if id_field not in record:
                record[id_field] = id_generator()
            elif record[id_field] in store:
                raise UnicityError(id_field, copy_record(store[record[id_field]]))
            self._check_unicity(store.values(), record, unique_fields, id_field)
            record[modified_field] = self._bump_timestamp(key, record.get(modified_field))
            self._remember(key, record[id_field])
            self._indexes.pop(key, None)
            self._store[key][record[id_field]] = record
            self._cemetery[key].pop(record[id_field], None)
            return copy_record(record)

    def get(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
            modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> dict:
        with self._lock:
            record = self._store.get((collection_id, parent_id), {}).get(object_id)
            if record is None:
                raise RecordNotFoundError(object_id)
            return copy_record(record)

    def get_for_update(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
                       modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> dict:
        """:meth:`get`, the id held by the request transaction (:class:`RecordLocks`)."""
        log = undo.active_log()
        if log is not None:
            self._record_locks.hold((collection_id, parent_id, object_id), log)
        return self.get(collection_id, parent_id, object_id, id_field=id_field,
                        modified_field=modified_field, auth=auth)

    def update(self, collection_id, parent_id, object_id, record, unique_fields=None,
               id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
               auth=None) -> dict:
        key = (collection_id, parent_id)
        with self._writing(key):
            record = copy_record(record)
            record[id_field] = object_id
            self._check_unicity(self._store.get(key, {}).values(), record, unique_fields,
                               id_field, exclude_id=object_id)
            record[modified_field] = self._bump_timestamp(key, record.get(modified_field))
            self._remember(key, object_id)
            self._indexes.pop(key, None)
            self._store[key][object_id] = record
            return copy_record(record)

    # Cliquet 3.1's backends take id_field before with_deleted, StorageBase the
    # other way round: both orders are kept, callers pass keywords.
    def delete(  # type: ignore[override]
            self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
            with_deleted=True, modified_field=DEFAULT_MODIFIED_FIELD,
            deleted_field=DEFAULT_DELETED_FIELD, auth=None, last_modified=None) -> dict:
        key = (collection_id, parent_id)
        with self._writing(key):
            if object_id not in self._store.get(key, {}):
                raise RecordNotFoundError(object_id)
            return self._delete(key, object_id, id_field, with_deleted, modified_field,
                                deleted_field, last_modified)

    def _delete(self, key, object_id, id_field, with_deleted, modified_field, deleted_field,
                last_modified=None) -> dict:
        self._remember(key, object_id)
        self._indexes.pop(key, None)
        record = {**self._store[key].pop(object_id),
                  modified_field: self._bump_timestamp(key, last_modified)}
        tombstone = self._tombstone(record, id_field, modified_field, deleted_field)
        if with_deleted:
            self._cemetery[key][object_id] = tombstone
        return dict(tombstone)

    def delete_all(  # type: ignore[override]  # 3.1's order: see delete()
            self, collection_id, parent_id, filters=None, id_field=DEFAULT_ID_FIELD,
            with_deleted=True, modified_field=DEFAULT_MODIFIED_FIELD,
            deleted_field=DEFAULT_DELETED_FIELD, auth=None) -> list:
        key = (collection_id, parent_id)
        with self._writing(key):
            matching = apply_filters(self._store.get(key, {}).values(), filters)
            return [self._delete(key, r[id_field], id_field, with_deleted, modified_field,
                                 deleted_field) for r in matching]

    def purge_deleted(self, collection_id, parent_id, before=None, id_field=DEFAULT_ID_FIELD,
                      modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> int:
        key = (collection_id, parent_id)
        with self._lock:
            tombstones = self._cemetery.get(key, {})
            purged = [i for i, t in tombstones.items()
                      if before is None or t[modified_field] < before]
            for object_id in purged:
                self._remember(key, object_id)
                del tombstones[object_id]
            return len(purged)

    def get_all(self, collection_id, parent_id, filters=None, sorting=None,
                pagination_rules=None, limit=None, include_deleted=False,
                id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
                deleted_field=DEFAULT_DELETED_FIELD, auth=None, count=True) -> tuple[list, int]:
        # The total costs nothing more here: always returned.
        key = (collection_id, parent_id)
        with self._lock:
            records = self._store.get(key, {}).values()
            tombstones = self._cemetery.get(key, {}).values() if include_deleted else ()
            record_filters = filters
            indexed = indexable_filter(filters)
            if indexed is not None:
                field, value, _ = indexed
                index = self._equality_index(key, field)
                if index is not None:
                    records = index.get(index_key(value), ())
                    record_filters = [f for f in filters if f is not indexed]
            return self._extract_record_set(records, tombstones, record_filters, sorting,
                                           pagination_rules, limit, tombstone_filters=filters)

    def _equality_index(self, key, field) -> dict | None:
        """The records of collection ``key`` by their value of ``field`` (scalars only).

        Built at the second equality filter on ``field`` since the collection
        last changed, so that a collection written between every read never
        pays for it; every write of the collection drops its indexes. Lists
        keep the order of the collection.
        """
        indexes = self._indexes.setdefault(key, {})
        index = indexes.get(field)
        if index is None:
            if field not in indexes:
                indexes[field] = None  # first use: maybe a one-off
                return None
            index = {}
            for record in self._store.get(key, {}).values():
                value = record.get(field)
                if type(value) in SCALAR_KINDS:
                    index.setdefault(index_key(value), []).append(record)
            indexes[field] = index
        return index


def load_from_config(config) -> Storage:
    """The memory backend (``storage_backend = cliquet.storage.memory``)."""
    return Storage(lock_timeout=setting_or_default(config.get_settings(),
                                                   "storage_lock_timeout"))
