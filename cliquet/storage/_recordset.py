"""Record sets filtered, sorted and paginated in Python: the memory and Redis backends.

Values compare in the order of :mod:`cliquet.storage._jsonorder` (PostgreSQL's
JSONB order). :class:`MemoryBasedStorage` is the base class of the backends
that keep or fetch whole collections and select their pages in process.
"""
from cliquet.storage import (
    DEFAULT_DELETED_FIELD,
    DEFAULT_ID_FIELD,
    DEFAULT_MODIFIED_FIELD,
    Filter,
    StorageBase,
)
from cliquet.storage._jsonorder import json_key, select, sort_keys
from cliquet.storage.exceptions import UnicityError
from cliquet.utils import COMPARISON


def apply_filters(records, filters) -> list:
    """Records matching every filter (ANDed)."""
    matching = list(records)
    for flt in filters or ():
        matching = select(matching, flt)
    return matching


def apply_pagination(records, pagination_rules) -> list:
    """Records matching at least one rule (a rule is a list of ANDed filters)."""
    if not pagination_rules:
        return list(records)
    matching, remaining = [], list(records)
    for rule in pagination_rules:  # each rule keeps its matches out of the next ones' input
        selected = remaining
        for flt in rule:
            selected = select(selected, flt, pagination=True)
        if selected:
            chosen = {id(r) for r in selected}
            matching += selected
            remaining = [r for r in remaining if id(r) not in chosen]
    return matching


def apply_sorting(records, sorting, limit=None) -> list:
    """Records sorted by every :class:`cliquet.storage.Sort`, missing values last ascending.

    With ``limit``, only the first ``limit`` records.
    """
    result = list(records)
    for field, direction in reversed(sorting or ()):
        keys = sort_keys(result, field)
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


class MemoryBasedStorage(StorageBase):
    """Helpers for backends that filter, sort and paginate in Python.

    Constructor arguments are accepted and ignored, as in Cliquet 3.1.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    # Cliquet 3.1's backends take id_field before with_deleted, unlike StorageBase.
    def delete_all(  # type: ignore[override]
            self, collection_id, parent_id, filters=None, id_field=DEFAULT_ID_FIELD,
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
        as the record's timestamp (docs/protocol.rst, "Timestamps and
        synchronisation"). Returns ``record``.
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
