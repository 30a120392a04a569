-- Storage schema 1 to 2 (see schema.sql): no statistics of whole documents,
-- so that the plan of an equality filter no longer depends on an ANALYZE
-- sample, and no pending list in the GIN index of documents.
ALTER TABLE records ALTER COLUMN data SET STATISTICS 1;
ALTER INDEX idx_records_data SET (fastupdate = off);
SELECT gin_clean_pending_list('idx_records_data'::regclass);
ANALYZE records;

UPDATE metadata SET value = '2' WHERE name = 'storage_schema_version';
