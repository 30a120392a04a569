"""Resources: the REST protocol of collections and records.

The protocol is in docs/protocol.rst, "Resources"; the Python side (schemas,
flavours, registration, hooks) in docs/resources.rst.

Subclass :class:`UserResource` (records private to each user) or
:class:`ShareableResource` (records shared through permissions), give it a
``mapping`` and decorate it with :func:`register`. The hooks are thin
methods over the pure helpers of ``_querystring``, ``_pagination`` and
``_preconditions``; storage is only reached through the model.
"""
from __future__ import annotations

import functools
import warnings
import weakref
from typing import Any, NoReturn

import colander
from pyramid import httpexceptions
from pyramid.settings import asbool

from cliquet._defaults import setting_or_default
from cliquet._service import Service
from cliquet.errors import ERRORS, http_error, json_error_handler, raise_invalid, send_alert
from cliquet.events import ACTIONS, has_subscribers
from cliquet.logs import bind_request_context
from cliquet.resource import _pagination, _preconditions, _querystring
from cliquet.resource._endpoints import EndpointsMixin
from cliquet.resource._registry import register, register_resource
from cliquet.resource.model import Model, ShareableModel
from cliquet.resource.schema import ResourceSchema
from cliquet.resource.viewset import RAW_BODY_KEY, ShareableViewSet, ViewSet
from cliquet.storage import Filter, Sort
from cliquet.storage.exceptions import BackendError, UnicityError

from cliquet.utils import COMPARISON, classname, dict_subset, strip_uri_prefix

# Names Cliquet 3.1 code may import from this module.
import re  # noqa: F401
import venusian  # noqa: F401
from pyramid import exceptions as pyramid_exceptions  # noqa: F401
from pyramid.httpexceptions import (  # noqa: F401
    HTTPConflict, HTTPNotFound, HTTPNotModified, HTTPPreconditionFailed,
)
from cliquet.logs import logger  # noqa: F401
from cliquet.storage import exceptions as storage_exceptions  # noqa: F401
from cliquet.utils import (  # noqa: F401
    DeprecatedMeta, decode64, decode_header, encode64, encode_header, json, native_value,
)

__all__ = [
    "register", "register_resource", "UserResource", "ShareableResource", "BaseResource",
    "ProtectedResource", "Model", "ShareableModel", "ResourceSchema", "ViewSet",
    "ShareableViewSet", "Filter", "Sort", "COMPARISON", "Service",
]

# Requests writing the record of their URL: they read it for update.
_RECORD_WRITES = frozenset(("PUT", "PATCH", "DELETE"))

_READONLY_TIMESTAMP_MESSAGE = (
    "Collection timestamp cannot be written. Records endpoint must be hit at least once "
    "from a writable instance.")


class _SchemaInfo:
    """What a resource reads from its mapping, computed once per mapping.

    Read-only fields are not kept: PATCH asks ``mapping.is_readonly`` (3.1
    code may change the options on the fly).
    """

    _cache: weakref.WeakKeyDictionary[Any, _SchemaInfo] = weakref.WeakKeyDictionary()

    def __init__(self, mapping: Any) -> None:
        options = getattr(mapping, "get_option", None)
        option = options or (lambda name: getattr(ResourceSchema.Options, name))
        self.fields = frozenset(child.name for child in mapping.children)
        self.unique_fields = tuple(option("unique_fields"))
        self.preserve_unknown = bool(option("preserve_unknown"))

    @classmethod
    def of(cls, mapping: Any) -> _SchemaInfo:
        info = cls._cache.get(mapping)
        if info is None:
            info = cls._cache[mapping] = cls(mapping)
        return info


