"""Real Redis and PostgreSQL servers for the tests, one database per worker.

Under ``CI=true`` a missing server fails the test; elsewhere it is skipped.
``make services`` (or ``.ci/services.sh``) starts both servers.
"""
import functools
import os

import pytest

REDIS_HOST = os.environ.get("CLIQUET_TEST_REDIS_HOST", "127.0.0.1")
PG_HOST = os.environ.get("CLIQUET_TEST_PG_HOST", "127.0.0.1")
PG_BASE_DATABASE = os.environ.get("CLIQUET_TEST_DATABASE", "cliquet_test")
# First Redis db of this run (one per worker from there): two suites running on
# one machine at once keep apart with different values (Redis has 16 dbs).
REDIS_FIRST_DB = int(os.environ.get("CLIQUET_TEST_REDIS_DB", "1"))


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = "".join(c for c in worker if c.isdigit())
    return int(digits or 0)


def redis_url() -> str:
    """Redis URL of this worker's own database (db 1 and up; 0 is left alone)."""
    return f"redis://{REDIS_HOST}:6379/{_worker_index() + REDIS_FIRST_DB}"


def postgresql_url() -> str:
    """PostgreSQL URL of this worker's own database."""
    return f"postgres://postgres:postgres@{PG_HOST}:5432/{PG_BASE_DATABASE}_{_worker_index()}"


def _unavailable(what: str, exc: Exception):
    message = f"{what} is not reachable ({exc}); run `make services`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@functools.lru_cache(maxsize=None)
def _redis_error():
    import redis

    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=2).ping()
    except Exception as exc:  # the server is down: reported by require_redis
        return exc
    return None


@functools.lru_cache(maxsize=None)
def _postgresql_error():
    import psycopg2

    database = postgresql_url().rsplit("/", 1)[1]
    try:
        conn = psycopg2.connect(
            host=PG_HOST, user="postgres", password="postgres", dbname="postgres",
            connect_timeout=3,
        )
    except Exception as exc:  # the server is down: reported by require_postgresql
        return exc
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cursor.fetchone() is None:
                cursor.execute(
                    f'CREATE DATABASE "{database}" ENCODING \'UTF8\' TEMPLATE template0'
                )
    finally:
        conn.close()
    return None


def require_redis():
    """Fail (CI) or skip when the Redis server is not reachable."""
    error = _redis_error()
    if error is not None:
        _unavailable("Redis", error)


def require_postgresql():
    """Fail (CI) or skip when the PostgreSQL server is not reachable."""
    error = _postgresql_error()
    if error is not None:
        _unavailable("PostgreSQL", error)
