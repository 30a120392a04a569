import time
from types import SimpleNamespace

import psycopg2
import pytest
import redis
import transaction
from pyramid import testing

import cliquet.permission.memory
import cliquet.permission.postgresql
import cliquet.permission.redis
from cliquet._defaults import DEFAULT_SETTINGS
from cliquet.permission import PermissionBase, heartbeat
from cliquet.permission.testing import PermissionTest
from cliquet.storage.exceptions import BackendError
from tests.servers import postgresql_url, redis_url, require_postgresql, require_redis

BACKENDS = (cliquet.permission.memory, cliquet.permission.redis, cliquet.permission.postgresql)


def load(backend, **settings):
    config = testing.setUp(settings={**DEFAULT_SETTINGS, **settings})
    return backend.load_from_config(config)


def ping(backend, readonly=False):
    request = testing.DummyRequest()
    request.registry = SimpleNamespace(settings={"readonly": readonly})
    return heartbeat(backend)(request)


class TestPermissionBase:
    ABSTRACT = [
        ("initialize_schema", ()),
        ("flush", ()),
        ("add_user_principal", ("alice", "group")),
        ("remove_user_principal", ("alice", "group")),
        ("remove_principal", ("group",)),
        ("user_principals", ("alice",)),
        ("add_principal_to_ace", ("/a", "read", "alice")),
        ("remove_principal_from_ace", ("/a", "read", "alice")),
        ("object_permission_principals", ("/a", "read")),
        ("principals_accessible_objects", (["alice"], "read")),
        ("object_permissions", ("/a",)),
        ("replace_object_permissions", ("/a", {"read": []})),
        ("delete_object_permissions", ("/a",)),
        # Built on object_permission_principals:
        ("object_permission_authorized_principals", ("/a", "read")),
        ("check_permission", ("/a", "read", ["alice"])),
    ]

    @pytest.mark.parametrize("method, args", ABSTRACT)
    def test_methods_are_not_implemented(self, method, args):
        with pytest.raises(NotImplementedError):
            getattr(PermissionBase(), method)(*args)

    def test_base_authorized_principals_and_check_use_object_principals(self):
        class Stub(PermissionBase):
            def object_permission_principals(self, object_id, permission):
                return {f"{object_id}|{permission}"}

        def bound(object_id, permission):
            return [(object_id, permission), ("/parent", "write")]

        stub = Stub()
        assert stub.object_permission_authorized_principals("/a", "read") == {"/a|read"}
        assert stub.object_permission_authorized_principals("/a", "read", bound) == {
            "/a|read",
            "/parent|write",
        }
        assert stub.check_permission("/a", "read", ["x", "/parent|write"], bound)
        assert not stub.check_permission("/a", "read", ["/parent|write"])

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_every_backend_overrides_every_abstract_method(self, backend):
        for name, _ in self.ABSTRACT[:-2]:
            assert getattr(backend.Permission, name) is not getattr(PermissionBase, name), name

    @pytest.mark.parametrize("readonly", [False, True])
    def test_heartbeat_fails_when_the_backend_fails(self, readonly):
        assert ping(PermissionBase(), readonly) is False


class TestMemoryPermission(PermissionTest):
    backend = cliquet.permission.memory


