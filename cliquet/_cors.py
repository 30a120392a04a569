"""CORS of Cliquet's services: settings-driven origins, and CORS on late responses.

``cliquet.Service`` takes its CORS behaviour from :class:`CorsService`.
Responses built outside a service's view flow (error views, the JSON error
channel) get the same headers from :func:`reapply_cors`. This module imports
nothing of the package: the error channel (``cliquet.errors``) depends on it,
and the service (``cliquet._service``) depends on the error channel.
"""
import cornice
from cornice.cors import apply_cors_post_request


class CorsService(cornice.Service):
    """A Cornice service whose CORS origins and max age come from the settings."""

    default_cors_headers = ("Backoff", "Retry-After", "Alert", "Content-Length", "Vary")
    cors_origins = ("*",)
    cors_max_age = None

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

    def cors_supported_headers_for(self, method=None):
        """Cornice's answer (a new set), looked up once per method: Cornice
        scans every definition of the service for it, on every response."""
        return set(self._cors_answer(super().cors_supported_headers_for, method))

    def cors_support_credentials_for(self, method=None):
        """Cornice's answer, looked up once per method (as the headers are)."""
        return self._cors_answer(super().cors_support_credentials_for, method)

    def _cors_answer(self, lookup, method):
        # Definitions are only ever added, at configuration time: their number
        # tells whether an answer still holds.
        key = (lookup.__name__, method, len(self.definitions))
        answers = self.__dict__.setdefault("_cors_answers", {})
        try:
            return answers[key]
        except KeyError:
            answer = lookup(method)
            answers[key] = frozenset(answer) if isinstance(answer, set) else answer
            return answers[key]


def reapply_cors(request, response):
    """Add the CORS headers to a response built outside the normal view flow."""
    service = getattr(request, "current_service", None)
    if service is not None and service.cors_enabled:
        request.info["cors_checked"] = False
        response = apply_cors_post_request(service, request, response)
    else:
        _allow_origin_from_settings(request, response)
    if "Access-Control-Expose-Headers" not in response.headers:
        exposed = ", ".join(CorsService.default_cors_headers)
        response.headers["Access-Control-Expose-Headers"] = exposed
    return response


def _allow_origin_from_settings(request, response) -> None:
    # Outside services, the shell wildcards of cors_origins are not applied: only
    # "*" or the exact origin is allowed (a Cliquet 3.1 quirk; docs/protocol.rst, "CORS").
    settings = request.registry.settings
    origin = request.headers.get("Origin")
    if origin:
        allowed = settings.get("cors_origins") or ""
        allowed = allowed.split() if isinstance(allowed, str) else list(allowed)
        if "*" in allowed or origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
