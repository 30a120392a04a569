"""`cliquet migrate` converts a storage database created by Cliquet 3.1 (its version 11).

The fixture below builds the layout of PROTOCOL.md §8.7 from its description:
TIMESTAMP ``last_modified`` columns, ``data`` holding the whole record (id and
last_modified included), a ``timestamps`` table of collection timestamps, the
``as_epoch``/``from_epoch`` conversions, ``collection_timestamp()`` and the
``bump_timestamp`` trigger.
"""
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import transaction
from pyramid.config import Configurator

from cliquet import utils
from cliquet.storage import Sort, postgresql
from cliquet.storage.postgresql._migrator import MigrationError
from cliquet.storage.postgresql.client import close_clients
from cliquet.testing import get_user_headers
from tests import servers, support
from tests.pg_scratch import scratch_database

LAYOUT_3_1 = """
CREATE TABLE metadata (name VARCHAR(128) NOT NULL, value VARCHAR(512) NOT NULL);
INSERT INTO metadata (name, value) VALUES
    ('created_at', '2016-02-01 10:00:00'), ('storage_schema_version', '11');

-- Epoch milliseconds of a UTC-naive timestamp (truncated), and back.
CREATE FUNCTION as_epoch(ts TIMESTAMP) RETURNS BIGINT AS $$
    SELECT TRUNC(EXTRACT(EPOCH FROM ts) * 1000)::BIGINT;
$$ LANGUAGE SQL IMMUTABLE;
CREATE FUNCTION from_epoch(ms BIGINT) RETURNS TIMESTAMP AS $$
    SELECT TIMESTAMP 'epoch' + ms * INTERVAL '1 millisecond';
$$ LANGUAGE SQL IMMUTABLE;

CREATE TABLE records (
    id TEXT NOT NULL, parent_id TEXT NOT NULL, collection_id TEXT NOT NULL,
    last_modified TIMESTAMP NOT NULL, data JSONB NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, parent_id, collection_id));
CREATE UNIQUE INDEX idx_records_parent_id_collection_id_last_modified
    ON records (parent_id, collection_id, last_modified DESC);
CREATE INDEX idx_records_last_modified_epoch ON records (as_epoch(last_modified));

CREATE TABLE deleted (
    id TEXT NOT NULL, parent_id TEXT NOT NULL, collection_id TEXT NOT NULL,
    last_modified TIMESTAMP NOT NULL,
    PRIMARY KEY (id, parent_id, collection_id));
CREATE UNIQUE INDEX idx_deleted_parent_id_collection_id_last_modified
    ON deleted (parent_id, collection_id, last_modified DESC);
CREATE INDEX idx_deleted_last_modified_epoch ON deleted (as_epoch(last_modified));

CREATE TABLE timestamps (
    parent_id TEXT NOT NULL, collection_id TEXT NOT NULL,
    last_modified TIMESTAMP NOT NULL,
    PRIMARY KEY (parent_id, collection_id));

-- The stored collection timestamp, the clock time recorded when there is none.
CREATE FUNCTION collection_timestamp(parent TEXT, collection TEXT)
RETURNS TIMESTAMP AS $$
DECLARE
    stamp TIMESTAMP;
BEGIN
    SELECT last_modified INTO stamp FROM timestamps
     WHERE parent_id = parent AND collection_id = collection;
    IF stamp IS NULL THEN
        stamp := from_epoch(as_epoch((clock_timestamp() AT TIME ZONE 'UTC')::TIMESTAMP));
        INSERT INTO timestamps (parent_id, collection_id, last_modified)
        VALUES (parent, collection, stamp);
    END IF;
    RETURN stamp;
END;
$$ LANGUAGE plpgsql;

-- Before a write: the new collection timestamp (clock time, or previous + 1 ms
-- when the clock is not ahead); a row without last_modified gets it, a row with
-- one keeps it and moves the collection there when it is ahead.
CREATE FUNCTION bump_timestamp() RETURNS TRIGGER AS $$
DECLARE
    previous TIMESTAMP;
    current TIMESTAMP;
BEGIN
    SELECT last_modified INTO previous FROM timestamps
     WHERE parent_id = NEW.parent_id AND collection_id = NEW.collection_id;
    current := from_epoch(as_epoch((clock_timestamp() AT TIME ZONE 'UTC')::TIMESTAMP));
    IF previous IS NOT NULL AND previous >= current THEN
        current := previous + INTERVAL '1 millisecond';
    END IF;
    IF NEW.last_modified IS NULL THEN
        NEW.last_modified := current;
    ELSIF previous IS NULL OR NEW.last_modified > previous THEN
        current := NEW.last_modified;
    END IF;
    INSERT INTO timestamps (parent_id, collection_id, last_modified)
    VALUES (NEW.parent_id, NEW.collection_id, current)
    ON CONFLICT (parent_id, collection_id) DO UPDATE SET last_modified = EXCLUDED.last_modified;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tgr_records_last_modified BEFORE INSERT OR UPDATE ON records
    FOR EACH ROW EXECUTE PROCEDURE bump_timestamp();
CREATE TRIGGER tgr_deleted_last_modified BEFORE INSERT OR UPDATE ON deleted
    FOR EACH ROW EXECUTE PROCEDURE bump_timestamp();
"""

