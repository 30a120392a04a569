"""Models: the only code of a resource that talks to the storage and permission backends.

A model is bound to one collection (``collection_id``) of one parent
(``parent_id``); every method accepts ``parent_id`` to address another one.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

from cliquet.utils import DeprecatedMeta  # noqa: F401  (a Cliquet 3.1 public name)
from cliquet.utils import accepts_keyword, replaced


class Model:
    """Records of a collection in the storage backend.

    :param storage: a :class:`cliquet.storage.StorageBase`.
    :param id_generator: generator of new record ids (the storage's own by default).
    :param collection_id: the collection of the records.
    :param parent_id: the default parent (the user id for user resources).
    :param auth: the request ``Authorization`` header, passed on to the storage.
    """

    id_field = "id"
    modified_field = "last_modified"
    deleted_field = "deleted"
    #: :meth:`get_record` reads "for update" (the storage's ``get_for_update``):
    #: the record is held until the request's transaction ends. Resources set
    #: it on the requests that write one record (PUT, PATCH, DELETE).
    for_update = False

    def __init__(self, storage: Any, id_generator: Any = None, collection_id: str = "",
                 parent_id: str = "", auth: Any = None) -> None:
        self.storage = storage
        self.id_generator = id_generator
        self.collection_id = collection_id
        self.parent_id = parent_id
        self.auth = auth

    def _parent(self, parent_id: str | None) -> str:
        return self.parent_id if parent_id is None else parent_id

    def timestamp(self, parent_id: str | None = None, for_update: bool = False) -> int:
        """Current timestamp of the collection (created when missing).

        :param for_update: read it with the storage's
            ``collection_timestamp_for_update``: the collection is held until
            the request's transaction ends (writes of other requests wait).
        """
        storage = self.storage
        read: Callable[..., int] = storage.collection_timestamp
        if for_update:
            # A backend written for Cliquet 3.1 may lack it: a plain read then.
            read = getattr(storage, "collection_timestamp_for_update", read)
        return read(collection_id=self.collection_id, parent_id=self._parent(parent_id),
                    auth=self.auth)

    def get_records(self, filters: Any = None, sorting: Any = None,
                    pagination_rules: Any = None, limit: int | None = None,
                    include_deleted: bool = False, parent_id: str | None = None,
                    count: bool = True) -> tuple[list, int | None]:
        """A page of records and the number of matching live records.

        :param count: whether the total is wanted; when false it may be
            ``None`` (not counted, if the storage can skip it).
        :returns: ``(records, total)``.
        """
        get_all: Callable[..., tuple[list, int | None]] = self.storage.get_all
        extra = {} if count or not accepts_keyword(get_all, "count") else {"count": False}
        return get_all(
            collection_id=self.collection_id, parent_id=self._parent(parent_id),
            filters=filters, sorting=sorting, pagination_rules=pagination_rules, limit=limit,
            include_deleted=include_deleted, id_field=self.id_field,
            modified_field=self.modified_field, deleted_field=self.deleted_field,
            auth=self.auth, **extra)

    def get_records_with_timestamp(
            self, filters: Any = None, sorting: Any = None, pagination_rules: Any = None,
            limit: int | None = None, include_deleted: bool = False,
            parent_id: str | None = None,
            count: bool = True) -> tuple[list, int | None, int]:
        """:meth:`get_records` and :meth:`timestamp`, read together when the storage can
        (its ``get_all_with_timestamp``: one round trip on PostgreSQL).

        A model whose ``get_records`` or ``timestamp`` is replaced (overridden
        or patched), or a storage without that method, gets them one after the other (the
        timestamp first, so that it is never newer than the page).

        :returns: ``(records, total, timestamp)``.
        """
        read_together = getattr(self.storage, "get_all_with_timestamp", None)
        if read_together is None or replaced(self.get_records, Model.get_records) or \
                replaced(self.timestamp, Model.timestamp):
            timestamp = self.timestamp(parent_id=parent_id)
            extra = {} if count or not accepts_keyword(self.get_records, "count") else \
                {"count": False}
            records, total = self.get_records(
                filters=filters, sorting=sorting, pagination_rules=pagination_rules,
                limit=limit, include_deleted=include_deleted, parent_id=parent_id, **extra)
            return records, total, timestamp
        result: tuple[list, int | None, int] = read_together(
            collection_id=self.collection_id, parent_id=self._parent(parent_id),
            filters=filters, sorting=sorting, pagination_rules=pagination_rules, limit=limit,
            include_deleted=include_deleted, id_field=self.id_field,
            modified_field=self.modified_field, deleted_field=self.deleted_field,
            auth=self.auth, count=count)
        return result

    def delete_records(self, filters: Any = None, parent_id: str | None = None) -> list:
        """Delete every live record matching ``filters``.

        :returns: the tombstones.
        """
        delete_all: Callable[..., list] = self.storage.delete_all
        return delete_all(
            collection_id=self.collection_id, parent_id=self._parent(parent_id),
            filters=filters, id_field=self.id_field, modified_field=self.modified_field,
            deleted_field=self.deleted_field, auth=self.auth)

    def get_record(self, record_id: str, parent_id: str | None = None) -> dict:
        """The live record with that id, read for update if :attr:`for_update`.

        :raises: :class:`cliquet.storage.exceptions.RecordNotFoundError`
        """
        storage = self.storage
        read: Callable[..., dict] = storage.get
        if self.for_update:
            # A backend written for Cliquet 3.1 may lack it: a plain read then.
            read = getattr(storage, "get_for_update", read)
        return read(
            collection_id=self.collection_id, parent_id=self._parent(parent_id),
            object_id=record_id, id_field=self.id_field, modified_field=self.modified_field,
            auth=self.auth)

    def create_record(self, record: dict, parent_id: str | None = None,
                      unique_fields: Any = None) -> dict:
        """Store a new record (any tombstone with its id is removed).

        :raises: :class:`cliquet.storage.exceptions.UnicityError`
        """
        create: Callable[..., dict] = self.storage.create
        return create(
            collection_id=self.collection_id, parent_id=self._parent(parent_id),
            record=record, id_generator=self.id_generator, unique_fields=unique_fields,
            id_field=self.id_field, modified_field=self.modified_field, auth=self.auth)

    def update_record(self, record: dict, parent_id: str | None = None,
                      unique_fields: Any = None) -> dict:
        """Replace the record whose id is ``record['id']``.

        :raises: :class:`cliquet.storage.exceptions.UnicityError`
        """
        update: Callable[..., dict] = self.storage.update
        return update(
            collection_id=self.collection_id, parent_id=self._parent(parent_id),
            object_id=record[self.id_field], record=record, unique_fields=unique_fields,
            id_field=self.id_field, modified_field=self.modified_field, auth=self.auth)

    def delete_record(self, record: dict, parent_id: str | None = None,
                      last_modified: int | None = None) -> dict:
        """Delete the record whose id is ``record['id']``.

        :param last_modified: forced timestamp of the tombstone.
        :returns: the tombstone.
        :raises: :class:`cliquet.storage.exceptions.RecordNotFoundError`
        """
        delete: Callable[..., dict] = self.storage.delete
        return delete(
            collection_id=self.collection_id, parent_id=self._parent(parent_id),
            object_id=record[self.id_field], id_field=self.id_field,
            modified_field=self.modified_field, deleted_field=self.deleted_field,
            auth=self.auth, last_modified=last_modified)


class ShareableModel(Model):
    """A model whose records carry access control entries.

    Records read or written through it hold their permissions under
    :attr:`permissions_field` (permission name → set of principals).
    The resource sets :attr:`permission` (the permission backend),
    :attr:`current_principal` (the prefixed user id, added to ``write`` on
    every write) and :attr:`get_permission_object_id` (record id → object id).
    """

    permissions_field = "__permissions__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set by the resource: the permission backend (a PermissionBase) and
        # the function of a record id giving its permission object id.
        self.permission: Any = None
        self.current_principal: str | None = None
        self.get_permission_object_id: Any = None

    def _annotate(self, record: dict, object_id: str) -> dict:
        record[self.permissions_field] = self.permission.object_permissions(object_id)
        return record

    def _write_permissions(self, record: dict, permissions: dict | None) -> dict:
        object_id = self.get_permission_object_id(record[self.id_field])
        if permissions:
            self.permission.replace_object_permissions(object_id, permissions)
        if self.current_principal is not None:
            self.permission.add_principal_to_ace(object_id, "write", self.current_principal)
        return self._annotate(record, object_id)

    def get_record(self, record_id: str, parent_id: str | None = None) -> dict:
        record = super().get_record(record_id, parent_id)
        return self._annotate(record, self.get_permission_object_id(record_id))

    def create_record(self, record: dict, parent_id: str | None = None,
                      unique_fields: Any = None) -> dict:
        record = dict(record)
        permissions = record.pop(self.permissions_field, None)
        created = super().create_record(record, parent_id, unique_fields)
        return self._write_permissions(created, permissions)

    def update_record(self, record: dict, parent_id: str | None = None,
                      unique_fields: Any = None) -> dict:
        record = dict(record)
        permissions = record.pop(self.permissions_field, None)
        updated = super().update_record(record, parent_id, unique_fields)
        return self._write_permissions(updated, permissions)

    def delete_record(self, record_id: dict, parent_id: str | None = None,
                      last_modified: int | None = None) -> dict:
        """Delete the record and its ACEs (3.1 named the record parameter ``record_id``)."""
        record = record_id
        tombstone = super().delete_record(record, parent_id, last_modified)
        self.permission.delete_object_permissions(
            self.get_permission_object_id(record[self.id_field]))
        return tombstone

    def delete_records(self, filters: Any = None, parent_id: str | None = None) -> list:
        tombstones = super().delete_records(filters, parent_id)
        if tombstones:
            object_ids = [self.get_permission_object_id(t[self.id_field]) for t in tombstones]
            self.permission.delete_object_permissions(*object_ids)
        return tombstones


class ProtectedModel(ShareableModel):
    """Deprecated alias of :class:`ShareableModel`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _warn_deprecated("ProtectedModel", "ShareableModel")

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        _warn_deprecated("ProtectedModel", "ShareableModel")
        super().__init__(*args, **kwargs)


def _warn_deprecated(old: str, new: str) -> None:
    """The 3.1 warning of a deprecated class, for the code that uses it."""
    warnings.warn(f"{old} is deprecated. Use {new} instead.", DeprecationWarning, stacklevel=3)
