"""Resource events stacked by the endpoints (PROTOCOL §6.11), on every backend."""
import pytest
import transaction

from cliquet.events import (ACTIONS, AfterResourceChanged, AfterResourceRead, ResourceChanged,
                            ResourceRead)

UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"


@pytest.fixture
def events(make_app):
    app = make_app()
    received = []
    config_registry = app.app.registry
    for event_class in (ResourceRead, ResourceChanged, AfterResourceChanged):
        config_registry.registerHandler(received.append, (event_class,))
    app.received = received
    return app


def last(app, kind=None):
    matching = [e for e in app.received if kind is None or type(e) is kind]
    return matching[-1]


def test_create_event(events, alice):
    timestamp = events.get("/v1/notes", headers=alice).headers["ETag"].strip('"')
    record = events.post_json("/v1/notes", {"data": {"title": "a"}}, headers=alice).json["data"]
    event = last(events, ResourceChanged)
    assert event.payload["action"] == "create"
    assert event.payload["resource_name"] == "note"
    assert event.payload["uri"] == "/notes"
    assert event.payload["timestamp"] == int(timestamp)  # before the change
    assert event.payload["user_id"].startswith("basicauth:")
    assert event.impacted_records == [{"new": record}]
    assert type(events.received[-1]) is AfterResourceChanged


def test_read_events(events, alice):
    record = events.post_json("/v1/notes", {"data": {}}, headers=alice).json["data"]
    events.get("/v1/notes", headers=alice)
    event = last(events, ResourceRead)
    assert event.payload["action"] == "read" and event.read_records == [record]
    events.get(f"/v1/notes/{record['id']}", headers=alice)
    event = last(events, ResourceRead)
    assert event.read_records == [record]
    assert event.payload["note_id"] == record["id"]
    assert event.payload["uri"] == f"/notes/{record['id']}"


def test_post_returning_an_existing_record_is_a_read(events, alice):
    record = events.post_json("/v1/notes", {"data": {}}, headers=alice).json["data"]
    events.post_json("/v1/notes", {"data": {"id": record["id"]}}, headers=alice)
    assert last(events).payload["action"] == "read"


def test_put_events(events, alice):
    url = f"/v1/notes/{UNKNOWN_ID}"
    created = events.put_json(url, {"data": {"title": "a"}}, headers=alice).json["data"]
    assert last(events, ResourceChanged).payload["action"] == "create"
    updated = events.put_json(url, {"data": {"title": "b"}}, headers=alice).json["data"]
    event = last(events, ResourceChanged)
    assert event.payload["action"] == "update"
    assert event.impacted_records == [{"new": updated, "old": created}]
    tombstone = events.delete(url, headers=alice).json["data"]
    recreated = events.put_json(url, {"data": {}}, headers=alice).json["data"]
    event = last(events, ResourceChanged)
    assert event.payload["action"] == "update"
    assert event.impacted_records == [{"new": recreated, "old": tombstone}]


def test_patch_event_carries_the_response_data(events, alice):
    record = events.post_json("/v1/notes", {"data": {"title": "a"}}, headers=alice).json["data"]
    events.patch_json(f"/v1/notes/{record['id']}", {"data": {"title": "b"}},
                      headers=dict(alice, **{"Response-Behavior": "light"}))
    event = last(events, ResourceChanged)
    assert event.payload["action"] == "update"
    assert event.impacted_records == [{"new": {"title": "b"}, "old": record}]


def test_delete_events(events, alice):
    records = [events.post_json("/v1/notes", {"data": {}}, headers=alice).json["data"]
               for _ in range(2)]
    tombstone = events.delete(f"/v1/notes/{records[0]['id']}", headers=alice).json["data"]
    event = last(events, ResourceChanged)
    assert (event.payload["action"], event.impacted_records) == ("delete", [{"old": tombstone}])
    tombstones = events.delete("/v1/notes", headers=alice).json["data"]
    event = last(events, ResourceChanged)
    assert event.impacted_records == [{"old": t} for t in tombstones]
    events.delete("/v1/notes", headers=alice)
    event = last(events)
    assert (event.payload["action"], event.read_records) == ("read", [])


def test_failed_requests_send_no_event(events, alice):
    events.post_json("/v1/stricts", {"data": {}}, headers=alice, status=400)
    events.get(f"/v1/notes/{UNKNOWN_ID}", headers=alice, status=404)
    assert events.received == []


def test_shareable_events_never_carry_permissions(events, alice):
    body = events.post_json("/v1/articles", {"data": {"title": "a"},
                                             "permissions": {"read": ["group:x"]}},
                            headers=alice).json
    event = last(events, ResourceChanged)
    assert event.impacted_records == [{"new": body["data"]}]
    events.patch_json(f"/v1/articles/{body['data']['id']}", {"data": {"title": "b"}},
                      headers=alice)
    event = last(events, ResourceChanged)
    for change in event.impacted_records:
        assert "__permissions__" not in change["new"]
        assert "__permissions__" not in change["old"]


