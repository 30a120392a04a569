"""Deprecated location of the schema helpers: use :mod:`cliquet.resource.schema`."""
import warnings
from typing import Any

from cliquet.resource import ResourceSchema as NewResourceSchema
from cliquet.resource.schema import PermissionsSchema, TimeStamp, URL

__all__ = ["ResourceSchema", "PermissionsSchema", "TimeStamp", "URL"]


class ResourceSchema(NewResourceSchema):
    """Deprecated alias of :class:`cliquet.resource.schema.ResourceSchema`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        warnings.warn(  # noqa: B028 -- the exact call of 3.1, which code may check
            "cliquet.schema is now deprecated. Please use `cliquet.resource.schema` instead",
            DeprecationWarning)
        super().__init__(*args, **kwargs)
