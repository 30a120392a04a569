"""Deprecated location of the schema helpers: use :mod:`cliquet.resource.schema`."""
import warnings

from cliquet.resource import schema as _schema
from cliquet.resource.schema import PermissionsSchema, TimeStamp, URL

__all__ = ["ResourceSchema", "PermissionsSchema", "TimeStamp", "URL"]


class ResourceSchema(_schema.ResourceSchema):
    """Deprecated alias of :class:`cliquet.resource.schema.ResourceSchema`."""

    def __init__(self, *args, **kwargs):
        warnings.warn("cliquet.schema is deprecated, use cliquet.resource.schema instead",
                      DeprecationWarning, stacklevel=2)
        super().__init__(*args, **kwargs)
