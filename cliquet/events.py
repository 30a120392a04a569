"""Resource events: what was read or changed during a request, and when to tell."""
from __future__ import annotations

import enum
from typing import Any, Iterable

from pyramid.events import NewRequest
from zope.interface import implementedBy

from cliquet.logs import logger
from cliquet import _transaction
from cliquet.utils import strip_uri_prefix

# Names Cliquet 3.1 code imports from cliquet.events.
from collections import OrderedDict  # noqa: F401
from enum import Enum  # noqa: F401

import transaction  # noqa: F401


class ACTIONS(enum.Enum):
    """What happened to the records of a resource."""

    CREATE = "create"
    DELETE = "delete"
    READ = "read"
    UPDATE = "update"

    @staticmethod
    def from_string_list(elements: Iterable[str]) -> tuple:
        """Members named by a list of strings (``["create", "read"]``)."""
        return tuple(ACTIONS(element) for element in elements)


def _build_payload(action: Any, timestamp: int | None, request: Any) -> dict:
    resource_name = request.current_resource_name
    payload = {
        "timestamp": timestamp,
        "action": action.value,
        "uri": strip_uri_prefix(request.path),
        "user_id": request.prefixed_userid,
        "resource_name": resource_name,
    }
    for key, value in (request.matchdict or {}).items():
        payload[f"{resource_name}_id" if key == "id" else key] = value
    return payload


class _ResourceEvent:
    def __init__(self, action: ACTIONS | None, timestamp: int | None, request: Any,
                 payload: dict | None = None) -> None:
        self.request = request
        self.payload = payload if payload is not None else _build_payload(
            action, timestamp, request)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} action={self.payload['action']} " \
               f"uri={self.payload['uri']}>"


class ResourceRead(_ResourceEvent):
    """Records were read; notified before the transaction commits."""

    def __init__(self, action: ACTIONS | None, timestamp: int | None, read_records: list,
                 request: Any, payload: dict | None = None) -> None:
        super().__init__(action, timestamp, request, payload)
        self.read_records = read_records


class ResourceChanged(_ResourceEvent):
    """Records were created, updated or deleted; notified inside the transaction.

    A subscriber that raises fails the request and rolls the transaction back.
    """

    def __init__(self, action: ACTIONS | None, timestamp: int | None,
                 impacted_records: list, request: Any, payload: dict | None = None) -> None:
        super().__init__(action, timestamp, request, payload)
        self.impacted_records = impacted_records


# The After* events are not subclasses of the events above: a subscriber of
# ResourceChanged must not also receive AfterResourceChanged.
class AfterResourceRead(_ResourceEvent):
    """Records were read; notified after a successful commit (errors are logged)."""

    def __init__(self, action: ACTIONS | None, timestamp: int | None, read_records: list,
                 request: Any, payload: dict | None = None) -> None:
        super().__init__(action, timestamp, request, payload)
        self.read_records = read_records


class AfterResourceChanged(_ResourceEvent):
    """Records changed; notified after a successful commit (errors are logged)."""

    def __init__(self, action: ACTIONS | None, timestamp: int | None,
                 impacted_records: list, request: Any, payload: dict | None = None) -> None:
        super().__init__(action, timestamp, request, payload)
        self.impacted_records = impacted_records


_EVENTS_KEY = "resource_events"


def notify_resource_event(request: Any, timestamp: int, data: Any, action: ACTIONS,
                          old: Any = None) -> None:
    """Stack an event for the current resource, merged per (resource, action)."""
    if action == ACTIONS.READ:
        impacted = data if isinstance(data, list) else [data]
    elif action == ACTIONS.CREATE:
        impacted = [{"new": data}]
    elif action == ACTIONS.UPDATE:
        impacted = [{"new": data, "old": old}]
    else:
        records = data if isinstance(data, list) else [data]
        impacted = [{"old": record} for record in records]

    events = request.bound_data.setdefault(_EVENTS_KEY, {})
    key = (request.current_resource_name, action)
    if key in events:
        _records(events[key]).extend(impacted)
        return
    event_class: type[ResourceRead | ResourceChanged] = (
        ResourceRead if action == ACTIONS.READ else ResourceChanged)
    events[key] = event_class(action, timestamp, impacted, request)


def has_subscribers(registry: Any, action: ACTIONS) -> bool:
    """Whether a subscriber receives the events of ``action``.

    ``ResourceRead`` or ``AfterResourceRead`` for reads, ``ResourceChanged``
    or ``AfterResourceChanged`` for the other actions.
    """
    subscriptions = registry.adapters.subscriptions
    for required in _SUBSCRIBED_SPECS[action == ACTIONS.READ]:
        if subscriptions(required, None):
            return True
    return False


