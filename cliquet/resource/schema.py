"""Colander schemas of resources, and the field types the protocol provides."""
from typing import Any
from urllib.parse import urlsplit

import colander
from colander import SchemaNode, String

from cliquet.utils import msec_time, strip_whitespace

_MIN_INT = -(2 ** 63)
_MAX_INT = 2 ** 63 - 1


def _outside_int64(value: Any) -> bool:
    """Whether ``value`` holds an integer no backend (nor the JSON encoder) can store."""
    if isinstance(value, dict):
        return any(_outside_int64(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_outside_int64(item) for item in value)
    return isinstance(value, int) and not _MIN_INT <= value <= _MAX_INT


def _rounded_int64(sent: Any, node: Any) -> bool:
    """Whether ``sent``, for an integer field, is a float at or beyond 64 bits: the
    JSON parser gives one for an integer literal out of range (``-9223372036854775809``),
    which ``colander.Integer`` would silently turn into the nearest 64-bit bound."""
    return isinstance(sent, float) and isinstance(node.typ, colander.Integer) and \
        not float(_MIN_INT) < sent < float(_MAX_INT)


class ResourceSchema(colander.MappingSchema):
    """Base schema of a resource's records.

    Options, in an inner ``class Options`` (missing ones fall back to these):

    * ``readonly_fields``: fields that PATCH may not change;
    * ``unique_fields``: fields whose values are unique among live records;
    * ``preserve_unknown``: keep fields the schema does not declare
      (schema-less resource) instead of dropping them.
    """

    class Options:
        readonly_fields: tuple[str, ...] = ()
        unique_fields: tuple[str, ...] = ()
        preserve_unknown = False

    def get_option(self, attr: str) -> Any:
        """Value of option ``attr``, the default one when not overridden."""
        return getattr(self.Options, attr, getattr(ResourceSchema.Options, attr))

    def is_readonly(self, field: str) -> bool:
        """Whether ``field`` is declared read-only."""
        return field in self.get_option("readonly_fields")

    def schema_type(self, **kw: Any) -> Any:
        unknown = "preserve" if self.get_option("preserve_unknown") else "ignore"
        return colander.Mapping(unknown=unknown)

    def deserialize(self, cstruct: Any = colander.null) -> Any:
        """Validate a record; integers must fit in 64 bits.

        ``colander.Integer`` turns ``1e30`` into an integer that no backend can
        store: such a value is invalid (``<value> is not a 64-bit integer``).
        """
        appstruct = super().deserialize(cstruct)
        if not isinstance(appstruct, dict):
            return appstruct
        raw = cstruct if isinstance(cstruct, dict) else {}
        invalid = colander.Invalid(self)
        for position, child in enumerate(self.children):
            value = appstruct.get(child.name)
            if not _outside_int64(value):
                value = raw.get(child.name)
                if not _rounded_int64(value, child):
                    continue
            invalid.add(colander.Invalid(child, f"{value} is not a 64-bit integer"), position)
        if invalid.children:
            raise invalid
        return appstruct


class PermissionsSchema(colander.SchemaNode):
    """Permission name → list of principals; names limited to ``permissions``
    (attribute ``known_perms``), any name when empty.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.known_perms = tuple(kwargs.pop("permissions", ()))
        super().__init__(*args, **kwargs)

    def schema_type(self, **kw: Any) -> Any:
        return colander.Mapping(unknown="preserve")

    def deserialize(self, cstruct: Any = colander.null) -> Any:
        permissions = super().deserialize(cstruct)
        if permissions in (colander.null, colander.drop) or permissions is None:
            return permissions
        principals_node = colander.SchemaNode(
            colander.Sequence(), colander.SchemaNode(colander.String()))
        result: dict[str, Any] = {}
        for name, principals in permissions.items():
            if self.known_perms and name not in self.known_perms:
                allowed = ", ".join(self.known_perms)
                raise colander.Invalid(self, f'"{name}" is not one of {allowed}')
            principals_node.name = name
            invalid = colander.Invalid(self)
            try:
                result[name] = principals_node.deserialize(principals)
            except colander.Invalid as error:
                invalid.add(error)
                raise invalid from None
        return result


class TimeStamp(colander.SchemaNode):
    """Integer epoch timestamp in milliseconds; ``auto_now`` fills it when missing."""

    schema_type = colander.Integer
    title = "Epoch timestamp"
    auto_now = True
    missing = None

    def deserialize(self, cstruct: Any = colander.null) -> Any:
        if cstruct is colander.null and self.auto_now:
            cstruct = msec_time()
        return super().deserialize(cstruct)


def _absolute_url(node: Any, value: str) -> None:
    """Colander validator: a scheme and a host (credentials, port, fragment allowed)."""
    try:
        parts = urlsplit(value)
        valid = bool(parts.scheme and parts.netloc) and (parts.port or 0) >= 0
    except ValueError:  # e.g. a port that is not a number
        valid = False
    if not valid or any(char.isspace() for char in value):
        raise colander.Invalid(node, "Must be a URL")


class URL(SchemaNode):
    """A URL string of 1 to 2048 characters, surrounding whitespace stripped."""

    schema_type = String
    validator = colander.All(_absolute_url, colander.Length(min=1, max=2048))

    def preparer(self, appstruct: Any) -> Any:

        return strip_whitespace(appstruct)
