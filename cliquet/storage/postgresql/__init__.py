"""PostgreSQL storage: records as JSONB, filtering, sorting and paging in SQL.

Collection timestamps are computed by the database (see ``schema.sql``);
every create, update and delete is one statement, sent in one round trip
(autocommitted) when no request transaction is joined. Settings: ``storage_url``,
``storage_max_fetch_size`` (10000) and the pool settings of
:func:`cliquet.storage.postgresql.client.create_from_config`.
"""
import hashlib
import os
import warnings  # noqa: F401  (a Cliquet 3.1 public name of this module)
from collections import defaultdict  # noqa: F401  (a Cliquet 3.1 public name of this module)

import orjson

from cliquet._defaults import DEFAULT_SETTINGS, setting_or_default
from cliquet.logs import logger  # noqa: F401  (a Cliquet 3.1 public name of this module)
from cliquet.storage import (
    DEFAULT_DELETED_FIELD,
    DEFAULT_ID_FIELD,
    DEFAULT_MODIFIED_FIELD,
    Filter,  # noqa: F401  (a Cliquet 3.1 public name of this module)
    StorageBase,
    exceptions,  # noqa: F401  (a Cliquet 3.1 public name of this module)
)
from cliquet.storage.exceptions import RecordNotFoundError, UnicityError
from cliquet.storage._recordset import copy_record
from cliquet.storage.postgresql import _queries as queries
from cliquet.storage.postgresql._migrator import Layout, Migrator
from cliquet._postgresql import PostgreSQLClient, create_from_config
from cliquet.utils import replaced
from cliquet.utils import COMPARISON, json  # noqa: F401  (COMPARISON: a Cliquet 3.1 public name of this module)

SCHEMA_VERSION = 3
DEFAULT_MAX_FETCH_SIZE = DEFAULT_SETTINGS["storage_max_fetch_size"]
_SQL_DIR = os.path.dirname(__file__)
# Cliquet 1.6 (version 1, without a version row): records have a ``user_id`` column.
_CLIQUET_1_6 = Layout(
    "Cliquet 1.6",
    "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema ="
    " current_schema() AND table_name = 'records' AND column_name = 'user_id')",
    (1,),
    ("migrations/cliquet_1_6_before.sql", "schema.sql", "migrations/cliquet_1_6_after.sql"),
)
# Cliquet 3.1 (its version 11): records have a ``parent_id`` column and a
# TIMESTAMP ``last_modified`` (ours are BIGINT epoch milliseconds).
_CLIQUET_3_1 = Layout(
    "Cliquet 3.1",
    "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema ="
    " current_schema() AND table_name = 'records' AND column_name = 'parent_id')"
    " AND EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema ="
    " current_schema() AND table_name = 'records' AND column_name = 'last_modified'"
    " AND data_type LIKE 'timestamp%')",
    (11,),
    ("migrations/cliquet_3_1_before.sql", "schema.sql", "migrations/cliquet_3_1_after.sql"),
)


