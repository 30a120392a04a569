"""Every storage backend runs the conformance suite, plus its own cases."""
import contextlib
import inspect
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import pytest
import sqlalchemy
import transaction
from pyramid.config import Configurator

from cliquet.resource.model import Model
from cliquet.storage import (
    Filter,
    Sort,
    StorageBase,
    generators,
    memory,
    postgresql,
    redis,
)
from cliquet._transaction import UndoLog
from cliquet.storage.exceptions import BackendError, RecordNotFoundError, UnicityError
from cliquet.storage.postgresql import client as pg_client
from cliquet.storage.postgresql._migrator import MigrationError, Migrator
from cliquet.storage.postgresql.pool import QueuePoolWithMaxBacklog
from cliquet.storage.testing import StorageTest
from cliquet.utils import COMPARISON, json
from tests import servers
from tests.pg_scratch import scratch_database


class MemoryBasedStorageTest(StorageTest):
    """Helpers of :class:`cliquet.storage.memory.MemoryBasedStorage` (Cliquet 3.1 names)."""

    def test_set_record_timestamp_bumps_the_collection_timestamp(self):
        before = self.storage.collection_timestamp(**self.kw)
        record = {"id": "a"}
        assert self.storage.set_record_timestamp("test", "1234", record) is record
        assert record["last_modified"] > before
        assert self.storage.collection_timestamp(**self.kw) == record["last_modified"]
        forced = {"id": "b"}
        self.storage.set_record_timestamp("test", "1234", forced, last_modified=before - 10)
        assert forced["last_modified"] == before - 10  # kept, the collection still grows
        assert self.storage.collection_timestamp(**self.kw) == record["last_modified"] + 1

    def test_helpers_with_the_signatures_of_3_1(self):
        existing = self.create_record({"email": "x@y"})
        with pytest.raises(UnicityError) as raised:
            self.storage.check_unicity("test", "1234", {"id": "new", "email": "x@y"}, ["email"],
                                       "id", for_creation=True)
        assert raised.value.record == existing
        self.storage.check_unicity("test", "1234", existing, ["email"], "id")  # itself
        assert self.storage.strip_deleted_record("test", "1234", existing) == {
            "id": existing["id"], "last_modified": existing["last_modified"], "deleted": True}
        records = [{"id": "b", "n": 2}, {"id": "a", "n": 1}, {"id": "c", "deleted": True}]
        page, total = self.storage.extract_record_set("test", records, [], [Sort("id", 1)],
                                                      "id", "deleted", limit=2)
        assert (page, total) == (records[1::-1], 2)

    def test_generic_delete_all_deletes_one_by_one(self):
        kept = self.create_record({"n": 1})
        self.create_record({"n": 2})
        tombstones = memory.MemoryBasedStorage.delete_all(
            self.storage, "test", "1234", filters=[Filter("n", 2, COMPARISON.EQ)])
        assert [t["deleted"] for t in tombstones] == [True]
        assert self.get_all() == ([kept], 1)

    def test_filters_and_sorting_are_methods_too(self):
        records = [{"id": "a", "n": 2}, {"id": "b", "n": 1}, {"id": "c"}]
        assert self.storage.apply_filters(records, [Filter("n", 1, COMPARISON.MIN)]) == \
            records[:2]
        assert self.storage.apply_sorting(records, [Sort("n", 1)]) == [
            records[1], records[0], records[2]]


