import colander

from cliquet import resource


class NoteSchema(resource.ResourceSchema):
    # Declared fields can be filtered and sorted on; others are kept as sent.
    title = colander.SchemaNode(colander.String(), missing=colander.drop)

    class Options:
        preserve_unknown = True


@resource.register()
class Note(resource.UserResource):
    mapping = NoteSchema()
