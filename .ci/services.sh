#!/usr/bin/env bash
# Start the servers the test suite needs, idempotently, on a fresh machine:
# Redis (installed from Debian when missing) and the local PostgreSQL cluster,
# with password `postgres` for the `postgres` user and the test database.
# Also installs Debian's Chromium, which drives the API explorer's browser test.
set -euo pipefail

PGDATABASE_TEST="${CLIQUET_TEST_DATABASE:-cliquet_test}"

if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
else
  SUDO=""
fi

# --- Redis -----------------------------------------------------------------
if ! command -v redis-server >/dev/null 2>&1; then
  echo "services: installing redis-server"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null

# --- Chromium ----------------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "services: installing chromium"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# --- PostgreSQL --------------------------------------------------------------
PGVERSION="$(ls /etc/postgresql | sort -V | tail -n 1)"
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "services: starting postgresql ${PGVERSION}"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PGVERSION" main start
  for _ in $(seq 100); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 0.1
  done
fi
pg_isready -h 127.0.0.1 -p 5432 -q

as_postgres() { $SUDO su postgres -c "$1"; }
as_postgres "psql -q -c \"ALTER USER postgres PASSWORD 'postgres';\"" >/dev/null
# testdb: the database Cliquet 3.1.5's own suite uses (make conformance).
for database in "${PGDATABASE_TEST}" testdb; do
  if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='${database}'\"" | grep -q 1; then
    echo "services: creating database ${database}"
    as_postgres "createdb -E UTF8 -T template0 ${database}"
  fi
done
echo "services: redis and postgresql ready"