class UserResource(EndpointsMixin):
    """A resource whose records are private to each authenticated user.

    :param request: the current request.
    :param context: the authorization context (:class:`cliquet.authorization.RouteFactory`
        for shareable resources), if any.
    """

    default_viewset = ViewSet
    default_model = Model
    mapping = ResourceSchema()
    force_patch_update = False

    def __init__(self, request: Any, context: Any = None) -> None:
        self.request = request
        self.context = context
        registry = request.registry
        self.model: Model = self.default_model(
            storage=registry.storage, id_generator=registry.id_generator,
            collection_id=classname(self), parent_id=self.get_parent_id(request),
            auth=request.headers.get("Authorization"))
        self.record_id: str | None = (request.matchdict or {}).get("id")
        if self.record_id is not None and request.method in _RECORD_WRITES:
            # The record is held from its read to the end of the request's
            # transaction: preconditions are checked, and PATCH merges, on the
            # version the write replaces (no lost update: docs/backends.rst,
            # "Concurrent writes").
            self.model.for_update = True
        bind_request_context(collection_id=self.model.collection_id)
        self._timestamp: int | None = None
        self._collection_held = False
        # the listing's count carried by ``_token``, if any
        self._token_count: _pagination.Count | None = None
        # the count to carry in the Next-Page token, if any
        self._page_count: _pagination.Count | None = None
        if request.method not in ("GET", "HEAD") and \
                has_subscribers(registry, ACTIONS.UPDATE):
            self.timestamp  # noqa: B018 -- events of writes carry the one before the change

    @property
    def timestamp(self) -> int:
        """The collection timestamp, read once per request when needed.

        It is read before any write when write events are subscribed (they
        carry it), and bound to the request's log context once read.
        """
        if self._timestamp is None:
            self._remember_timestamp(self._collection_timestamp())
        return self._timestamp  # type: ignore[return-value]  # remembered above

    @timestamp.setter
    def timestamp(self, value: int) -> None:
        self._timestamp = value

    def _remember_timestamp(self, timestamp: int) -> None:
        """Keep the collection timestamp read for this request, bound to its log context."""
        self._timestamp = timestamp
        bind_request_context(collection_timestamp=timestamp)

    def _held_timestamp(self) -> int:
        """The collection timestamp, the collection held until the request's
        transaction ends: no other request writes to it meanwhile, so that a
        check made on it holds when this request writes (Issue #16)."""
        if not self._collection_held:
            timestamp = self.model.timestamp(for_update=True)
            self._remember_timestamp(timestamp)
            self._collection_held = True
            return timestamp
        return self.timestamp  # read (and held) above

    @property
    def _schema(self) -> _SchemaInfo:
        return _SchemaInfo.of(self.mapping)

    def _collection_timestamp(self) -> int:
        try:
            return self.model.timestamp()
        except BackendError:
            if not self._readonly():
                raise
            raise http_error(httpexceptions.HTTPServiceUnavailable(), errno=ERRORS.BACKEND,
                             message=_READONLY_TIMESTAMP_MESSAGE) from None

    def _readonly(self) -> bool:
        """Whether the service runs in read-only mode (``readonly`` setting)."""
        readonly: bool = asbool(setting_or_default(self.request.registry.settings, "readonly"))
        return readonly

    @property
    def collection(self) -> Model:
        """Deprecated alias of :attr:`model`."""
        warnings.warn("resource.collection is deprecated, use resource.model instead",
                      DeprecationWarning, stacklevel=2)
        return self.model

    def get_parent_id(self, request: Any) -> str:
        """Parent of the records: the prefixed user id."""
        parent_id: str = request.prefixed_userid
        return parent_id

    def is_known_field(self, field: str) -> bool:
        """Schema fields plus ``id``, ``last_modified`` and ``deleted``."""
        model = self.model
        return field in self._schema.fields or field in (
            model.id_field, model.modified_field, model.deleted_field)

    def _get_known_fields(self) -> list:
        model = self.model
        return [*self._schema.fields, model.id_field, model.modified_field, model.deleted_field]

    # Hooks.

    def process_record(self, new: dict, old: dict | None = None) -> dict:
        """Adjust a record before it is stored (POST, PUT, PATCH).

        By default a client ``last_modified`` not newer than the existing
        record's one is dropped.
        """
        modified_field = self.model.modified_field
        new_timestamp = new.get(modified_field)
        if old is not None and old.get(modified_field) is not None and \
                new_timestamp is not None and new_timestamp <= old[modified_field]:
            del new[modified_field]
        self._raise_400_if_timestamp_taken(new)
        return new

    def _raise_400_if_timestamp_taken(self, record: dict, value: Any = None,
                                      location: str = "body", name: str | None = None) -> None:
        """A client ``last_modified`` (``value``, else the record's) not newer than
        the collection timestamp may be another record's (or tombstone's): 400
        on every backend, as PostgreSQL refuses it. The collection is held from
        this check to the write; one lookup, only for such a value (Issue #16).
        """
        model = self.model
        if value is None:
            value = record.get(model.modified_field)
        if not isinstance(value, int) or value > self._held_timestamp():
            return
        filters = [Filter(model.modified_field, value, COMPARISON.EQ)]
        found, _ = model.get_records(filters=filters, limit=2, include_deleted=True)
        if any(other.get(model.id_field) != record.get(model.id_field) for other in found):
            raise_invalid(self.request, location=location,
                          name=name or f"data.{model.modified_field}",
                          description=f"Another record of the collection has this "
                                      f"{model.modified_field}")

    def apply_changes(self, record: dict, changes: dict) -> dict:
        """Merge the PATCH ``changes`` into ``record`` and validate the result.

        Read-only fields may not change (400 ``Cannot modify <field>``).
        """
        is_readonly = getattr(self.mapping, "is_readonly", None)
        for field, value in changes.items():
            if record.get(field, value) != value and is_readonly is not None and \
                    is_readonly(field):
                raise_invalid(self.request, name=field, description=f"Cannot modify {field}")
        updated = {**record, **changes}
        try:
            validated: dict = self.mapping.deserialize(updated)
            return validated
        except colander.Invalid as invalid:
            for field, message in invalid.asdict().items():
                self.request.errors.add("body", field, message)
            raise json_error_handler(self.request) from None

    def postprocess(self, result: Any, action: ACTIONS = ACTIONS.READ,
                    old: dict | None = None) -> dict:
        """Wrap ``result`` as the response body and stack the resource event.

        Events are stacked only when a subscriber receives them.
        """
        if has_subscribers(self.request.registry, action):
            self.request.notify_resource_event(timestamp=self.timestamp, data=result,
                                               action=action, old=old)
        return {"data": result}

    # Helpers: overridable, each a thin layer over the pure modules.

    def _raise_invalid(self, error: _querystring.InvalidParameter) -> NoReturn:
        raise_invalid(self.request, location=error.location, name=error.name,
                      description=error.description)

    def _extract_filters(self, queryparams: Any = None) -> list:
        params = (self.request.GET if queryparams is None else queryparams).items()
        try:
            filters, deprecated_to = _querystring.extract_filters(
                params, self.is_known_field, self.model.modified_field, self.model.id_field)
        except _querystring.InvalidParameter as error:
            self._raise_invalid(error)
        if deprecated_to:
            message, url = _querystring.TO_ALERT
            send_alert(self.request, message, url)
        return filters

    def _extract_limit(self) -> int | None:
        paginate_by = setting_or_default(self.request.registry.settings, "paginate_by")
        try:
            return _querystring.extract_limit(self.request.GET.get("_limit"), paginate_by)
        except _querystring.InvalidParameter as error:
            self._raise_invalid(error)

    def _extract_sorting(self, limit: int | None) -> list:
        try:
            return _querystring.extract_sorting(self.request.GET.get("_sort"),
                                                self.is_known_field, self.model.modified_field)
        except _querystring.InvalidParameter as error:
            self._raise_invalid(error)

    def _extract_partial_fields(self) -> list | None:
        raw = self.request.GET.get("_fields")
        if not raw:
            return None
        try:
            return _querystring.extract_fields(
                raw, self._get_known_fields(),
                self._schema.preserve_unknown, self.model.id_field, self.model.modified_field)
        except _querystring.InvalidParameter as error:
            self._raise_invalid(error)

    def _extract_pagination_rules_from_token(self, limit: int | None,
                                             sorting: list) -> tuple[list, int]:
        token = self.request.GET.get("_token")
        if not token:
            return [], 0
        try:
            last_record, offset, self._token_count = _pagination.decode_token_count(
                token, self.model.modified_field)
        except _querystring.InvalidParameter as error:
            self._raise_invalid(error)
        return self._build_pagination_rules(sorting, last_record), offset

    def _build_pagination_rules(self, sorting: list, last_record: dict,
                                rules: list | None = None) -> list:
        return (rules or []) + _pagination.build_rules(sorting, last_record)

    def _build_pagination_token(self, sorting: list, last_record: dict, offset: int) -> str:
        return _pagination.build_token(sorting, last_record, offset, count=self._page_count)

    def _count_scope(self) -> str | None:
        """What the listing's total depends on besides the collection timestamp
        (see :func:`_pagination.count_scope`); ``None`` when it cannot be reused."""
        return _pagination.count_scope(self.request.prefixed_userid, self.request.GET.items())

    def _known_total(self, scope: str | None) -> int | None:
        """The listing's total carried by ``_token``, if the collection did not
        change since it was counted (same timestamp) and the listing is the
        same (``scope``: see :meth:`_count_scope`): the next pages need not count again."""
        count = self._token_count
        if count is None or scope is None or count.timestamp != self.timestamp or \
                count.scope != scope:
            return None
        return count.total

    def _next_page_url(self, sorting: list, limit: int, last_record: dict, offset: int) -> str:
        token = self._build_pagination_token(sorting, last_record, offset)
        return _pagination.next_page_url(self.request.path_url, self.request.GET.items(),
                                         limit, token)

    def _project(self, record: dict, fields: list) -> dict:
        return dict_subset(record, fields)

    def _raw_payload(self) -> dict:
        """The JSON object ``validate_request`` kept, else the request's JSON body."""
        payload = self.request.info.get(RAW_BODY_KEY)
        if isinstance(payload, dict):
            return payload
        body: dict = self.request.json
        return body

    def _add_timestamp_header(self, response: Any, timestamp: int | None = None) -> None:
        _preconditions.set_timestamp_headers(
            response, self.timestamp if timestamp is None else timestamp)

    def _add_cache_header(self, response: Any) -> None:
        resource_name = getattr(self.context, "resource_name", None) or \
            self.request.current_resource_name
        expires = self.request.registry.settings.get(f"{resource_name}_cache_expires_seconds")
        if expires and self.request.prefixed_userid is None:
            response.cache_expires(seconds=int(expires))
        else:
            response.headers["Cache-Control"] = "no-cache"

    def _raise_400_if_invalid_id(self, record_id: Any) -> None:
        if not (isinstance(record_id, str) and self.model.id_generator.match(record_id)):
            raise_invalid(self.request, location="path", description="Invalid record id")

    def _raise_400_if_id_mismatch(self, new_id: Any, record_id: Any) -> None:
        if new_id != record_id:
            raise_invalid(self.request, name=self.model.id_field,
                          description="Record id does not match existing record")

    def _if_match(self) -> int | None:
        try:
            return _preconditions.parse_if_match(self.request.headers.get("If-Match"))
        except _querystring.InvalidParameter as error:
            self._raise_invalid(error)

    def _raise_304_if_not_modified(self, record: dict | None = None) -> None:
        value = self.request.headers.get("If-None-Match")
        if value is None:
            return
        try:
            if_none_match = _preconditions.parse_if_none_match(value)
        except _querystring.InvalidParameter as error:
            self._raise_invalid(error)
        current = self.timestamp if record is None else record[self.model.modified_field]
        if _preconditions.not_modified(if_none_match, current):
            raise _preconditions.not_modified_response(current)

    def _raise_412_if_modified(self, record: dict | None = None) -> None:
        headers = self.request.headers
        if_none_match_any = headers.get("If-None-Match") == _preconditions.ANY
        if "If-Match" not in headers and not if_none_match_any:
            return
        model = self.model
        if if_none_match_any and record is not None and not record.get(model.deleted_field):
            if_match = None  # the record exists: 412 whatever If-Match says
        else:
            if_match = self._if_match()
        if record is not None:
            current = record[model.modified_field]
        elif if_match is None or self.request.method in ("GET", "HEAD"):
            current = self.timestamp  # nothing to hold: this check cannot fail
        else:  # a collection write: checked and applied on the collection held
            current = self._held_timestamp()
        if _preconditions.precondition_failed(if_match, if_none_match_any, current, record,
                                              model.deleted_field):
            existing = None
            if record is not None:
                existing = {k: v for k, v in record.items()
                            if k != getattr(model, "permissions_field", None)}
            raise _preconditions.modified_meanwhile_error(current, existing)

    def _raise_conflict(self, exception: UnicityError) -> NoReturn:
        record_id = exception.record.get(self.model.id_field)
        raise http_error(httpexceptions.HTTPConflict(), errno=ERRORS.CONSTRAINT_VIOLATED,
                         message=f"Conflict of field {exception.field} on record {record_id}",
                         details={"field": exception.field, "existing": exception.record})


