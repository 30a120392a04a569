-- Storage schema of cliquet.storage.postgresql, version 3 (from an empty database).
--
-- Timestamps are integer epoch milliseconds. Ids use the "C" collation so that
-- they sort by code point, as in the other backends.

-- Live records: the JSON object without its id and last_modified.
CREATE TABLE IF NOT EXISTS records (
    id TEXT COLLATE "C" NOT NULL,
    parent_id TEXT COLLATE "C" NOT NULL,
    collection_id TEXT COLLATE "C" NOT NULL,
    last_modified BIGINT NOT NULL,
    data JSONB NOT NULL DEFAULT '{}',
    PRIMARY KEY (parent_id, collection_id, id)
);
-- Collection listings sorted by timestamp, and the _since/_before filters.
CREATE UNIQUE INDEX IF NOT EXISTS idx_records_last_modified
    ON records (parent_id, collection_id, last_modified DESC);
-- Equality filters and unique fields (data @> '{"field": value}'). Without
-- fastupdate, writes go to the index itself instead of a pending list that
-- every filtered read scans whole until a vacuum merges it (and that made
-- the planner prefer a sequential scan meanwhile).
CREATE INDEX IF NOT EXISTS idx_records_data ON records USING GIN (data jsonb_path_ops)
    WITH (fastupdate = off);
-- Statistics of whole documents say little of a field's values, and a sample
-- of them made the planner's estimate of data @> '{"field": value}' swing from
-- one ANALYZE to the next (a sequential scan instead of the GIN index, 4 times
-- slower). Below 10 histogram entries the planner uses its fixed estimate.
ALTER TABLE records ALTER COLUMN data SET STATISTICS 1;

