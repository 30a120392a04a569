"""The demo's own endpoints: a private and a shareable resource."""
import colander

from cliquet import resource
from cliquet.resource import schema


class MushroomSchema(resource.ResourceSchema):
    name = colander.SchemaNode(colander.String())
    # Declared so that they can be filtered and sorted; any other field is kept too.
    size = colander.SchemaNode(colander.Integer(), missing=colander.drop)
    color = colander.SchemaNode(colander.String(), missing=colander.drop)
    edible = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    weight = colander.SchemaNode(colander.Float(), missing=colander.drop)

    class Options:
        preserve_unknown = True


@resource.register()
class Mushroom(resource.UserResource):
    """``/v1/mushrooms``: private to each user."""

    mapping = MushroomSchema()


class BookmarkSchema(resource.ResourceSchema):
    url = schema.URL()
    title = colander.SchemaNode(colander.String(), missing=colander.drop)
    device = colander.SchemaNode(colander.String(), missing="")

    class Options:
        readonly_fields = ("device",)
        unique_fields = ("url",)


@resource.register()
class Bookmark(resource.ShareableResource):
    """``/v1/bookmarks``: shared through permissions (see the ini files)."""

    mapping = BookmarkSchema()