class ShareableResource(UserResource):
    """A resource whose records are shared through permissions (``read``, ``write``).

    Records live under an empty parent; the required permission of each
    request is decided by :class:`cliquet.authorization.RouteFactory`.
    """

    default_model = ShareableModel
    default_viewset = ShareableViewSet
    permissions = ("read", "write")
    force_patch_update = True

    model: ShareableModel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request, context, model = self.request, self.context, self.model
        model.permission = request.registry.permission
        model.current_principal = request.prefixed_userid
        if context is not None and getattr(context, "get_permission_object_id", None):
            model.get_permission_object_id = functools.partial(
                context.get_permission_object_id, request)
        else:
            model.get_permission_object_id = self._record_object_id

    def _record_object_id(self, record_id: str) -> str:
        # Without RouteFactory: records live right under the collection URI.
        uri = strip_uri_prefix(self.request.upath_info)
        if self.record_id is not None:
            uri = uri.rsplit("/", 1)[0]
        return f"{uri}/{record_id}"

    def get_parent_id(self, request: Any) -> str:
        """Shareable records have no parent."""
        return ""

    def _count_scope(self) -> str | None:
        # Records shared one by one: permission changes, which leave the
        # collection timestamp as it is, change the total.
        if getattr(self.context, "shared_ids", None):
            return None
        return super()._count_scope()

    def _extract_filters(self, queryparams: Any = None) -> list:
        filters = super()._extract_filters(queryparams)
        shared_ids = getattr(self.context, "shared_ids", None)
        if shared_ids:  # empty or None: the principals may reach the whole collection
            filters.insert(0, Filter(self.model.id_field, shared_ids, COMPARISON.IN))
        return filters

    def _return_existing(self, existing: dict) -> dict:
        self._raise_403_if_unreadable(existing)
        return super()._return_existing(existing)

    def _raise_412_if_modified(self, record: dict | None = None) -> None:
        if record is not None and self.record_id is None:  # a POST colliding with an id
            self._raise_403_if_unreadable(record)
        super()._raise_412_if_modified(record)

    def _raise_conflict(self, exception: UnicityError) -> NoReturn:
        self._raise_403_if_unreadable(exception.record)
        super()._raise_conflict(exception)

    def _raise_403_if_unreadable(self, record: dict) -> None:
        """Never show, in a POST answer, a 412 or a 409, a record the user may neither
        read nor write (a writer sees it anyway in the answer of a PATCH).
        """
        record_id = record[self.model.id_field]
        for permission in ("read", "write"):
            context = self.context.record_context(record_id, permission)
            if self.request.has_permission(permission, context):
                return
        raise httpexceptions.HTTPForbidden()

    def apply_changes(self, record: dict, changes: dict) -> dict:
        record = {k: v for k, v in record.items() if k != self.model.permissions_field}
        return super().apply_changes(record, changes)

    def process_record(self, new: dict, old: dict | None = None) -> dict:
        """Attach the request permissions; PUT resets the ones not given."""
        new = super().process_record(new, old)
        new.pop(self.model.permissions_field, None)
        permissions = self.request.validated.get("permissions")
        if permissions:
            permissions = dict(permissions)
            if self.request.method.lower() == "put":
                for permission in self.permissions:
                    permissions.setdefault(permission, [])
            new[self.model.permissions_field] = permissions
        return new

    def postprocess(self, result: Any, action: ACTIONS = ACTIONS.READ,
                    old: dict | None = None) -> dict:
        """Expose the record permissions in a top-level ``permissions`` key."""
        field = self.model.permissions_field
        permissions = None
        if isinstance(result, dict) and field in result:
            result = dict(result)
            permissions = result.pop(field)
        if old is not None and field in old:
            old = {k: v for k, v in old.items() if k != field}
        body = super().postprocess(result, action, old)
        if permissions is not None:
            body["permissions"] = {name: list(principals)
                                   for name, principals in permissions.items() if principals}
        return body


class BaseResource(UserResource):
    """Deprecated alias of :class:`UserResource` (warns when subclassed)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        warnings.warn("BaseResource is deprecated. Use UserResource instead.",
                      DeprecationWarning, stacklevel=2)


class ProtectedResource(ShareableResource):
    """Deprecated alias of :class:`ShareableResource` (warns when subclassed)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        warnings.warn("ProtectedResource is deprecated. Use ShareableResource instead.",
                      DeprecationWarning, stacklevel=2)
