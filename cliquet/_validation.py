"""Request body validation shared by Cliquet's endpoints (Cornice validators).

Limits of request bodies (docs/protocol.rst, "Limits"):

* :data:`MAX_JSON_DEPTH`: nesting depth of a JSON body (objects and arrays);
* no NUL character (``\\u0000``) in any string or key: PostgreSQL cannot store
  it, so no backend accepts it; nor an unpaired surrogate (``\\udc00``), which
  is no Unicode character (no UTF-8 encoding);
* a client ``last_modified`` is an integer of epoch milliseconds between
  :data:`MIN_TIMESTAMP` and :data:`MAX_TIMESTAMP`.
"""
import json as classic_json
import re
from typing import Any

import colander

#: Messages of the 3.1 decoder where the standard library words them differently.
_CLASSIC_WORDING = {"Invalid \\uXXXX escape": "Invalid \\uXXXX escape sequence"}


#: Deepest nesting of objects and arrays accepted in a JSON request body. Bodies
#: are stored and rendered by an encoder that stops at 254 levels.
MAX_JSON_DEPTH = 64

#: Smallest timestamp a client may send (epoch milliseconds).
MIN_TIMESTAMP = 1
#: Largest timestamp a client may send: 9999-12-31T23:59:59.999Z, the last
#: millisecond an HTTP date (``Last-Modified``) can render; it fits a BIGINT.
MAX_TIMESTAMP = 253402300799999

_TOO_DEEP = f"Invalid JSON request body: nested deeper than {MAX_JSON_DEPTH} levels"
_NUL_ESCAPE = b"\\u0000"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_NUL = "\x00"
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _dotted(path) -> str | None:
    return ".".join(str(part) for part in path) or None


_CONTAINERS = (dict, list)


def _too_deep(value) -> bool:
    """Whether ``value`` nests objects and arrays deeper than :data:`MAX_JSON_DEPTH`
    (walked level by level, the containers only)."""
    level = [value]
    depth = 1
    while level:
        if depth > MAX_JSON_DEPTH:
            return True
        below = []
        for item in level:
            children = item.values() if type(item) is dict else item
            below += [child for child in children if type(child) in _CONTAINERS]
        level = below
        depth += 1
    return False


def _character_problem(text: str) -> str | None:
    """What no backend can store in ``text``: a NUL character or an unpaired surrogate."""
    match = _BAD_CHARACTER.search(text)
    if match is None:
        return None
    if match.group() == _NUL:
        return "a NUL character (\\u0000)"
    return f"an unpaired surrogate (\\u{ord(match.group()):04x})"


def json_problem(body: bytes, value) -> tuple[str | None, str] | None:
    """What makes the parsed JSON ``value`` of ``body`` unacceptable, if anything.

    :returns: ``(name, description)``: a body nested deeper than
        :data:`MAX_JSON_DEPTH` (name ``None``), or a string or key holding a
        NUL character or an unpaired surrogate (name: the dotted path of the
        value); ``None`` when fine.

    The parsed value is walked only when the raw body makes it possible (more
    brackets than the depth limit, a ``\\u0000`` or ``\\udxxx`` escape): the
    common body is checked by byte scans; a batch of 25 records is walked in
    ~50 µs.
    """
    if not isinstance(body, bytes | bytearray):
        body = str(body).encode("utf-8", "surrogatepass")
    if _NUL_ESCAPE not in body and _SURROGATE_ESCAPE.search(body) is None:
        deep = body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH
        return (None, _TOO_DEEP) if deep and _too_deep(value) else None
    # A character no backend stores may be there: find it, and its path.
    stack: list[tuple[Any, int, tuple]] = [(value, 1, ())]
    while stack:
        item, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return None, _TOO_DEEP
        if isinstance(item, str):
            problem = _character_problem(item)
            if problem is not None:
                name = _dotted(path)
                if name is None:
                    return None, f"Invalid JSON request body: {problem} is not allowed"
                return name, f"{name} holds {problem}, not allowed"
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _character_problem(key)
                if problem is not None:
                    name = _dotted(path)
                    if name is None:
                        return None, (f"Invalid JSON request body: a key holding {problem} "
                                      "is not allowed")
                    return name, f"{name} has a key holding {problem}, not allowed"
                stack.append((child, depth + 1, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, (*path, index)) for index, child in enumerate(item))
    return None


def add_json_problem(request, body: bytes, value) -> bool:
    """Report :func:`json_problem` of ``body`` in ``request.errors``; whether there was one."""
    problem = json_problem(body, value)
    if problem is None:
        return False
    name, description = problem
    request.errors.add("body", name, description)
    return True


def timestamp_problem(value) -> str | None:
    """Why ``value`` is not a timestamp a client may send (epoch ms), ``None`` when it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{value!r} is not an integer"
    if not MIN_TIMESTAMP <= value <= MAX_TIMESTAMP:
        return f"{value} is not between {MIN_TIMESTAMP} and {MAX_TIMESTAMP}"
    return None


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
    except RecursionError:  # deeper than the parser of the body went
        return _TOO_DEEP.removeprefix("Invalid JSON request body: ")
    return str(error)


def json_body(request, loads=None, object_only: bool = False):
    """The JSON body of ``request`` (``{}`` when empty): the one body parser of
    the batch endpoint and of the resources' viewsets.

    A malformed body adds the protocol's error (location ``body``, name
    ``null``, ``Invalid JSON request body: <decoder message>``) and gives ``{}``
    so that the schema can report what is missing too. So does a body
    :func:`json_problem` refuses and, with ``object_only``, a body that is no
    JSON object (``Invalid JSON request body: should be an object``).

    :param loads: decoder of the raw body bytes; ``None``: WebOb's
        ``request.json_body`` (standard library, the request charset).

    Why two decoders (one parser, same error messages: a malformed body gets
    the classic decoder's wording either way, see :func:`json_error_message`):
    they accept different bodies. ``/batch`` (``loads=None``) decodes as
    Cliquet 3.1's batch did, through WebOb: the ``charset`` of the
    ``Content-Type`` is honoured (a ``latin-1`` body is read) and Python's
    ``NaN``/``Infinity`` literals pass. The resources (``loads=json.loads``,
    orjson) take UTF-8 only and refuse those literals. One decoder for both
    would change what one of the two endpoints accepts; speed is not the
    reason (measured with ``timeit``, best of 5: a 100-request batch body,
    10.9 kB, decodes in 103 µs with WebOb's decoder and 57 µs with orjson,
    next to the 100 subrequests it runs; a 43-byte record body in 1.9 µs and
    0.3 µs).
    """
    body = request.body
    if not body:
        return {}
    try:
        value = request.json_body if loads is None else loads(body)
    except RecursionError:  # the standard library decoder of WebOb, on a deep body
        request.errors.add("body", None, _TOO_DEEP)
        return {}
    except ValueError as error:
        message = json_error_message(body, error)
        request.errors.add("body", None, f"Invalid JSON request body: {message}")
        return {}
    if add_json_problem(request, body, value):
        return {}
    if object_only and not isinstance(value, dict):
        request.errors.add("body", None, "Invalid JSON request body: should be an object")
        return {}
    return value


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
