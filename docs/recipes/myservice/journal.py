"""A storage backend: the memory one, plus a journal of every write."""
import json

from cliquet.storage import memory


class Storage(memory.Storage):
    """Keeps records in memory and appends each change to a JSON-lines file.

    :param journal_path: the file, created if missing.
    """

    def __init__(self, journal_path, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.journal_path = journal_path

    def _write(self, action, collection_id, parent_id, records):
        with open(self.journal_path, "a", encoding="utf-8") as journal:
            for record in records:
                line = {"action": action, "collection": collection_id,
                        "parent": parent_id, "record": record}
                journal.write(json.dumps(line) + "\n")

    def create(self, collection_id, parent_id, record, **kwargs):
        created = super().create(collection_id, parent_id, record, **kwargs)
        self._write("create", collection_id, parent_id, [created])
        return created

    def update(self, collection_id, parent_id, object_id, record, **kwargs):
        updated = super().update(collection_id, parent_id, object_id, record, **kwargs)
        self._write("update", collection_id, parent_id, [updated])
        return updated

    def delete(self, collection_id, parent_id, object_id, **kwargs):
        tombstone = super().delete(collection_id, parent_id, object_id, **kwargs)
        self._write("delete", collection_id, parent_id, [tombstone])
        return tombstone

    def delete_all(self, collection_id, parent_id, filters=None, **kwargs):
        tombstones = super().delete_all(collection_id, parent_id, filters, **kwargs)
        self._write("delete", collection_id, parent_id, tombstones)
        return tombstones


def load_from_config(config):
    """``storage_backend = myservice.journal``, with ``storage_journal = <path>``."""
    settings = config.get_settings()
    return Storage(settings["storage_journal"])
