"""Process-memory storage, and the Python filtering shared with Redis.

Values compare the way PostgreSQL orders JSONB (so every backend returns the
same pages): ``null < strings < numbers < booleans < arrays < objects``, with
an empty top-level array before ``null``; numbers compare numerically,
strings by code point. A missing field never matches an equality, ``in_`` or
comparison filter, always matches ``not_``/``exclude_``, and sorts after
every value in ascending order.
"""
import contextlib
import functools
import operator
import threading
import time
from collections import defaultdict

from cliquet import utils  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet.storage import (
    DEFAULT_DELETED_FIELD,
    DEFAULT_ID_FIELD,
    DEFAULT_MODIFIED_FIELD,
    Filter,
    StorageBase,
    exceptions,  # noqa: F401  (a Cliquet 3.1 public name of this module)
)
from cliquet.storage import _undo as undo
from cliquet.storage.exceptions import BackendError, RecordNotFoundError, UnicityError
from cliquet.utils import COMPARISON, msec_time

_MISSING = object()


def json_key(value, top_level: bool = True) -> tuple:
    """Total-order key of a JSON value, matching PostgreSQL's JSONB ordering."""
    if value is None:
        return (0,)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bool):
        return (3, value)
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, (list, tuple)):
        if top_level and not value:
            return (-1,)
        return (4, len(value), tuple(json_key(item, False) for item in value))
    if isinstance(value, dict):
        # JSONB stores object keys shortest first, then bytewise.
        keys = sorted(value, key=lambda k: (len(k.encode("utf-8")), k.encode("utf-8")))
        return (5, len(value), tuple((k, json_key(value[k], False)) for k in keys))
    return (6, str(value))


def _predicate(flt, pagination: bool):
    """Compile a filter into ``record -> bool``, comparing JSON keys.

    In ``pagination`` mode a missing value counts as greater than any value,
    consistently with the ascending sort order.
    """
    field, value, op = flt
    if op in (COMPARISON.IN, COMPARISON.EXCLUDE):
        values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
        keys = {json_key(v) for v in values}
        if op == COMPARISON.IN:
            return lambda r: (v := r.get(field, _MISSING)) is not _MISSING and json_key(v) in keys
        return lambda r: (v := r.get(field, _MISSING)) is _MISSING or json_key(v) not in keys

    key = json_key(value)
    if op == COMPARISON.EQ:
        return lambda r: (v := r.get(field, _MISSING)) is not _MISSING and json_key(v) == key
    if op == COMPARISON.NOT:
        return lambda r: (v := r.get(field, _MISSING)) is _MISSING or json_key(v) != key
    compare = {
        COMPARISON.LT: tuple.__lt__, COMPARISON.MAX: tuple.__le__,
        COMPARISON.GT: tuple.__gt__, COMPARISON.MIN: tuple.__ge__,
    }[COMPARISON(op)]
    missing = pagination and op in (COMPARISON.GT, COMPARISON.MIN)

    def match(record):
        v = record.get(field, _MISSING)
        if v is _MISSING:
            return missing
        return compare(json_key(v), key)

    return match


# Kinds of scalar JSON values whose Python comparison is the JSONB one.
_SCALAR_KINDS = {str: 1, int: 2, float: 2}


def _indexable_filter(filters):
    """The first equality filter on a string or number, which an index can serve."""
    for flt in filters or ():
        _, value, op = flt
        if op == COMPARISON.EQ and type(value) in _SCALAR_KINDS:
            return flt
    return None


def _index_key(value) -> tuple:
    """Equal for values the equality filter matches (``1`` and ``1.0``, never ``True``)."""
    return _SCALAR_KINDS[type(value)], value


def apply_filters(records, filters) -> list:
    """Records matching every filter (ANDed)."""
    matching = list(records)
    for flt in filters or ():
        matching = _select(matching, flt)
    return matching


def apply_pagination(records, pagination_rules) -> list:
    """Records matching at least one rule (a rule is a list of ANDed filters)."""
    if not pagination_rules:
        return list(records)
    matching, remaining = [], list(records)
    for rule in pagination_rules:  # each rule keeps its matches out of the next ones' input
        selected = remaining
        for flt in rule:
            selected = _select(selected, flt, pagination=True)
        if selected:
            chosen = {id(r) for r in selected}
            matching += selected
            remaining = [r for r in remaining if id(r) not in chosen]
    return matching


_SCALAR_OPERATORS = {
    COMPARISON.EQ: operator.eq, COMPARISON.LT: operator.lt, COMPARISON.MAX: operator.le,
    COMPARISON.GT: operator.gt, COMPARISON.MIN: operator.ge,
}


