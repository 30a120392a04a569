"""Cliquet: a toolkit to build HTTP (micro)services on Pyramid."""
from typing import Any

from cornice import Service as CorniceService  # noqa: F401 (a 3.1 name of this module)
from pyramid.settings import aslist

from cliquet._defaults import DEFAULT_SETTINGS
from cliquet._accept import accept_property
from cliquet._service import Service
from cliquet._version import PROTOCOL_VERSION, __version__
from cliquet.resource._registry import TypedBodyPredicate
from cliquet.initialization import (
    initialize, initialize_cliquet, install_middlewares, load_default_settings,
)
from cliquet.logs import logger
from cliquet.utils import current_resource_name, current_service, follow_subrequest

__all__ = [
    "DEFAULT_SETTINGS", "PROTOCOL_VERSION", "Service", "__version__", "current_resource_name",
    "current_service", "follow_subrequest", "includeme", "initialize", "initialize_cliquet",
    "install_middlewares", "load_default_settings", "logger",
]


def add_api_capability(config: Any, identifier: str, description: str = "", url: str = "",
                       **kw: Any) -> None:
    """Declare a capability, listed by the hello view.

    :raises ValueError: when ``identifier`` is already declared.
    """
    capabilities = config.registry.api_capabilities
    if identifier in capabilities:
        raise ValueError(f"The '{identifier}' API capability was already registered.")
    capabilities[identifier] = dict(description=description, url=url, **kw)


def includeme(config: Any) -> None:
    """Pyramid include hook: set Cliquet up on ``config``."""
    from cliquet import authentication, events

    settings = config.get_settings()
    registry = config.registry
    registry.heartbeats = {}
    registry.public_settings = {"batch_max_requests", "readonly"}
    registry.api_capabilities = {}
    registry.route_prefix = config.route_prefix
    config.add_directive("add_api_capability", add_api_capability)
    config.add_view_predicate("typed_body", TypedBodyPredicate)

    config.add_request_method(events.get_resource_events, name="get_resource_events")
    config.add_request_method(events.notify_resource_event, name="notify_resource_event")
    config.add_subscriber_predicate("for_actions", events.EventActionFilter)
    config.add_subscriber_predicate("for_resources", events.EventResourceFilter)

    settings.setdefault("handle_exceptions", False)
    config.include("cornice")
    config.include("pyramid_tm")
    Service.init_from_settings(settings)

    for step in aslist(settings["initialization_sequence"]):
        config.maybe_dotted(step)(config)

    config.add_request_method(follow_subrequest, name="follow_subrequest")
    config.add_request_method(authentication.prefixed_userid, name="prefixed_userid",
                              reify=True)
    config.add_request_method(authentication.get_user_info, name="get_user_info")
    config.add_request_method(current_resource_name, name="current_resource_name", reify=True)
    config.add_request_method(current_service, name="current_service", reify=True)
    config.add_request_method(lambda request: request.matchdict, name="match_dict",
                              property=True)
    config.add_request_method(accept_property(), name="accept", property=True)
    config.commit()

    for include in aslist(settings["includes"]):
        config.include(include)

    config.scan("cliquet.views")
    logger.info(f"{settings['project_name']} {settings['project_version']} starting.")
