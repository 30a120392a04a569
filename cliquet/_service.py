"""``cliquet.Service``: a Cornice service with the toolkit's defaults."""
from cornice.validators import colander_body_validator

from cliquet._cors import CorsService
from cliquet.errors import json_error_handler


class Service(CorsService):
    """Cornice service with the JSON error channel and CORS from the settings.

    Plugins and applications should build their own views on it to get the
    same behaviour as Cliquet's endpoints. A ``schema`` given without
    ``validators`` validates the JSON body, as Cornice 1 did. CORS (origins
    and max age from the settings, re-application to late responses) is
    :class:`cliquet._cors.CorsService`'s.
    """

    @staticmethod
    def error_handler(error):
        """Cornice's error handler: the protocol's JSON error envelope."""
        return json_error_handler(error)

    def get_arguments(self, conf=None):
        arguments = super().get_arguments(conf)
        if arguments.get("schema") is not None and not arguments.get("validators"):
            arguments["validators"] = [colander_body_validator]
        return arguments
