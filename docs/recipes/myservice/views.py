import colander

from cliquet import Service


class ScoreSchema(colander.MappingSchema):
    value = colander.SchemaNode(colander.Integer())


score = Service(name="score",
                path='/score/{game}',
                description="Store game score")


@score.post(schema=ScoreSchema(), permission="private")
def post_score(request):
    collection_id = 'scores-' + request.matchdict['game']
    user_id = request.prefixed_userid
    value = request.validated

    storage = request.registry.storage
    record = storage.create(collection_id, user_id, value)
    return record
