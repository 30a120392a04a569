"""A listener that pushes each event payload onto a Redis list."""
import json  # noqa: F401 (a 3.1 name of this module)

import orjson

from cliquet.listeners import ListenerBase
from cliquet.logs import logger
from cliquet._redis import create_from_config


class Listener(ListenerBase):
    """LPUSH the JSON payload of each event onto ``listname``; never raises."""

    def __init__(self, client, listname, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._client = client
        self.listname = listname

    def __call__(self, event):
        try:
            self._client.lpush(self.listname, _strict_json(event.payload))
        except Exception:
            logger.error("Unable to dispatch event", listname=self.listname, exc_info=True)


def _strict_json(payload) -> bytes:
    """JSON of ``payload``; a value JSON has no type for (a date...) is an error."""
    return orjson.dumps(payload, option=orjson.OPT_PASSTHROUGH_DATETIME)


def load_from_config(config, prefix=""):
    """Listener configured by ``<prefix>url``, ``<prefix>pool_size``, ``<prefix>listname``."""
    settings = config.get_settings()
    client = create_from_config(config, prefix=prefix)
    listname = settings.get(prefix + "listname", "cliquet.events")
    return Listener(client, listname)
