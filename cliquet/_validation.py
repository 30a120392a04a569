"""Request body validation shared by Cliquet's endpoints (Cornice validators)."""
import colander


def json_body(request):
    """The JSON body of ``request`` (``{}`` when empty).

    A malformed body adds the protocol's error (location ``body``, name
    ``null``, ``Invalid JSON request body: <decoder message>``) and gives ``{}``
    so that the schema can report what is missing too.
    """
    if not request.body:
        return {}
    try:
        return request.json_body
    except ValueError as error:
        request.errors.add("body", None, f"Invalid JSON request body: {error}")
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
