"""A failed request leaves storage and permissions as they were, on every backend (§8.6)."""
import pytest
import transaction

from cliquet import _transaction as undo

KW = {"collection_id": "c", "parent_id": "p"}

# Every write of the storage and permission interfaces, in the view's format.
WRITES = [
    ["storage", "create", {**KW, "record": {"id": "new", "n": 1}}],
    ["storage", "create", {**KW, "record": {"id": "gone", "n": 2}}],  # over a tombstone
    ["storage", "update", {**KW, "object_id": "kept", "record": {"n": 2}}],
    ["storage", "update", {**KW, "object_id": "other", "record": {"n": 2}}],
    ["storage", "update", {**KW, "object_id": "gone", "record": {"n": 3}}],
    ["storage", "delete", {**KW, "object_id": "kept"}],
    ["storage", "delete", {**KW, "object_id": "revived", "with_deleted": False}],
    ["storage", "delete_all", KW],
    ["storage", "purge_deleted", KW],
    ["permission", "add_user_principal", ["alice", "group:b"]],
    ["permission", "add_user_principal", ["bob", "group:a"]],
    ["permission", "remove_user_principal", ["alice", "group:a"]],
    ["permission", "remove_principal", ["group:a"]],
    ["permission", "add_principal_to_ace", ["/kept", "read", "carol"]],
    ["permission", "add_principal_to_ace", ["/new", "write", "carol"]],
    ["permission", "remove_principal_from_ace", ["/kept", "read", "alice"]],
    ["permission", "replace_object_permissions",
     ["/kept", {"read": [], "write": ["dave"], "create": ["eve"]}]],
    ["permission", "delete_object_permissions", ["/kept", "/new"]],
]


@pytest.fixture
def make_app(make_backend_app):
    """Apps serving the ``/writes`` view, with empty backends (schemas created)."""

    def factory(settings=None):
        app = make_backend_app(settings, scan="tests.testapp.views")
        registry = app.app.registry
        with transaction.manager:  # PostgreSQL backends join the thread's transaction
            for backend in (registry.storage, registry.permission, registry.cache):
                backend.initialize_schema()
                backend.flush()  # committed, unlike the flush of ``make_backend_app``
        return app

    return factory


@pytest.fixture
def app(make_app):
    app = make_app()
    storage, permission = app.app.registry.storage, app.app.registry.permission
    with transaction.manager:
        storage.create(record={"id": "kept", "n": 1}, **KW)
        storage.create(record={"id": "gone", "n": 1}, **KW)
        storage.delete(object_id="gone", **KW)
        storage.create(record={"id": "revived", "n": 1}, **KW)
        storage.delete(object_id="revived", **KW)
        storage.create(record={"id": "revived", "n": 2}, **KW)  # and its tombstone
        permission.add_user_principal("alice", "group:a")
        permission.add_user_principal("carol", "group:a")
        permission.replace_object_permissions("/kept", {"read": ["alice"], "write": ["bob"]})
    return app


def state(app) -> tuple:
    registry = app.app.registry
    permission = registry.permission
    with transaction.manager:
        records, _ = registry.storage.get_all(include_deleted=True, **KW)
        return (sorted(records, key=lambda r: (r["id"], "deleted" in r)),
                {user: permission.user_principals(user) for user in ("alice", "bob", "carol")},
                {obj: permission.object_permissions(obj) for obj in ("/kept", "/new")})


def post_writes(app, calls, fail=None, status=200):
    body = {"calls": calls, "fail": fail}
    response = app.post_json("/v1/writes", body, status=status)
    assert not undo.recording()  # the request's log is gone with its transaction
    return response


@pytest.mark.parametrize("call", WRITES, ids=lambda c: f"{c[1]}")
def test_each_write_is_undone_when_the_request_crashes(app, call):
    before = state(app)
    post_writes(app, [call], fail="crash", status=500)
    assert state(app) == before


@pytest.mark.parametrize("fail, status", [("crash", 500), ("http", 404), ("backend", 503),
                                          ("event", 500)])
def test_every_failure_undoes_every_write(app, fail, status):
    before = state(app)
    post_writes(app, WRITES, fail=fail, status=status)
    assert state(app) == before


def test_writes_after_reads_are_undone_and_later_reads_see_them(app):
    reads = [["storage", "get_all", KW], ["permission", "user_principals", ["alice"]],
             ["storage", "collection_timestamp", KW]]
    before = state(app)
    post_writes(app, reads + WRITES + reads, fail="crash", status=500)
    assert state(app) == before
    # Within the request, reads after a write see it (one transaction from the first write).
    post_writes(app, reads + [["storage", "create", {**KW, "record": {"id": "seen", "n": 1}}],
                              ["storage", "get", {**KW, "object_id": "seen"}]])
    assert "seen" in {r["id"] for r in state(app)[0]}


