"""Colander schemas of resources, and the field types the protocol provides."""
import colander

from cliquet.utils import msec_time, strip_whitespace


class ResourceSchema(colander.MappingSchema):
    """Base schema of a resource's records.

    Options, in an inner ``class Options`` (missing ones fall back to these):

    * ``readonly_fields``: fields that PATCH may not change;
    * ``unique_fields``: fields whose values are unique among live records;
    * ``preserve_unknown``: keep fields the schema does not declare
      (schema-less resource) instead of dropping them.
    """

    class Options:
        readonly_fields = ()
        unique_fields = ()
        preserve_unknown = False

    def get_option(self, name):
        """Value of option ``name``, the default one when not overridden."""
        return getattr(self.Options, name, getattr(ResourceSchema.Options, name))

    def is_readonly(self, field) -> bool:
        """Whether ``field`` is declared read-only."""
        return field in self.get_option("readonly_fields")

    def schema_type(self, **kw):
        unknown = "preserve" if self.get_option("preserve_unknown") else "ignore"
        return colander.Mapping(unknown=unknown)


class PermissionsSchema(colander.SchemaNode):
    """Permission name → list of principals; names limited to ``permissions``."""

    def __init__(self, *args, **kwargs):
        self.known_permissions = tuple(kwargs.pop("permissions", ()))
        super().__init__(*args, **kwargs)

    def schema_type(self, **kw):
        return colander.Mapping(unknown="preserve")

    def deserialize(self, cstruct=colander.null):
        permissions = super().deserialize(cstruct)
        if permissions in (colander.null, colander.drop) or permissions is None:
            return permissions
        principals_node = colander.SchemaNode(
            colander.Sequence(), colander.SchemaNode(colander.String()))
        result = {}
        for name, principals in permissions.items():
            if self.known_permissions and name not in self.known_permissions:
                allowed = ", ".join(self.known_permissions)
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

    def deserialize(self, cstruct=colander.null):
        if cstruct is colander.null and self.auto_now:
            cstruct = msec_time()
        return super().deserialize(cstruct)


class URL(colander.SchemaNode):
    """A URL string of 1 to 2048 characters, surrounding whitespace stripped."""

    schema_type = colander.String
    validator = colander.All(colander.url, colander.Length(min=1, max=2048))

    def preparer(self, appstruct):
        return strip_whitespace(appstruct)
