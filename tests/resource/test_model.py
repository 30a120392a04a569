"""Models over the real backends (PROTOCOL §6.7)."""
import pytest

from cliquet.resource.model import Model, ShareableModel
from cliquet.storage import Filter, Sort
from cliquet.storage.exceptions import RecordNotFoundError, UnicityError
from cliquet.utils import COMPARISON


@pytest.fixture
def registry(app):
    return app.app.registry


@pytest.fixture
def model(registry):
    return Model(registry.storage, id_generator=registry.id_generator,
                 collection_id="thing", parent_id="alice", auth="Basic xx")


@pytest.fixture
def shareable(registry):
    model = ShareableModel(registry.storage, id_generator=registry.id_generator,
                           collection_id="article", parent_id="")
    model.permission = registry.permission
    model.current_principal = "basicauth:alice"
    model.get_permission_object_id = lambda record_id: f"/articles/{record_id}"
    return model


def test_field_names():
    assert (Model.id_field, Model.modified_field, Model.deleted_field) == (
        "id", "last_modified", "deleted")
    assert ShareableModel.permissions_field == "__permissions__"


def test_crud(model):
    timestamp = model.timestamp()
    assert model.timestamp() == timestamp
    record = model.create_record({"title": "a"})
    assert record["last_modified"] > timestamp
    assert model.get_record(record["id"]) == record
    updated = model.update_record({"id": record["id"], "title": "b"})
    assert updated["title"] == "b" and updated["last_modified"] > record["last_modified"]
    tombstone = model.delete_record(updated)
    assert tombstone["deleted"] is True
    with pytest.raises(RecordNotFoundError):
        model.get_record(record["id"])


def test_forced_tombstone_timestamp(model):
    record = model.create_record({})
    forced = record["last_modified"] + 1000
    assert model.delete_record(record, last_modified=forced)["last_modified"] == forced


def test_get_records_and_delete_records(model):
    for rank in range(4):
        model.create_record({"rank": rank})
    records, total = model.get_records(filters=[Filter("rank", 1, COMPARISON.GT)],
                                       sorting=[Sort("rank", 1)], limit=1)
    assert [r["rank"] for r in records] == [2] and total == 2
    deleted = model.delete_records(filters=[Filter("rank", 2, COMPARISON.MIN)])
    assert len(deleted) == 2
    records, total = model.get_records(include_deleted=True,
                                       filters=[Filter("last_modified", 0, COMPARISON.GT)])
    assert total == 2 and len(records) == 4


def test_parent_id_argument(model):
    record = model.create_record({}, parent_id="bob")
    assert model.get_records()[1] == 0
    assert model.get_records(parent_id="bob")[1] == 1
    assert model.get_record(record["id"], parent_id="bob") == record


def test_unique_fields(model):
    model.create_record({"code": 1})
    with pytest.raises(UnicityError):
        model.create_record({"code": 1}, unique_fields=("code",))


def test_shareable_create_adds_the_principal_to_write(shareable, registry):
    record = shareable.create_record({"title": "a",
                                      "__permissions__": {"read": ["group:x"]}})
    assert record["__permissions__"] == {"read": {"group:x"}, "write": {"basicauth:alice"}}
    stored = registry.storage.get("article", "", record["id"])
    assert "__permissions__" not in stored
    assert shareable.get_record(record["id"])["__permissions__"] == record["__permissions__"]


def test_shareable_update_replaces_given_permissions(shareable):
    record = shareable.create_record({"__permissions__": {"read": ["group:x"]}})
    updated = shareable.update_record({"id": record["id"],
                                       "__permissions__": {"write": ["group:w"]}})
    assert updated["__permissions__"] == {"read": {"group:x"},
                                          "write": {"group:w", "basicauth:alice"}}
    updated = shareable.update_record({"id": record["id"]})
    assert updated["__permissions__"]["read"] == {"group:x"}


def test_shareable_deletes_remove_aces(shareable, registry):
    first = shareable.create_record({})
    second = shareable.create_record({})
    shareable.delete_record(first)
    assert registry.permission.object_permissions(f"/articles/{first['id']}") == {}
    shareable.delete_records()
    assert registry.permission.object_permissions(f"/articles/{second['id']}") == {}


def test_records_with_timestamp(model):
    """The page and the timestamp, as ``get_records`` and ``timestamp`` give them."""
    first = model.create_record({"title": "a"})
    second = model.create_record({"title": "b"})
    sorting = [Sort("last_modified", -1)]
    assert model.get_records_with_timestamp(sorting=sorting) == (
        [second, first], 2, second["last_modified"])
    assert model.get_records_with_timestamp(
        filters=[Filter("title", "a", COMPARISON.EQ)], sorting=sorting, limit=1,
        count=False)[::2] == ([first], second["last_modified"])


def test_records_with_timestamp_of_a_model_that_replaces_its_reads(model, registry):
    """A model overriding ``get_records`` or ``timestamp`` (or patched) is read through them."""
    calls = []

    class Custom(Model):
        def get_records(self, *args, **kwargs):
            calls.append("get_records")
            return [], 0

    custom = Custom(registry.storage, collection_id="thing", parent_id="alice")
    assert custom.get_records_with_timestamp() == ([], 0, custom.timestamp())
    model.timestamp = lambda parent_id=None: calls.append("timestamp") or 7
    assert model.get_records_with_timestamp()[2] == 7
    assert calls == ["get_records", "timestamp"]
