"""Schemathesis hooks, to fuzz a Cliquet service from its OpenAPI description.

``make fuzz`` loads them; against any Cliquet service::

    SCHEMATHESIS_HOOKS=cliquet.openapi.fuzzing schemathesis run https://.../v1/__api__ ...

They change what Schemathesis (4.x) sends or reports in two cases only:

* :func:`filter_case`: its coverage phase generates header values of letters
  and digits only, so it has no valid value for an ETag header (``If-Match:
  "1457350340000"``, whose pattern requires the double quotes). It then sends
  an invalid one (``0``) in requests it labels positive (the "default positive
  test case", "all required properties and optional If-Match") and reports
  the service's 400 as a valid request rejected. Such requests, positive by
  their label only, are not sent; valid ETags are sent by the fuzzing and
  stateful phases, invalid ones by every phase, in negative requests.

* :func:`filter_failure`: request bodies are read by Colander, which reads a
  value of another JSON type for a scalar field rather than refusing it, as
  Cliquet 3.1 did: ``null``, ``[]`` or ``{}`` (and ``0`` or ``false`` for
  text) in an optional field as a field not sent, any value for a boolean
  (``"false"`` and ``"0"`` are false), a boolean or a numeric string for a
  number, a number for an integer (truncated). The description gives the
  types a client sends, not this reading (docs/openapi.rst); a negative
  request whose only fault is such a value, and that the service accepts, is
  not reported. Any other accepted negative request is.

The module needs Schemathesis; Cliquet never imports it.
"""
import jsonschema
import schemathesis
from schemathesis.core.parameters import ParameterLocation

_SCALAR_TYPES = {"string", "integer", "number", "boolean"}


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Whether to send ``case``: not a request labelled positive that is not."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return True
    if any(component.mode.is_negative for component in meta.components.values()):
        return False
    headers = case.headers or {}
    for parameter in case.operation.iter_parameters():
        if parameter.location != ParameterLocation.HEADER or parameter.name not in headers:
            continue
        schema = parameter.definition.get("schema")
        if isinstance(schema, dict) and "pattern" in schema and \
                not jsonschema.Draft202012Validator(schema).is_valid(headers[parameter.name]):
            return False
    return True


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Whether to report ``failure``: not an accepted scalar of another type in a body."""
    return failure.code != "ST201" or not _only_scalar_type_changes(case)


def _only_scalar_type_changes(case) -> bool:
    """Whether the only fault of ``case`` is a scalar body value of another JSON type."""
    meta = case.meta
    if meta is None:
        return False
    negative = {location for location, component in meta.components.items()
                if component.mode.is_negative}
    if negative != {ParameterLocation.BODY}:
        return False
    data = meta.phase.data
    mutations = getattr(data, "mutations", ())
    if mutations:
        return all(mutation.parameter_location == ParameterLocation.BODY
                   and tuple(mutation.keywords) == ("type",)
                   and mutation.original_value in _SCALAR_TYPES
                   for mutation in mutations)
    # The coverage phase names the `type` keyword it violates.
    pointer = getattr(data, "location", None) or ""
    if getattr(data, "scenario", None) != "incorrect_type" or not pointer.endswith("/type"):
        return False
    schema = _body_schema(case)
    for part in pointer.strip("/").split("/")[:-1]:
        schema = _resolve(case, schema)
        if isinstance(schema, list) and part.isdigit():
            schema = schema[int(part)]
        elif isinstance(schema, dict):
            schema = schema.get(part.replace("~1", "/").replace("~0", "~"))
        else:
            return False
    schema = _resolve(case, schema)
    return isinstance(schema, dict) and schema.get("type") in _SCALAR_TYPES


def _body_schema(case):
    body = case.operation.definition.raw.get("requestBody", {})
    return body.get("content", {}).get(case.media_type or "application/json", {}).get("schema")


def _resolve(case, schema):
    """``schema``, its ``$ref`` to the components followed."""
    while isinstance(schema, dict) and "$ref" in schema:
        target = case.operation.schema.raw_schema
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema
