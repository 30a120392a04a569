"""Conformance suite that every storage backend runs.

Plain mixins, so importing them never makes pytest collect them unbound. A
backend's test is a few lines::

    from cliquet.storage.testing import StorageTest

    class TestMyStorage(StorageTest):
        backend = my_package.storage          # exposes load_from_config(config)
        settings = {"storage_url": "..."}
        down_settings = {"storage_url": "<an unreachable server>"}  # optional

Each test builds the backend with ``backend.load_from_config(config)``, where
``config`` is a ``pyramid.config.Configurator(settings=settings)``.
"""
from cliquet.storage._testing_base import BaseStorageTest, paginate, pagination_rules
from cliquet.storage._testing_locks import ReadForUpdateTest
from cliquet.storage._testing_queries import (
    DeletedRecordsTest,
    FiltersTest,
    PaginationTest,
    SortingTest,
    UnicityTest,
)
from cliquet.storage._testing_records import (
    BackendDownTest,
    BackendTest,
    CRUDTest,
    ForcedTimestampsTest,
    ParentScopingTest,
    TimestampsTest,
)

__all__ = [
    "BackendDownTest", "BackendTest", "BaseStorageTest", "CRUDTest", "DeletedRecordsTest",
    "FiltersTest", "ForcedTimestampsTest", "PaginationTest", "ParentScopingTest",
    "ReadForUpdateTest", "SortingTest", "StorageTest", "TimestampsTest", "UnicityTest", "paginate",
    "pagination_rules",
]


class StorageTest(BackendTest, BackendDownTest, CRUDTest, ParentScopingTest, TimestampsTest,
                  ForcedTimestampsTest, DeletedRecordsTest, FiltersTest, SortingTest,
                  PaginationTest, UnicityTest, ReadForUpdateTest):
    """The whole storage conformance suite."""
