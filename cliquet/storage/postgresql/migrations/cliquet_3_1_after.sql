-- Storage of Cliquet 3.1 to version 2, last step (after schema.sql): the rows
-- and collection timestamps kept aside by cliquet_3_1_before.sql, as they were.
-- The triggers are off meanwhile: they would move the collection timestamps.
ALTER TABLE records DISABLE TRIGGER USER;
ALTER TABLE deleted DISABLE TRIGGER USER;
INSERT INTO records (id, parent_id, collection_id, last_modified, data)
    SELECT id, parent_id, collection_id, last_modified, data FROM legacy_records;
INSERT INTO deleted (id, parent_id, collection_id, last_modified)
    SELECT id, parent_id, collection_id, last_modified FROM legacy_deleted;
INSERT INTO timestamps (parent_id, collection_id, last_modified)
    SELECT parent_id, collection_id, last_modified FROM legacy_timestamps;
ALTER TABLE records ENABLE TRIGGER USER;
ALTER TABLE deleted ENABLE TRIGGER USER;
ANALYZE records, deleted, timestamps;