class TestMemoryStorage(MemoryBasedStorageTest):
    backend = memory

    def test_waiting_for_a_waiter_of_ours_is_a_deadlock_raised_at_once(self):
        for record_id in ("x", "y"):
            self.create_record({"id": record_id})
        held = threading.Barrier(2)
        outcomes = {}

        def request(first, second):
            try:
                with self.request_transaction():
                    self.storage.get_for_update(object_id=first, **self.kw)
                    held.wait(5)
                    if first == "y":
                        time.sleep(0.2)  # x waits for y first
                    self.storage.get_for_update(object_id=second, **self.kw)
                outcomes[first] = "committed"
            except BackendError as error:
                outcomes[first] = str(error)

        started = time.monotonic()
        self.in_threads(lambda: request("x", "y"), lambda: request("y", "x"))
        assert outcomes["x"] == "committed"
        assert outcomes["y"].startswith("Deadlock on record")
        assert time.monotonic() - started < 2

    def test_a_record_held_too_long_makes_its_waiter_fail(self):
        record_id = self.create_record()["id"]
        self.storage._record_locks.timeout = 0.2
        held, done = threading.Event(), threading.Event()

        def holder():
            with self.request_transaction():
                self.storage.get_for_update(object_id=record_id, **self.kw)
                held.set()
                done.wait(5)

        def waiter():
            held.wait(5)
            try:
                with pytest.raises(BackendError, match="held for too long"), \
                        self.request_transaction():
                    self.storage.get_for_update(object_id=record_id, **self.kw)
            finally:
                done.set()

        self.in_threads(holder, waiter)
        with self.request_transaction():  # released by both
            self.storage.get_for_update(object_id=record_id, **self.kw)

    def test_a_collection_held_too_long_makes_its_writers_fail(self):
        self.storage._record_locks.timeout = 0.2
        held, done = threading.Event(), threading.Event()

        def holder():
            with self.request_transaction():
                self.storage.collection_timestamp_for_update(**self.kw)
                held.set()
                done.wait(5)

        def writer():
            held.wait(5)
            try:
                with pytest.raises(BackendError, match="Collection .* held for too long"), \
                        self.request_transaction():
                    self.storage.create(record={}, **self.kw)
                with pytest.raises(BackendError, match="held for too long"):  # no transaction
                    self.storage.create(record={}, **self.kw)
            finally:
                done.set()

        self.in_threads(holder, writer)
        assert self.get_all() == ([], 0)

    def test_a_record_holder_writing_to_a_collection_held_by_its_waiter_is_a_deadlock(self):
        record_id = self.create_record()["id"]
        record_held, collection_held = threading.Event(), threading.Event()
        outcomes = {}

        def record_holder():
            try:
                with self.request_transaction():
                    self.storage.get_for_update(object_id=record_id, **self.kw)
                    record_held.set()
                    collection_held.wait(5)
                    time.sleep(0.2)  # the other one waits for the record first
                    self.storage.update(object_id=record_id, record={"n": 1}, **self.kw)
                outcomes["record"] = "committed"
            except BackendError as error:
                outcomes["record"] = str(error)

        def collection_holder():
            record_held.wait(5)
            with self.request_transaction():
                self.storage.collection_timestamp_for_update(**self.kw)
                collection_held.set()
                self.storage.get_for_update(object_id=record_id, **self.kw)
            outcomes["collection"] = "committed"

        started = time.monotonic()
        self.in_threads(record_holder, collection_holder)
        assert outcomes == {"record": "Deadlock on collection ('test', '1234')",
                            "collection": "committed"}
        assert time.monotonic() - started < 2

    def test_lock_timeout_is_a_setting(self):
        storage = memory.load_from_config(Configurator(settings={"storage_lock_timeout": "2.5"}))
        assert storage.lock_timeout == storage._record_locks.timeout == 2.5

    def test_a_record_left_held_by_an_ended_transaction_is_taken_over(self):
        record_id = self.create_record()["id"]
        log = UndoLog(transaction.manager)
        log.closed = True  # ended without releasing (it never happens, but be safe)
        self.storage._record_locks._owners[("test", "1234", record_id)] = log
        with self.request_transaction():
            started = time.monotonic()
            self.storage.get_for_update(object_id=record_id, **self.kw)
            assert time.monotonic() - started < 1

    def test_tree_nests_dicts_on_access(self):
        store = memory.tree()
        store["a"]["b"]["c"] = 1
        assert store == {"a": {"b": {"c": 1}}}

    def test_unicity_rules_match_the_holders_of_unique_values(self):
        record = {"id": "r", "email": "x@y", "name": None}
        rules = memory.get_unicity_rules("c", "p", record, ["email", "name"], "id",
                                         for_creation=True)
        assert rules == [[Filter("email", "x@y", COMPARISON.EQ)]]
        rules = memory.get_unicity_rules("c", "p", record, ["email"], "id", for_creation=False)
        assert rules == [[Filter("email", "x@y", COMPARISON.EQ),
                          Filter("id", "r", COMPARISON.NOT)]]
        others = [{"id": "r", "email": "x@y"}, {"id": "s", "email": "x@y"}, {"id": "t"}]
        assert memory.apply_pagination(others, rules) == [others[1]]

    def test_repeated_equality_filters_see_every_write(self):
        """Equality filters served by the memory index answer as the scan does."""
        values = ["a", "b", 1, 1.0, True, None, {"x": 1}, [1]]
        ids = {}
        for i, value in enumerate(values * 2):
            record = {"n": i} if value is None else {"n": i, "v": value}
            ids[i] = self.create_record(record)["id"]

        def matching(value, **kwargs):
            records, total = self.storage.get_all(
                filters=[Filter("v", value, COMPARISON.EQ), Filter("n", 3, COMPARISON.MIN)],
                sorting=[Sort("n", 1)], **kwargs, **self.kw)
            assert total == len([r for r in records if not r.get("deleted")])
            return [r["n"] for r in records]

        for _ in range(3):  # a scan, then the index once built
            assert matching("a") == [8]
            assert matching(1) == [3, 10, 11]  # 1 and 1.0, never True
            assert matching(1.0) == [3, 10, 11]
            assert matching("zzz") == []
        self.storage.update(object_id=ids[8], record={"n": 8, "v": "b"}, **self.kw)
        assert matching("a") == []
        assert matching("b") == [8, 9]
        self.create_record({"n": 20, "v": "a"})
        self.storage.delete(object_id=ids[9], **self.kw)
        for _ in range(3):
            assert matching("a") == [20]
            assert matching("b", include_deleted=True) == [8]  # tombstones hold no "v"


