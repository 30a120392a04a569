"""Shared fixture of the storage conformance suite (see :mod:`cliquet.storage.testing`)."""
from typing import Any, ClassVar

from pyramid.config import Configurator

from cliquet._defaults import DEFAULT_SETTINGS
from cliquet.storage import Filter
from cliquet.utils import COMPARISON


class BaseStorageTest:
    """Builds ``self.storage`` from ``backend`` and ``settings`` for each test.

    ``settings`` are merged over :data:`cliquet.DEFAULT_SETTINGS`, as in an
    application and as the cache and permission suites do, except
    ``transaction_per_request``: off unless ``settings`` turn it on, since the
    suite calls the backend outside any request (each call commits, as it
    did when the suite built backends from bare settings).
    """

    #: What the suite merges ``settings`` over.
    default_settings: ClassVar[dict] = {**DEFAULT_SETTINGS, "transaction_per_request": False}

    backend: Any = None  # the backend module under test
    settings: ClassVar[dict] = {}
    down_settings: ClassVar[dict | None] = None

    def setup_method(self, method=None):
        self.storage = self.load_storage(self.settings)
        self.storage.initialize_schema()
        self.storage.flush()
        self.kw = {"collection_id": "test", "parent_id": "1234", "auth": "Basic bWF0OjI="}
        self.other_parent = dict(self.kw, parent_id="5678")
        self.other_collection = dict(self.kw, collection_id="other")
        self.record = {"foo": "bar"}

    def teardown_method(self, method=None):
        self.storage.flush()

    def load_storage(self, settings):
        config = Configurator(settings={**self.default_settings, **settings})
        return self.backend.load_from_config(config)

    def create_record(self, record=None, **kw):
        return self.storage.create(record=dict(record or self.record), **{**self.kw, **kw})

    def get_all(self, **kw):
        return self.storage.get_all(**{**self.kw, **kw})

    def ids(self, records):
        return [r["id"] for r in records]


def pagination_rules(sorting, last_record) -> list:
    """Keyset rules of the page after ``last_record``, built as the resources do.

    See docs/protocol.rst, "Pagination".
    """
    rules = []
    for k in range(len(sorting), 0, -1):
        rule = [Filter(s.field, last_record.get(s.field), COMPARISON.EQ) for s in sorting[:k - 1]]
        field, direction = sorting[k - 1]
        operator = COMPARISON.GT if direction > 0 else COMPARISON.LT
        rule.append(Filter(field, last_record.get(field), operator))
        rules.append(rule)
    return rules


def paginate(storage, sorting, limit, **kw) -> tuple[list, list]:
    """Walk every page; return the records in order and the totals of each page."""
    records, totals, rules = [], [], None
    while True:
        page, total = storage.get_all(sorting=sorting, limit=limit, pagination_rules=rules, **kw)
        records += page
        totals.append(total)
        if len(page) < limit:
            return records, totals
        rules = pagination_rules(sorting, page[-1])
