-- Storage of Cliquet 3.1 (its schema version 11: TIMESTAMP last_modified
-- columns, data holding the whole record, TIMESTAMP collection timestamps) to
-- version 2, first step: keep the rows aside with epoch-millisecond
-- timestamps, drop the old tables and functions, before schema.sql.
--
-- Cliquet 3.1 stored UTC-naive TIMESTAMPs and read them as epoch milliseconds
-- truncated to an integer. Within a collection, the converted timestamps of
-- records (and those of tombstones) must stay distinct, as the unique indexes
-- require: a value that truncation makes equal to or lower than the previous
-- one (two rows within one millisecond) becomes previous + 1. Rank r in a
-- collection gets r + max(ms - rank) over ranks <= r, which is its own ms when
-- the values already increase.
CREATE TEMPORARY TABLE legacy_records ON COMMIT DROP AS
    SELECT id, parent_id, collection_id,
           rank + MAX(epoch - rank) OVER (PARTITION BY parent_id, collection_id ORDER BY rank
                                          ROWS UNBOUNDED PRECEDING) AS last_modified,
           data
      FROM (SELECT id::TEXT AS id, parent_id::TEXT AS parent_id,
                   collection_id::TEXT AS collection_id,
                   TRUNC(EXTRACT(EPOCH FROM last_modified) * 1000)::BIGINT AS epoch,
                   ROW_NUMBER() OVER (PARTITION BY parent_id, collection_id
                                      ORDER BY last_modified, id) AS rank,
                   COALESCE(data::JSONB, '{}') - 'id' - 'last_modified' AS data
              FROM records) AS converted;
CREATE TEMPORARY TABLE legacy_deleted ON COMMIT DROP AS
    SELECT id, parent_id, collection_id,
           rank + MAX(epoch - rank) OVER (PARTITION BY parent_id, collection_id ORDER BY rank
                                          ROWS UNBOUNDED PRECEDING) AS last_modified
      FROM (SELECT id::TEXT AS id, parent_id::TEXT AS parent_id,
                   collection_id::TEXT AS collection_id,
                   TRUNC(EXTRACT(EPOCH FROM last_modified) * 1000)::BIGINT AS epoch,
                   ROW_NUMBER() OVER (PARTITION BY parent_id, collection_id
                                      ORDER BY last_modified, id) AS rank
              FROM deleted) AS converted;
-- A collection timestamp is never below the timestamps of its rows.
CREATE TEMPORARY TABLE legacy_timestamps ON COMMIT DROP AS
    SELECT parent_id, collection_id, MAX(last_modified) AS last_modified
      FROM (SELECT parent_id::TEXT AS parent_id, collection_id::TEXT AS collection_id,
                   TRUNC(EXTRACT(EPOCH FROM last_modified) * 1000)::BIGINT AS last_modified
              FROM timestamps
            UNION ALL
            SELECT parent_id, collection_id, last_modified FROM legacy_records
            UNION ALL
            SELECT parent_id, collection_id, last_modified FROM legacy_deleted) AS stamps
     GROUP BY parent_id, collection_id;

-- Their triggers and indexes go with them.
DROP TABLE records, deleted, timestamps CASCADE;
-- Cliquet 3.1's functions: schema.sql creates its own bump_timestamp() and
-- collection_timestamp() (which returns BIGINT); the TIMESTAMP conversions
-- as_epoch() and from_epoch() are no longer used, and kept only when another
-- object of the database still depends on them.
DO $$
DECLARE
    legacy_function RECORD;
BEGIN
    FOR legacy_function IN
        SELECT p.oid::REGPROCEDURE AS signature, p.proname AS name
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = current_schema()
           AND p.proname IN ('bump_timestamp', 'collection_timestamp', 'as_epoch', 'from_epoch')
    LOOP
        BEGIN
            EXECUTE format('DROP FUNCTION %s', legacy_function.signature);
        EXCEPTION WHEN dependent_objects_still_exist THEN
            IF legacy_function.name NOT IN ('as_epoch', 'from_epoch') THEN
                RAISE;
            END IF;
            RAISE NOTICE 'Cliquet 3.1 function % kept: still in use', legacy_function.signature;
        END;
    END LOOP;
END;
$$;

-- schema.sql records version 2 in metadata (kept: created_at, other names),
-- whose names must be unique.
DELETE FROM metadata WHERE name = 'storage_schema_version';
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i JOIN pg_attribute a
            ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = 'metadata'::REGCLASS AND i.indisunique AND i.indnkeyatts = 1
           AND i.indpred IS NULL AND a.attname = 'name'
    ) THEN
        DELETE FROM metadata a USING metadata b WHERE a.name = b.name AND a.ctid > b.ctid;
        IF EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conrelid = 'metadata'::REGCLASS AND contype = 'p') THEN
            ALTER TABLE metadata ADD UNIQUE (name);
        ELSE
            ALTER TABLE metadata ADD PRIMARY KEY (name);
        END IF;
    END IF;
END;
$$;