def _select(records: list, flt, pagination: bool = False) -> list:
    """The ``records`` matching one filter, in their order.

    Values of the filter's own scalar kind are compared in the loop itself,
    without a call per record; the others go through the full predicate.
    """
    field, value, op = flt
    kind = _SCALAR_KINDS.get(type(value))
    compare = _SCALAR_OPERATORS.get(op) if kind is not None else None
    if compare is None:
        predicate = _predicate(flt, pagination)
        return [r for r in records if predicate(r)]
    if op == COMPARISON.EQ:  # cheap equality first, then kinds (``1 == True``)
        equal = [r for r in records if r.get(field) == value]
        return [r for r in equal if _SCALAR_KINDS.get(type(r[field])) == kind]
    predicate = _predicate(flt, pagination)
    kinds = _SCALAR_KINDS
    return [r for r in records
            if (compare(v, value) if kinds.get(type(v := r.get(field))) == kind
                else predicate(r))]


def _sort_keys(records: list, field: str) -> list:
    """The sort key of each record for ``field``, missing values last."""
    values = [r.get(field, _MISSING) for r in records]
    kinds = {_SCALAR_KINDS.get(type(v)) for v in values}
    if len(kinds) == 1 and None not in kinds:
        return values  # one scalar kind: Python orders them as JSONB does
    keys = []
    for value in values:
        kind = _SCALAR_KINDS.get(type(value))
        if kind is not None:
            keys.append((0, (kind, value)))  # same as json_key(), built faster
        else:
            keys.append((1,) if value is _MISSING else (0, json_key(value)))
    return keys


def apply_sorting(records, sorting, limit=None) -> list:
    """Records sorted by every :class:`cliquet.storage.Sort`, missing values last ascending.

    With ``limit``, only the first ``limit`` records.
    """
    result = list(records)
    for field, direction in reversed(sorting or ()):
        keys = _sort_keys(result, field)
        order = sorted(range(len(result)), key=keys.__getitem__, reverse=direction < 0)
        result = [result[i] for i in order]
    return result[:limit] if limit and limit > 0 else result


def copy_record(record: dict) -> dict:
    """A copy sharing no mutable value with ``record``."""
    return {k: _copy_value(v) for k, v in record.items()}


def _copy_value(value):
    if isinstance(value, dict):
        return copy_record(value)
    if isinstance(value, (list, tuple)):
        return [_copy_value(v) for v in value]
    return value


def next_timestamp(previous: int | None, forced: int | None, now: int) -> int:
    """New collection timestamp after a write (§2.4).

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


def get_unicity_rules(collection_id, parent_id, record, unique_fields, id_field,
                      for_creation) -> list[list[Filter]]:
    """Filter rules matching the records that hold a ``unique_fields`` value of ``record``.

    One rule (ANDed filters) per field with a non-null value; a record
    matching any rule conflicts. Unless ``for_creation``, ``record`` itself
    (its ``id_field``) is excluded.
    """
    rules = []
    for field in unique_fields or ():
        value = record.get(field)
        if value is None:
            continue
        rule = [Filter(field, value, COMPARISON.EQ)]
        if not for_creation:
            rule.append(Filter(id_field, record[id_field], COMPARISON.NOT))
        rules.append(rule)
    return rules


class RecordLocks:
    """Ids held by request transactions of this process.

    Keys are ``(collection_id, parent_id, object_id)`` for a record read for
    update (``get_for_update``) and ``(collection_id, parent_id)`` for a
    collection (``collection_timestamp_for_update``).

    An id is held by the :class:`~cliquet.storage._undo.UndoLog` of a request
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


