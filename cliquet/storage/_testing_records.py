"""Conformance tests of writes, reads, scoping and timestamps."""
import time
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest

from cliquet.storage import Filter, StorageBase, heartbeat
from cliquet.storage._testing_base import BaseStorageTest
from cliquet.storage.exceptions import BackendError, RecordNotFoundError, UnicityError
from cliquet.utils import COMPARISON

# The storage API calls each test of ``BackendDownTest`` makes.
_ALL_CALLS = [
    ("collection_timestamp", {}),
    ("create", {"record": {"a": 1}}),
    ("get", {"object_id": "abc"}),
    ("update", {"object_id": "abc", "record": {"a": 1}}),
    ("delete", {"object_id": "abc"}),
    ("delete_all", {"filters": [Filter("a", 1, COMPARISON.EQ)]}),
    ("purge_deleted", {}),
    ("get_all", {}),
]


class BackendTest(BaseStorageTest):
    def test_storage_is_a_storage_base(self):
        assert isinstance(self.storage, StorageBase)

    def test_initialize_schema_is_idempotent(self):
        self.create_record()
        self.storage.initialize_schema()
        assert self.get_all()[1] == 1

    def test_flush_removes_everything(self):
        self.create_record()
        self.create_record(**self.other_parent)
        self.storage.delete(object_id=self.create_record()["id"], **self.kw)
        self.storage.flush()
        assert self.get_all(include_deleted=True) == ([], 0)
        assert self.get_all(**self.other_parent) == ([], 0)

    def test_ping_returns_true_when_working(self):
        ping = heartbeat(self.storage)
        request = mock.Mock()
        for readonly, rate in ((False, 0.1), (False, 0.9), (True, 0.5)):
            request.registry.settings = {"readonly": readonly}
            with mock.patch("cliquet.storage.random.random", return_value=rate):
                assert ping(request) is True

    def test_ping_in_readonly_mode_does_not_write(self):
        request = mock.Mock()
        request.registry.settings = {"readonly": "true"}
        with mock.patch("cliquet.storage.random.random", return_value=0.9):
            assert heartbeat(self.storage)(request) is True
        records, _ = self.storage.get_all("__heartbeat__", "__heartbeat__")
        assert records == []


class BackendDownTest(BaseStorageTest):
    def load_down_storage(self):
        if self.down_settings is None:
            pytest.skip("This backend has no server that can be down")
        return self.load_storage({**self.settings, **self.down_settings})

    @pytest.mark.parametrize("method,kwargs", _ALL_CALLS, ids=[c[0] for c in _ALL_CALLS])
    def test_every_call_raises_backend_error_when_server_is_down(self, method, kwargs):
        storage = self.load_down_storage()
        started = time.monotonic()
        with pytest.raises(BackendError) as excinfo:
            getattr(storage, method)(**self.kw, **kwargs)
        assert excinfo.value.original is not None
        assert time.monotonic() - started < 10

    def test_flush_raises_backend_error(self):
        with pytest.raises(BackendError):
            self.load_down_storage().flush()

    def test_ping_returns_false_when_server_is_down(self):
        ping = heartbeat(self.load_down_storage())
        request = mock.Mock()
        for readonly, rate in ((False, 0.1), (False, 0.9), (True, 0.5)):
            request.registry.settings = {"readonly": readonly}
            with mock.patch("cliquet.storage.random.random", return_value=rate):
                assert ping(request) is False


