"""Resources served by the HTTP tests of ``cliquet.resource``."""
import colander

from cliquet import resource
from cliquet.resource import schema


def _optional(node_type):
    return colander.SchemaNode(node_type, missing=colander.drop)


class NoteSchema(resource.ResourceSchema):
    title = _optional(colander.String())
    rank = _optional(colander.Integer())
    done = _optional(colander.Boolean())
    author = colander.SchemaNode(colander.Mapping(unknown="preserve"), missing=colander.drop)
    code = _optional(colander.String())
    device = _optional(colander.String())

    class Options:
        readonly_fields = ("device",)
        unique_fields = ("code",)


@resource.register()
class Note(resource.UserResource):
    """``/notes``: private records with optional fields."""

    mapping = NoteSchema()


class StrictSchema(resource.ResourceSchema):
    name = colander.SchemaNode(colander.String())
    stamp = schema.TimeStamp()


@resource.register(name="strict")
class StrictNote(resource.UserResource):
    """``/stricts``: ``name`` is required, ``stamp`` defaults to now."""

    mapping = StrictSchema()


class BlobSchema(resource.ResourceSchema):
    class Options:
        preserve_unknown = True


@resource.register()
class Blob(resource.UserResource):
    """``/blobs``: schema-less records (every field kept, ``id`` included)."""

    mapping = BlobSchema()


class ArticleSchema(resource.ResourceSchema):
    title = _optional(colander.String())
    url = schema.URL(missing=colander.drop)
    device = _optional(colander.String())

    class Options:
        readonly_fields = ("device",)
        unique_fields = ("url",)


@resource.register()
class Article(resource.ShareableResource):
    """``/articles``: records shared through permissions."""

    mapping = ArticleSchema()


@resource.register(name="task", collection_path="/lists/{list_id}/tasks",
                   record_path="/lists/{list_id}/tasks/{{id}}")
class Task(resource.UserResource):
    """Custom paths with an extra placeholder."""

    mapping = NoteSchema()


@resource.register(collection_path="/readonly/items", record_path="/readonly/items/{{id}}",
                   collection_methods=("GET",), record_methods=("GET", "PUT"))
class Item(resource.UserResource):
    """Only some methods."""

    mapping = NoteSchema()


@resource.register()
class Shout(resource.UserResource):
    """Schema-less; ``process_record`` uppercases the title."""

    mapping = BlobSchema()

    def process_record(self, new, old=None):
        new = super().process_record(new, old)
        if isinstance(new.get("title"), str):
            new["title"] = new["title"].upper()
        return new