class TestRedisStorage(MemoryBasedStorageTest):
    backend = redis
    down_settings: ClassVar[dict] = {"storage_url": "redis://127.0.0.1:1/0",
                                     "storage_pool_timeout": "1"}

    @property
    def settings(self):
        return {"storage_url": servers.redis_url()}

    def setup_method(self, method=None):
        servers.require_redis()
        super().setup_method(method)

    def test_key_layout(self):
        client = self.storage._client
        record = self.create_record({"id": "abc", "x": 1})
        assert client.smembers("test.1234.records") == {b"abc"}
        assert json.loads(client.get("test.1234.abc.records")) == record
        assert int(client.get("test.1234.timestamp")) == record["last_modified"]
        tombstone = self.storage.delete(object_id="abc", **self.kw)
        assert client.smembers("test.1234.deleted") == {b"abc"}
        assert json.loads(client.get("test.1234.abc.deleted")) == tombstone
        assert not client.exists("test.1234.abc.records")

    def test_a_failing_write_leaves_nothing_behind(self):
        client = self.storage._client
        client.set("test.1234.deleted", "not a set")
        with pytest.raises(BackendError):
            self.create_record({"id": "abc"})
        with pytest.raises(RecordNotFoundError):
            self.storage.get(object_id="abc", **self.kw)
        assert not client.exists("test.1234.records", "test.1234.timestamp")

    def test_a_held_record_has_a_lock_key_until_the_transaction_ends(self):
        client = self.storage._client
        record_id = self.create_record()["id"]
        key = f"test.1234.{record_id}.lock"
        for end in (transaction.commit, transaction.abort):
            transaction.begin()
            UndoLog(transaction.manager).join(transaction.get())
            self.storage.get_for_update(object_id=record_id, **self.kw)
            self.storage.get_for_update(object_id=record_id, **self.kw)  # held already
            assert 0 < client.pttl(key) <= self.storage.lock_ttl * 1000
            end()
            assert not client.exists(key)

    def test_a_lock_key_of_another_process_is_waited_for(self):
        client = self.storage._client
        record_id = self.create_record()["id"]
        key = f"test.1234.{record_id}.lock"
        client.set(key, "another process", px=300)
        with self.request_transaction():
            started = time.monotonic()
            self.storage.get_for_update(object_id=record_id, **self.kw)
            assert time.monotonic() - started >= 0.2
            client.set(key, "another process")  # ours expired meanwhile, taken by another
        assert client.get(key) == b"another process"  # not released by us
        client.delete(key)

    def test_a_lock_key_held_longer_than_the_lock_timeout_fails_the_waiter(self):
        client = self.storage._client
        record_id = self.create_record()["id"]
        client.set(f"test.1234.{record_id}.lock", "stuck", px=10_000)
        client.set("test.1234.lock", "stuck", px=10_000)
        self.storage.lock_timeout = 0.3
        for write in (lambda: self.storage.get_for_update(object_id=record_id, **self.kw),
                      lambda: self.storage.create(record={}, **self.kw),
                      lambda: self.storage.delete(object_id=record_id, **self.kw)):
            started = time.monotonic()
            with pytest.raises(BackendError, match="held for too long"), \
                    self.request_transaction():
                write()
            assert 0.3 <= time.monotonic() - started < 2
        client.delete("test.1234.lock")
        assert self.get_all()[1] == 1  # nothing written

    def test_lock_settings(self):
        storage = redis.load_from_config(Configurator(settings={
            "storage_url": servers.redis_url(), "storage_lock_ttl": "3",
            "storage_lock_timeout": "1.5"}))
        assert (storage.lock_ttl, storage.lock_timeout) == (3, 1.5)
        record_id = self.create_record()["id"]
        with self.request_transaction():
            storage.get_for_update(object_id=record_id, **self.kw)
            storage.collection_timestamp_for_update(**self.kw)
            for key in (f"test.1234.{record_id}.lock", "test.1234.lock"):
                assert 2000 < self.storage._client.pttl(key) <= 3000

    def test_a_subclass_reading_its_own_way_holds_the_record_too(self):
        reads = []

        class Custom(redis.Storage):
            def get(self, *args, **kwargs):
                reads.append(args or kwargs)
                return super().get(*args, **kwargs)

        storage = Custom(self.storage._client)
        record = self.create_record()
        with self.request_transaction():
            assert storage.get_for_update(object_id=record["id"], **self.kw) == record
            assert self.storage._client.exists(f"test.1234.{record['id']}.lock")
        assert len(reads) == 1

    def test_settings_are_coerced(self):
        client = redis.create_from_config(Configurator(settings={
            "cache_url": servers.redis_url(), "cache_pool_size": "3",
            "cache_pool_timeout": "0.5"}), prefix="cache_")
        assert client.connection_pool.max_connections == 3
        assert client.connection_pool.timeout == 0.5

    def test_exhausted_pool_raises_within_the_pool_timeout(self):
        storage = self.load_storage({**self.settings, "storage_pool_size": 1,
                                     "storage_pool_timeout": 0.3})
        held = storage._client.connection_pool.get_connection()
        try:
            started = time.monotonic()
            with pytest.raises(BackendError):
                storage.get_all(**self.kw)
            assert time.monotonic() - started < 2
        finally:
            storage._client.connection_pool.release(held)


