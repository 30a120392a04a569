"""Operations of the collection and record endpoints of a resource
(docs/protocol.rst, "Resources").

Request and response bodies come from the resource's Colander mapping and
from the request schema its viewset gives Cornice; the querystring of the
collection from its known fields (filters, sorting, ``_fields``).

Four schemas describe the records of a resource ``Name``:

* ``Name``: a record as answered (``id`` and ``last_modified`` always there);
* ``NameData``: the ``data`` of a ``POST`` or a ``PUT``, as validated;
* ``NameChanges``: the ``data`` of a ``PATCH`` (read-only fields left out);
* ``NamePartial``: the ``data`` answered by a ``PATCH`` (``Response-Behavior``).

The ``id`` of a ``PUT`` or a ``PATCH`` is the one of the URL: the body may only
repeat it, so it is not described there. A client ``last_modified`` is only
described in words: a value already held by another record of the collection
is refused, which no schema can tell.
"""
import re
from typing import Any

from cliquet._validation import MAX_TIMESTAMP
from cliquet.openapi import _components as c
from cliquet.openapi._jsonschema import MAX_INT64, MIN_INT64, node_schema, type_schema
from cliquet.resource.viewset import require_body

FILTER_PREFIXES = {
    "": "equal to", "min_": "greater than or equal to", "max_": "less than or equal to",
    "lt_": "less than", "gt_": "greater than", "not_": "different from",
    "in_": "one of (comma separated)", "exclude_": "none of (comma separated)",
}
_LIST_PREFIXES = ("in_", "exclude_")
_SCALAR_TYPES = {"string", "integer", "number", "boolean"}

_SUMMARIES = {
    ("collection", "GET"): "List the {name} records",
    ("collection", "POST"): "Create a {name} record",
    ("collection", "DELETE"): "Delete the {name} records matching the filters",
    ("record", "GET"): "Retrieve a {name} record",
    ("record", "PUT"): "Create or replace a {name} record",
    ("record", "PATCH"): "Modify a {name} record",
    ("record", "DELETE"): "Delete a {name} record",
}


def component_name(resource_name: str) -> str:
    """``my-notes`` → ``MyNotes``: a valid component name."""
    words = re.split(r"[^0-9a-zA-Z]+", resource_name)
    return "".join(word[:1].upper() + word[1:] for word in words) or "Record"


