"""Operations of the collection and record endpoints of a resource (PROTOCOL §2).

Request and response bodies come from the resource's Colander mapping and
from the request schema its viewset gives Cornice; the querystring of the
collection from its known fields (filters, sorting, ``_fields``).
"""
import re

from cliquet.openapi import _components as c
from cliquet.openapi._jsonschema import node_schema, type_schema

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
    """

    def __init__(self, service, schemas: dict):
        self.service = service
        self.resource = service.resource
        self.mapping = self.resource.mapping
        self.name = service.resource_name
        self.component = component_name(self.name)
        self.shareable = hasattr(self.resource.default_model, "permissions_field")
        model = self.resource.default_model
        self.id_field = model.id_field
        self.modified_field = model.modified_field
        self.known_fields = [child.name for child in self.mapping.children]
        self.known_fields += [model.id_field, model.modified_field, model.deleted_field]
        self._add_schemas(schemas)

    def _add_schemas(self, schemas: dict) -> None:
        record = node_schema(self.mapping, partial=True)
        record.pop("default", None)
        record["properties"][self.id_field] = {"type": "string"}
        record["properties"][self.modified_field] = {"type": "integer"}
        changes = dict(record)
        record = dict(record, required=[self.id_field, self.modified_field])
        schemas[self.component] = dict(record, description=f"A {self.name} record.")
        schemas[f"{self.component}Changes"] = dict(
            changes, description=f"Some fields of a {self.name} record.")
        data = node_schema(self.mapping)
        data.pop("default", None)
        schemas[f"{self.component}Data"] = dict(
            data, description=f"The fields of a {self.name} record.")

    def tag(self) -> str:
        """Tag grouping the operations of this resource."""
        return self.name

    def operation(self, method: str, view, args: dict) -> dict:
        """The operation of ``method``, whose Cornice view arguments are ``args``.

        ``view`` is not needed: each method of a resource has its protocol (§2.6).
        """
        endpoint = self.service.endpoint_type
        build = getattr(self, f"_{endpoint}_{method.lower()}")
        operation = {
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
                           "the querystring.",
            "parameters": (self._filters() + self._sorting_and_pages()
                           + [self._fields_parameter(), c.ref("parameters", "If-Match"),
                              c.ref("parameters", "If-None-Match")]),
            "responses": {"200": ok, "304": _not_modified()},
            "errors": (400, 412),
        }

    def _collection_post(self, args: dict) -> dict:
        created = self._response("The record was created.", self._data_ref())
        created["links"] = self._record_links()
        return {
            "parameters": [c.ref("parameters", "If-Match"),
                           c.ref("parameters", "If-None-Match-Any")],
            "requestBody": self._request_body(args),
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
            "description": "`full` (default): the whole record; `light`: the changed fields; "
                           "`diff`: the changed fields whose value differs from the one sent.",
            "schema": {"type": "string", "enum": ["full", "light", "diff"]},
        }
        changes = c.ref("schemas", f"{self.component}Changes")
        return {
            "description": "The fields sent replace the stored ones; the others are kept.",
            "parameters": [c.ref("parameters", "If-Match"),
                           c.ref("parameters", "If-None-Match-Any"), behavior],
            "requestBody": self._request_body(args, data=changes),
            "responses": {"200": self._response("The modified record.", changes,
                                                c.headers("ETag", "Last-Modified"))},
            "errors": (400, 404, 409, 412, 415),
        }

    def _record_delete(self, args: dict) -> dict:
        timestamp = {
            "name": self.modified_field, "in": "query",
            "description": "Timestamp of the tombstone, used when more recent than the "
                           "record's.", "schema": {"type": "integer"},
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
        body = {"type": "object", "required": ["data"], "properties": {"data": data}}
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
        return {"required": bool(required), "content": c.json_content(body)}

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
        if field == self.id_field:
            return {"type": "string"}
        if field == self.modified_field:
            return {"type": "integer"}
        if field not in self.mapping:
            return {"type": "boolean"}  # the deleted field
        schema = type_schema(self.mapping[field])
        if schema.get("type") not in _SCALAR_TYPES:
            return {"type": "string"}
        return schema

    def _filters(self) -> list:
        parameters = []
        for field in self.known_fields:
            value = self._field_type(field)
            for prefix, meaning in FILTER_PREFIXES.items():
                parameter = {"name": f"{prefix}{field}", "in": "query",
                             "description": f"Records whose `{field}` is {meaning} this value."}
                if prefix in _LIST_PREFIXES:
                    parameter.update(schema={"type": "array", "items": value},
                                     style="form", explode=False)
                else:
                    parameter["schema"] = value
                parameters.append(parameter)
        return parameters

    def _timestamp_filters(self) -> list:
        return [
            {"name": "_since", "in": "query", "schema": {"type": "integer"},
             "description": "Records (and tombstones) modified after this timestamp."},
            {"name": "_before", "in": "query", "schema": {"type": "integer"},
             "description": "Records (and tombstones) modified before this timestamp."},
            {"name": "_to", "in": "query", "schema": {"type": "integer"}, "deprecated": True,
             "description": "Deprecated alias of `_before`."},
        ]

    def _sorting_and_pages(self) -> list:
        sort_items = [f"{sign}{field}" for field in self.known_fields for sign in ("", "-")]
        return self._timestamp_filters() + [
            {"name": "_sort", "in": "query", "style": "form", "explode": False,
             "description": "Fields to sort on, descending when prefixed with `-`.",
             "schema": {"type": "array", "items": {"type": "string", "enum": sort_items}}},
            {"name": "_limit", "in": "query", "schema": {"type": "integer"},
             "description": "Page size (0: no limit, the `paginate_by` setting at most)."},
            {"name": "_token", "in": "query", "schema": {"type": "string"},
             "description": "Pagination token, as found in the `Next-Page` URL."},
        ]

    def _fields_parameter(self) -> dict:
        return {"name": "_fields", "in": "query", "style": "form", "explode": False,
                "description": "Fields to return (dotted names for nested ones); `id` and "
                               "`last_modified` are always returned.",
                "schema": {"type": "array", "items": {"type": "string"}}}


def _not_modified() -> dict:
    return {"description": "Not modified since the ETag of `If-None-Match`.",
            "headers": c.headers("ETag", "Last-Modified")}
