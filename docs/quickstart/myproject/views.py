import colander
from cliquet import resource


class MushroomSchema(resource.ResourceSchema):
    name = colander.SchemaNode(colander.String())


@resource.register(collection_path='/mushrooms',
                   record_path='/mushrooms/{{id}}')
class Mushroom(resource.UserResource):
    mapping = MushroomSchema()