class TestPostgreSQLStorage(StorageTest):
    backend = postgresql
    down_settings: ClassVar[dict] = {
        "storage_url": "postgres://postgres:postgres@127.0.0.1:1/x", "storage_pool_timeout": "1"}

    @property
    def settings(self):
        return {"storage_url": servers.postgresql_url(), "transaction_per_request": False}

    def setup_method(self, method=None):
        servers.require_postgresql()
        super().setup_method(method)

    def teardown_method(self, method=None):
        super().teardown_method(method)
        self.storage.client.engine.dispose()

    def test_json_order_and_comparisons_match_the_memory_backend(self):
        rng = random.Random(7)
        scalars = [None, True, False, "", "a", "B", "é", "10", "9", 9, 10, -1, 2.5, 0, 1.0]
        values = scalars + [[rng.choice(scalars) for _ in range(rng.randint(0, 3))]
                            for _ in range(15)]
        values += [{"k": rng.choice(scalars)} for _ in range(5)] + [{"a": 1, "bb": 2}]
        for value in values:
            self.create_record({"v": value})
        self.create_record({"w": 1})
        records, _ = self.get_all()
        for direction in (1, -1):
            sorting = [Sort("v", direction), Sort("last_modified", 1)]
            assert self.get_all(sorting=sorting)[0] == memory.apply_sorting(records, sorting)
        for operator in COMPARISON:
            for pivot in ([9, "a", None] if operator in ("in", "exclude") else scalars):
                filters = [Filter("v", pivot, operator)]
                expected = self.ids(memory.apply_filters(records, filters))
                assert sorted(self.ids(self.get_all(filters=filters)[0])) == sorted(expected)

    def test_max_fetch_size_caps_pages_but_not_the_total(self):
        storage = self.load_storage({**self.settings, "storage_max_fetch_size": "4"})
        for _ in range(6):
            self.create_record()
        records, total = storage.get_all(**self.kw)
        assert (len(records), total) == (4, 6)
        assert len(storage.get_all(limit=10, **self.kw)[0]) == 4

    def test_initialize_schema_raises_backend_error_when_server_is_down(self):
        with pytest.raises(BackendError):
            self.load_storage({**self.settings, **self.down_settings}).initialize_schema()

    def test_exhausted_pool_raises_within_the_pool_timeout(self):
        storage = self.load_storage({**self.settings, "storage_pool_size": "1",
                                     "storage_max_overflow": "0", "storage_pool_timeout": "0.3"})
        with storage.client.connect():
            started = time.monotonic()
            with pytest.raises(BackendError):
                storage.get_all(**self.kw)
            assert time.monotonic() - started < 2
        storage.client.engine.dispose()

    def test_pool_refuses_waiters_beyond_max_backlog(self):
        storage = self.load_storage({**self.settings, "storage_pool_size": "1",
                                     "storage_max_overflow": "0", "storage_pool_timeout": "5",
                                     "storage_max_backlog": "0"})
        with storage.client.connect():
            started = time.monotonic()
            with pytest.raises(BackendError):
                storage.get_all(**self.kw)
            assert time.monotonic() - started < 1
        storage.client.engine.dispose()

    def test_writes_join_the_request_transaction(self):
        storage = self.load_storage({**self.settings, "transaction_per_request": "true"})
        with transaction.manager:
            records = [storage.create(record={"id": f"kept{i}"}, **self.kw) for i in range(3)]
            storage.delete(object_id="kept2", **self.kw)
            tombstone = storage.delete(object_id="kept1", **self.kw)
            stamps = [r["last_modified"] for r in records] + [tombstone["last_modified"]]
            assert stamps == sorted(set(stamps))
            assert storage.collection_timestamp(**self.kw) == tombstone["last_modified"]
        assert self.storage.collection_timestamp(**self.kw) == tombstone["last_modified"]
        transaction.begin()
        storage.create(record={"id": "aborted"}, **self.kw)
        transaction.abort()
        assert self.ids(self.get_all()[0]) == ["kept0"]
        storage.client.engine.dispose()

    def test_flush_commits_at_once_outside_the_request_transaction(self):
        self.create_record()
        storage = self.load_storage({**self.settings, "transaction_per_request": True})
        storage.flush()
        assert self.get_all() == ([], 0)
        storage.client.engine.dispose()

    def test_concurrent_request_transactions_serialise_on_the_collection(self):
        storage = self.load_storage({**self.settings, "transaction_per_request": True})

        def request(n):
            with transaction.manager:
                return [storage.create(record={"n": n}, **self.kw)["last_modified"]
                        for _ in range(5)]

        with ThreadPoolExecutor(max_workers=4) as pool:
            batches = list(pool.map(request, range(12)))
        stamps = sorted(stamp for batch in batches for stamp in batch)
        assert len(set(stamps)) == 60
        # Each transaction held the collection: its timestamps are contiguous in the order.
        for batch in batches:
            position = stamps.index(batch[0])
            assert stamps[position:position + 5] == batch
        assert self.storage.collection_timestamp(**self.kw) == stamps[-1]
        storage.client.engine.dispose()

    def advisory_locks(self) -> int:
        with self.storage.client.connect() as connection:
            return connection.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid <> pg_backend_pid() AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())")[0][0]

    def test_a_record_read_for_update_opens_the_transaction_and_locks_its_id(self):
        storage = self.request_storage()
        record = self.create_record()
        with self.request_transaction():
            assert storage.client.joined() is False
            assert storage.get_for_update(object_id=record["id"], **self.kw) == record
            storage.get_for_update(object_id=record["id"], **self.kw)  # held already
            assert self.advisory_locks() == 1
            connection = transaction.get().data(storage.client)
            assert pg_client._in_transaction(connection._dbapi_connection)
        assert self.advisory_locks() == 0
        self.storage.get_for_update(object_id=record["id"], **self.kw)  # no transaction
        assert self.advisory_locks() == 0
        storage.client.engine.dispose()

    def test_lock_keys_are_64_bits_of_the_ids(self):
        keys = {postgresql._lock_key(c, p, i)
                for c in ("c", "d") for p in ("p", "") for i in ("i", "j")}
        assert len(keys) == 8
        assert all(-2 ** 63 <= key < 2 ** 63 for key in keys)
        assert postgresql._lock_key("c", "p", "i") == postgresql._lock_key("c", "p", "i")

    def test_a_subclass_reading_its_own_way_holds_the_record_too(self):
        reads = []

        class Custom(postgresql.Storage):
            def get(self, *args, **kwargs):
                reads.append(args or kwargs)
                return super().get(*args, **kwargs)

        storage = Custom(self.request_storage().client)
        record = self.create_record()
        with self.request_transaction():
            assert storage.get_for_update(object_id=record["id"], **self.kw) == record
            assert self.advisory_locks() == 1
        assert len(reads) == 1
        storage.client.engine.dispose()

    def test_a_subclass_listing_its_own_way_lists_with_the_timestamp_its_way(self):
        reads = []

        class Custom(postgresql.Storage):
            def get_all(self, *args, **kwargs):
                reads.append("get_all")
                return super().get_all(*args, **kwargs)

        storage = Custom(self.storage.client)
        record = self.create_record()
        assert storage.get_all_with_timestamp(**self.kw) == (
            [record], 1, record["last_modified"])
        self.storage.collection_timestamp = lambda *args, **kwargs: reads.append("patched") or 7
        assert self.storage.get_all_with_timestamp(**self.kw) == ([record], 1, 7)
        assert reads == ["get_all", "patched"]

    def test_a_driver_error_dooms_the_request_transaction(self):
        storage = self.load_storage({**self.settings, "transaction_per_request": True})
        transaction.begin()
        with pytest.raises(BackendError):
            storage.create(record={"last_modified": "not a number"}, **self.kw)
        assert transaction.get().isDoomed()
        transaction.abort()
        storage.client.engine.dispose()


