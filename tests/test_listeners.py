"""Event listeners configured from the settings; the Redis one against the real Redis."""
import json

import pytest
import redis
import transaction
import webtest

import demo
from tests import servers
from tests.support import MEMORY_SETTINGS

ALICE = {"Authorization": "Basic YWxpY2U6c2VjcmV0"}


@pytest.fixture
def queue():
    servers.require_redis()
    client = redis.Redis.from_url(servers.redis_url())
    client.delete("test.events")
    yield client
    client.delete("test.events")
    client.close()


def app_with_listener(**options):
    settings = dict(MEMORY_SETTINGS, event_listeners="queue",
                    **{"event_listeners.queue.use": "cliquet.listeners.redis",
                       "event_listeners.queue.url": servers.redis_url(),
                       "event_listeners.queue.listname": "test.events",
                       "event_listeners.queue.pool_size": "2"})
    settings.update({f"event_listeners.queue.{k}": v for k, v in options.items()})
    return webtest.TestApp(demo.main({}, **settings))


def delivered(queue) -> list:
    return [json.loads(item) for item in reversed(queue.lrange("test.events", 0, -1))]


def test_redis_listener_pushes_payloads(queue):
    app = app_with_listener()
    record = app.post_json("/v1/mushrooms", {"data": {"name": "cep"}},
                           headers=ALICE).json["data"]
    app.patch_json(f"/v1/mushrooms/{record['id']}", {"data": {"name": "morel"}}, headers=ALICE)
    app.get("/v1/mushrooms", headers=ALICE)  # read: not listened by default
    app.delete(f"/v1/mushrooms/{record['id']}", headers=ALICE)
    payloads = delivered(queue)
    assert [p["action"] for p in payloads] == ["create", "update", "delete"]
    create = payloads[0]
    assert create["resource_name"] == "mushroom"
    assert create["uri"] == "/mushrooms"
    assert create["user_id"].startswith("basicauth:")
    assert payloads[1]["mushroom_id"] == record["id"]


def test_listener_filters_actions_and_resources(queue):
    app = app_with_listener(actions="delete read", resources="mushroom")
    record = app.post_json("/v1/mushrooms", {"data": {"name": "cep"}},
                           headers=ALICE).json["data"]
    app.get("/v1/mushrooms", headers=ALICE)
    app.delete(f"/v1/mushrooms/{record['id']}", headers=ALICE)
    assert [p["action"] for p in delivered(queue)] == ["read", "delete"]

    queue.delete("test.events")
    app = app_with_listener(resources="bookmark")
    app.post_json("/v1/mushrooms", {"data": {"name": "cep"}}, headers=ALICE)
    assert delivered(queue) == []


def test_events_of_a_batch_are_merged(queue):
    app = app_with_listener()
    requests = [{"method": "POST", "path": "/mushrooms", "body": {"data": {"name": f"m{i}"}}}
                for i in range(25)]
    responses = app.post_json("/v1/batch", {"requests": requests},
                              headers=ALICE).json["responses"]
    assert {r["status"] for r in responses} == {201}
    payloads = delivered(queue)
    assert len(payloads) == 1 and payloads[0]["action"] == "create"


def test_failed_request_sends_nothing_and_a_down_redis_breaks_nothing(queue):
    app = app_with_listener()
    app.post_json("/v1/mushrooms", {"data": {"name": 42}}, headers=ALICE, status=400)
    assert delivered(queue) == []
    settings = dict(MEMORY_SETTINGS, event_listeners="queue",
                    **{"event_listeners.queue.use": "cliquet.listeners.redis",
                       "event_listeners.queue.url": "redis://127.0.0.1:1/0",
                       "event_listeners.queue.connect_timeout": "0.5"})
    down = webtest.TestApp(demo.main({}, **settings))
    down.post_json("/v1/mushrooms", {"data": {"name": "cep"}}, headers=ALICE, status=201)


def redis_listener(name, listname, **options) -> dict:
    settings = {"use": "cliquet.listeners.redis", "url": servers.redis_url(),
                "listname": listname, **options}
    return {f"event_listeners.{name}.{key}": value for key, value in settings.items()}


