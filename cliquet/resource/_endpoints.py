"""The seven endpoints of a resource, mixed into ``UserResource``.

Their protocol is in docs/protocol.rst, "Resources".

Each view reads the request through the resource hooks (``_extract_*``,
``_raise_*``, ``process_record``, ``apply_changes``...), talks to storage
through ``self.model`` only, and returns the body built by ``postprocess``.
"""
from __future__ import annotations

from typing import Any, Callable

from pyramid import httpexceptions

from cliquet.errors import ERRORS, http_error, raise_invalid
from cliquet.events import ACTIONS
from cliquet.logs import bind_request_context
from cliquet.resource import _pagination, _preconditions, _querystring
from cliquet.storage import Filter
from cliquet.storage.exceptions import BackendError, RecordNotFoundError, UnicityError
from cliquet.utils import COMPARISON, accepts_keyword, set_headers


class EndpointsMixin:
    """``collection_get``, ``collection_post``, ``collection_delete``, ``get``,
    ``put``, ``patch`` and ``delete``: each returns the response body.
    """

    _page_count: _pagination.Count | None  # the count the Next-Page token carries
    _readonly: Callable[[], bool]

    def collection_get(self) -> dict:
        """List the records: filters, sorting, pagination, ``_fields``, polling."""
        response = self.request.response
        # Without a precondition to check first, the timestamp is read with
        # the page (one round trip on PostgreSQL).
        timestamp_first = self._timestamp is not None or \
            _preconditions.is_conditional(self.request.headers)
        if timestamp_first:
            self._check_collection_preconditions(response)

        filters = self._extract_filters()
        limit = self._extract_limit()
        sorting = self._extract_sorting(limit)
        partial_fields = self._extract_partial_fields()
        include_deleted = _querystring.has_modified_filter(filters, self.model.modified_field)
        pagination_rules, offset = self._extract_pagination_rules_from_token(limit, sorting)

        scope = self._count_scope() if limit else None  # only pages need it
        query = {"filters": filters, "sorting": sorting, "limit": limit,
                 "pagination_rules": pagination_rules, "include_deleted": include_deleted}
        if timestamp_first:
            records, total_records = self._read_page(query, scope)
        else:
            records, total_records = self._read_page_and_timestamp(query, scope)
            self._check_collection_preconditions(response)

        offset += len(records)
        headers = {}
        if _pagination.has_next_page(limit, len(records), offset, total_records):
            if scope is not None:
                self._page_count = _pagination.Count(total_records, self.timestamp, scope)
            headers["Next-Page"] = self._next_page_url(sorting, limit, records[-1], offset)
        if partial_fields:
            records = [self._project(record, partial_fields) for record in records]
        headers["Total-Records"] = str(total_records)
        set_headers(response, headers)
        bind_request_context(nb_records=len(records), limit=limit)
        return self.postprocess(records)

    def _check_collection_preconditions(self, response: Any) -> None:
        """Timestamp and cache headers; 304 or 412 as ``If-None-Match``/``If-Match`` say."""
        self._add_timestamp_header(response)
        self._add_cache_header(response)
        self._raise_304_if_not_modified()
        self._raise_412_if_modified()

    def _read_page(self, query: dict, scope: str | None) -> tuple[list, int]:
        """The page and its total, counted unless the ``_token`` carries it."""
        model = self.model
        known_total = self._known_total(scope) if query["pagination_rules"] else None
        skip_count = known_total is not None and accepts_keyword(model.get_records, "count")
        records, total = model.get_records(**query, **({"count": False} if skip_count else {}))
        return records, known_total if total is None else total  # type: ignore[return-value]

    def _read_page_and_timestamp(self, query: dict, scope: str | None) -> tuple[list, int]:
        """:meth:`_read_page`, the collection timestamp read with the page."""
        counted = self._token_count if query["pagination_rules"] else None
        may_skip_count = counted is not None and scope is not None and counted.scope == scope
        try:
            records, total, timestamp = self.model.get_records_with_timestamp(
                **query, count=not may_skip_count)
        except BackendError:
            if self._readonly():
                self.timestamp  # noqa: B018 -- a timestamp that cannot be created says so
            raise
        self._remember_timestamp(timestamp)
        if total is None:
            total = self._known_total(scope)
            if total is None:  # the collection changed since the token's count
                records, total = self.model.get_records(**query)
        return records, total

    def collection_post(self) -> dict:
        """Create a record (201), or return the existing one it collides with (200)."""
        model = self.model
        new_record = self.request.validated.get("data", {})
        existing = None
        raw_data = self._raw_payload().get("data")
        record_id = raw_data.get(model.id_field) if isinstance(raw_data, dict) else None
        if record_id is not None:
            self._raise_400_if_invalid_id(record_id)
            new_record[model.id_field] = record_id
            existing = self._find_record(record_id)
        self._raise_412_if_modified(existing)
        if existing is not None:
            return self._return_existing(existing)

        new_record = self.process_record(new_record)
        try:
            record = model.create_record(new_record, unique_fields=self._schema.unique_fields)
        except UnicityError as error:
            return self._return_existing(error.record)
        self.request.response.status_code = 201
        return self.postprocess(record, action=ACTIONS.CREATE)

    def collection_delete(self) -> dict:
        """Delete the records matching the filters; return their tombstones."""
        self._raise_412_if_modified()
        filters = self._extract_filters()
        deleted = self.model.delete_records(filters=filters)
        action = ACTIONS.DELETE if deleted else ACTIONS.READ
        return self.postprocess(deleted, action=action)

    def get(self) -> dict:
        """Return one record (``_fields`` allowed)."""
        self._raise_400_if_invalid_id(self.record_id)
        record = self._get_record_or_404(self.record_id)
        response = self.request.response
        self._add_timestamp_header(response, timestamp=record[self.model.modified_field])
        self._add_cache_header(response)
        self._raise_304_if_not_modified(record)
        self._raise_412_if_modified(record)
        partial_fields = self._extract_partial_fields()
        if partial_fields:
            record = self._project(record, partial_fields)
        return self.postprocess(record)

    def put(self) -> dict:
        """Replace a record (200), or create it, over a tombstone too (201)."""
        self._raise_400_if_invalid_id(self.record_id)
        model = self.model
        existing = self._find_record(self.record_id)
        if existing is None:
            existing = self._find_tombstone(self.record_id)
        if existing is not None:
            self._raise_412_if_modified(existing)

        post_record = self.request.validated["data"]
        record_id = post_record.setdefault(model.id_field, self.record_id)
        self._raise_400_if_id_mismatch(record_id, self.record_id)
        new_record = self.process_record(post_record, old=existing)

        unique_fields = self._schema.unique_fields
        try:
            if existing is not None and not existing.get(model.deleted_field):
                record = model.update_record(new_record, unique_fields=unique_fields)
            else:
                record = model.create_record(new_record, unique_fields=unique_fields)
                self.request.response.status_code = 201
        except UnicityError as error:
            self._raise_conflict(error)
        self._add_timestamp_header(self.request.response,
                                   timestamp=record[model.modified_field])
        action = ACTIONS.CREATE if existing is None else ACTIONS.UPDATE
        return self.postprocess(record, action=action, old=existing)

    def patch(self) -> dict:
        """Merge changes into a record; ``Response-Behavior`` full, light or diff."""
        self._raise_400_if_invalid_id(self.record_id)
        model = self.model
        existing = self._get_record_or_404(self.record_id)
        self._raise_412_if_modified(existing)

        changes = self._raw_payload().get("data") or {}
        updated = self.apply_changes(existing, changes=changes)
        record_id = updated.setdefault(model.id_field, self.record_id)
        self._raise_400_if_id_mismatch(record_id, self.record_id)
        new_record = self.process_record(updated, old=existing)

        changed_fields = [k for k in changes if existing.get(k) != new_record.get(k)]
        if self.force_patch_update or changed_fields:
            try:
                updated = model.update_record(new_record,
                                              unique_fields=self._schema.unique_fields)
            except UnicityError as error:
                self._raise_conflict(error)
        else:
            # Nothing written: the record keeps its id and timestamp.
            updated = new_record
            updated[model.id_field] = existing[model.id_field]
            updated[model.modified_field] = existing[model.modified_field]

        behavior = self.request.headers.get("Response-Behavior", "full").lower()
        if behavior == "light":
            data = {k: updated[k] for k in changed_fields if k in updated}
        elif behavior == "diff":
            data = {k: updated[k] for k in changed_fields
                    if k in updated and changes.get(k) != updated[k]}
        else:
            data = updated
        # The record's timestamp; the collection's if a model returned none.
        self._add_timestamp_header(self.request.response,
                                   timestamp=updated.get(model.modified_field))
        return self.postprocess(data, action=ACTIONS.UPDATE, old=existing)

    def delete(self) -> dict:
        """Delete a record; ``?last_modified=`` forces the tombstone timestamp."""
        self._raise_400_if_invalid_id(self.record_id)
        record = self._get_record_or_404(self.record_id)
        self._raise_412_if_modified(record)
        last_modified = self._extract_last_modified(record)
        deleted = self.model.delete_record(record, last_modified=last_modified)
        return self.postprocess(deleted, action=ACTIONS.DELETE)

    # Record lookups.

    def _get_record_or_404(self, record_id: Any) -> dict:
        record = self._find_record(record_id)
        if record is None:
            raise http_error(httpexceptions.HTTPNotFound(), errno=ERRORS.INVALID_RESOURCE_ID)
        return record

    def _find_record(self, record_id: Any) -> dict | None:
        current = getattr(self.context, "current_record", None)
        if current is not None and record_id == self.record_id:
            return current  # the record of the request, read by the RouteFactory
        try:
            return self.model.get_record(record_id)
        except RecordNotFoundError:
            return None

    def _find_tombstone(self, record_id: Any) -> dict | None:
        filters = [Filter(self.model.id_field, record_id, COMPARISON.EQ)]
        records, _ = self.model.get_records(filters=filters, include_deleted=True)
        return records[0] if records else None

    def _return_existing(self, existing: dict) -> dict:
        permissions_field = getattr(self.model, "permissions_field", None)
        existing = {k: v for k, v in existing.items() if k != permissions_field}
        return self.postprocess(existing, action=ACTIONS.READ)

    def _extract_last_modified(self, record: dict) -> int | None:
        value = self.request.GET.get(self.model.modified_field)
        if not value:
            return None
        try:
            last_modified = _querystring.parse_timestamp(value)
        except ValueError:
            unquoted = value.strip('"')
            raise_invalid(self.request, location="querystring", name=self.model.modified_field,
                          description=f"Invalid value for {unquoted}")
        if last_modified <= record[self.model.modified_field]:
            return None
        self._raise_400_if_timestamp_taken(record, value=last_modified, location="querystring",
                                           name=self.model.modified_field)
        return last_modified
