"""Event listeners: plug a reaction to resource events from the settings."""
from typing import Any, Callable, Iterable

from pyramid.settings import aslist

from cliquet._defaults import setting_or_default
from cliquet.events import ACTIONS, ResourceChanged, ResourceRead

_DEFAULT_ACTIONS = "create update delete"


class ListenerBase:
    """Base class of listeners: called with each matching resource event."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, event: Any) -> None:
        """React to ``event`` (a :class:`cliquet.events.ResourceChanged` or ``ResourceRead``)."""
        raise NotImplementedError()


def setup_listeners(config: Any) -> None:
    """Load every listener of the ``event_listeners`` setting and subscribe it.

    ``event_listeners = queue`` with ``event_listeners.queue.use = <module>``,
    or a dotted module path directly; each module exposes
    ``load_from_config(config, prefix)``. Per listener, ``actions`` (default
    ``create update delete``) and ``resources`` (default: all) filter events.
    As in Cliquet 3.1, a listener of ``read`` only ends the setup: the
    listeners named after it are not loaded.
    """
    settings = config.get_settings()
    for name in aslist(setting_or_default(settings, "event_listeners")):
        if "." in name:
            module_path, key = name, name.rsplit(".", 1)[-1]
        else:
            key = name
            module_path = settings[f"event_listeners.{name}.use"]
        prefix = f"event_listeners.{key}."
        listener = config.maybe_dotted(module_path).load_from_config(config, prefix)
        listener = _timed(config, key, listener)

        actions = ACTIONS.from_string_list(aslist(settings.get(prefix + "actions",
                                                               _DEFAULT_ACTIONS)))
        resources = aslist(settings.get(prefix + "resources", ""))
        listener = _filtered(listener, actions, resources)

        changes = [a for a in actions if a != ACTIONS.READ]
        if changes:
            config.add_subscriber(listener, ResourceChanged)
        if ACTIONS.READ in actions:
            config.add_subscriber(listener, ResourceRead)
            if not changes:
                # Listeners: docs/configuration.rst, "Event listeners".
                return  # Quirk of Cliquet 3.1: later listeners are skipped.


def _filtered(listener: Callable[[Any], Any], actions: Iterable[ACTIONS],
              resources: Iterable[str]) -> Callable[[Any], None]:
    """``listener``, called only for events of ``actions`` on ``resources`` (all if empty)."""
    action_values = frozenset(action.value for action in actions)
    resource_names = frozenset(resources)

    def on_event(event: Any) -> None:
        payload = event.payload
        if payload["action"] in action_values and (
                not resource_names or payload.get("resource_name") in resource_names):
            listener(event)

    return on_event


def _timed(config: Any, name: str,
           listener: Callable[[Any], Any]) -> Callable[[Any], Any]:
    statsd = getattr(config.registry, "statsd", None)
    if statsd is None:
        return listener
    key = f"listeners.{name}"

    def timed_listener(event: Any) -> None:
        with statsd.timer(key):
            listener(event)

    return timed_listener
