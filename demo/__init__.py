"""A small service built only with Cliquet's public API (see README.rst)."""
from pyramid.config import Configurator

import cliquet

__version__ = "1.0.0"


def main(global_config=None, **settings):
    """WSGI application of the demo service."""
    config = Configurator(settings=settings)
    cliquet.initialize(config, __version__, project_name="demo")
    config.scan("demo.views")
    app = config.make_wsgi_app()
    return cliquet.install_middlewares(app, settings)