class TestPostgreSQLClient:
    def setup_method(self, method=None):
        servers.require_postgresql()

    def config(self, **settings):
        return Configurator(settings={"storage_url": servers.postgresql_url(), **settings})

    def test_one_client_per_url_and_transaction_mode(self):
        config = self.config(transaction_per_request="false", cache_url=servers.postgresql_url(),
                             cache_pool_size="3")
        client = pg_client.create_from_config(config, prefix="storage_")
        assert pg_client.create_from_config(config, prefix="storage_") is client
        with pytest.warns(UserWarning, match=r"Parameters cache_\* will be ignored"):
            assert pg_client.create_from_config(config, prefix="cache_") is client
        other = pg_client.create_from_config(config, prefix="storage_", with_transaction=False)
        assert other is client
        transactional = pg_client.create_from_config(
            self.config(transaction_per_request="true"), prefix="storage_")
        assert transactional.commit_manually is False
        bare = pg_client.create_from_config(self.config(), prefix="storage_")
        assert bare.commit_manually is True  # built outside initialize(): commits on its own
        assert self.config().registry is not config.registry
        client.engine.dispose()
        transactional.engine.dispose()
        bare.engine.dispose()

    def test_autocommit_runs_each_statement_in_its_own_transaction(self):
        client = pg_client.create_from_config(self.config(
            transaction_per_request="false", storage_pool_size="1", storage_max_overflow="0",
        ), prefix="storage_")
        started_before = "SELECT now() < statement_timestamp()"  # true within a transaction
        with client.connect(autocommit=True) as connection:
            connection.execute("SELECT pg_sleep(0.01)")
            assert connection.execute(started_before)[0][0] is False
        with pytest.raises(BackendError), client.connect(autocommit=True) as connection:
            connection.execute("SELECT 1 / 0")
        # The pooled connection is transactional again: a failing block rolls back.
        with pytest.raises(BackendError), client.connect() as connection:
            connection.execute("SELECT pg_sleep(0.01)")
            assert connection.execute(started_before)[0][0] is True
            connection.execute("CREATE TABLE autocommit_probe (x INT)")
            connection.execute("SELECT 1 / 0")
        with client.connect() as connection:
            assert connection.execute(
                "SELECT to_regclass('autocommit_probe')")[0][0] is None
        client.engine.dispose()

    @pytest.fixture
    def probe(self):
        """A transactional client, a manual one, and an empty table to write to."""
        manual = pg_client.create_from_config(self.config(transaction_per_request="false"),
                                              prefix="storage_")
        client = pg_client.create_from_config(self.config(transaction_per_request="true"),
                                              prefix="storage_")
        table = f"client_probe_{uuid.uuid4().hex}"
        with manual.connect() as connection:
            connection.execute(f"CREATE TABLE {table} (x INT)")

        def rows():
            with manual.connect() as connection:
                return [x for (x,) in connection.execute(f"SELECT x FROM {table} ORDER BY x")]

        yield client, table, rows
        transaction.abort()
        with manual.connect() as connection:
            connection.execute(f"DROP TABLE {table}")
        client.engine.dispose()
        manual.engine.dispose()

    def test_a_request_transaction_uses_one_connection_and_commits_at_its_end(self, probe):
        client, table, rows = probe
        transaction.begin()
        with client.connect(readonly=True) as connection:
            (pid,), = connection.execute("SELECT pg_backend_pid()")
        with client.connect() as connection:
            connection.execute(f"INSERT INTO {table} VALUES (:x)", {"x": 1})
        with client.connect(readonly=True) as connection:
            assert connection.execute("SELECT pg_backend_pid()") == [(pid,)]
            assert connection.execute(f"SELECT x FROM {table}") == [(1,)]  # its own write
        assert rows() == []  # not committed yet
        transaction.commit()
        assert rows() == [1]
        assert client.engine.pool.checkedout() == 0

    def test_an_aborted_request_transaction_leaves_nothing(self, probe):
        client, table, rows = probe
        transaction.begin()
        with client.connect() as connection:
            connection.execute(f"INSERT INTO {table} VALUES (1)")
        transaction.abort()
        assert rows() == []
        assert client.engine.pool.checkedout() == 0

    def test_a_failed_write_returns_its_connection_without_a_transaction(self, probe):
        client, table, rows = probe
        transaction.begin()
        with pytest.raises(BackendError), client.connect() as connection:
            connection.execute(f"INSERT INTO {table} VALUES (1 / 0)")
        transaction.abort()
        assert client.engine.pool.checkedout() == 0
        for _ in range(client.engine.pool.size()):  # whichever pooled connection comes next
            transaction.begin()
            with client.connect(readonly=True) as connection:
                # Within a leftover transaction now() would be its (earlier) start.
                connection.execute("SELECT pg_sleep(0.002)")
                assert connection.execute("SELECT now() < statement_timestamp()") == [(False,)]
            transaction.abort()

    def test_a_transaction_whose_statement_failed_does_not_commit(self, probe):
        import psycopg2

        client, table, rows = probe
        transaction.begin()
        with client.connect() as connection:
            connection.execute(f"INSERT INTO {table} VALUES (1)")
            with contextlib.suppress(psycopg2.Error):  # an error the caller swallowed
                connection.dbapi_connection.cursor().execute("SELECT 1 / 0")
        with pytest.raises(BackendError):
            transaction.commit()
        transaction.abort()
        assert rows() == []
        assert client.engine.pool.checkedout() == 0

    def test_statements_after_the_commit_commit_on_their_own(self, probe):
        client, table, rows = probe

        def after_commit(succeeded):
            with client.connect() as connection:
                connection.execute(f"INSERT INTO {table} VALUES (2)")

        transaction.begin()
        with client.connect() as connection:
            connection.execute(f"INSERT INTO {table} VALUES (1)")
        transaction.get().addAfterCommitHook(after_commit)
        transaction.commit()
        assert rows() == [1, 2]
        assert client.engine.pool.checkedout() == 0

    def test_sql_parameters_are_named_and_casts_and_percents_kept(self, probe):
        client, _, _ = probe
        with client.connect(force_commit=True) as connection:
            assert connection.execute(
                "SELECT CAST(:a AS INT) + :b::INT, '100%', :a::TEXT || '::'",
                {"a": "1", "b": 2}) == [(3, "100%", "1::")]

    def test_settings_are_coerced_and_passed_to_the_engine(self):
        client = pg_client.create_from_config(self.config(
            storage_pool_size="3", storage_max_overflow="0", storage_pool_timeout="1.5",
            storage_max_backlog="2", storage_pool_pre_ping="true", storage_echo="false",
            storage_max_fetch_size="5", storage_backend="cliquet.storage.postgresql",
        ), prefix="storage_")
        pool = client.engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 0, 1.5)
        assert (pool._pool.max_backlog, pool._pre_ping, client.engine.echo) == (2, True, False)
        assert client.engine.url.drivername == "postgresql+psycopg2"
        client.engine.dispose()

    def test_recreated_pool_keeps_its_backlog(self):
        pool = QueuePoolWithMaxBacklog(lambda: None, max_backlog=2, pool_size=3)
        other = pool.recreate()
        assert type(other._pool) is type(pool._pool)
        assert (other._pool.max_backlog, other.size()) == (2, 3)

    def test_other_databases_than_postgresql_get_the_default_pool(self):
        config = Configurator(settings={"pooltest_url": "sqlite:///:memory:",
                                        "pooltest_pool_size": "2", "pooltest_max_overflow": "0",
                                        "pooltest_max_backlog": "0",
                                        "pooltest_pool_timeout": "5"})
        client = pg_client.create_from_config(config, prefix="pooltest_")
        engine = client.session_factory().get_bind()
        assert engine is client.engine and isinstance(engine.pool, QueuePoolWithMaxBacklog)
        kept = [engine.connect(), engine.connect()]
        started = time.monotonic()
        with pytest.raises(sqlalchemy.exc.TimeoutError):
            engine.connect()  # no waiter allowed: fails at once
        assert time.monotonic() - started < 1
        for connection in kept:
            connection.close()
        engine.dispose()

    def test_threads_may_share_one_connection(self):
        storage = postgresql.load_from_config(self.config(
            storage_poolclass="sqlalchemy.pool.StaticPool"))
        storage.initialize_schema()
        stamps = []

        def create():
            for _ in range(50):
                stamps.append(storage.create("shared", "p", {})["last_modified"])

        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(create) for _ in range(2)]:
                future.result()
        assert len(set(stamps)) == 100
        storage.delete_all("shared", "p", with_deleted=False)
        storage.client.engine.dispose()

    def test_a_failing_session_factory_raises_backend_errors(self, monkeypatch):
        storage = postgresql.load_from_config(self.config())

        def unavailable():
            raise sqlalchemy.exc.SQLAlchemyError("down")

        monkeypatch.setattr(storage.client, "session_factory", unavailable)
        with pytest.raises(BackendError) as raised:
            storage.get_all("c", "p")
        assert isinstance(raised.value.original, sqlalchemy.exc.SQLAlchemyError)

    def test_sessions_commit_in_the_middle_of_a_block(self):
        client = pg_client.create_from_config(self.config(), prefix="storage_")
        with client.connect() as session:
            session.execute("CREATE TABLE IF NOT EXISTS mid_commit (v TEXT);"
                            "DELETE FROM mid_commit")
        with contextlib.suppress(BackendError), client.connect() as session:
            session.execute("INSERT INTO mid_commit VALUES ('kept')")
            session.commit()
            session.execute("INSERT INTO mid_commit VALUES ('rolled back')")
            raise sqlalchemy.exc.TimeoutError()
        with client.connect() as session:
            assert session.execute("SELECT v FROM mid_commit").fetchone() == ("kept",)
            assert session.execute("SELECT v FROM mid_commit").fetchall() == [("kept",)]
            assert session.execute("SELECT v FROM mid_commit WHERE v = ''").fetchone() is None
            session.execute("DROP TABLE mid_commit")
        client.engine.dispose()

    def test_missing_sqlalchemy_is_an_import_warning(self, monkeypatch):
        monkeypatch.setattr(pg_client, "sqlalchemy", None)
        with pytest.raises(ImportWarning):
            pg_client.create_from_config(Configurator(settings={}))


