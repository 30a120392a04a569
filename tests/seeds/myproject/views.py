import colander

from cliquet import Service


class ScoreSchema(colander.MappingSchema):
    # Not part of the seed: the snippet leaves ScoreSchema to the reader.
    value = colander.SchemaNode(colander.Integer())


score = Service(name="score",
                path='/score/{game}',
                description="Store game score")

@score.post(schema=ScoreSchema)
def post_score(request):
    collection_id = 'scores-' + request.match_dict['game']
    user_id = request.authenticated_userid
    value = request.validated  # c.f. Cornice.

    storage = request.registry.storage
    record = storage.create(collection_id, user_id, value)
    return record
