"""WSGI middlewares switched on from the settings: New Relic and the profiler."""
import os

from pyramid.settings import asbool


def install(app, settings=None):
    """Wrap ``app`` with New Relic (``newrelic_config``) and Werkzeug's profiler
    (``profiler_enabled``, one file per request in ``profiler_dir``)."""
    if settings is None:
        settings = app.registry.settings

    newrelic_config = settings.get("newrelic_config")
    if newrelic_config:
        try:
            import newrelic.agent
        except ImportError as exc:
            raise ImportError(
                "newrelic_config is set but the newrelic package is missing: "
                "pip install cliquet[monitoring]") from exc
        newrelic.agent.initialize(newrelic_config, settings.get("newrelic_env", "dev"))
        app = newrelic.agent.WSGIApplicationWrapper(app)

    if asbool(settings.get("profiler_enabled")):
        from werkzeug.middleware.profiler import ProfilerMiddleware

        profile_dir = settings.get("profiler_dir") or "/tmp"
        os.makedirs(profile_dir, exist_ok=True)
        app = ProfilerMiddleware(
            app, profile_dir=profile_dir, restrictions=("*cliquet*",),
            filename_format="{method}.{path}.{elapsed:06.0f}ms.{time:.0f}.prof",
        )
    return app