-- Tombstones of deleted records.
CREATE TABLE IF NOT EXISTS deleted (
    id TEXT COLLATE "C" NOT NULL,
    parent_id TEXT COLLATE "C" NOT NULL,
    collection_id TEXT COLLATE "C" NOT NULL,
    last_modified BIGINT NOT NULL,
    PRIMARY KEY (parent_id, collection_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_deleted_last_modified
    ON deleted (parent_id, collection_id, last_modified DESC);

-- The current timestamp of each collection.
CREATE TABLE IF NOT EXISTS timestamps (
    parent_id TEXT COLLATE "C" NOT NULL,
    collection_id TEXT COLLATE "C" NOT NULL,
    last_modified BIGINT NOT NULL,
    PRIMARY KEY (parent_id, collection_id)
);

CREATE TABLE IF NOT EXISTS metadata (
    name VARCHAR(128) NOT NULL PRIMARY KEY,
    value VARCHAR(512) NOT NULL
);

-- Wall clock in epoch milliseconds (changes within a transaction).
CREATE OR REPLACE FUNCTION clock_msec() RETURNS BIGINT AS $$
    SELECT FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT;
$$ LANGUAGE SQL VOLATILE;

-- Move the timestamp of a collection forward after a write, and return it.
-- Without a forced value: max(now, previous + 1). With one: the forced value
-- when greater than the previous timestamp, previous + 1 otherwise.
--
-- The first write of a transaction in a collection upserts its row, which
-- locks it: concurrent writers of that collection queue there and each starts
-- from the value committed by the previous one. Later writes of the same
-- transaction (bulk deletes, batches) already hold the lock: they only update
-- a transaction-local cache (setting cliquet.timestamps, flagged by
-- cliquet.timestamps_flush), which flush_collection_timestamps() writes to the
-- table at commit time. This keeps the cost of a write constant instead of
-- growing with the number of versions of the row in the transaction.
CREATE OR REPLACE FUNCTION bump_collection_timestamp(
    parent TEXT, collection TEXT, forced BIGINT
) RETURNS BIGINT AS $$
DECLARE
    key TEXT := jsonb_build_array(parent, collection)::TEXT;
    cache JSONB := COALESCE(NULLIF(current_setting('cliquet.timestamps', TRUE), ''), '{}')::JSONB;
    previous BIGINT := (cache ->> key)::BIGINT;
    current BIGINT;
BEGIN
    IF previous IS NULL THEN
        INSERT INTO timestamps AS t (parent_id, collection_id, last_modified)
        VALUES (parent, collection, COALESCE(forced, clock_msec()))
        ON CONFLICT (parent_id, collection_id) DO UPDATE SET last_modified = CASE
            WHEN forced IS NULL THEN GREATEST(clock_msec(), t.last_modified + 1)
            WHEN forced > t.last_modified THEN forced
            ELSE t.last_modified + 1
        END
        RETURNING last_modified INTO current;
    ELSE
        IF forced IS NULL THEN
            current := GREATEST(clock_msec(), previous + 1);
        ELSIF forced > previous THEN
            current := forced;
        ELSE
            current := previous + 1;
        END IF;
        PERFORM set_config('cliquet.timestamps_flush', 'on', TRUE);
    END IF;
    PERFORM set_config('cliquet.timestamps',
                       jsonb_set(cache, ARRAY[key], to_jsonb(current))::TEXT, TRUE);
    RETURN current;
END;
$$ LANGUAGE plpgsql VOLATILE;

-- Write the timestamps cached by bump_collection_timestamp() to the table.
CREATE OR REPLACE FUNCTION flush_collection_timestamps() RETURNS VOID AS $$
DECLARE
    cache JSONB;
BEGIN
    IF current_setting('cliquet.timestamps_flush', TRUE) IS DISTINCT FROM 'on' THEN
        RETURN;  -- the table already holds every cached value
    END IF;
    cache := current_setting('cliquet.timestamps')::JSONB;
    UPDATE timestamps AS t SET last_modified = c.value::BIGINT
      FROM jsonb_each_text(cache) AS c
     WHERE t.parent_id = (c.key::JSONB) ->> 0 AND t.collection_id = (c.key::JSONB) ->> 1
       AND t.last_modified <> c.value::BIGINT;
    PERFORM set_config('cliquet.timestamps', '', TRUE);
    PERFORM set_config('cliquet.timestamps_flush', '', TRUE);
END;
$$ LANGUAGE plpgsql VOLATILE;

-- The collection timestamp as this transaction sees it. PL/pgSQL rather than
-- SQL: its query plan is kept for the session, where a SQL function called
-- in a query's target list is planned again at every call (half its cost).
CREATE OR REPLACE FUNCTION collection_timestamp(parent TEXT, collection TEXT)
RETURNS BIGINT AS $$
DECLARE
    cache TEXT := current_setting('cliquet.timestamps', TRUE);
    current BIGINT;
BEGIN
    IF cache IS NOT NULL AND cache <> '' THEN
        current := (cache::JSONB ->> jsonb_build_array(parent, collection)::TEXT)::BIGINT;
        IF current IS NOT NULL THEN
            RETURN current;
        END IF;
    END IF;
    SELECT last_modified INTO current FROM timestamps
     WHERE parent_id = parent AND collection_id = collection;
    RETURN current;
END;
$$ LANGUAGE plpgsql STABLE;

-- Rows written without last_modified get the new collection timestamp;
-- rows written with one (forced timestamp) keep it.
CREATE OR REPLACE FUNCTION bump_timestamp() RETURNS TRIGGER AS $$
DECLARE
    current BIGINT;
BEGIN
    current := bump_collection_timestamp(NEW.parent_id, NEW.collection_id, NEW.last_modified);
    IF NEW.last_modified IS NULL THEN
        NEW.last_modified := current;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION flush_timestamps() RETURNS TRIGGER AS $$
BEGIN
    PERFORM flush_collection_timestamps();
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS tgr_records_last_modified ON records;
CREATE TRIGGER tgr_records_last_modified BEFORE INSERT OR UPDATE ON records
    FOR EACH ROW EXECUTE PROCEDURE bump_timestamp();
DROP TRIGGER IF EXISTS tgr_records_flush_timestamps ON records;
CREATE CONSTRAINT TRIGGER tgr_records_flush_timestamps AFTER INSERT OR UPDATE ON records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE PROCEDURE flush_timestamps();

DROP TRIGGER IF EXISTS tgr_deleted_last_modified ON deleted;
CREATE TRIGGER tgr_deleted_last_modified BEFORE INSERT OR UPDATE ON deleted
    FOR EACH ROW EXECUTE PROCEDURE bump_timestamp();
DROP TRIGGER IF EXISTS tgr_deleted_flush_timestamps ON deleted;
CREATE CONSTRAINT TRIGGER tgr_deleted_flush_timestamps AFTER INSERT OR UPDATE ON deleted
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE PROCEDURE flush_timestamps();

INSERT INTO metadata (name, value) VALUES
    ('created_at', NOW()::TEXT),
    ('storage_schema_version', '3')
ON CONFLICT (name) DO NOTHING;
