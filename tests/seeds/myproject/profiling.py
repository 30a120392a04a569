import cliquet
from pyramid.config import Configurator

__version__ = '1.0'


def main(global_config, **settings):
    config = Configurator(settings=settings)
    cliquet.initialize(config, __version__)
    app = config.make_wsgi_app()
    return cliquet.install_middlewares(app)
