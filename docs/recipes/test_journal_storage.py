import os
import tempfile

from cliquet.testing import StorageTest

from myservice import journal


class TestJournalStorage(StorageTest):
    backend = journal
    settings = {"storage_journal": os.path.join(tempfile.mkdtemp(), "journal.jsonl")}
