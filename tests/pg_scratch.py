"""Throw-away PostgreSQL databases for tests that need an empty one."""
import psycopg2

from tests import servers


def scratch_database(suffix: str, encoding: str = "UTF8") -> str:
    """Create (or recreate) an empty database next to this worker's one; return its URL."""
    url = servers.postgresql_url()
    base, worker_database = url.rsplit("/", 1)
    name = f"{worker_database}_{suffix}"
    conn = psycopg2.connect(host=servers.PG_HOST, user="postgres", password="postgres",
                            dbname="postgres", connect_timeout=3)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f"CREATE DATABASE \"{name}\" ENCODING '{encoding}' "
                           "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    finally:
        conn.close()
    return f"{base}/{name}"
