-- Storage schema 2 to 3 (see schema.sql): collection_timestamp() in PL/pgSQL,
-- whose query plan is kept for the session (a SQL function called in a
-- query's target list is planned again at every call).
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

UPDATE metadata SET value = '3' WHERE name = 'storage_schema_version';