class CRUDTest(BaseStorageTest):
    def test_create_adds_id_and_last_modified(self):
        record = self.create_record()
        assert self.storage.id_generator.match(record["id"])
        assert isinstance(record["last_modified"], int)
        assert record["foo"] == "bar"

    def test_create_does_not_modify_the_given_record(self):
        given = {"foo": "bar", "nested": {"a": [1]}}
        self.storage.create(record=given, **self.kw)
        assert given == {"foo": "bar", "nested": {"a": [1]}}

    def test_create_uses_the_given_id_generator(self):
        record = self.storage.create(record={}, id_generator=lambda: "my-id", **self.kw)
        assert record["id"] == "my-id"

    def test_create_keeps_a_client_id(self):
        record = self.create_record({"id": "abc", "x": 1})
        assert self.storage.get(object_id="abc", **self.kw) == record

    def test_create_with_an_existing_id_raises_unicity_error(self):
        existing = self.create_record({"id": "abc", "x": 1})
        with pytest.raises(UnicityError) as excinfo:
            self.create_record({"id": "abc", "x": 2})
        assert excinfo.value.field == "id"
        assert excinfo.value.record == existing

    def test_get_returns_the_stored_record(self):
        record = self.create_record({"a": {"b": [1, 2.5, None, True, "é"]}})
        assert self.storage.get(object_id=record["id"], **self.kw) == record

    def test_returned_records_are_copies(self):
        record = self.create_record({"a": {"b": [1]}})
        record["a"]["b"].append(2)
        fetched = self.storage.get(object_id=record["id"], **self.kw)
        fetched["a"]["b"].append(3)
        self.get_all()[0][0]["a"]["b"].append(4)
        assert self.storage.get(object_id=record["id"], **self.kw)["a"] == {"b": [1]}

    def test_get_raises_when_missing(self):
        with pytest.raises(RecordNotFoundError):
            self.storage.get(object_id="missing", **self.kw)

    def test_update_replaces_the_whole_record(self):
        record = self.create_record({"a": 1, "b": 2})
        updated = self.storage.update(object_id=record["id"], record={"a": 3}, **self.kw)
        assert updated == {"id": record["id"], "a": 3, "last_modified": updated["last_modified"]}
        assert self.storage.get(object_id=record["id"], **self.kw) == updated
        assert updated["last_modified"] > record["last_modified"]

    def test_update_creates_a_missing_record_and_forces_the_id(self):
        updated = self.storage.update(object_id="new", record={"id": "other", "a": 1}, **self.kw)
        assert updated["id"] == "new"
        assert self.storage.get(object_id="new", **self.kw) == updated
        assert self.get_all()[1] == 1

    def test_update_does_not_modify_the_given_record(self):
        given = {"a": [1]}
        self.storage.update(object_id="x", record=given, **self.kw)
        assert given == {"a": [1]}

    def test_delete_returns_a_tombstone(self):
        record = self.create_record()
        tombstone = self.storage.delete(object_id=record["id"], **self.kw)
        assert tombstone == {"id": record["id"], "last_modified": tombstone["last_modified"],
                             "deleted": True}
        assert tombstone["last_modified"] > record["last_modified"]
        with pytest.raises(RecordNotFoundError):
            self.storage.get(object_id=record["id"], **self.kw)

    def test_delete_raises_when_missing_or_already_deleted(self):
        with pytest.raises(RecordNotFoundError):
            self.storage.delete(object_id="missing", **self.kw)
        record = self.create_record()
        self.storage.delete(object_id=record["id"], **self.kw)
        with pytest.raises(RecordNotFoundError):
            self.storage.delete(object_id=record["id"], **self.kw)

    def test_delete_all_deletes_matching_records(self):
        for i in range(5):
            self.create_record({"n": i})
        tombstones = self.storage.delete_all(filters=[Filter("n", 2, COMPARISON.MIN)], **self.kw)
        assert len(tombstones) == 3
        assert all(t["deleted"] is True for t in tombstones)
        assert sorted(r["n"] for r in self.get_all()[0]) == [0, 1]

    def test_delete_all_without_filters_deletes_everything(self):
        for _ in range(3):
            self.create_record()
        assert len(self.storage.delete_all(**self.kw)) == 3
        assert self.get_all() == ([], 0)

    def test_get_all_returns_records_and_total(self):
        created = [self.create_record({"n": i}) for i in range(4)]
        records, total = self.get_all()
        assert total == 4
        assert sorted(records, key=lambda r: r["n"]) == created

    def test_get_all_on_an_empty_collection(self):
        assert self.get_all() == ([], 0)


class ParentScopingTest(BaseStorageTest):
    def test_records_are_isolated_by_parent_and_collection(self):
        record = self.create_record({"id": "same"})
        self.create_record({"id": "same"}, **self.other_parent)
        self.create_record({"id": "same"}, **self.other_collection)
        assert self.get_all()[1] == 1
        self.storage.delete(object_id="same", **self.other_parent)
        assert self.storage.get(object_id="same", **self.kw) == record
        self.storage.delete_all(**self.other_collection)
        assert self.get_all()[1] == 1
        assert self.get_all(include_deleted=True, **self.other_parent)[0][0]["deleted"]
        assert self.storage.purge_deleted(**self.other_parent) == 1
        assert self.get_all(include_deleted=True, **self.other_collection)[0] != []

    def test_unicity_is_checked_within_a_collection_only(self):
        self.create_record({"email": "a@b"})
        self.create_record({"email": "a@b"}, unique_fields=("email",), **self.other_parent)
        self.create_record({"email": "a@b"}, unique_fields=("email",), **self.other_collection)


