-- Storage of Cliquet 1.6 to version 2, last step (after schema.sql): the rows
-- kept aside by cliquet_1_6_before.sql, with their timestamps.
INSERT INTO records (id, parent_id, collection_id, last_modified, data)
    SELECT id, parent_id, collection_id, last_modified, data
      FROM legacy_records ORDER BY last_modified;
INSERT INTO deleted (id, parent_id, collection_id, last_modified)
    SELECT id, parent_id, collection_id, last_modified
      FROM legacy_deleted ORDER BY last_modified;
