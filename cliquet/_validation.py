"""Request body validation shared by Cliquet's endpoints (Cornice validators)."""
import json as classic_json

import colander

#: Messages of the 3.1 decoder where the standard library words them differently.
_CLASSIC_WORDING = {"Invalid \\uXXXX escape": "Invalid \\uXXXX escape sequence"}


def json_error_message(body, error: ValueError) -> str:
    """What is wrong with a JSON ``body`` that failed to decode with ``error``.

    The message of the classic decoder (``Expecting property name enclosed in
    double quotes: line 1 column 2 (char 1)``), which 3.1 clients may read;
    ``error``'s own when the classic decoder accepts the body.
    """
    try:
        classic_json.loads(body)
    except classic_json.JSONDecodeError as classic:
        message = _CLASSIC_WORDING.get(classic.msg, classic.msg)
        return f"{message}: line {classic.lineno} column {classic.colno} (char {classic.pos})"
    except ValueError:  # not UTF-8
        pass
    return str(error)


def json_body(request):
    """The JSON body of ``request`` (``{}`` when empty).

    A malformed body adds the protocol's error (location ``body``, name
    ``null``, ``Invalid JSON request body: <decoder message>``) and gives ``{}``
    so that the schema can report what is missing too.
    """
    body = request.body
    if not body:
        return {}
    try:
        return request.json_body
    except ValueError as error:
        message = json_error_message(body, error)
        request.errors.add("body", None, f"Invalid JSON request body: {message}")
        return {}


def add_schema_errors(request, error: colander.Invalid, location: str = "body") -> None:
    """Report a colander error as validation errors with dotted names.

    A missing top-level field reads ``<name> is missing``.
    """
    for name, message in error.asdict().items():
        if message == "Required" and "." not in name:
            message = f"{name} is missing"
        request.errors.add(location, name, message)


def body_validator(request, schema=None, **kwargs) -> None:
    """Cornice validator: deserialize the JSON body with ``schema`` into ``request.validated``."""
    if schema is None:
        return
    body = json_body(request)
    try:
        request.validated.update(schema.deserialize(body))
    except colander.Invalid as error:
        add_schema_errors(request, error)
