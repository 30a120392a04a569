-- Storage of Cliquet 1.6 (version 1: records and tombstones keyed by user_id and
-- resource_name, UUID ids, JSON data with TIMESTAMP last_modified) to version 2,
-- first step: keep the rows aside, drop the old tables, before schema.sql.
CREATE TEMPORARY TABLE legacy_records ON COMMIT DROP AS
    SELECT id::TEXT AS id, user_id::TEXT AS parent_id, resource_name::TEXT AS collection_id,
           as_epoch(last_modified) AS last_modified,
           data::JSONB - 'id' - 'last_modified' AS data
      FROM records;
CREATE TEMPORARY TABLE legacy_deleted ON COMMIT DROP AS
    SELECT id::TEXT AS id, user_id::TEXT AS parent_id, resource_name::TEXT AS collection_id,
           as_epoch(last_modified) AS last_modified
      FROM deleted;
DROP TABLE records, deleted CASCADE;
DROP FUNCTION IF EXISTS bump_timestamp() CASCADE;
-- schema.sql records the version in metadata, whose names become unique.
DELETE FROM metadata a USING metadata b WHERE a.name = b.name AND a.ctid > b.ctid;
ALTER TABLE metadata ADD PRIMARY KEY (name);