class MemoryBasedStorage(StorageBase):
    """Helpers for backends that filter, sort and paginate in Python.

    Constructor arguments are accepted and ignored, as in Cliquet 3.1.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def delete_all(self, collection_id, parent_id, filters=None, id_field=DEFAULT_ID_FIELD,
                   with_deleted=True, modified_field=DEFAULT_MODIFIED_FIELD,
                   deleted_field=DEFAULT_DELETED_FIELD, auth=None) -> list:
        """Delete the matching live records one by one (the built-in backends do it at once)."""
        records, _ = self.get_all(collection_id, parent_id, filters=filters, id_field=id_field,
                                  modified_field=modified_field, deleted_field=deleted_field)
        return [self.delete(collection_id, parent_id, record[id_field], id_field=id_field,
                            with_deleted=with_deleted, modified_field=modified_field,
                            deleted_field=deleted_field)
                for record in records]

    def apply_filters(self, records, filters) -> list:
        """Records matching every filter (see :func:`apply_filters`)."""
        return apply_filters(records, filters)

    def apply_sorting(self, records, sorting) -> list:
        """Records sorted (see :func:`apply_sorting`)."""
        return apply_sorting(records, sorting)

    def set_record_timestamp(self, collection_id, parent_id, record,
                             modified_field=DEFAULT_MODIFIED_FIELD, last_modified=None) -> dict:
        """Bump the collection timestamp for a write of ``record``, and stamp ``record``.

        ``last_modified`` (else ``record[modified_field]``), when given, is kept
        as the record's timestamp (§2.4). Returns ``record``.
        """
        forced = last_modified if last_modified is not None else record.get(modified_field)
        record[modified_field] = self._bump_timestamp((collection_id, parent_id), forced)
        return record

    def _bump_timestamp(self, key: tuple, forced: int | None = None) -> int:
        """The timestamp of a write in the collection ``key`` (ids pair), bumped."""
        raise NotImplementedError

    def _tombstone(self, record: dict, id_field: str, modified_field: str,
                   deleted_field: str) -> dict:
        """The tombstone of ``record``."""
        return {id_field: record[id_field], modified_field: record[modified_field],
                deleted_field: True}

    def _check_unicity(self, records, record: dict, unique_fields, id_field: str,
                       exclude_id: str | None = None) -> None:
        """Raise :class:`UnicityError` for the first ``unique_fields`` value held elsewhere.

        Null or missing values are ignored; the record ``exclude_id`` is skipped.
        """
        for field in unique_fields or ():
            value = record.get(field)
            if value is None:
                continue
            key = json_key(value)
            for existing in records:
                if existing[id_field] == exclude_id:
                    continue
                other = existing.get(field)
                if other is not None and json_key(other) == key:
                    raise UnicityError(field, copy_record(existing))

    def _extract_record_set(self, records, tombstones=(), filters=None, sorting=None,
                            pagination_rules=None, limit=None,
                            tombstone_filters=None) -> tuple[list, int]:
        """Filter, sort and paginate live ``records`` plus ``tombstones``.

        :param tombstone_filters: the filters of the tombstones, when not
            ``filters`` (live records already selected by some of them).
        :returns: ``(page, total)``, the page made of copies and ``total``
            counting the live records matching ``filters``.
        """
        matching = apply_filters(records, filters)
        total = len(matching)
        if tombstones:
            matching += apply_filters(
                tombstones, filters if tombstone_filters is None else tombstone_filters)
        page = apply_sorting(apply_pagination(matching, pagination_rules), sorting, limit)
        return [copy_record(r) for r in page], total


    # Cliquet 3.1's signatures of the helpers above.

    def strip_deleted_record(self, resource, parent_id, record, id_field=DEFAULT_ID_FIELD,
                             modified_field=DEFAULT_MODIFIED_FIELD,
                             deleted_field=DEFAULT_DELETED_FIELD) -> dict:
        """The tombstone of ``record``: its id and timestamp, ``deleted_field`` true."""
        return self._tombstone(record, id_field, modified_field, deleted_field)

    def check_unicity(self, collection_id, parent_id, record, unique_fields, id_field,
                      for_creation=False) -> None:
        """Raise :class:`UnicityError` if a live record holds a unique value of ``record``.

        Unless ``for_creation``, ``record`` itself (same id) is not a conflict.
        """
        rules = get_unicity_rules(collection_id, parent_id, record, unique_fields, id_field,
                                  for_creation)
        if not rules:
            return
        holders, _ = self.get_all(collection_id, parent_id, pagination_rules=rules,
                                  id_field=id_field)
        for rule in rules:
            matching = apply_filters(holders, rule)
            if matching:
                raise UnicityError(rule[0].field, matching[0])

    def extract_record_set(self, collection_id, records, filters, sorting,
                           id_field=DEFAULT_ID_FIELD, deleted_field=DEFAULT_DELETED_FIELD,
                           pagination_rules=None, limit=None) -> tuple[list, int]:
        """Filter, sort and paginate ``records``, tombstones (``deleted_field``) included.

        :returns: ``(page, total)``, ``total`` counting the live records matching ``filters``.
        """
        live = [r for r in records if not r.get(deleted_field)]
        tombstones = [r for r in records if r.get(deleted_field)]
        return self._extract_record_set(live, tombstones, filters, sorting, pagination_rules,
                                        limit)


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
            self._store = defaultdict(dict)
            self._cemetery = defaultdict(dict)
            self._timestamps = {}
            self._indexes = {}

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

    def delete(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
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

    def delete_all(self, collection_id, parent_id, filters=None, id_field=DEFAULT_ID_FIELD,
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
            indexed = _indexable_filter(filters)
            if indexed is not None:
                field, value, _ = indexed
                index = self._equality_index(key, field)
                if index is not None:
                    records = index.get(_index_key(value), ())
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
                if type(value) in _SCALAR_KINDS:
                    index.setdefault(_index_key(value), []).append(record)
            indexes[field] = index
        return index


def load_from_config(config) -> Storage:
    """The memory backend (``storage_backend = cliquet.storage.memory``)."""
    return Storage(lock_timeout=config.get_settings().get("storage_lock_timeout"))
