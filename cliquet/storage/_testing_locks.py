"""Conformance tests of records read for update (``get_for_update``)."""
import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import transaction

from cliquet.storage import StorageBase
from cliquet.storage._testing_base import BaseStorageTest
from cliquet._transaction import UndoLog
from cliquet.storage.exceptions import RecordNotFoundError

# How long a holder keeps a record before writing it: a reader that did not
# wait for the holder reads the record as it was before.
_HOLD_SECONDS = 0.3


class ReadForUpdateTest(BaseStorageTest):
    """A record id read for update is held until the request transaction ends.

    A request transaction is a zope ``transaction`` joined by an
    :class:`~cliquet._transaction.UndoLog`, as ``transaction_per_request``
    makes every request's. Backends keeping the default
    :meth:`StorageBase.get_for_update` (which holds nothing) skip the tests of
    holding.
    """

    _request_storage = None

    def request_storage(self):
        """The backend as requests use it (``transaction_per_request`` on),
        sharing its records with ``self.storage``.

        An instance loaded with that setting, unless the records written by
        ``self.storage`` are not found there (every instance of a memory-like
        backend has records of its own): ``self.storage`` then.
        """
        if self._request_storage is None:
            storage = self.load_storage({**self.settings, "transaction_per_request": True})
            probe = {"collection_id": "__probe__", "parent_id": "__probe__"}
            record = self.storage.create(record={}, **probe)
            try:
                with self.request_transaction():
                    storage.get(object_id=record["id"], **probe)
            except RecordNotFoundError:
                self._close(storage)
                storage = self.storage
            finally:
                self.storage.delete(object_id=record["id"], with_deleted=False, **probe)
            self._request_storage = storage
        return self._request_storage

    def teardown_method(self, method=None):
        super().teardown_method(method)
        storage, self._request_storage = self._request_storage, None
        if storage is not None and storage is not self.storage:
            self._close(storage)

    @staticmethod
    def _close(storage):
        """Close the pool of a backend that has one (PostgreSQL)."""
        close = getattr(getattr(storage, "client", None), "close", None)
        if close is not None:
            close()

    @contextlib.contextmanager
    def request_transaction(self):
        """A request transaction of the current thread, committed at the end."""
        with transaction.manager as current:
            UndoLog(transaction.manager).join(current)
            yield current

    def skip_unless_holding(self):
        if type(self.storage).get_for_update is StorageBase.get_for_update:
            pytest.skip("This backend holds nothing (the default get_for_update)")

    def in_threads(self, *functions):
        """Run the functions in threads of their own; their results, in order."""
        with ThreadPoolExecutor(max_workers=len(functions)) as pool:
            futures = [pool.submit(function) for function in functions]
            return [future.result(timeout=30) for future in futures]

    def test_get_for_update_reads_as_get(self):
        record = self.create_record({"a": {"b": [1]}})
        assert self.storage.get_for_update(object_id=record["id"], **self.kw) == record
        with pytest.raises(RecordNotFoundError):
            self.storage.get_for_update(object_id="missing", **self.kw)
        storage = self.request_storage()
        with self.request_transaction():
            assert storage.get_for_update(object_id=record["id"], **self.kw) == record
            with pytest.raises(RecordNotFoundError):
                storage.get_for_update(object_id="missing", **self.kw)

    def test_a_held_record_is_read_once_its_holder_committed(self):
        self.skip_unless_holding()
        storage = self.request_storage()
        record_id = self.create_record({"n": 0})["id"]
        held = threading.Event()

        def holder():
            with self.request_transaction():
                assert storage.get_for_update(object_id=record_id, **self.kw)["n"] == 0
                held.set()
                time.sleep(_HOLD_SECONDS)
                storage.update(object_id=record_id, record={"n": 1}, **self.kw)

        def reader():
            held.wait(10)
            with self.request_transaction():
                return storage.get_for_update(object_id=record_id, **self.kw)["n"]

        assert self.in_threads(holder, reader)[1] == 1

    def test_an_aborted_holder_releases_the_record_as_it_was(self):
        self.skip_unless_holding()
        storage = self.request_storage()
        record_id = self.create_record({"n": 0})["id"]
        held = threading.Event()

        def holder():
            with pytest.raises(ZeroDivisionError), self.request_transaction():
                storage.get_for_update(object_id=record_id, **self.kw)
                storage.update(object_id=record_id, record={"n": 1}, **self.kw)
                held.set()
                time.sleep(_HOLD_SECONDS)
                1 / 0  # noqa: B018

        def reader():
            held.wait(10)
            with self.request_transaction():
                return storage.get_for_update(object_id=record_id, **self.kw)["n"]

        assert self.in_threads(holder, reader)[1] == 0  # undone before released

    def test_an_id_without_record_is_held_too(self):
        self.skip_unless_holding()
        storage = self.request_storage()
        held = threading.Event()

        def holder():
            with self.request_transaction():
                with pytest.raises(RecordNotFoundError):
                    storage.get_for_update(object_id="new", **self.kw)
                held.set()
                time.sleep(_HOLD_SECONDS)
                storage.create(record={"id": "new", "n": 1}, **self.kw)

        def reader():
            held.wait(10)
            with self.request_transaction():
                return storage.get_for_update(object_id="new", **self.kw)["n"]

        assert self.in_threads(holder, reader)[1] == 1

    def test_a_transaction_reads_its_held_record_again_without_waiting(self):
        self.skip_unless_holding()
        storage = self.request_storage()
        record_id = self.create_record({"n": 0})["id"]
        with self.request_transaction():
            storage.get_for_update(object_id=record_id, **self.kw)
            storage.update(object_id=record_id, record={"n": 1}, **self.kw)
            started = time.monotonic()
            assert storage.get_for_update(object_id=record_id, **self.kw)["n"] == 1
            assert time.monotonic() - started < 1

    def test_other_records_and_reads_outside_a_transaction_do_not_wait(self):
        self.skip_unless_holding()
        storage = self.request_storage()
        record_id = self.create_record({"n": 0})["id"]
        other_id = self.create_record({"n": 0})["id"]
        held, done = threading.Event(), threading.Event()

        def holder():
            with self.request_transaction():
                storage.get_for_update(object_id=record_id, **self.kw)
                held.set()
                done.wait(10)

        def others():
            held.wait(10)
            try:
                started = time.monotonic()
                with self.request_transaction():
                    storage.get_for_update(object_id=other_id, **self.kw)
                    with pytest.raises(RecordNotFoundError):  # same id, other parent
                        storage.get_for_update(object_id=record_id, **self.other_parent)
                self.storage.get_for_update(object_id=record_id, **self.kw)  # no transaction
                return time.monotonic() - started
            finally:
                done.set()

        assert self.in_threads(holder, others)[1] < 1

    def skip_unless_holding_collections(self):
        if type(self.storage).collection_timestamp_for_update is \
                StorageBase.collection_timestamp_for_update:
            pytest.skip("This backend holds no collection "
                        "(the default collection_timestamp_for_update)")

    def test_collection_timestamp_for_update_reads_as_collection_timestamp(self):
        self.create_record()
        expected = self.storage.collection_timestamp(**self.kw)
        assert self.storage.collection_timestamp_for_update(**self.kw) == expected
        storage = self.request_storage()
        with self.request_transaction():
            assert storage.collection_timestamp_for_update(**self.kw) == expected
            created = storage.create(record={}, **self.kw)
            # Read again after a write of the holder: the new timestamp, at once.
            assert storage.collection_timestamp_for_update(**self.kw) == \
                created["last_modified"]

    def test_writes_to_a_held_collection_wait_for_its_holder(self):
        self.skip_unless_holding_collections()
        storage = self.request_storage()
        record_id = self.create_record({"n": 0})["id"]
        held = threading.Event()

        def holder():
            with self.request_transaction():
                timestamp = storage.collection_timestamp_for_update(**self.kw)
                held.set()
                time.sleep(_HOLD_SECONDS)
                # Nobody wrote meanwhile: what was checked still holds.
                assert storage.collection_timestamp(**self.kw) == timestamp
                return storage.create(record={"by": "holder"}, **self.kw)["last_modified"]

        def writer(write):
            held.wait(10)
            with self.request_transaction():
                return write()["last_modified"]

        holder_stamp, *stamps = self.in_threads(
            holder,
            lambda: writer(lambda: storage.create(record={"by": "writer"}, **self.kw)),
            lambda: writer(lambda: storage.update(object_id=record_id, record={"n": 1},
                                                  **self.kw)),
            lambda: writer(lambda: storage.delete_all(**self.kw)[0]))
        assert all(stamp > holder_stamp for stamp in stamps)

    def test_other_collections_are_not_held(self):
        self.skip_unless_holding_collections()
        storage = self.request_storage()
        self.create_record()  # a collection that has a timestamp: reading it never waits
        held, done = threading.Event(), threading.Event()

        def holder():
            with self.request_transaction():
                storage.collection_timestamp_for_update(**self.kw)
                held.set()
                done.wait(10)

        def others():
            held.wait(10)
            try:
                started = time.monotonic()
                with self.request_transaction():
                    storage.create(record={}, **self.other_parent)
                    storage.collection_timestamp_for_update(**self.other_parent)
                self.storage.collection_timestamp(**self.kw)  # reading does not wait
                return time.monotonic() - started
            finally:
                done.set()

        assert self.in_threads(holder, others)[1] < 1
