"""Resources of the authorization, batch and event tests (scan ``tests.testapp``).

``/memos`` is shared through permissions, declared with the deprecated
``ProtectedResource`` alias so that the alias is served end to end;
``/todos`` is private to each user and requires a ``title``.
"""
import warnings

import colander

from cliquet import resource


class MemoSchema(resource.ResourceSchema):
    title = colander.SchemaNode(colander.String(), missing=colander.drop)
    code = colander.SchemaNode(colander.String(), missing=colander.drop)

    class Options:
        unique_fields = ("code",)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # subclassing the alias warns

    @resource.register()
    class Memo(resource.ProtectedResource):
        """``/memos``: shared records."""

        mapping = MemoSchema()


class TodoSchema(resource.ResourceSchema):
    title = colander.SchemaNode(colander.String())


@resource.register()
class Todo(resource.UserResource):
    """``/todos``: private records."""

    mapping = TodoSchema()