ALICE = "basicauth:" + utils.hmac_digest("", "alice:secret")
# (parent, collection, id, epoch ms, fields): inserted in this order.
RECORDS = [
    (ALICE, "todo", "a1", 1454320800000, {"title": "Crème brûlée ☕", "done": False}),
    (ALICE, "todo", "a2", 1454320800005,
     {"title": "日本語", "tags": ["ü", "ß"], "nested": {"deep": {"list": [1, 2.5, None, True]}}}),
    (ALICE, "note", "n1", 1454320900000, {"title": "€ note", "empty": {}}),
    ("bob", "todo", "b1", 1454321000000, {"title": "bob's", "n": 42}),
]
TOMBSTONES = [
    (ALICE, "todo", "a0", 1454320800010),
    ("bob", "todo", "b0", 1454321000500),
]


def records_3_1(parent, collection):
    return [{**fields, "id": object_id, "last_modified": ms}
            for p, c, object_id, ms, fields in RECORDS if (p, c) == (parent, collection)]


@pytest.fixture
def url():
    servers.require_postgresql()
    return scratch_database("cliquet31")


@pytest.fixture
def storage(url):
    config = Configurator(settings={"storage_url": url, "transaction_per_request": False})
    backend = postgresql.load_from_config(config)
    yield backend
    backend.client.engine.dispose()


def query(storage, sql):
    with storage.client.connect() as connection:
        return connection.execute(sql)


@pytest.fixture
def database(storage):
    """The layout of Cliquet 3.1 with records, tombstones and timestamps; returns
    the collection timestamps in epoch ms as Cliquet 3.1 reads them."""
    query(storage, LAYOUT_3_1)
    for parent, collection, object_id, ms, fields in RECORDS:
        data = utils.json.dumps({**fields, "id": object_id, "last_modified": ms})
        query(storage, "INSERT INTO records (id, parent_id, collection_id, last_modified, data)"
                       " VALUES (%s, %s, %s, from_epoch(%s), %s::JSONB)"
              % tuple(literal(v) for v in (object_id, parent, collection, ms, data)))
    for parent, collection, object_id, ms in TOMBSTONES:
        query(storage, "INSERT INTO deleted (id, parent_id, collection_id, last_modified)"
                       " VALUES (%s, %s, %s, from_epoch(%s))"
              % tuple(literal(v) for v in (object_id, parent, collection, ms)))
    # A collection whose records were all purged keeps its timestamp.
    query(storage, "SELECT collection_timestamp('bob', 'purged')")
    query(storage, "UPDATE timestamps SET last_modified = from_epoch(1454300000000)"
                   " WHERE collection_id = 'purged' RETURNING 1")
    return dict(((p, c), ms) for p, c, ms in query(
        storage, "SELECT parent_id, collection_id, as_epoch(last_modified) FROM timestamps"))


def literal(value):
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def snapshot(storage):
    """Every table, function and trigger of the database (to compare before/after)."""
    tables = {name: query(storage, f"SELECT * FROM {name} ORDER BY 1, 2")
              for name in ("records", "deleted", "timestamps", "metadata")}
    objects = query(storage, """
        SELECT 'f:' || p.oid::REGPROCEDURE::TEXT || ':' || pg_get_function_result(p.oid)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = current_schema()
        UNION ALL SELECT 't:' || tgname FROM pg_trigger WHERE NOT tgisinternal
        UNION ALL SELECT 'c:' || table_name || '.' || column_name || ':' || data_type
          FROM information_schema.columns WHERE table_schema = current_schema()
        ORDER BY 1""")
    return tables, objects


def test_a_cliquet_3_1_database_is_recognised_by_its_layout(storage, database):
    assert storage._get_installed_version() == 11  # Cliquet 3.1's own number
    assert query(storage, postgresql._CLIQUET_3_1.query) == [(True,)]
    assert query(storage, postgresql._CLIQUET_1_6.query) == [(False,)]


