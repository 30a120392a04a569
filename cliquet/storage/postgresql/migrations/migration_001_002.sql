-- Storage schema 1 to 2 (see schema.sql): no statistics of whole documents,
-- so that the plan of an equality filter no longer depends on an ANALYZE
-- sample, and no pending list in the GIN index of documents.
ALTER TABLE records ALTER COLUMN data SET STATISTICS 1;
ALTER INDEX idx_records_data SET (fastupdate = off);
SELECT gin_clean_pending_list('idx_records_data'::regclass);
ANALYZE records;

-- The version row may be missing (version 1 is assumed then).
UPDATE metadata SET value = '2' WHERE name = 'storage_schema_version';
INSERT INTO metadata (name, value) SELECT 'storage_schema_version', '2'
 WHERE NOT EXISTS (SELECT 1 FROM metadata WHERE name = 'storage_schema_version');
