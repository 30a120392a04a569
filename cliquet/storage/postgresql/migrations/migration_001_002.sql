-- Storage schema 1 to 2: no statistics of whole documents (see schema.sql),
-- so that the plan of an equality filter no longer depends on an ANALYZE sample.
ALTER TABLE records ALTER COLUMN data SET STATISTICS 1;
ANALYZE records;

UPDATE metadata SET value = '2' WHERE name = 'storage_schema_version';
