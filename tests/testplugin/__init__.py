"""A plugin included through the ``includes`` setting."""
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet import Service

plugin = Service(name="plugin", path="/plugin", description="A plugin view")


@plugin.get(permission=NO_PERMISSION_REQUIRED)
def get_plugin(request):
    return {"storage": hasattr(request.registry, "storage")}


def includeme(config):
    config.scan("tests.testplugin")