def test_records_tombstones_and_timestamps_are_converted(storage, database, caplog):
    with caplog.at_level(logging.INFO):
        storage.initialize_schema()
    assert "layout of Cliquet 3.1 (version 11): converting it" in caplog.text
    assert storage._get_installed_version() == postgresql.SCHEMA_VERSION

    for parent, collection in ((ALICE, "todo"), (ALICE, "note"), ("bob", "todo")):
        expected = records_3_1(parent, collection)
        records, total = storage.get_all(collection, parent, sorting=[Sort("last_modified", 1)])
        assert (records, total) == (expected, len(expected))
        for record in expected:
            assert storage.get(collection, parent, record["id"]) == record
        assert storage.collection_timestamp(collection, parent) == database[parent, collection]
    assert storage.collection_timestamp("purged", "bob") == 1454300000000

    everything, _ = storage.get_all("todo", ALICE, include_deleted=True,
                                    sorting=[Sort("last_modified", -1)])
    assert everything == [{"id": "a0", "last_modified": 1454320800010, "deleted": True},
                          *reversed(records_3_1(ALICE, "todo"))]
    assert database[ALICE, "todo"] == 1454320800010
    bob, _ = storage.get_all("todo", "bob", include_deleted=True, sorting=[Sort("id", 1)])
    assert bob == [{"id": "b0", "last_modified": 1454321000500, "deleted": True},
                   *records_3_1("bob", "todo")]

    # The 3.1 objects that ours does not define are gone; ours are in place.
    functions = [row[0] for row in query(storage, """
        SELECT p.proname || ':' || pg_get_function_result(p.oid)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = current_schema() ORDER BY 1""")]
    assert "collection_timestamp:bigint" in functions
    assert not [f for f in functions if f.startswith(("as_epoch", "from_epoch"))]
    assert query(storage, "SELECT name FROM metadata ORDER BY name") == [
        ("created_at",), ("storage_schema_version",)]
    assert query(storage, "SELECT value FROM metadata WHERE name = 'created_at'") == [
        ("2016-02-01 10:00:00",)]

    # New writes go after the converted timestamps, and revive tombstones.
    created = storage.create("todo", ALICE, {"title": "new"})
    assert created["last_modified"] > database[ALICE, "todo"]
    assert storage.collection_timestamp("todo", ALICE) == created["last_modified"]
    revived = storage.create("todo", "bob", {"id": "b0", "title": "again"})
    assert revived["last_modified"] > 1454321000500
    assert storage.get_all("todo", "bob", include_deleted=True)[0].count(
        {"id": "b0", "last_modified": 1454321000500, "deleted": True}) == 0
    deleted = storage.delete("note", ALICE, "n1")
    assert deleted["last_modified"] > 1454320900000
    assert storage.get_all("note", ALICE, include_deleted=True) == ([deleted], 0)


def test_a_second_migration_changes_nothing(storage, database):
    storage.initialize_schema()
    before = snapshot(storage)
    assert storage._migrator.migrate() == []
    storage.initialize_schema()
    assert snapshot(storage) == before


def test_a_dry_run_changes_nothing_and_shows_the_conversion(storage, database, caplog):
    before = snapshot(storage)
    with caplog.at_level(logging.INFO):
        paths = storage._migrator.migrate(dry_run=True)
        storage.initialize_schema(dry_run=True)
    assert paths == ["migrations/cliquet_3_1_before.sql", "schema.sql",
                     "migrations/cliquet_3_1_after.sql"]
    assert "Would run migrations/cliquet_3_1_before.sql" in caplog.text
    assert "CREATE TEMPORARY TABLE legacy_records" in caplog.text
    assert snapshot(storage) == before
    storage.initialize_schema()  # still convertible
    assert storage.get("todo", "bob", "b1")["n"] == 42


def test_the_conversion_is_all_or_nothing(storage, database):
    # A document that is not an object cannot lose its id: the conversion fails...
    query(storage, "INSERT INTO records (id, parent_id, collection_id, data)"
                   " VALUES ('bad', 'bob', 'todo', '\"scalar\"') RETURNING 1")
    before = snapshot(storage)
    with pytest.raises(Exception, match="scalar"):
        storage.initialize_schema()
    # ... and leaves the database of Cliquet 3.1 as it was.
    assert snapshot(storage) == before
    assert storage._get_installed_version() == 11


