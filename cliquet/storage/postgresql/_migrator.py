"""Versioned PostgreSQL schema: create from empty or upgrade step by step.

The installed version is the ``<name>_schema_version`` row of the ``metadata``
table. ``schema.sql`` creates the current version from an empty database;
``migrations/migration_NNN_MMM.sql`` upgrades version NNN to MMM.
"""
import logging
import os

logger = logging.getLogger(__name__)

_ADVISORY_LOCK_ID = 0x636C6971  # serialises concurrent `cliquet migrate` runs


class MigrationError(Exception):
    """The database cannot be brought to the expected schema version."""


class Migrator:
    """Bring a database to ``schema_version``.

    :param client: a :class:`~cliquet.storage.postgresql.client.PostgreSQLClient`.
    :param name: metadata prefix, e.g. ``storage`` for ``storage_schema_version``.
    :param schema_version: the version created by ``schema.sql``.
    :param sql_dir: directory holding ``schema.sql`` and ``migrations/``.
    """

    def __init__(self, client, name: str, schema_version: int, sql_dir: str):
        self.client = client
        self.name = name
        self.schema_version = schema_version
        self.sql_dir = sql_dir

    def read_sql(self, *path: str) -> str:
        with open(os.path.join(self.sql_dir, *path), encoding="utf-8") as f:
            return f.read()

    def migrate(self, dry_run: bool = False) -> list[str]:
        """Create or upgrade the schema in one transaction.

        :param dry_run: log the SQL that would run, and change nothing.
        :returns: the SQL scripts run (or that would run).
        """
        with self.client.connect(force_commit=True) as connection:
            connection.execute(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_ID})")
            self._check_database(connection)
            scripts = self._scripts(self._installed_version(connection))
            for description, sql in scripts:
                if dry_run:
                    logger.info("Would run %s (dry run):\n%s", description, sql)
                else:
                    logger.info("Running %s", description)
                    connection.execute(sql)
        if not scripts:
            logger.info("PostgreSQL %s schema is up-to-date (version %s).",
                        self.name, self.schema_version)
        return [sql for _, sql in scripts]

    def _scripts(self, installed: int | None) -> list[tuple[str, str]]:
        if installed is None:
            return [(f"{self.name} schema version {self.schema_version}",
                     self.read_sql("schema.sql"))]
        if installed > self.schema_version:
            raise MigrationError(
                f"The {self.name} schema version {installed} is newer than this code "
                f"({self.schema_version}).")
        scripts = []
        for version in range(installed, self.schema_version):
            filename = f"migration_{version:03d}_{version + 1:03d}.sql"
            try:
                scripts.append((f"{self.name} migration {filename}",
                                self.read_sql("migrations", filename)))
            except FileNotFoundError as e:
                raise MigrationError(f"Missing {self.name} migration {filename}") from e
        return scripts

    def _installed_version(self, connection) -> int | None:
        exists = connection.execute(
            "SELECT to_regclass('metadata') IS NOT NULL")[0][0]
        if not exists:
            return None
        rows = dict(connection.execute("SELECT name, value FROM metadata"))
        version = rows.get(f"{self.name}_schema_version")
        if version is not None:
            return int(version)
        tables = connection.execute("SELECT to_regclass('records') IS NOT NULL")[0][0]
        if not tables:
            return None
        logger.warning("No %s schema version found: assuming version %s.",
                       self.name, self.schema_version)
        return self.schema_version

    def _check_database(self, connection) -> None:
        encoding, collation = connection.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database"
            " WHERE datname = current_database()")[0]
        if encoding.lower() not in ("utf8", "utf-8"):
            raise MigrationError(f"Unexpected database encoding {encoding}: UTF-8 is required.")
        if collation not in ("C", "POSIX", "C.UTF-8", "C.utf8"):
            logger.warning("Database collation is %s: strings in JSON fields sort by it, "
                           "not by code point as in the other backends.", collation)
