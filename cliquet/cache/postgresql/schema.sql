-- Cache of cliquet.cache.postgresql, created idempotently by `cliquet migrate`.
-- Values are JSON text; ttl is the absolute expiry in UTC (NULL: never expires).
CREATE TABLE IF NOT EXISTS cache (
    key VARCHAR(256) PRIMARY KEY,
    value TEXT NOT NULL,
    ttl TIMESTAMP NULL
);
CREATE INDEX IF NOT EXISTS idx_cache_ttl ON cache (ttl);

-- Absolute UTC expiry `seconds` from now (NULL stays NULL).
CREATE OR REPLACE FUNCTION cache_expiry(seconds FLOAT)
RETURNS TIMESTAMP AS $$
    SELECT (now() AT TIME ZONE 'UTC') + seconds * INTERVAL '1 second';
$$ LANGUAGE SQL STABLE;