def test_rows_within_one_millisecond_keep_distinct_timestamps(storage, database):
    # Cliquet 3.1 kept microseconds: truncated, these rows would share a timestamp.
    query(storage, """
        INSERT INTO records (id, parent_id, collection_id, last_modified, data) VALUES
            ('x', 'carol', 'c', '2016-02-01 10:00:00.123100', '{"id": "x"}'),
            ('y', 'carol', 'c', '2016-02-01 10:00:00.123900', '{"id": "y"}'),
            ('z', 'carol', 'c', '2016-02-01 10:00:00.124000', '{"id": "z"}'),
            ('w', 'carol', 'c', '2016-02-01 10:00:00.200000', '{"id": "w"}')""")
    storage.initialize_schema()
    records, _ = storage.get_all("c", "carol", sorting=[Sort("last_modified", 1)])
    assert [(r["id"], r["last_modified"]) for r in records] == [
        ("x", 1454320800123), ("y", 1454320800124), ("z", 1454320800125),
        ("w", 1454320800200)]
    assert storage.collection_timestamp("c", "carol") == 1454320800200


def test_another_version_with_this_layout_is_refused(storage, database):
    query(storage, "UPDATE metadata SET value = '10' WHERE name = 'storage_schema_version'"
                   " RETURNING 1")
    with pytest.raises(MigrationError, match="Cliquet 3.1 at version 10"):
        storage.initialize_schema()
    assert storage._get_installed_version() == 10


def test_epoch_helpers_still_in_use_are_kept(storage, database):
    query(storage, "CREATE TABLE audit (at TIMESTAMP);"
                   "CREATE INDEX idx_audit_epoch ON audit (as_epoch(at))")
    storage.initialize_schema()
    functions = {row[0] for row in query(storage, "SELECT proname FROM pg_proc"
                                                  " WHERE proname LIKE '%_epoch'")}
    assert functions == {"as_epoch"}
    assert storage.get("todo", "bob", "b1")["n"] == 42


def test_converted_records_are_served_over_http(url, database):
    settings = {"storage_backend": "cliquet.storage.postgresql", "storage_url": url,
                "cache_backend": "cliquet.cache.memory",
                "permission_backend": "cliquet.permission.memory",
                "userid_hmac_secret": ""}
    app = support.make_app(settings, scan="tests.testapp")
    registry = app.app.registry
    try:
        with transaction.manager:
            registry.storage.initialize_schema()
        response = app.get("/v1/todos?_sort=last_modified", headers=get_user_headers("alice"))
        assert response.json["data"] == records_3_1(ALICE, "todo")
        assert response.headers["ETag"] == f'"{database[ALICE, "todo"]}"'
        changes = app.get("/v1/todos?_since=1454320800000",
                          headers=get_user_headers("alice")).json["data"]
        assert {"id": "a0", "last_modified": 1454320800010, "deleted": True} in changes
    finally:
        transaction.abort()
        close_clients(registry)


def test_metadata_with_a_primary_key_and_another_time_zone(storage, database):
    # Epoch milliseconds of UTC-naive timestamps do not depend on the session's zone.
    query(storage, "ALTER TABLE metadata ADD PRIMARY KEY (name);"
                   "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L',"
                   " current_database(), 'America/New_York'); END $$")
    storage.client.engine.dispose()  # new sessions, in that zone
    assert query(storage, "SHOW timezone") == [("America/New_York",)]
    storage.initialize_schema()
    assert storage.get_all("todo", "bob") == (records_3_1("bob", "todo"), 1)
    assert storage.collection_timestamp("todo", ALICE) == 1454320800010
    assert query(storage, "SELECT name FROM metadata ORDER BY name") == [
        ("created_at",), ("storage_schema_version",)]


INI = """
[app:main]
use = egg:cliquet#demo
cliquet.userid_hmac_secret = 1234
cliquet.storage_backend = cliquet.storage.postgresql
cliquet.storage_url = {url}
cliquet.cache_backend = cliquet.cache.memory
cliquet.permission_backend = cliquet.permission.memory
"""


def test_the_console_script_converts_it(url, storage, database, tmp_path):
    ini = tmp_path / "app.ini"
    ini.write_text(INI.format(url=url))

    def migrate(*options):
        return subprocess.run(
            [sys.executable, "-m", "cliquet.scripts.cliquet", "--ini", str(ini), "migrate",
             *options], cwd=Path(__file__).resolve().parent.parent, capture_output=True,
            text=True, timeout=120, check=True).stderr

    before = snapshot(storage)
    shown = migrate("--dry-run")
    assert "layout of Cliquet 3.1" in shown
    assert "Would run migrations/cliquet_3_1_after.sql" in shown
    assert snapshot(storage) == before
    assert "Running storage migrations/cliquet_3_1_before.sql" in migrate()
    assert "up-to-date" in migrate()
    assert storage.get_all("todo", "bob") == (records_3_1("bob", "todo"), 1)
