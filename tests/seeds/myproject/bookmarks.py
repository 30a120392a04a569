# "Making the case for Cliquet", step 2 (also the talk "Cliquet", Barcelona 2015).
from cliquet import resource, schema

class BookmarkSchema(schema.ResourceSchema):
    url = schema.URL()

@resource.register()
class Bookmark(resource.BaseResource):
    mapping = BookmarkSchema()
