"""A listener that pushes each event payload onto a Redis list."""
from cliquet.listeners import ListenerBase
from cliquet.logs import logger
from cliquet.utils import json


class Listener(ListenerBase):
    """LPUSH the JSON payload of each event onto ``listname``; never raises."""

    def __init__(self, client, listname, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._client = client
        self.listname = listname

    def __call__(self, event):
        try:
            self._client.lpush(self.listname, json.dumps(event.payload))
        except Exception:
            logger.error("Unable to dispatch event", listname=self.listname, exc_info=True)


def load_from_config(config, prefix=""):
    """Listener configured by ``<prefix>url``, ``<prefix>pool_size``, ``<prefix>listname``."""
    from cliquet.storage.redis import create_from_config

    settings = config.get_settings()
    client = create_from_config(config, prefix=prefix)
    listname = settings.get(prefix + "listname", "cliquet.events")
    return Listener(client, listname)
