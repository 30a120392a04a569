"""The storage backend contract, shared by the memory, Redis and PostgreSQL backends."""
import random
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from pyramid.settings import asbool

from cliquet.logs import logger  # a Cliquet 3.1 public name of this module
from cliquet.storage import generators
from cliquet.utils import accepts_keyword

Filter = namedtuple("Filter", ["field", "value", "operator"])
"""A filter on a record field: ``operator`` is a :class:`cliquet.utils.COMPARISON`."""

Sort = namedtuple("Sort", ["field", "direction"])
"""A sort on a record field: ``direction`` is ``1`` (ascending) or ``-1`` (descending)."""

DEFAULT_ID_FIELD = "id"
DEFAULT_MODIFIED_FIELD = "last_modified"
DEFAULT_DELETED_FIELD = "deleted"

_HEARTBEAT_DELETE_RATE = 0.6
_HEARTBEAT_COLLECTION_ID = "__heartbeat__"
_HEARTBEAT_PARENT_ID = "__heartbeat__"
_HEARTBEAT_RECORD = {"__heartbeat__": True}


class StorageBase:
    """Storage abstraction used by the resources.

    Records live in collections identified by ``(collection_id, parent_id)``;
    each collection has its own timestamp (docs/protocol.rst, "Timestamps and
    synchronisation"). Every method raises
    :class:`cliquet.storage.exceptions.BackendError` when the backend fails.
    ``auth`` is the client's ``Authorization`` header, ignored by the built-in
    backends and meant for remote ones. Callers pass every argument after the
    ids by keyword: the positional order of these abstract signatures is
    Cliquet 3.1's, which the built-in backends do not all share.
    """

    id_generator = generators.UUID4()

    def initialize_schema(self, dry_run: bool = False) -> None:
        """Create the tables and indexes, or upgrade them (``cliquet migrate``).

        :param dry_run: only log what would be done.
        """
        raise NotImplementedError

    def flush(self, auth: Any = None) -> None:
        """Delete every record, tombstone and timestamp."""
        raise NotImplementedError

    def collection_timestamp(self, collection_id: str, parent_id: str, auth: Any = None) -> int:
        """Return the collection timestamp, creating and storing one if missing.

        :returns: epoch milliseconds.
        """
        raise NotImplementedError

    def create(self, collection_id: str, parent_id: str, object: dict,
               id_generator: Any = None, unique_fields: Any = None,
               id_field: str = DEFAULT_ID_FIELD, modified_field: str = DEFAULT_MODIFIED_FIELD,
               auth: Any = None) -> dict:
        """Store a copy of ``object`` (the record), removing any tombstone with the same id.

        An id is generated with ``id_generator`` (default: the class one) when
        absent. ``last_modified`` is kept when present (forced timestamp),
        assigned otherwise.

        :param unique_fields: fields whose non-null values must be unique
            among live records; a client-provided id is always checked.
        :returns: the stored record.
        :raises: :class:`cliquet.storage.exceptions.UnicityError`
        """
        raise NotImplementedError

    def get(self, collection_id: str, parent_id: str, object_id: str,
            id_field: str = DEFAULT_ID_FIELD, modified_field: str = DEFAULT_MODIFIED_FIELD,
            auth: Any = None) -> dict:
        """Return the live record with that id.

        :raises: :class:`cliquet.storage.exceptions.RecordNotFoundError`
        """
        raise NotImplementedError

    def get_for_update(self, collection_id: str, parent_id: str, object_id: str,
                       id_field: str = DEFAULT_ID_FIELD,
                       modified_field: str = DEFAULT_MODIFIED_FIELD, auth: Any = None) -> dict:
        """Return the live record with that id, as :meth:`get`, read "for update".

        Within a request transaction, the id is held until that transaction
        ends (committed or aborted), whether a record has it or not: another
        request reading it for update waits until then, and reads what this
        one wrote. Resources read the record of a PUT, PATCH or DELETE this
        way, so that preconditions are checked on the record as it is when
        the write is applied, and a PATCH merges into the latest version
        (docs/backends.rst, "Concurrent writes"). Outside a request
        transaction (scripts, direct calls) nothing is held. New in 3.2, not
        part of Cliquet 3.1's API.

        This default holds nothing and returns :meth:`get`: a backend written
        for Cliquet 3.1 keeps working, without that atomicity.

        :raises: :class:`cliquet.storage.exceptions.RecordNotFoundError`
            (the id is held all the same)
        """
        return self.get(collection_id, parent_id, object_id, id_field=id_field,
                        modified_field=modified_field, auth=auth)

    def collection_timestamp_for_update(self, collection_id: str, parent_id: str,
                                        auth: Any = None) -> int:
        """Return :meth:`collection_timestamp`, the collection held "for update".

        Within a request transaction, the collection is held until that
        transaction ends: writes of other requests to it wait until then, and
        the timestamp returned stays the collection's until this request
        writes. Resources hold it to check a precondition on the collection
        timestamp (``If-Match`` on a collection endpoint) in one step with the
        write, and to keep a client-sent ``last_modified`` unique. Outside a
        request transaction nothing is held. New in 3.2.

        This default holds nothing and returns :meth:`collection_timestamp`.
        """
        return self.collection_timestamp(collection_id, parent_id, auth=auth)

    def update(self, collection_id: str, parent_id: str, object_id: str,
               object: dict, unique_fields: Any = None, id_field: str = DEFAULT_ID_FIELD,
               modified_field: str = DEFAULT_MODIFIED_FIELD, auth: Any = None) -> dict:
        """Replace the record with that id by ``object``, or create it (tombstone kept).

        ``object[id_field]`` is forced to ``object_id``.

        :returns: the stored record.
        :raises: :class:`cliquet.storage.exceptions.UnicityError`
        """
        raise NotImplementedError

    def delete(self, collection_id: str, parent_id: str, object_id: str,
               with_deleted: bool = True, id_field: str = DEFAULT_ID_FIELD,
               modified_field: str = DEFAULT_MODIFIED_FIELD,
               deleted_field: str = DEFAULT_DELETED_FIELD, auth: Any = None,
               last_modified: int | None = None) -> dict:
        """Delete the live record with that id.

        :param with_deleted: keep a tombstone.
        :param last_modified: forced timestamp of the tombstone.
        :returns: the tombstone ``{id, last_modified, deleted: True}``.
        :raises: :class:`cliquet.storage.exceptions.RecordNotFoundError`
        """
        raise NotImplementedError

    def delete_all(self, collection_id: str, parent_id: str, filters: Any = None,
                   with_deleted: bool = True, id_field: str = DEFAULT_ID_FIELD,
                   modified_field: str = DEFAULT_MODIFIED_FIELD,
                   deleted_field: str = DEFAULT_DELETED_FIELD, auth: Any = None) -> list:
        """Delete every live record matching ``filters`` (ANDed).

        :returns: the list of tombstones.
        """
        raise NotImplementedError

    def purge_deleted(self, collection_id: str, parent_id: str, before: int | None = None,
                      id_field: str = DEFAULT_ID_FIELD,
                      modified_field: str = DEFAULT_MODIFIED_FIELD, auth: Any = None) -> int:
        """Remove tombstones, only those older than ``before`` if given.

        :returns: the number of tombstones removed.
        """
        raise NotImplementedError

    def get_all(self, collection_id: str, parent_id: str, filters: Any = None, sorting: Any = None,
                pagination_rules: Any = None, limit: int | None = None,
                include_deleted: bool = False, id_field: str = DEFAULT_ID_FIELD,
                modified_field: str = DEFAULT_MODIFIED_FIELD,
                deleted_field: str = DEFAULT_DELETED_FIELD, auth: Any = None,
                count: bool = True) -> tuple[list, int | None]:
        """Return a page of records and the number of matching live records.

        :param filters: list of :class:`Filter`, ANDed.
        :param sorting: list of :class:`Sort`, cumulative.
        :param pagination_rules: list of filter lists, ORed (keyset pagination).
        :param limit: maximum size of the page.
        :param include_deleted: include tombstones in the page (never in the total).
        :param count: whether the total is wanted; when false, a backend for
            which counting costs may return ``None`` instead (new in 3.2: the
            resource passes it only to backends whose ``get_all`` takes it).
        :returns: ``(records, total)``.
        """
        raise NotImplementedError


    def get_all_with_timestamp(
            self, collection_id: str, parent_id: str, filters: Any = None, sorting: Any = None,
            pagination_rules: Any = None, limit: int | None = None,
            include_deleted: bool = False, id_field: str = DEFAULT_ID_FIELD,
            modified_field: str = DEFAULT_MODIFIED_FIELD,
            deleted_field: str = DEFAULT_DELETED_FIELD, auth: Any = None,
            count: bool = True) -> tuple[list, int | None, int]:
        """Return :meth:`get_all`'s page and total with :meth:`collection_timestamp`.

        A backend may read them at once (PostgreSQL: one statement, hence
        one round trip and one snapshot). New in 3.2; resources list a
        collection with it when no precondition needs the timestamp first.

        This default reads the timestamp, then calls :meth:`get_all` (with
        ``count`` only if it takes it): a backend written for Cliquet 3.1
        keeps working.

        :returns: ``(records, total, timestamp)``.
        """
        timestamp = self.collection_timestamp(collection_id, parent_id, auth=auth)
        extra = {} if count or not accepts_keyword(self.get_all, "count") else {"count": False}
        records, total = self.get_all(
            collection_id, parent_id, filters=filters, sorting=sorting,
            pagination_rules=pagination_rules, limit=limit, include_deleted=include_deleted,
            id_field=id_field, modified_field=modified_field, deleted_field=deleted_field,
            auth=auth, **extra)
        return records, total, timestamp

def heartbeat(backend: StorageBase) -> Callable:
    """Return ``ping(request) -> bool``, the storage check of ``__heartbeat__``."""

    def ping(request: Any) -> bool:
        try:
            readonly = asbool(request.registry.settings["readonly"])
            if readonly:
                backend.get_all(_HEARTBEAT_COLLECTION_ID, _HEARTBEAT_PARENT_ID)
            elif random.random() < _HEARTBEAT_DELETE_RATE:
                backend.delete_all(_HEARTBEAT_COLLECTION_ID, _HEARTBEAT_PARENT_ID)
            else:
                backend.create(_HEARTBEAT_COLLECTION_ID, _HEARTBEAT_PARENT_ID,
                               dict(_HEARTBEAT_RECORD))
            return True
        except Exception:
            logger.exception("Storage heartbeat failed", backend=type(backend).__module__)
            return False

    return ping