def test_a_successful_request_keeps_its_writes(app):
    post_writes(app, WRITES[:4] + [["permission", "add_principal_to_ace", ["/new", "read", "x"]]])
    records, users, aces = state(app)
    live = {r["id"]: r["n"] for r in records if "deleted" not in r}
    assert live == {"new": 1, "gone": 2, "kept": 2, "other": 2, "revived": 2}
    assert aces["/new"] == {"read": {"x"}}
    # Its writes are committed: a later failed request does not undo them.
    after = state(app)
    post_writes(app, WRITES[2:], fail="crash", status=500)
    assert state(app) == after


def test_writes_stay_without_transaction_per_request(make_app):
    app = make_app({"transaction_per_request": "false"})
    post_writes(app, WRITES[:1] + WRITES[9:10], fail="crash", status=500)
    records, users, _ = state(app)
    assert [r["id"] for r in records] == ["new"]
    assert users["alice"] == {"group:b"}


def batch(app, *bodies, status=200):
    requests = [{"method": "POST", "path": "/writes", "body": body} for body in bodies]
    return app.post_json("/v1/batch", {"requests": requests}, status=status)


def test_a_batch_failing_later_with_a_5xx_undoes_earlier_subrequests(app):
    before = state(app)
    batch(app, {"calls": WRITES[:9]}, {"calls": WRITES[9:]}, {"calls": [], "fail": "crash"},
          status=500)
    assert state(app) == before
    assert not undo.recording()


def test_a_batch_with_a_4xx_subrequest_keeps_every_write(app):
    responses = batch(app, {"calls": WRITES[:1]}, {"calls": WRITES[9:10], "fail": "http"},
                      {"calls": []}).json["responses"]
    assert [r["status"] for r in responses] == [200, 404, 200]
    records, users, _ = state(app)
    assert "new" in [r["id"] for r in records]
    assert users["alice"] == {"group:a", "group:b"}


def test_scripts_leave_no_postgresql_session_idle_in_a_transaction():
    """Backends built from bare settings commit each call on their own (§8.6)."""
    from pyramid.config import Configurator

    from cliquet.cache import postgresql as cache_postgresql
    from cliquet.permission import postgresql as permission_postgresql
    from cliquet.storage import postgresql as storage_postgresql
    from tests import servers

    servers.require_postgresql()
    url = servers.postgresql_url()
    config = Configurator(settings={"storage_url": url, "cache_url": url, "cache_prefix": "",
                                    "permission_url": url})
    storage = storage_postgresql.load_from_config(config)
    cache = cache_postgresql.load_from_config(config)
    permission = permission_postgresql.load_from_config(config)
    for backend in (storage, cache, permission):
        backend.initialize_schema()
    record = storage.create("c", "p", {"a": 1})
    storage.get_all("c", "p")
    storage.update("c", "p", record["id"], {"a": 2})
    cache.set("k", "v", 10)
    cache.get("k")
    permission.add_principal_to_ace("/a", "read", "alice")
    permission.object_permissions("/a")
    for backend in (storage, cache, permission):
        backend.flush()
    with storage.client.connect(force_commit=True) as connection:
        idle = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")
    assert idle == [(0,)]
    storage.client.close()


@pytest.mark.parametrize("per_request", [True, False])
def test_the_transaction_step_arms_top_level_requests_only(per_request):
    from types import SimpleNamespace

    from pyramid import testing
    from pyramid.events import NewRequest

    from cliquet import events

    config = testing.setUp(settings={"transaction_per_request": per_request})
    try:
        events.setup_transaction_hook(config)  # the step: it delegates the arming
        manager = transaction.TransactionManager(explicit=True)
        manager.begin()
        finished = []
        request = SimpleNamespace(tm=manager, registry=config.registry, parent=None,
                                  add_finished_callback=finished.append)
        config.registry.notify(NewRequest(SimpleNamespace(**{**vars(request), "parent": 1})))
        assert not undo.recording()  # a subrequest shares its parent's transaction
        config.registry.notify(NewRequest(request))
        assert undo.recording() is per_request
        assert finished == ([undo.disarm] if per_request else [])
        manager.abort()
    finally:
        undo.disarm()
        testing.tearDown()
