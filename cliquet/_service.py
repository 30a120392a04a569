"""``cliquet.Service``: a Cornice service with the toolkit's defaults."""
import cornice
from cornice.validators import colander_body_validator

from cliquet.errors import json_error_handler


class Service(cornice.Service):
    """Cornice service with the JSON error channel and CORS from the settings.

    Plugins and applications should build their own views on it to get the
    same behaviour as Cliquet's endpoints. A ``schema`` given without
    ``validators`` validates the JSON body, as Cornice 1 did.
    """

    default_cors_headers = ("Backoff", "Retry-After", "Alert", "Content-Length", "Vary")
    cors_origins = ("*",)
    cors_max_age = None

    @staticmethod
    def error_handler(error):
        """Cornice's error handler: the protocol's JSON error envelope."""
        return json_error_handler(error)

    @classmethod
    def init_from_settings(cls, settings) -> None:
        """Apply the ``cors_origins`` and ``cors_max_age_seconds`` settings class-wide."""
        origins = settings.get("cors_origins", "*")
        if isinstance(origins, str):
            origins = origins.split()
        cls.cors_origins = tuple(origins)
        max_age = settings.get("cors_max_age_seconds")
        cls.cors_max_age = int(max_age) if max_age not in (None, "", 0, "0") else None

    def cors_origins_for(self, method):
        """Origins allowed: the class-wide ``cors_origins`` setting."""
        return type(self).cors_origins

    def cors_max_age_for(self, method=None):
        """Preflight cache duration: the class-wide ``cors_max_age_seconds`` setting."""
        return type(self).cors_max_age

    def get_arguments(self, conf=None):
        arguments = super().get_arguments(conf)
        if arguments.get("schema") is not None and not arguments.get("validators"):
            arguments["validators"] = [colander_body_validator]
        return arguments
