"""JSON Schema (the OpenAPI 3.1 dialect) of Colander schema nodes.

Types, required children, defaults and the common validators (``Range``,
``Length``, ``OneOf``, ``Regex``, ``Email``, ``url``, ``uuid``,
``ContainsOnly`` and ``All`` of them) are translated; custom types and
validators are described as "any value", since nothing more can be known.

What Colander and Cliquet add to the types is declared too: Colander reads an
empty string as a value not sent, so a required string is not empty and an
optional one may be empty even when its validators refuse it; integers are
64-bit (:class:`~cliquet.resource.schema.ResourceSchema` refuses the others)
and a :class:`~cliquet.resource.schema.URL` is an absolute URL.
"""
import re
from typing import Any

import colander

from cliquet.resource.schema import URL, PermissionsSchema

#: Bounds of the integers the service stores and compares (64-bit).
MIN_INT64, MAX_INT64 = -(2 ** 63), 2 ** 63 - 1

_SCALAR_TYPES = (
    (colander.Boolean, {"type": "boolean"}),
    (colander.Integer, {"type": "integer", "format": "int64"}),
    (colander.Float, {"type": "number"}),
    (colander.Decimal, {"type": "number"}),
    (colander.DateTime, {"type": "string", "format": "date-time"}),
    (colander.Date, {"type": "string", "format": "date"}),
    (colander.Time, {"type": "string", "format": "time"}),
    (colander.String, {"type": "string"}),
)
_JSON_SCALARS = (str, int, float, bool)


def node_schema(node: colander.SchemaNode, partial: bool = False) -> dict:
    """JSON Schema of the values ``node`` accepts.

    :param partial: no child of a mapping is required, at any depth (a ``PATCH``
        of a record, or a response projected with ``_fields``).
    """
    if isinstance(node, PermissionsSchema):
        return permissions_schema(node.known_perms)
    schema = type_schema(node, partial)
    _apply_validator(schema, node.validator)
    _apply_type_limits(schema, node)
    missing = node.missing
    if missing is None and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    if not node.required and _reads_empty_as_missing(node.typ) and _refuses_empty(schema):
        schema = {"anyOf": [schema, {"const": "", "description": "Read as not sent."}]}
    if isinstance(missing, _JSON_SCALARS) or missing is None:
        schema["default"] = missing
    if node.description:
        schema["description"] = str(node.description)
    return schema


def type_schema(node: colander.SchemaNode, partial: bool = False) -> dict:
    """JSON Schema of the type of ``node``, without its validators."""
    typ = node.typ
    if isinstance(typ, colander.Mapping):
        return mapping_schema(node, partial)
    if isinstance(typ, colander.Sequence):
        items = node.children[0] if node.children else None
        schema: dict[str, Any] = {"type": "array"}
        if items is not None:
            schema["items"] = node_schema(items, partial)
        return schema
    if isinstance(typ, colander.Tuple):
        return {"type": "array",
                "prefixItems": [node_schema(child, partial) for child in node.children],
                "minItems": len(node.children), "maxItems": len(node.children)}
    for colander_type, schema in _SCALAR_TYPES:
        if isinstance(typ, colander_type):
            return dict(schema)
    return {}


def mapping_schema(node: colander.SchemaNode, partial: bool = False) -> dict:
    """Object whose properties are the children of ``node``.

    Unknown keys are only forbidden when the mapping raises on them: the
    ``ignore`` and ``preserve`` modes both accept them.
    """
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {child.name: node_schema(child, partial) for child in node.children}}
    required = [child.name for child in node.children if child.required]
    if required and not partial:
        schema["required"] = required
    if getattr(node.typ, "unknown", "ignore") == "raise":
        schema["additionalProperties"] = False
    return schema


def permissions_schema(permissions) -> dict:
    """Permission name → list of principals, names limited to ``permissions``."""
    principals = {"type": "array", "items": {"type": "string", "minLength": 1},
                  "description": "Principals, e.g. `system.Authenticated`"}
    if not permissions:
        return {"type": "object", "additionalProperties": principals}
    return {"type": "object", "properties": {name: principals for name in permissions},
            "additionalProperties": False}


def _reads_empty_as_missing(typ) -> bool:
    """Whether Colander reads ``""`` as a value not sent for ``typ``."""
    if isinstance(typ, colander.String):
        return not getattr(typ, "allow_empty", False)
    return isinstance(typ, (colander.DateTime, colander.Date, colander.Time))


def _refuses_empty(schema: dict) -> bool:
    """Whether the string schema ``schema`` refuses ``""``."""
    pattern = schema.get("pattern")
    return bool(schema.get("minLength")) or "format" in schema or \
        ("enum" in schema and "" not in schema["enum"]) or \
        (pattern is not None and re.search(pattern, "") is None)


def _apply_type_limits(schema: dict, node: colander.SchemaNode) -> None:
    """What the type accepts beyond its JSON type, validators left aside."""
    typ = node.typ
    if isinstance(typ, colander.Integer):
        schema.setdefault("minimum", MIN_INT64)
        schema.setdefault("maximum", MAX_INT64)
    elif isinstance(typ, colander.String):
        if node.required and not getattr(typ, "allow_empty", False):
            schema["minLength"] = max(schema.get("minLength", 0), 1)
        if isinstance(node, URL):
            schema["format"] = "uri"
            schema.setdefault("description", "An absolute URL: a scheme and a host.")


def _apply_validator(schema: dict, validator) -> None:
    if validator is None:
        return
    if isinstance(validator, colander.All):
        for each in validator.validators:
            _apply_validator(schema, each)
    elif validator is colander.url:
        schema["format"] = "uri"
    elif validator is colander.uuid:
        schema["format"] = "uuid"
    elif isinstance(validator, colander.Email):
        schema["format"] = "email"
    elif isinstance(validator, colander.Regex):
        pattern = validator.match_object.pattern
        schema["pattern"] = pattern if pattern.startswith("^") else f"^(?:{pattern})"
    elif isinstance(validator, colander.OneOf):
        schema["enum"] = list(validator.choices)
    elif isinstance(validator, colander.ContainsOnly):
        schema["items"] = {"enum": list(validator.choices)}
    elif isinstance(validator, colander.Range):
        _set_bounds(schema, validator.min, validator.max, "minimum", "maximum")
    elif isinstance(validator, colander.Length):
        if schema.get("type") == "array":
            _set_bounds(schema, validator.min, validator.max, "minItems", "maxItems")
        else:
            _set_bounds(schema, validator.min, validator.max, "minLength", "maxLength")


def _set_bounds(schema: dict, low, high, low_key: str, high_key: str) -> None:
    if low is not None:
        schema[low_key] = low
    if high is not None:
        schema[high_key] = high
