"""JSON Schema (the OpenAPI 3.1 dialect) of Colander schema nodes.

Types, required children, defaults and the common validators (``Range``,
``Length``, ``OneOf``, ``Regex``, ``Email``, ``url``, ``uuid``,
``ContainsOnly`` and ``All`` of them) are translated; custom types and
validators are described as "any value", since nothing more can be known.
"""
import colander

from cliquet.resource.schema import PermissionsSchema

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
    missing = node.missing
    if missing is None and "type" in schema:
        schema["type"] = [schema["type"], "null"]
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
        schema = {"type": "array"}
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
    schema = {"type": "object",
              "properties": {child.name: node_schema(child, partial) for child in node.children}}
    required = [child.name for child in node.children if child.required]
    if required and not partial:
        schema["required"] = required
    if getattr(node.typ, "unknown", "ignore") == "raise":
        schema["additionalProperties"] = False
    return schema


def permissions_schema(permissions) -> dict:
    """Permission name → list of principals, names limited to ``permissions``."""
    principals = {"type": "array", "items": {"type": "string"},
                  "description": "Principals, e.g. `system.Authenticated`"}
    if not permissions:
        return {"type": "object", "additionalProperties": principals}
    return {"type": "object", "properties": {name: principals for name in permissions},
            "additionalProperties": False}


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