# What ``has_subscribers`` looks up, by "is a read": the interfaces that the
# event classes declare, as zope's ``subscriptions`` takes them.
_SUBSCRIBED_SPECS = {
    True: [(implementedBy(ResourceRead),), (implementedBy(AfterResourceRead),)],
    False: [(implementedBy(ResourceChanged),), (implementedBy(AfterResourceChanged),)],
}


def get_resource_events(request: Any, after_commit: bool = False) -> list:
    """Events stacked during the request (the ``After*`` kinds when ``after_commit``)."""
    events = list(request.bound_data.get(_EVENTS_KEY, {}).values())
    if not after_commit:
        return events
    converted: list[AfterResourceRead | AfterResourceChanged] = []
    for event in events:
        if isinstance(event, ResourceRead):
            converted.append(AfterResourceRead(
                None, None, event.read_records, event.request, payload=event.payload))
        else:
            converted.append(AfterResourceChanged(
                None, None, event.impacted_records, event.request, payload=event.payload))
    return converted


def _notify_before_commit(request: Any) -> None:
    try:
        for event in request.get_resource_events():
            request.registry.notify(event)
    except Exception:
        # Roll back now: a failed commit is otherwise only aborted when the
        # thread's next transaction begins.
        request.tm.abort()
        raise


def _notify_after_commit(success: bool, request: Any) -> None:
    if not success:
        return
    for event in request.get_resource_events(after_commit=True):
        try:
            request.registry.notify(event)
        except Exception:
            logger.error("Unable to notify", event=repr(event), exc_info=True)


def setup_transaction_hook(config: Any) -> None:
    """Notify resource events around the commit of each top-level request.

    Also sets up the request transaction itself
    (:func:`cliquet._transaction.setup_request_transaction`: with
    ``transaction_per_request``, an abort undoes the memory and Redis writes
    too), this being its initialization step.
    """
    _transaction.setup_request_transaction(config)

    def on_new_request(event: Any) -> None:
        request = event.request
        if getattr(request, "parent", None) is not None:
            return
        registry = request.registry
        if has_subscribers(registry, ACTIONS.READ) or has_subscribers(registry, ACTIONS.UPDATE):
            # Without subscribers, resources stack no event: nothing to notify.
            current = request.tm.get()
            current.addBeforeCommitHook(_notify_before_commit, args=(request,))
            current.addAfterCommitHook(_notify_after_commit, args=(request,))

    config.add_subscriber(on_new_request, NewRequest)


class EventActionFilter:
    """Subscriber predicate ``for_actions=(ACTIONS.CREATE, ...)``."""

    def __init__(self, actions: Any, config: Any) -> None:
        actions = actions if isinstance(actions, (list, tuple)) else [actions]
        self.actions = {ACTIONS(a) if not isinstance(a, ACTIONS) else a for a in actions}

    def phash(self) -> str:
        return "for_actions = %s" % ",".join(sorted(a.value for a in self.actions))

    text = phash

    def __call__(self, event: Any) -> bool:
        action = event.payload.get("action")
        return action is not None and ACTIONS(action) in self.actions


class EventResourceFilter:
    """Subscriber predicate ``for_resources=('article', ...)``."""

    def __init__(self, resources: Any, config: Any) -> None:
        self.resources = set(resources if isinstance(resources, (list, tuple)) else [resources])

    def phash(self) -> str:
        return "for_resources = %s" % ",".join(sorted(self.resources))

    text = phash

    def __call__(self, event: Any) -> bool:
        return event.payload.get("resource_name") in self.resources


def snapshot_resource_events(request: Any) -> dict:
    """How many records each stacked event holds, to undo a failed subrequest."""
    events = request.bound_data.get(_EVENTS_KEY, {})
    return {key: len(_records(event)) for key, event in events.items()}


def restore_resource_events(request: Any, snapshot: dict) -> None:
    """Forget what was stacked since ``snapshot`` (events of a failed subrequest)."""
    events = request.bound_data.get(_EVENTS_KEY, {})
    for key in list(events):
        if key not in snapshot:
            del events[key]
        else:
            del _records(events[key])[snapshot[key]:]


def _records(event: ResourceRead | ResourceChanged) -> list:
    return event.read_records if isinstance(event, ResourceRead) else event.impacted_records