class TimestampsTest(BaseStorageTest):
    def test_timestamp_of_an_unknown_collection_is_now_and_stays(self):
        before = int(time.time() * 1000)
        first = self.storage.collection_timestamp(**self.kw)
        time.sleep(0.005)
        assert before - 1000 <= first <= int(time.time() * 1000) + 1000
        assert self.storage.collection_timestamp(**self.kw) == first

    def test_every_write_bumps_the_timestamp_to_the_record_value(self):
        record = self.create_record()
        assert self.storage.collection_timestamp(**self.kw) == record["last_modified"]
        updated = self.storage.update(object_id=record["id"], record={"a": 1}, **self.kw)
        assert updated["last_modified"] > record["last_modified"]
        assert self.storage.collection_timestamp(**self.kw) == updated["last_modified"]
        tombstone = self.storage.delete(object_id=record["id"], **self.kw)
        assert tombstone["last_modified"] > updated["last_modified"]
        assert self.storage.collection_timestamp(**self.kw) == tombstone["last_modified"]

    def test_quick_writes_get_strictly_increasing_timestamps(self):
        stamps = [self.create_record()["last_modified"] for _ in range(30)]
        assert stamps == sorted(set(stamps))

    def test_timestamp_follows_a_previous_one_in_the_future(self):
        future = int(time.time() * 1000) + 3_600_000
        self.create_record({"last_modified": future})
        assert self.create_record()["last_modified"] == future + 1

    def test_delete_all_gives_each_tombstone_its_own_timestamp(self):
        last = max(self.create_record()["last_modified"] for _ in range(5))
        stamps = [t["last_modified"] for t in self.storage.delete_all(**self.kw)]
        assert len(set(stamps)) == 5 and min(stamps) > last
        assert self.storage.collection_timestamp(**self.kw) == max(stamps)

    def test_timestamps_are_per_collection_and_parent(self):
        record = self.create_record({"last_modified": 1000})
        self.create_record({"last_modified": 5000}, **self.other_parent)
        assert self.storage.collection_timestamp(**self.kw) == record["last_modified"] == 1000
        assert self.storage.collection_timestamp(**self.other_parent) == 5000

    def test_purge_deleted_does_not_bump_the_timestamp(self):
        self.storage.delete(object_id=self.create_record()["id"], **self.kw)
        before = self.storage.collection_timestamp(**self.kw)
        self.storage.purge_deleted(**self.kw)
        assert self.storage.collection_timestamp(**self.kw) == before

    def test_concurrent_writers_get_distinct_increasing_timestamps(self):
        def write(n):
            mine = [self.create_record({"n": n})["last_modified"] for _ in range(15)]
            assert mine == sorted(set(mine))
            return mine

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = [future.result() for future in [pool.submit(write, n) for n in range(6)]]
        stamps = [stamp for result in results for stamp in result]
        assert len(set(stamps)) == len(stamps) == 90
        assert self.storage.collection_timestamp(**self.kw) == max(stamps)


class ForcedTimestampsTest(BaseStorageTest):
    def test_create_keeps_a_forced_timestamp_greater_than_the_collection_one(self):
        previous = self.create_record()["last_modified"]
        record = self.create_record({"last_modified": previous + 10})
        assert record["last_modified"] == previous + 10
        assert self.storage.collection_timestamp(**self.kw) == previous + 10

    def test_an_older_forced_timestamp_is_kept_and_the_collection_one_increments(self):
        previous = self.create_record()["last_modified"]
        record = self.create_record({"last_modified": previous - 100})
        assert record["last_modified"] == previous - 100
        assert self.get_all(filters=[Filter("id", record["id"], COMPARISON.EQ)])[0] == [record]
        assert self.storage.collection_timestamp(**self.kw) == previous + 1

    def test_update_keeps_a_forced_timestamp(self):
        record = self.create_record()
        forced = record["last_modified"] + 50
        updated = self.storage.update(object_id=record["id"],
                                      record={"last_modified": forced}, **self.kw)
        assert updated["last_modified"] == forced
        assert self.storage.get(object_id=record["id"], **self.kw)["last_modified"] == forced
        assert self.storage.collection_timestamp(**self.kw) == forced

    def test_delete_uses_a_forced_timestamp(self):
        record = self.create_record()
        forced = record["last_modified"] + 20
        tombstone = self.storage.delete(object_id=record["id"], last_modified=forced, **self.kw)
        assert tombstone["last_modified"] == forced
        stored, _ = self.get_all(include_deleted=True)
        assert stored == [tombstone]
        assert self.storage.collection_timestamp(**self.kw) == forced