class TestRedisPermission(PermissionTest):
    backend = cliquet.permission.redis

    @property
    def settings(self):
        return {"permission_url": redis_url(), "permission_pool_size": "5"}

    def setup_method(self, method):
        require_redis()
        super().setup_method(method)
        self.client = redis.Redis.from_url(redis_url(), decode_responses=True)

    def teardown_method(self, method):
        super().teardown_method(method)
        self.client.close()

    def test_user_principals_are_sets_deleted_when_empty(self):
        self.permission.add_user_principal("alice", "group:admins")
        assert self.client.smembers("user:alice") == {"group:admins"}
        self.permission.remove_user_principal("alice", "group:admins")
        assert self.client.exists("user:alice") == 0

    def test_aces_are_sets_deleted_when_empty(self):
        self.grant("/a", "read", "alice", "bob")
        assert self.client.smembers("permission:/a:read") == {"alice", "bob"}
        self.permission.replace_object_permissions("/a", {"read": []})
        assert self.client.exists("permission:/a:read") == 0

    def test_reads_keys_written_by_other_clients(self):
        self.client.sadd("permission:/a:write", "alice")
        self.client.sadd("user:bob", "group:x")
        assert self.permission.object_permissions("/a") == {"write": {"alice"}}
        assert self.permission.principals_accessible_objects(["alice"], "write") == {"/a"}
        assert self.permission.user_principals("bob") == {"group:x"}

    def test_colons_and_backslashes_of_object_ids_are_escaped_in_keys(self):
        self.grant("/a:b\\c", "read", "alice")
        assert self.client.smembers("permission:/a\\:b\\\\c:read") == {"alice"}
        assert self.permission.object_permissions("/a:b\\c") == {"read": {"alice"}}
        assert self.permission.principals_accessible_objects(["alice"], "read") == {"/a:b\\c"}

    def test_every_method_raises_backend_error_when_commands_fail(self, monkeypatch):
        def fail(*args, **kwargs):
            raise redis.RedisError()

        with monkeypatch.context() as patch, pytest.raises(BackendError):
            patch.setattr(self.permission._client, "execute_command", fail)
            patch.setattr(self.permission._client, "pipeline", fail)
            self.permission.principals_accessible_objects([], "read")

    def test_a_down_server_raises_backend_error_quickly(self):
        down = load(self.backend, permission_url="redis://127.0.0.1:1/0")
        start = time.monotonic()
        with pytest.raises(BackendError):
            down.principals_accessible_objects(["alice"], "read")
        with pytest.raises(BackendError):
            down.replace_object_permissions("/a", {"read": ["alice"]})
        assert time.monotonic() - start < 3
        assert ping(down) is False


class PostgreSQLPermissionTest(PermissionTest):
    """Cases shared by both transaction modes."""

    backend = cliquet.permission.postgresql
    transaction_per_request = "false"

    @property
    def settings(self):
        return {
            "permission_url": postgresql_url(),
            "permission_pool_size": "2",
            "transaction_per_request": self.transaction_per_request,
        }

    def setup_method(self, method):
        require_postgresql()
        super().setup_method(method)

    def sql(self, statement, *params):
        connection = psycopg2.connect(postgresql_url())
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def test_a_down_server_raises_backend_error_quickly(self):
        down_url = "postgres://postgres:postgres@127.0.0.1:1/down"
        down = load(self.backend, **{**self.settings, "permission_url": down_url})
        start = time.monotonic()
        with pytest.raises(BackendError) as raised:
            down.check_permission("/a", "read", ["alice"])
        assert isinstance(raised.value.original, Exception)
        assert time.monotonic() - start < 3
        assert ping(down) is False

    def test_a_failing_server_fails_even_a_lookup_without_principals(self, monkeypatch):
        def unavailable():
            raise psycopg2.OperationalError("down")

        with monkeypatch.context() as patch, pytest.raises(BackendError):
            patch.setattr(self.permission.client, "session_factory", unavailable)
            self.permission.principals_accessible_objects([], "read")


class TestPostgreSQLPermission(PostgreSQLPermissionTest):
    def test_writes_are_committed_at_once(self):
        self.grant("/a", "read", "alice")
        rows = self.sql("SELECT object_id, permission, principal FROM access_control_entries")
        assert rows == [("/a", "read", "alice")]

    def test_dry_run_only_logs_the_schema(self):
        self.sql("DROP TABLE user_principals")
        try:
            self.permission.initialize_schema(dry_run=True)
            assert self.sql("SELECT to_regclass('user_principals')") == [(None,)]
        finally:
            self.permission.initialize_schema()
        assert self.sql("SELECT to_regclass('user_principals')") == [("user_principals",)]


class TestPostgreSQLPermissionInRequestTransaction(PostgreSQLPermissionTest):
    """Writes join the request transaction and are committed with it."""

    transaction_per_request = "true"

    def setup_method(self, method):
        super().setup_method(method)
        transaction.commit()  # the flush: tests start without pending writes

    def teardown_method(self, method):
        transaction.abort()  # nothing was committed: no flush needed
        testing.tearDown()
        del self.permission, self.config

    def test_writes_are_committed_with_the_request_transaction(self):
        self.grant("/a", "read", "alice")
        assert self.sql("SELECT principal FROM access_control_entries") == []
        transaction.commit()
        assert self.sql("SELECT principal FROM access_control_entries") == [("alice",)]
        self.permission.flush()
        transaction.commit()
        assert self.sql("SELECT principal FROM access_control_entries") == []