class TestPostgreSQLMigrations:
    def setup_method(self, method=None):
        servers.require_postgresql()
        self.url = scratch_database("migrations")
        config = Configurator(settings={"storage_url": self.url,
                                        "transaction_per_request": False})
        self.storage = postgresql.load_from_config(config)

    def teardown_method(self, method=None):
        self.storage.client.engine.dispose()

    def query(self, sql):
        with self.storage.client.connect() as connection:
            return connection.execute(sql)

    def version(self):
        return self.query("SELECT value FROM metadata WHERE name = 'storage_schema_version'")

    def test_creates_the_schema_from_an_empty_database(self):
        self.storage.initialize_schema()
        assert self.version() == [(str(postgresql.SCHEMA_VERSION),)]
        record = self.storage.create("c", "p", {"a": 1})
        assert self.storage.get("c", "p", record["id"]) == record

    def test_is_a_no_op_on_an_up_to_date_schema(self):
        self.storage.initialize_schema()
        record = self.storage.create("c", "p", {"a": 1})
        migrator = Migrator(self.storage.client, "storage", postgresql.SCHEMA_VERSION,
                            postgresql._SQL_DIR)
        assert migrator.migrate() == []
        assert self.storage.get_all("c", "p") == ([record], 1)

    def test_dry_run_changes_nothing(self, caplog):
        with caplog.at_level(logging.INFO):
            self.storage.initialize_schema(dry_run=True)
        assert "CREATE TABLE IF NOT EXISTS records" in caplog.text
        assert self.query("SELECT to_regclass('records'), to_regclass('metadata')") == [
            (None, None)]

    def documents_tuning(self):
        """Statistics target of ``records.data`` and options of its GIN index."""
        return self.query(
            "SELECT attstattarget, (SELECT reloptions FROM pg_class"
            "  WHERE relname = 'idx_records_data') FROM pg_attribute"
            " WHERE attrelid = 'records'::regclass AND attname = 'data'")[0]

    def test_upgrades_a_version_1_database(self):
        self.storage.initialize_schema()
        assert self.documents_tuning() == (1, ["fastupdate=off"])
        record = self.storage.create("c", "p", {"a": 1})
        # Version 1 is version 2 with PostgreSQL's defaults for documents.
        self.query("ALTER TABLE records ALTER COLUMN data SET STATISTICS -1;"
                   "ALTER INDEX idx_records_data RESET (fastupdate);"
                   "UPDATE metadata SET value = '1' WHERE name = 'storage_schema_version'")
        assert self.documents_tuning() == (-1, None)
        self.storage.create("c", "p", {"a": 2})  # into the pending list
        self.storage.initialize_schema()
        assert self.version() == [(str(postgresql.SCHEMA_VERSION),)]
        assert self.documents_tuning() == (1, ["fastupdate=off"])
        assert self.storage.get_all("c", "p", filters=[Filter("a", 1, COMPARISON.EQ)]) == (
            [record], 1)

    def test_upgrades_version_2_to_a_collection_timestamp_in_plpgsql(self):
        self.storage.initialize_schema()
        record = self.storage.create("c", "p", {"a": 1})
        # Version 2 is version 3 with collection_timestamp() in SQL.
        self.query("""
            CREATE OR REPLACE FUNCTION collection_timestamp(parent TEXT, collection TEXT)
            RETURNS BIGINT AS $$
                SELECT COALESCE(
                    (NULLIF(current_setting('cliquet.timestamps', TRUE), '')::JSONB
                        ->> jsonb_build_array(parent, collection)::TEXT)::BIGINT,
                    (SELECT last_modified FROM timestamps
                      WHERE parent_id = parent AND collection_id = collection));
            $$ LANGUAGE SQL STABLE;
            UPDATE metadata SET value = '2' WHERE name = 'storage_schema_version'""")
        language = "SELECT lanname FROM pg_proc JOIN pg_language l ON l.oid = prolang" \
                   " WHERE proname = 'collection_timestamp'"
        assert self.query(language) == [("sql",)]
        self.storage.initialize_schema()
        assert self.version() == [("3",)]
        assert self.query(language) == [("plpgsql",)]
        assert self.storage.collection_timestamp("c", "p") == record["last_modified"]
        assert self.storage.collection_timestamp("other", "p") > 0  # created when missing
        # Within a transaction that wrote, the value it bumped (not yet in the table).
        with self.storage.client.connect() as connection:
            bumped = connection.execute(
                "SELECT bump_collection_timestamp('p', 'c', NULL); "
                "SELECT bump_collection_timestamp('p', 'c', NULL)")[0][0]
            seen = connection.execute("SELECT collection_timestamp('p', 'c')")[0][0]
            stored = connection.execute(
                "SELECT last_modified FROM timestamps WHERE parent_id = 'p'"
                " AND collection_id = 'c'")[0][0]
            connection.rollback()
        assert seen == bumped > stored

    def test_upgrades_step_by_step_from_every_earlier_version(self, tmp_path):
        self.storage.initialize_schema()
        self.query("UPDATE metadata SET value = '1' WHERE name = 'storage_schema_version'")
        (tmp_path / "schema.sql").write_text("SELECT 1;")
        (tmp_path / "migrations").mkdir()
        for version in (1, 2):
            (tmp_path / "migrations" / f"migration_00{version}_00{version + 1}.sql").write_text(
                f"CREATE TABLE step_{version} ();"
                f"UPDATE metadata SET value = '{version + 1}'"
                " WHERE name = 'storage_schema_version';")
        migrator = Migrator(self.storage.client, "storage", 3, str(tmp_path))
        assert len(migrator.migrate(dry_run=True)) == 2
        assert self.version() == [("1",)]
        assert len(migrator.migrate()) == 2
        assert self.version() == [("3",)]
        assert self.query("SELECT to_regclass('step_1') IS NOT NULL, "
                          "to_regclass('step_2') IS NOT NULL") == [(True, True)]

    def test_refuses_a_newer_or_unreachable_version(self, tmp_path):
        self.storage.initialize_schema()
        with pytest.raises(MigrationError):
            Migrator(self.storage.client, "storage", 0, postgresql._SQL_DIR).migrate()
        (tmp_path / "migrations").mkdir()
        with pytest.raises(MigrationError):
            Migrator(self.storage.client, "storage", postgresql.SCHEMA_VERSION + 1,
                     str(tmp_path)).migrate()

    def test_assumes_the_current_version_when_it_is_not_recorded(self, caplog):
        self.storage.initialize_schema()
        self.query("DELETE FROM metadata RETURNING name")
        with caplog.at_level(logging.WARNING):
            self.storage.initialize_schema()
        assert "No storage schema version found" in caplog.text

    def test_hooks_read_the_version_and_run_each_file(self, monkeypatch):
        assert self.storage._get_installed_version() is None
        self.storage.initialize_schema()
        assert self.storage._get_installed_version() == postgresql.SCHEMA_VERSION
        run = []
        monkeypatch.setattr(postgresql.Storage, "_execute_sql_file",
                            lambda storage, path: run.append(path))
        self.storage.initialize_schema()
        assert run == []  # up to date
        monkeypatch.setattr(self.storage, "schema_version", 5)
        monkeypatch.setattr(self.storage, "_get_installed_version", lambda: 2)
        self.storage.initialize_schema()
        assert run == [f"migrations/migration_00{v}_00{v + 1}.sql" for v in (2, 3, 4)]

    def test_metadata_without_a_version_is_version_1(self):
        self.storage.initialize_schema()
        self.query("DELETE FROM metadata WHERE name = 'storage_schema_version' RETURNING name")
        assert self.storage._get_installed_version() == 1
        self.storage.initialize_schema()  # runs the migrations from 001
        assert self.version() == [(str(postgresql.SCHEMA_VERSION),)]

    def test_a_version_below_1_is_refused_with_an_assertion_error(self, monkeypatch):
        self.storage.initialize_schema()
        monkeypatch.setattr(self.storage, "_get_installed_version", lambda: -1)
        with pytest.raises(AssertionError):
            self.storage.initialize_schema()

    def test_converts_a_cliquet_1_6_database(self):
        # The layout of Cliquet 1.6: no version row, rows keyed by user and resource.
        self.query("""
            CREATE TABLE metadata (name VARCHAR(128) NOT NULL, value VARCHAR(512) NOT NULL);
            INSERT INTO metadata VALUES ('created_at', NOW()::TEXT);
            CREATE FUNCTION as_epoch(ts TIMESTAMP) RETURNS BIGINT AS $$
                SELECT (EXTRACT(EPOCH FROM ts) * 1000)::BIGINT $$ LANGUAGE SQL IMMUTABLE;
            CREATE TABLE records (id UUID NOT NULL, user_id VARCHAR(256) NOT NULL,
                resource_name VARCHAR(256) NOT NULL, last_modified TIMESTAMP NOT NULL,
                data JSON NOT NULL DEFAULT '{}');
            CREATE TABLE deleted (id UUID, user_id VARCHAR(256) NOT NULL,
                resource_name VARCHAR(256) NOT NULL, last_modified TIMESTAMP NOT NULL);
            CREATE INDEX idx_records_last_modified ON records(last_modified);
            INSERT INTO deleted VALUES ('a0000000-0000-0000-0000-000000000000', 'u', 'r',
                                        '2016-01-01 00:00:00');""")
        row = self.query("""
            INSERT INTO records (id, user_id, resource_name, last_modified, data)
            VALUES ('b0000000-0000-0000-0000-000000000000', :user, 'r', NOW(), (:data)::JSON)
            RETURNING id, as_epoch(last_modified) AS last_modified""".replace(
            ":user", "'u'").replace(":data", "'{\"drink\": \"mate\"}'")).fetchone()
        assert self.storage._get_installed_version() == 1
        self.storage.initialize_schema()
        assert self.storage._get_installed_version() == postgresql.SCHEMA_VERSION
        record = {"drink": "mate", "id": str(row["id"]), "last_modified": row["last_modified"]}
        tombstone = {"id": "a0000000-0000-0000-0000-000000000000",
                     "last_modified": 1451606400000, "deleted": True}
        assert self.storage.get_all("r", "u", include_deleted=True,
                                    sorting=[Sort("last_modified", 1)]) == (
            [tombstone, record], 1)
        created = self.storage.create("r", "u", {"drink": "tea"})
        assert created["last_modified"] > record["last_modified"]

    def test_refuses_a_database_that_is_not_utf8(self):
        url = scratch_database("ascii", encoding="SQL_ASCII")
        config = Configurator(settings={"storage_url": url, "transaction_per_request": False})
        storage = postgresql.load_from_config(config)
        with pytest.raises(MigrationError):
            storage.initialize_schema()
        storage.client.engine.dispose()