class Storage(StorageBase):
    """Storage backend on a PostgreSQL client (see :func:`load_from_config`).

    :param client: a :class:`~cliquet.storage.postgresql.client.PostgreSQLClient`.
    :param max_fetch_size: maximum number of records a page holds.
    """

    schema_version = SCHEMA_VERSION

    def __init__(self, client: PostgreSQLClient, max_fetch_size: int = DEFAULT_MAX_FETCH_SIZE,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self._max_fetch_size = max_fetch_size
        self._migrator = Migrator(client, "storage", self.schema_version, _SQL_DIR, backend=self,
                                  legacy=[_CLIQUET_1_6, _CLIQUET_3_1])

    def _execute(self, sql: str, params: dict, readonly: bool = False, then: str | None = None,
                 force_commit: bool = False):
        """Run ``sql`` (and the ``then`` statement in the same transaction)."""
        with self.client.connect(readonly=readonly, force_commit=force_commit,
                                 autocommit=not then) as connection:
            rows = connection.execute(sql, params)
            if then:
                connection.execute(then)
            return rows

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Create the schema, or upgrade it to :data:`SCHEMA_VERSION`.

        :param dry_run: log the SQL that would run, and change nothing.
        """
        self._migrator.schema_version = self.schema_version  # may have been changed since
        self._migrator.migrate(dry_run)

    def _get_installed_version(self) -> int | None:
        """The schema version recorded in the database (``None``: no schema)."""
        return self._migrator.installed_version()

    def _execute_sql_file(self, filepath: str) -> None:
        """Run a SQL file of this package, e.g. ``migrations/migration_001_002.sql``."""
        self._migrator.execute_file(filepath)

    def flush(self, auth=None) -> None:
        """Delete everything, committed at once (even within a request transaction)."""
        self._execute(queries.FLUSH, {}, force_commit=True)

    def collection_timestamp(self, collection_id, parent_id, auth=None) -> int:
        params = {"collection_id": collection_id, "parent_id": parent_id}
        timestamp = self._execute(queries.GET_TIMESTAMP, params, readonly=True)[0][0]
        if timestamp is None:
            rows = self._execute(queries.CREATE_TIMESTAMP, params)
            # Empty when created concurrently meanwhile.
            timestamp = rows[0][0] if rows else \
                self._execute(queries.GET_TIMESTAMP, params, readonly=True)[0][0]
        return timestamp

    def collection_timestamp_for_update(self, collection_id, parent_id, auth=None) -> int:
        """:meth:`collection_timestamp`, the collection's row of timestamps locked
        until the request transaction ends (see ``_queries.HOLD_TIMESTAMP``);
        without a request transaction, a plain :meth:`collection_timestamp`."""
        if not self.client.in_request_transaction():
            return self.collection_timestamp(collection_id, parent_id, auth=auth)
        params = {"collection_id": collection_id, "parent_id": parent_id}
        return self._execute(queries.HOLD_TIMESTAMP, params)[0][0]

    def _write(self, sql, collection_id, parent_id, object_id, record, unique_fields,
               id_field, modified_field, exclude_id=None) -> dict:
        """Run a create or update statement; raise ``UnicityError`` on a conflict."""
        builder = queries.QueryBuilder(
            id_field, modified_field, collection_id=collection_id, parent_id=parent_id,
            object_id=object_id, forced=record.get(modified_field),
            data=json.dumps({k: v for k, v in record.items()
                             if k not in (id_field, modified_field)}))
        conflicts = []
        for rank, field in enumerate(unique_fields or ()):
            value = record.get(field)
            if value is None:
                continue
            exclude = "" if exclude_id is None else f" AND id <> {builder.bind(exclude_id)}"
            condition = builder.condition((field, value, "=="))
            conflicts.append(queries.CONFLICT.format(
                rank=rank, base=queries.BASE, condition=condition, exclude=exclude))
        rows = None
        if not conflicts and sql is queries.CREATE:
            sql = queries.CREATE_NEW  # cheaper to plan
        elif not conflicts and sql is queries.UPDATE:
            # Most updates replace a record that exists: try the plain UPDATE first.
            rows = self._execute(queries.UPDATE_EXISTING.format(base=queries.BASE),
                                 builder.params) or None
        if rows is None:
            sql = sql.format(base=queries.BASE,
                             conflicts=" UNION ALL ".join(conflicts) or queries.NO_CONFLICT)
            rows = self._execute(sql, builder.params)
        # Rows: (rank, id, last_modified, data), rank set on conflicting records only.
        taken = sorted((row for row in rows if row[0] is not None), key=lambda row: row[0])
        if taken:
            rank, existing_id, last_modified, data = taken[0]
            existing = {**data, id_field: existing_id, modified_field: last_modified}
            raise UnicityError(unique_fields[rank], existing)
        result = copy_record(record)
        result[id_field] = object_id
        result[modified_field] = rows[0][2]
        return result

    def create(self, collection_id, parent_id, record, id_generator=None, unique_fields=None,
               id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
               auth=None) -> dict:
        unique_fields = tuple(unique_fields or ())
        if id_field in record:
            object_id = record[id_field]
            unique_fields = (id_field, *unique_fields)
        else:
            object_id = (id_generator or self.id_generator)()
        return self._write(queries.CREATE, collection_id, parent_id, object_id, record,
                           unique_fields, id_field, modified_field)

    def get(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
            modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> dict:
        params = {"collection_id": collection_id, "parent_id": parent_id,
                  "object_id": object_id}
        rows = self._execute(queries.GET, params, readonly=True)
        if not rows:
            raise RecordNotFoundError(object_id)
        last_modified, data = rows[0]
        return {**data, id_field: object_id, modified_field: last_modified}

    def get_for_update(self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
                       modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> dict:
        """:meth:`get`, the id held until the request transaction ends.

        The read opens the transaction of the request (as a write does) and
        takes a transaction advisory lock on a 64-bit hash of the ids (see
        ``_queries.LOCK``), in the round trip of the read itself. Without a
        request transaction (``transaction_per_request`` off, a client that
        commits each block) it is a plain :meth:`get`.
        """
        if not self.client.in_request_transaction():
            return self.get(collection_id, parent_id, object_id, id_field=id_field,
                            modified_field=modified_field, auth=auth)
        params = {"collection_id": collection_id, "parent_id": parent_id,
                  "object_id": object_id, "lock": _lock_key(collection_id, parent_id, object_id)}
        if replaced(self.get, Storage.get):  # records read another way
            self._execute(queries.LOCK, params)
            return self.get(collection_id, parent_id, object_id, id_field=id_field,
                            modified_field=modified_field, auth=auth)
        rows = self._execute(f"{queries.LOCK}; {queries.GET}", params)
        if not rows:
            raise RecordNotFoundError(object_id)
        last_modified, data = rows[0]
        return {**data, id_field: object_id, modified_field: last_modified}

    def update(self, collection_id, parent_id, object_id, record, unique_fields=None,
               id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
               auth=None) -> dict:
        return self._write(queries.UPDATE, collection_id, parent_id, object_id, record,
                           tuple(unique_fields or ()), id_field, modified_field,
                           exclude_id=object_id)

    def _delete(self, collection_id, parent_id, where, builder, with_deleted, id_field,
                modified_field, deleted_field, last_modified=None) -> list:
        template = (queries.DELETE_WITH_TOMBSTONES if with_deleted
                    else queries.DELETE_WITHOUT_TOMBSTONES)
        params = dict(builder.params, collection_id=collection_id, parent_id=parent_id,
                      forced=last_modified)
        rows = self._execute(template.format(base=queries.BASE, where=where), params,
                             then=None if with_deleted else queries.FLUSH_TIMESTAMPS)
        return [{id_field: object_id,
                 modified_field: timestamp if last_modified is None else last_modified,
                 deleted_field: True} for object_id, timestamp in rows]

    # Cliquet 3.1's backends take id_field before with_deleted, StorageBase the
    # other way round: both orders are kept, callers pass keywords.
    def delete(  # type: ignore[override]
            self, collection_id, parent_id, object_id, id_field=DEFAULT_ID_FIELD,
            with_deleted=True, modified_field=DEFAULT_MODIFIED_FIELD,
            deleted_field=DEFAULT_DELETED_FIELD, auth=None, last_modified=None) -> dict:
        builder = queries.QueryBuilder(id_field, modified_field)
        where = f" AND id = {builder.bind(object_id)}"
        tombstones = self._delete(collection_id, parent_id, where, builder, with_deleted,
                                  id_field, modified_field, deleted_field, last_modified)
        if not tombstones:
            raise RecordNotFoundError(object_id)
        return tombstones[0]

    def delete_all(  # type: ignore[override]  # 3.1's order: see delete()
            self, collection_id, parent_id, filters=None, id_field=DEFAULT_ID_FIELD,
            with_deleted=True, modified_field=DEFAULT_MODIFIED_FIELD,
            deleted_field=DEFAULT_DELETED_FIELD, auth=None) -> list:
        builder = queries.QueryBuilder(id_field, modified_field)
        where = builder.filters(filters)
        return self._delete(collection_id, parent_id, where, builder, with_deleted,
                            id_field, modified_field, deleted_field)

    def purge_deleted(self, collection_id, parent_id, before=None, id_field=DEFAULT_ID_FIELD,
                      modified_field=DEFAULT_MODIFIED_FIELD, auth=None) -> int:
        params = {"collection_id": collection_id, "parent_id": parent_id, "before": before}
        sql = queries.PURGE + ("" if before is None else " AND last_modified < :before")
        return self._execute(sql, params)

    def get_all(self, collection_id, parent_id, filters=None, sorting=None,
                pagination_rules=None, limit=None, include_deleted=False,
                id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
                deleted_field=DEFAULT_DELETED_FIELD, auth=None,
                count=True) -> tuple[list, int | None]:
        """See :meth:`StorageBase.get_all`; without ``count``, no total (``None``):
        the page alone is read, which needs no scan of every matching record."""
        records, total, _ = self._read_page(
            collection_id, parent_id, filters, sorting, pagination_rules, limit,
            include_deleted, id_field, modified_field, deleted_field, count)
        return records, total

    def get_all_with_timestamp(self, collection_id, parent_id, filters=None, sorting=None,
                               pagination_rules=None, limit=None, include_deleted=False,
                               id_field=DEFAULT_ID_FIELD, modified_field=DEFAULT_MODIFIED_FIELD,
                               deleted_field=DEFAULT_DELETED_FIELD, auth=None,
                               count=True) -> tuple[list, int | None, int]:
        """See :meth:`StorageBase.get_all_with_timestamp`: the timestamp is read by
        the page's statement (and created apart if the collection has none)."""
        if replaced(self.get_all, Storage.get_all) or \
                replaced(self.collection_timestamp, Storage.collection_timestamp):
            return super().get_all_with_timestamp(  # read the way they were replaced
                collection_id, parent_id, filters=filters, sorting=sorting,
                pagination_rules=pagination_rules, limit=limit,
                include_deleted=include_deleted, id_field=id_field,
                modified_field=modified_field, deleted_field=deleted_field, auth=auth,
                count=count)
        records, total, timestamp = self._read_page(
            collection_id, parent_id, filters, sorting, pagination_rules, limit,
            include_deleted, id_field, modified_field, deleted_field, count,
            with_timestamp=True)
        if timestamp is None:
            # Never written (or not on the first row, see PAGE_WITH_TIMESTAMP):
            # the timestamp read (created) first, then the page, in that order.
            timestamp = self.collection_timestamp(collection_id, parent_id)
            records, total, _ = self._read_page(
                collection_id, parent_id, filters, sorting, pagination_rules, limit,
                include_deleted, id_field, modified_field, deleted_field, count)
        return records, total, timestamp

    def _read_page(self, collection_id, parent_id, filters, sorting, pagination_rules, limit,
                   include_deleted, id_field, modified_field, deleted_field, count,
                   with_timestamp=False) -> tuple[list, int | None, int | None]:
        """The page, its total (``None`` without ``count``) and, ``with_timestamp``,
        the collection timestamp read by the same statement (``None`` if the
        collection has none yet)."""
        builder = queries.QueryBuilder(
            id_field, modified_field, collection_id=collection_id, parent_id=parent_id,
            deleted_field=deleted_field)
        source = queries.RECORDS
        if include_deleted:
            source = f"{queries.RECORDS} UNION ALL {queries.TOMBSTONES}"
        where = builder.filters(filters)
        if not count:
            template = queries.PAGE_WITHOUT_TOTAL
        else:
            template = queries.FILTERED_PAGE if where else queries.PAGE
        sql = template.format(base=queries.BASE, filters=where, source=source,
                              rules=builder.rules(pagination_rules),
                              order=builder.order(sorting))
        if with_timestamp:
            sql = queries.PAGE_WITH_TIMESTAMP.format(page=sql)
        page_size = self._max_fetch_size
        if limit and limit > 0:
            page_size = min(limit, page_size)
        rows = self._execute(sql, dict(builder.params, limit=page_size), readonly=True)
        timestamp = None
        if with_timestamp:
            timestamp = rows[0][4]  # None if the page's first row does not carry it
            if rows[0][0] is None:  # an empty page
                rows = []
        if not count:
            total = None
        elif rows:
            total = rows[0][3]
        elif pagination_rules:
            count_sql = queries.COUNT.format(base=queries.BASE, filters=where)
            total = self._execute(count_sql, builder.params, readonly=True)[0][0]
        else:
            total = 0
        # One decoding for the page; the fields set on the decoded objects in
        # place, where ``{**data, id_field: ..., modified_field: ...}`` puts them.
        records = orjson.loads(f"[{','.join([row[2] for row in rows])}]")
        for record, row in zip(records, rows):
            record[id_field] = row[0]
            record[modified_field] = row[1]
        return records, total, timestamp


def _lock_key(collection_id: str, parent_id: str, object_id: str) -> int:
    """The advisory lock of a record id: a signed 64-bit hash of its ids.

    Two ids sharing a key (a chance of 2**-64) only make their writers wait
    for each other.
    """
    ids = "\x00".join((parent_id, collection_id, object_id)).encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(ids, digest_size=8, person=b"cliquet.record").digest()
    return int.from_bytes(digest, "big", signed=True)


def load_from_config(config) -> Storage:
    """The PostgreSQL backend (``storage_backend = cliquet.storage.postgresql``)."""
    settings = config.get_settings()
    client = create_from_config(config, prefix="storage_")
    max_fetch_size = setting_or_default(settings, "storage_max_fetch_size")
    max_fetch_size = int(max_fetch_size or DEFAULT_MAX_FETCH_SIZE)  # "" too: the default
    return Storage(client=client, max_fetch_size=max_fetch_size)
