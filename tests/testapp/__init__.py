"""A mini service for the tests: plain views that misbehave on purpose."""
from pyramid.config import Configurator

import cliquet


def main(global_config=None, **settings):
    config = Configurator(settings=settings)
    cliquet.initialize(config, "1.0", "testapp")
    config.scan("tests.testapp.views")
    return config.make_wsgi_app()