@pytest.mark.parametrize("module", [memory, redis, postgresql])
def test_backend_overrides_every_base_method(module):
    # Defaults made of the backend's own methods, kept where they cost no more.
    composed = {"get_all_with_timestamp"} if module is not postgresql else set()
    for name, member in vars(StorageBase).items():
        if inspect.isfunction(member) and not name.startswith("_") and name not in composed:
            assert getattr(module.Storage, name) is not member, name


def test_base_methods_raise_not_implemented():
    base = StorageBase()
    for name, member in vars(StorageBase).items():
        if inspect.isfunction(member) and not name.startswith("_"):
            parameters = list(inspect.signature(member).parameters.values())[1:]
            args = [None for p in parameters if p.default is inspect.Parameter.empty]
            with pytest.raises(NotImplementedError):
                getattr(base, name)(*args)


def test_a_backend_written_for_3_1_lists_with_its_timestamp_through_its_methods():
    calls = []

    class Legacy(StorageBase):
        def collection_timestamp(self, collection_id, parent_id, auth=None):
            calls.append("collection_timestamp")
            return 42

        def get_all(self, collection_id, parent_id, filters=None, sorting=None,
                    pagination_rules=None, limit=None, include_deleted=False, id_field="id",
                    modified_field="last_modified", deleted_field="deleted", auth=None):
            calls.append("get_all")
            return [{"id": "a", "last_modified": 41}], 1

    assert Legacy().get_all_with_timestamp("c", "p", count=False) == (
        [{"id": "a", "last_modified": 41}], 1, 42)
    assert calls == ["collection_timestamp", "get_all"]  # the timestamp first


