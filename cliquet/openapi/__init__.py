"""Machine-readable API: the OpenAPI 3.1 description and its explorer page.

``GET /{prefix}/__api__`` serves the description of every registered
service (built once, on first request). With the ``api_explorer_enabled``
setting, ``GET /{prefix}/__api__/docs`` serves Swagger UI on it, with the
assets of the ``swagger-ui-py`` package (the ``explorer`` extra).
"""
import importlib.util
import os

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

from cliquet.openapi.generator import build_description

__all__ = ["build_description", "includeme"]

ASSETS_PACKAGE = "swagger_ui"


def includeme(config):
    """Register the description view, and the explorer when enabled."""
    config.registry.openapi_json = None
    config.scan("cliquet.openapi.views")
    if asbool(config.get_settings()["api_explorer_enabled"]):
        config.add_static_view(name="__api__/assets", path=_assets_directory(),
                               cache_max_age=3600)
        config.scan("cliquet.openapi.explorer")


def _assets_directory() -> str:
    """Static files of Swagger UI, shipped by ``swagger-ui-py`` (never imported)."""
    spec = importlib.util.find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "api_explorer_enabled needs the Swagger UI assets: "
            "pip install 'cliquet[explorer]'")
    return os.path.join(list(spec.submodule_search_locations)[0], "static")
