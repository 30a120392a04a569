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

    from cliquet import events

    config = testing.setUp(settings={"transaction_per_request": per_request,
                                     "tm.manager_hook": "pyramid_tm.explicit_manager"})
    try:
        events.setup_transaction_hook(config)  # the step: it delegates the arming
        seen = []
        tween = undo.lazy_tm_tween_factory(lambda request: seen.append(undo.recording()),
                                           config.registry)
        manager = transaction.TransactionManager(explicit=True)
        manager.begin()
        request = SimpleNamespace(tm=manager, registry=config.registry, parent=None,
                                  environ={})
        tween(SimpleNamespace(**{**vars(request), "parent": 1}))
        tween(request)
        # A subrequest shares its parent's transaction; the request is armed
        # while it is handled only.
        assert seen == [False, per_request]
        assert not undo.recording()
        manager.abort()
    finally:
        undo.disarm()
        testing.tearDown()


class TestLazyTransaction:
    """The request transaction begins when something joins it, and ends as pyramid_tm's."""

    @pytest.fixture
    def app(self):
        import webtest
        from pyramid.config import Configurator
        from pyramid.httpexceptions import HTTPBadRequest

        joined = []

        def join(request):
            manager = _RecordingDataManager(transaction.manager)
            transaction.get().join(manager)
            joined.append(manager)
            return manager

        def read(request):
            return {"open": undo._current_transaction(transaction.manager) is not None}

        def write(request):
            join(request)
            return {}

        def write_then_fail(request):
            join(request)
            raise HTTPBadRequest()

        def write_then_crash(request):
            join(request)
            raise RuntimeError("boom")

        def write_then_doom(request):
            join(request)
            request.tm.doom()
            return {}

        def commit_fails(request):
            join(request).fail_on_vote = True
            return {}

        def error_view(exc, request):
            request.response.status = 400
            return {"error": type(exc).__name__}

        with Configurator(settings={"transaction_per_request": True}) as config:
            config.include("pyramid_tm")
            undo.setup_request_transaction(config)
            for view in (read, write, write_then_fail, write_then_crash, write_then_doom,
                         commit_fails):
                config.add_route(view.__name__, "/" + view.__name__)
                config.add_view(view, route_name=view.__name__, renderer="json")
            config.add_view(error_view, context=HTTPBadRequest, renderer="json")
            config.add_view(error_view, context=_VoteFailed, renderer="json")
        test_app = webtest.TestApp(config.make_wsgi_app())
        test_app.joined = joined
        yield test_app
        transaction.abort()  # a failed commit stays until the next request

    def test_a_request_joining_nothing_begins_no_transaction(self, app):
        assert app.get("/read").json == {"open": False}
        assert undo._current_transaction(transaction.manager) is None

    def test_what_joined_is_committed_on_success(self, app):
        app.get("/write")
        assert app.joined[0].outcome == "committed"
        assert undo._current_transaction(transaction.manager) is None

    @pytest.mark.parametrize("path", ["/write_then_fail", "/write_then_doom"])
    def test_what_joined_is_aborted_on_a_rendered_error_or_a_doom(self, app, path):
        app.get(path, status="*")
        assert app.joined[0].outcome == "aborted"

    def test_what_joined_is_aborted_when_the_view_raises(self, app):
        with pytest.raises(RuntimeError):
            app.get("/write_then_crash")
        assert app.joined[0].outcome == "aborted"
        assert undo._current_transaction(transaction.manager) is None

    def test_a_failed_commit_renders_its_error_view(self, app):
        response = app.get("/commit_fails", status=400)
        assert response.json == {"error": "_VoteFailed"}
        assert app.joined[0].outcome == "aborted"
        app.get("/write")  # the failed transaction does not stay in the way
        assert app.joined[1].outcome == "committed"

    def test_a_transaction_left_open_outside_a_request_is_aborted_by_the_next(self, app):
        leftover = _RecordingDataManager(transaction.manager)
        transaction.get().join(leftover)
        assert app.get("/read").json == {"open": False}
        assert leftover.outcome == "aborted"


class _VoteFailed(Exception):
    pass


class _RecordingDataManager:
    """A data manager remembering how its transaction ended."""

    def __init__(self, transaction_manager):
        self.transaction_manager = transaction_manager
        self.outcome = None
        self.fail_on_vote = False

    def abort(self, txn):
        self.outcome = "aborted"

    def tpc_begin(self, txn):
        pass

    def commit(self, txn):
        pass

    def tpc_vote(self, txn):
        if self.fail_on_vote:
            raise _VoteFailed()

    def tpc_finish(self, txn):
        self.outcome = "committed"

    def tpc_abort(self, txn):
        self.outcome = "aborted"

    def sortKey(self):
        return "test"