def test_a_backend_without_get_for_update_reads_with_get():
    """A backend written for Cliquet 3.1 keeps working, without holding anything."""

    class Legacy(StorageBase):
        def get(self, collection_id, parent_id, object_id, id_field="id",
                modified_field="last_modified", auth=None):
            return {id_field: object_id, "from": "get"}

    assert Legacy().get_for_update("c", "p", "i") == {"id": "i", "from": "get"}

    class Duck:  # not even a StorageBase
        def get(self, **kwargs):
            return {"id": kwargs["object_id"], "from": "get"}

    model = Model(Duck(), collection_id="c", parent_id="p")
    model.for_update = True
    assert model.get_record("i") == {"id": "i", "from": "get"}


def test_generators():
    uuid = generators.UUID4()
    assert uuid.match(uuid()) and not uuid.match(uuid().upper()) and not uuid.match(None)
    assert generators.Generator.regexp == r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
    with pytest.raises(NotImplementedError):
        generators.Generator()

    class Bad(generators.Generator):
        def __call__(self):
            return "not valid!"

    with pytest.raises(AssertionError):
        Bad()


def test_exceptions():
    original = ValueError("boom")
    error = BackendError(original=original)
    assert (error.original, str(error)) == (original, "ValueError: boom")
    assert str(BackendError(original, "custom")) == "custom"
    conflict = UnicityError("email", {"id": "a"})
    assert (conflict.field, conflict.record) == ("email", {"id": "a"})
    assert isinstance(conflict, BackendError) and conflict.msg
