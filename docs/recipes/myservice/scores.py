import colander

from cliquet import resource


class ScoreSchema(resource.ResourceSchema):
    player = colander.SchemaNode(colander.String())
    points = colander.SchemaNode(colander.Integer(), validator=colander.Range(min=0))


@resource.register(name="score",
                   collection_path="/games/{game}/scores",
                   record_path="/games/{game}/scores/{{id}}",
                   collection_methods=("GET", "POST"),
                   record_methods=("GET", "DELETE"))
class Score(resource.UserResource):
    mapping = ScoreSchema()

    def get_parent_id(self, request):
        # One collection per user and per game.
        game = request.matchdict["game"]
        return f"{request.prefixed_userid}/{game}"