def test_listener_named_by_its_module_path(queue):
    settings = dict(MEMORY_SETTINGS, event_listeners="cliquet.listeners.redis",
                    **{"event_listeners.redis.url": servers.redis_url(),
                       "event_listeners.redis.listname": "test.events"})
    app = webtest.TestApp(demo.main({}, **settings))
    app.post_json("/v1/mushrooms", {"data": {"name": "cep"}}, headers=ALICE)
    assert [p["action"] for p in delivered(queue)] == ["create"]


def test_a_read_only_listener_ends_the_setup(queue):
    """Quirk of Cliquet 3.1 kept by the contract (§6.11): later listeners are skipped."""
    queue.delete("test.reads")
    settings = dict(MEMORY_SETTINGS, event_listeners="reads queue",
                    **redis_listener("reads", "test.reads", actions="read"),
                    **redis_listener("queue", "test.events"))
    app = webtest.TestApp(demo.main({}, **settings))
    app.post_json("/v1/mushrooms", {"data": {"name": "cep"}}, headers=ALICE)
    app.get("/v1/mushrooms", headers=ALICE)
    reads = [json.loads(item)["action"] for item in queue.lrange("test.reads", 0, -1)]
    queue.delete("test.reads")
    assert reads == ["read"]
    assert delivered(queue) == []


def test_redis_listener_on_every_backend(queue, make_backend_app):
    settings = dict(event_listeners="queue", **redis_listener("queue", "test.events"))
    app = make_backend_app(settings, scan="tests.testapp")
    with transaction.manager:
        for kind in ("storage", "permission", "cache"):
            getattr(app.app.registry, kind).initialize_schema()
    requests = [{"method": "POST", "path": "/todos", "body": {"data": {"title": str(i)}}}
                for i in range(25)]
    app.post_json("/v1/batch", {"requests": requests}, headers=ALICE)
    payloads = delivered(queue)
    assert [(p["resource_name"], p["action"], p["uri"]) for p in payloads] == [
        ("todo", "create", "/todos")]
    # A batch rolled back by a server error delivers nothing.
    app.post_json("/v1/batch", {"requests": requests[:3] + [{"path": "/crash"}]},
                  headers=ALICE, status=500)
    assert delivered(queue) == payloads
    assert len(app.get("/v1/todos", headers=ALICE).json["data"]) == 25


def test_listeners_set_up_on_a_bare_configurator_filter_events():
    """setup_listeners needs nothing else of Cliquet (no subscriber predicates)."""
    from pyramid import testing

    from cliquet import initialization
    from cliquet.events import ACTIONS, ResourceChanged, ResourceRead

    received = []
    module = type("M", (), {"load_from_config": staticmethod(
        lambda config, prefix: received.append)})
    config = testing.setUp(settings={
        "event_listeners": "spy", "event_listeners.spy.use": module,
        "event_listeners.spy.actions": "create read", "event_listeners.spy.resources": "todo"})
    initialization.setup_listeners(config)
    config.commit()

    def event(event_class, action, resource):
        return event_class(None, None, [], None, payload={
            "action": action.value, "resource_name": resource})

    sent = [event(ResourceChanged, ACTIONS.CREATE, "todo"),
            event(ResourceRead, ACTIONS.READ, "todo")]
    ignored = [event(ResourceChanged, ACTIONS.DELETE, "todo"),
               event(ResourceChanged, ACTIONS.CREATE, "note")]
    for notified in sent + ignored:
        config.registry.notify(notified)
    testing.tearDown()
    assert received == sent


def test_redis_listener_drops_payloads_json_has_no_type_for(queue):
    from datetime import datetime

    from cliquet.listeners.redis import Listener

    listener = Listener(queue, "test.events")
    listener(type("E", (), {"payload": {"timestamp": datetime.now()}})())
    listener(type("E", (), {"payload": {"timestamp": 1}})())
    assert delivered(queue) == [{"timestamp": 1}]