@pytest.mark.parametrize("backend", ["postgresql"])
class TestPostgreSQLReads:
    """A request that only reads PostgreSQL begins no transaction; one that reads,
    then writes, writes on the connection it read with (§8.6)."""

    HEADERS = {"Authorization": "Basic dXNlcjpwYXNz"}

    @pytest.fixture
    def counted(self, make_backend_app):
        from sqlalchemy import event

        app = make_backend_app(scan="tests.testapp.resources")
        registry = app.app.registry
        with transaction.manager:
            for backend in (registry.storage, registry.permission, registry.cache):
                backend.initialize_schema()
        record = app.post_json("/v1/todos", {"data": {"title": "a"}},
                               headers=self.HEADERS).json["data"]
        engine = registry.storage.client.engine
        counts = {"checkouts": 0, "transactions": 0}

        def on_checkout(*args):
            counts["checkouts"] += 1

        class Synchronizer:  # told when a transaction ends (implicit ones begin untold)
            def newTransaction(self, txn):
                pass

            def beforeCompletion(self, txn):
                pass

            def afterCompletion(self, txn):
                counts["transactions"] += 1

        synchronizer = Synchronizer()
        event.listen(engine.pool, "checkout", on_checkout)
        transaction.manager.registerSynch(synchronizer)
        yield app, engine, counts, record
        transaction.manager.unregisterSynch(synchronizer)
        event.remove(engine.pool, "checkout", on_checkout)

    @pytest.mark.parametrize("path", [
        "/v1/todos", "/v1/todos?title=a&_sort=-title&_limit=1", "/v1/todos/{id}",
        "/v1/todos/1e0c4a3e-6a6b-4b0e-9e0a-2f1c1b0c9d8e",  # none has this id
    ])
    def test_reads_begin_no_transaction_and_give_their_connection_back(self, counted, path):
        app, engine, counts, record = counted
        app.get(path.format(id=record["id"]), headers=self.HEADERS, status="*")
        assert counts == {"checkouts": 1, "transactions": 0}
        assert engine.pool.checkedout() == 0

    def test_a_batch_of_reads_uses_one_connection(self, counted):
        app, engine, counts, record = counted
        requests = [{"path": "/todos"}, {"path": f"/todos/{record['id']}"}, {"path": "/todos/x"}]
        app.post_json("/v1/batch", {"requests": requests}, headers=self.HEADERS)
        assert counts == {"checkouts": 1, "transactions": 0}
        assert engine.pool.checkedout() == 0

    def test_writes_after_reads_use_the_connection_read_with(self, counted):
        app, engine, counts, record = counted
        requests = [{"path": "/todos"},
                    {"method": "POST", "path": "/todos", "body": {"data": {"title": "b"}}},
                    {"path": "/todos"}]
        responses = app.post_json("/v1/batch", {"requests": requests},
                                  headers=self.HEADERS).json["responses"]
        assert [len(r["body"]["data"]) for r in (responses[0], responses[2])] == [1, 2]
        assert counts == {"checkouts": 1, "transactions": 1}
        assert engine.pool.checkedout() == 0
        assert len(app.get("/v1/todos", headers=self.HEADERS).json["data"]) == 2

    @pytest.fixture
    def statements(self, monkeypatch):
        """Round trips to PostgreSQL (statements run through the client)."""
        from cliquet import _postgresql

        sent, execute = [], _postgresql.Connection.execute

        def counting(connection, sql, params=None):
            sent.append(sql)
            return execute(connection, sql, params)

        monkeypatch.setattr(_postgresql.Connection, "execute", counting)
        return sent

    def test_a_listing_reads_its_timestamp_with_the_page(self, counted, statements):
        app, engine, counts, record = counted
        listing = app.get("/v1/todos", headers=self.HEADERS)
        empty = app.get("/v1/todos?title=none", headers=self.HEADERS)
        assert len(statements) == 2  # one per listing
        assert listing.headers["ETag"] == empty.headers["ETag"] == \
            f'"{record["last_modified"]}"'
        # A precondition is checked on the timestamp first (a 304 reads no page).
        statements.clear()
        app.get("/v1/todos", headers={**self.HEADERS, "If-None-Match": listing.headers["ETag"]},
                status=304)
        assert len(statements) == 1
        statements.clear()
        app.get("/v1/todos", headers={**self.HEADERS, "If-None-Match": '"1"'})
        assert len(statements) == 2

    def test_a_connection_that_cannot_be_set_up_goes_back_to_the_pool(self, counted):
        import warnings
        from unittest import mock

        import psycopg2

        from cliquet import _postgresql

        app, engine, counts, record = counted

        def broken(dbapi_connection, autocommit):
            raise psycopg2.InterfaceError("connection already closed")

        with warnings.catch_warnings(record=True) as caught, \
                mock.patch.object(_postgresql, "_set_autocommit", broken):
            warnings.simplefilter("always")
            response = app.get("/v1/todos", headers=self.HEADERS, status=503)
        assert response.json["errno"] == 201
        assert engine.pool.checkedout() == 0
        # Given back explicitly, not dropped by the garbage collector.
        assert not [w for w in caught if "non-checked-in" in str(w.message)]