class ResourceOperations:
    """Builds the operations of one resource service.

    :param service: a service registered by :func:`cliquet.resource.register`.
    :param schemas: the ``components/schemas`` of the description, completed
        with the schemas of this resource.
    :param id_pattern: regular expression of the record ids, if known.
    """

    def __init__(self, service, schemas: dict, id_pattern: str | None = None):
        self.service = service
        self.resource = service.resource
        self.mapping = self.resource.mapping
        self.name = service.resource_name
        self.component = component_name(self.name)
        self.shareable = hasattr(self.resource.default_model, "permissions_field")
        self.id_pattern = id_pattern
        model = self.resource.default_model
        self.id_field = model.id_field
        self.modified_field = model.modified_field
        self.known_fields = [child.name for child in self.mapping.children]
        self.known_fields += [model.id_field, model.modified_field, model.deleted_field]
        unknown = getattr(self.mapping.typ, "unknown", "ignore")
        self.closed = unknown == "raise"
        self.preserve_unknown = unknown == "preserve"
        self._add_schemas(schemas)

    def _add_schemas(self, schemas: dict) -> None:
        record = node_schema(self.mapping, partial=True)
        record.pop("default", None)
        record["properties"][self.id_field] = {"type": "string"}
        record["properties"][self.modified_field] = {"type": "integer"}
        schemas[self.component] = dict(record, required=[self.id_field, self.modified_field],
                                       description=f"A {self.name} record.")
        schemas[f"{self.component}Partial"] = dict(
            record, description=f"Some fields of a {self.name} record.")

        timestamp = ""
        if not self.closed:
            kept = "kept" if self.preserve_unknown or self.modified_field in self.mapping \
                else "ignored"
            timestamp = (f" A `{self.modified_field}` sent by the client is {kept}"
                         + (f": an integer between 1 and {MAX_TIMESTAMP}, used when more "
                            "recent than the current one; one held by another record of "
                            "the collection is refused (400)." if kept == "kept" else "."))
        data = node_schema(self.mapping)
        data.pop("default", None)
        schemas[f"{self.component}Data"] = dict(
            data, description=f"The fields of a {self.name} record.{timestamp}")

        changes = node_schema(self.mapping, partial=True)
        changes.pop("default", None)
        readonly = [child.name for child in self.mapping.children
                    if getattr(self.mapping, "is_readonly", lambda field: False)(child.name)]
        for field in readonly:
            changes["properties"][field] = dict(
                changes["properties"][field], readOnly=True,
                description="Read-only: a PATCH cannot change it (400).")
        schemas[f"{self.component}Changes"] = dict(
            changes, description=f"Fields of a {self.name} record to change; the whole "
                                 f"record is then validated.{timestamp}")

    def tag(self) -> str:
        """Tag grouping the operations of this resource."""
        return self.name

    def operation(self, method: str, view, args: dict) -> dict:
        """The operation of ``method``, whose Cornice view arguments are ``args``.

        ``view`` is not needed: each method of a resource has its protocol
        (docs/protocol.rst, "Resources").
        """
        endpoint = self.service.endpoint_type
        build = getattr(self, f"_{endpoint}_{method.lower()}")
        operation: dict[str, Any] = {
            "tags": [self.tag()],
            "summary": _SUMMARIES[(endpoint, method)].format(name=self.name),
            "operationId": f"{method.lower()}_{self.service.name}".replace("-", "_"),
        }
        operation.update(build(args))
        responses = operation["responses"]
        statuses = set(operation.pop("errors")) | {406, 500, 503}
        statuses |= c.auth_statuses(args.get("permission"))
        responses.update(c.error_responses(statuses))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    # Collection.

    def _collection_get(self, args: dict) -> dict:
        items = {"anyOf": [c.ref("schemas", self.component), c.ref("schemas", "Tombstone")]}
        ok = self._response("The records (and tombstones when polling with `_since`).",
                            {"type": "array", "items": items},
                            c.headers("ETag", "Last-Modified", "Total-Records",
                                      optional=("Next-Page", "Cache-Control", "Expires")))
        return {
            "description": "Filters, sorting, pagination and partial responses are given in "
                           "the querystring. The next page, if any, is the `Next-Page` URL.",
            "parameters": (self._filters() + self._sorting_and_pages()
                           + [self._fields_parameter(), c.ref("parameters", "If-Match"),
                              c.ref("parameters", "If-None-Match-List")]),
            "responses": {"200": ok, "304": _not_modified()},
            "errors": (400, 412),
        }

    def _collection_post(self, args: dict) -> dict:
        created = self._response("The record was created.", self._data_ref())
        created["links"] = self._record_links()
        data = c.ref("schemas", f"{self.component}Data")
        if not self.closed:
            record_id = {"type": "string",
                         "description": "The id of the new record, generated when not sent."}
            if self.id_pattern:
                record_id["pattern"] = self.id_pattern
            data = {"allOf": [data], "properties": {self.id_field: record_id}}
        return {
            "parameters": [c.ref("parameters", "If-Match"),
                           c.ref("parameters", "If-None-Match-Any")],
            "requestBody": self._request_body(args, data=data),
            "responses": {
                "200": self._response("A record with this id or with the same unique fields "
                                      "exists: it is returned unchanged.", self._data_ref()),
                "201": created,
            },
            "errors": (400, 412, 415),
        }

    def _collection_delete(self, args: dict) -> dict:
        tombstones = {"type": "array", "items": c.ref("schemas", "Tombstone")}
        return {
            "parameters": self._filters() + self._timestamp_filters()
            + [c.ref("parameters", "If-Match")],
            "responses": {"200": self._response("The tombstones of the deleted records.",
                                                tombstones, permissions=False)},
            "errors": (400, 412),
        }

    # Record.

    def _record_get(self, args: dict) -> dict:
        ok = self._response("The record.", self._data_ref(),
                            c.headers("ETag", "Last-Modified",
                                      optional=("Cache-Control", "Expires")))
        return {
            "parameters": [self._fields_parameter(),
                           c.ref("parameters", "If-Match"), c.ref("parameters", "If-None-Match")],
            "responses": {"200": ok, "304": _not_modified()},
            "errors": (400, 404, 412),
        }

    def _record_put(self, args: dict) -> dict:
        headers = c.headers("ETag", "Last-Modified")
        return {
            "description": "Fields that are not sent are lost.",
            "parameters": [c.ref("parameters", "If-Match"),
                           c.ref("parameters", "If-None-Match-Any")],
            "requestBody": self._request_body(args),
            "responses": {
                "200": self._response("The record was replaced.", self._data_ref(), headers),
                "201": self._response("The record was created.", self._data_ref(), headers),
            },
            "errors": (400, 404, 409, 412, 415),
        }

    def _record_patch(self, args: dict) -> dict:
        behavior = {
            "name": "Response-Behavior", "in": "header",
            "description": "`full` (the default, and any other value): the whole record; "
                           "`light`: the changed fields; `diff`: the changed fields whose value "
                           "differs from the one sent (case-insensitive).",
            "schema": {"type": "string", "examples": ["full", "light", "diff"]},
        }
        changes = c.ref("schemas", f"{self.component}Changes")
        partial = c.ref("schemas", f"{self.component}Partial")
        return {
            "description": "The fields sent replace the stored ones; the others are kept.",
            "parameters": [c.ref("parameters", "If-Match"),
                           c.ref("parameters", "If-None-Match-Any"), behavior],
            "requestBody": self._request_body(args, data=changes),
            "responses": {"200": self._response("The modified record (or the fields asked "
                                                "by `Response-Behavior`).", partial,
                                                c.headers("ETag", "Last-Modified"))},
            "errors": (400, 404, 409, 412, 415),
        }

    def _record_delete(self, args: dict) -> dict:
        timestamp = {
            "name": self.modified_field, "in": "query",
            "description": "Timestamp of the tombstone, used when more recent than the "
                           "record's; one held by another record of the collection is "
                           "refused (400).",
            "schema": {"anyOf": [
                {"type": "integer", "minimum": MIN_INT64, "maximum": MAX_TIMESTAMP},
                {"const": "", "description": "Read as not sent."}]},
        }
        return {
            "parameters": [timestamp, c.ref("parameters", "If-Match"),
                           c.ref("parameters", "If-None-Match-Any")],
            "responses": {"200": self._response("The tombstone of the record.",
                                                c.ref("schemas", "Tombstone"),
                                                permissions=False)},
            "errors": (400, 404, 412),
        }

    # Pieces.

    def _data_ref(self) -> dict:
        return c.ref("schemas", self.component)

    def _response(self, description: str, data: dict, headers: dict | None = None,
                  permissions: bool = True) -> dict:
        body: dict[str, Any] = {"type": "object", "required": ["data"],
                                "properties": {"data": data}}
        if self.shareable and permissions:
            body["properties"]["permissions"] = {
                "type": "object", "description": "Principals of each permission.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}}}
        return {"description": description, "headers": headers or c.headers(),
                "content": c.json_content(body)}

    def _request_body(self, args: dict, data: dict | None = None) -> dict:
        """``{data, permissions}`` as validated by the viewset's request schema."""
        data = data or c.ref("schemas", f"{self.component}Data")
        payload = args.get("schema")
        body: dict[str, Any]
        if payload is None:
            body = {"type": "object", "properties": {"data": data}}
            return {"content": c.json_content(body)}
        properties, required = {}, []
        for child in payload.children:
            if child.name == "data":
                properties["data"] = data
            else:
                properties[child.name] = node_schema(child)
            if child.required and child.name not in getattr(payload, "optional_empty", ()):
                required.append(child.name)
        body = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            body["required"] = required
        # A validator may refuse an empty body even when no key is required (shareable PATCH).
        needs_body = bool(required) or require_body in args.get("validators", ())
        return {"required": needs_body, "content": c.json_content(body)}

    def _record_links(self) -> dict:
        record_route = self.service.record_route.replace("-", "_")
        return {
            f"{method.capitalize()}Record": {
                "operationId": f"{method}_{record_route}",
                "parameters": {"id": "$response.body#/data/id"},
            }
            for method in ("get", "put", "patch", "delete")
        }

    def _field_type(self, field: str) -> dict:
        """Values of a filter on ``field``.

        Ids are text and timestamps 64-bit integers; any other value is read as
        JSON when it can be (``true``, ``3``), else as text, and compared as such:
        the type of the field is the meaningful one, any text is accepted.
        """
        if field == self.id_field:
            return {"type": "string"}
        if field == self.modified_field:
            return {"type": "integer", "minimum": MIN_INT64, "maximum": MAX_INT64}
        if field not in self.mapping:
            schema = {"type": "boolean"}  # the deleted field
        else:
            schema = type_schema(self.mapping[field])
        if schema.get("type") not in _SCALAR_TYPES - {"string"}:
            return {"type": "string"}
        return {"anyOf": [schema, {"type": "string"}]}

    def _filters(self) -> list:
        parameters = []
        for field in self.known_fields:
            value = self._field_type(field)
            for prefix, meaning in FILTER_PREFIXES.items():
                parameter: dict[str, Any] = {"name": f"{prefix}{field}", "in": "query",
                             "description": f"Records whose `{field}` is {meaning} this value "
                                            "(read as JSON when it can be, else as text)."}
                if prefix in _LIST_PREFIXES:
                    values: dict[str, Any] = {"type": "array", "items": value}
                    if field == self.modified_field:
                        values["minItems"] = 1  # an empty value is no timestamp (400)
                    parameter.update(schema=values, style="form", explode=False)
                else:
                    parameter["schema"] = value
                parameters.append(parameter)
        return parameters

    def _timestamp_filters(self) -> list:
        timestamp = {"type": "integer", "minimum": MIN_INT64, "maximum": MAX_INT64}
        return [
            {"name": "_since", "in": "query", "schema": timestamp,
             "description": "Records (and tombstones) modified after this timestamp."},
            {"name": "_before", "in": "query", "schema": timestamp,
             "description": "Records (and tombstones) modified before this timestamp."},
            {"name": "_to", "in": "query", "schema": timestamp, "deprecated": True,
             "description": "Deprecated alias of `_before`."},
        ]

    def _sorting_and_pages(self) -> list:
        sort_items = [f"{sign}{field}" for field in self.known_fields for sign in ("", "-")]
        return self._timestamp_filters() + [
            {"name": "_sort", "in": "query", "style": "form", "explode": False,
             "description": "Fields to sort on, descending when prefixed with `-`.",
             "schema": {"type": "array", "items": {"type": "string", "enum": sort_items}}},
            {"name": "_limit", "in": "query",
             "schema": {"anyOf": [
                 {"type": "integer", "minimum": MIN_INT64, "maximum": MAX_INT64},
                 {"const": "", "description": "No limit."}]},
             "description": "Page size (0 or less, or empty: no limit; the `paginate_by` "
                            "setting at most). The next page is the `Next-Page` URL, whose "
                            "`_token` parameter is opaque."},
        ]

    def _fields_parameter(self) -> dict:
        items = {"type": "string"}
        if not self.preserve_unknown:
            # Unknown root fields are refused (400) unless the resource keeps unknown fields.
            names = "|".join(re.escape(field) for field in self.known_fields)
            items["pattern"] = rf"^(?:{names})(?:\..*)?$"
        return {"name": "_fields", "in": "query", "style": "form", "explode": False,
                "description": "Fields to return (dotted names for nested ones); `id` and "
                               "`last_modified` are always returned.",
                "schema": {"type": "array", "items": items}}


def _not_modified() -> dict:
    return {"description": "Not modified since the ETag of `If-None-Match`.",
            "headers": c.headers("ETag", "Last-Modified")}