def test_events_of_a_batch_are_grouped(events, alice):
    requests = [{"method": "POST", "path": "/notes", "body": {"data": {"title": str(i)}}}
                for i in range(3)]
    response = events.post_json("/v1/batch", {"requests": requests}, headers=alice)
    assert [r["status"] for r in response.json["responses"]] == [201, 201, 201]
    changed = [e for e in events.received if type(e) is ResourceChanged]
    assert len(changed) == 1 and len(changed[0].impacted_records) == 3
    assert ACTIONS(changed[0].payload["action"]) == ACTIONS.CREATE


def fail(event):
    raise ValueError("subscriber fails")


def stored_articles(app) -> tuple:
    """Articles (tombstones included) and the ACEs of each, plus those of UNKNOWN_ID."""
    registry = app.app.registry
    with transaction.manager:
        records, _ = registry.storage.get_all("article", "", include_deleted=True)
        ids = sorted([r["id"] for r in records] + [UNKNOWN_ID])
        aces = {i: registry.permission.object_permissions(f"/articles/{i}") for i in ids}
    return sorted(records, key=lambda r: r["id"]), aces


def test_a_failing_subscriber_undoes_the_write_and_its_permissions(events, alice):
    me = events.get("/v1/", headers=alice).json["user"]["id"]
    kept = events.post_json("/v1/articles", {"data": {"title": "kept"},
                                             "permissions": {"read": [me]}},
                            headers=alice).json["data"]
    url = f"/v1/articles/{kept['id']}"
    events.app.registry.registerHandler(fail, (ResourceChanged,))
    events.received.clear()
    before = stored_articles(events)
    writes = {"data": {"title": "changed"}, "permissions": {"read": ["group:x"]}}
    events.post_json("/v1/articles", writes, headers=alice, status=500)
    events.patch_json(url, writes, headers=alice, status=500)
    events.put_json(url, writes, headers=alice, status=500)
    events.put_json(f"/v1/articles/{UNKNOWN_ID}", writes, headers=alice, status=500)
    events.delete(url, headers=alice, status=500)
    events.delete("/v1/articles", headers=alice, status=500)
    requests = [{"method": "POST", "path": "/articles", "body": writes},
                {"method": "PATCH", "path": url, "body": writes}]
    events.post_json("/v1/batch", {"requests": requests}, headers=alice, status=500)
    assert stored_articles(events) == before
    assert not [e for e in events.received if type(e) is AfterResourceChanged]


def test_after_commit_subscriber_errors_are_logged_and_swallowed(events, alice, caplog):
    events.app.registry.registerHandler(fail, (AfterResourceChanged,))
    with caplog.at_level("ERROR"):
        record = events.post_json("/v1/notes", {"data": {"title": "a"}},
                                  headers=alice, status=201).json["data"]
    assert "Unable to notify" in caplog.text
    assert events.get(f"/v1/notes/{record['id']}", headers=alice).json["data"] == record


def test_after_read_event_follows_the_commit(events, alice):
    after = []
    events.app.registry.registerHandler(after.append, (AfterResourceRead,))
    record = events.post_json("/v1/notes", {"data": {}}, headers=alice).json["data"]
    events.get("/v1/notes", headers=alice)
    assert len(after) == 1
    assert after[0].read_records == [record]
    assert after[0].payload == last(events, ResourceRead).payload


def test_batch_events_are_one_per_resource_and_action(events, alice):
    timestamp = int(events.get("/v1/notes", headers=alice).headers["ETag"].strip('"'))
    events.received.clear()
    note = {"method": "POST", "path": "/notes", "body": {"data": {"title": "n"}}}
    requests = [
        note,
        {"method": "POST", "path": "/articles", "body": {"data": {"title": "a"}}},
        {"method": "POST", "path": "/stricts", "body": {"data": {}}},  # 400: no event
        {"method": "PATCH", "path": f"/notes/{UNKNOWN_ID}", "body": {"data": {}}},  # 404
        note,
        {"method": "GET", "path": "/notes"},
    ]
    responses = events.post_json("/v1/batch", {"requests": requests},
                                 headers=alice).json["responses"]
    assert [r["status"] for r in responses] == [201, 201, 400, 404, 201, 200]
    stacked = [e for e in events.received if type(e) in (ResourceChanged, ResourceRead)]
    assert [(e.payload["resource_name"], e.payload["action"]) for e in stacked] == [
        ("note", "create"), ("article", "create"), ("note", "read")]
    created = [change["new"] for change in stacked[0].impacted_records]
    assert created == [responses[0]["body"]["data"], responses[4]["body"]["data"]]
    assert stacked[0].payload["timestamp"] == timestamp  # the first occurrence's
    assert len(stacked[2].read_records) == 2
    after = [e for e in events.received if type(e) is AfterResourceChanged]
    assert [e.payload for e in after] == [e.payload for e in stacked[:2]]


def test_payload_carries_every_url_placeholder(events, alice):
    record = events.post_json("/v1/lists/l1/tasks", {"data": {}}, headers=alice).json["data"]
    payload = last(events, ResourceChanged).payload
    assert (payload["uri"], payload["list_id"], payload["resource_name"]) == \
        ("/lists/l1/tasks", "l1", "task")
    events.delete(f"/v1/lists/l1/tasks/{record['id']}", headers=alice)
    payload = last(events, ResourceChanged).payload
    assert (payload["action"], payload["list_id"], payload["task_id"]) == \
        ("delete", "l1", record["id"])
