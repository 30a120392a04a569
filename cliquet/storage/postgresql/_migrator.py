"""Versioned PostgreSQL schema: create from empty or upgrade step by step.

The installed version is the ``<name>_schema_version`` row of the ``metadata``
table. ``schema.sql`` creates the current version from an empty database;
``migrations/migration_NNN_MMM.sql`` upgrades version NNN to MMM.

Databases of other programs (Cliquet 1.6, Cliquet 3.1) have their own version
numbers, which collide with ours: they are recognised by their structure (see
:class:`Layout`) and converted by their own SQL files.
"""
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

_log = logging.getLogger(__name__)

_ADVISORY_LOCK_ID = 0x636C6971  # serialises concurrent `cliquet migrate` runs


class MigrationError(AssertionError):
    """The database cannot be brought to the expected schema version.

    An ``AssertionError``, which Cliquet 3.1 raised in these cases.
    """


@dataclass(frozen=True)
class Layout:
    """The layout of another program's database, converted to the current version.

    :param name: the program, e.g. ``Cliquet 3.1``, for messages.
    :param query: SQL returning true when the database has this layout.
    :param versions: the recorded versions (as read by the migrator) the
        conversion accepts; another one is refused with a :class:`MigrationError`.
    :param paths: the SQL files (relative to ``sql_dir``) that convert it.
    """

    name: str
    query: str
    versions: tuple[int, ...]
    paths: tuple[str, ...]


class Migrator:
    """Bring a database to ``schema_version``.

    :param client: a :class:`~cliquet.storage.postgresql.client.PostgreSQLClient`.
    :param name: metadata prefix, e.g. ``storage`` for ``storage_schema_version``.
    :param schema_version: the version created by ``schema.sql``.
    :param sql_dir: directory holding ``schema.sql`` and ``migrations/``.
    :param backend: object whose ``_get_installed_version()`` and
        ``_execute_sql_file(path)`` methods (Cliquet 3.1's hooks) replace
        :meth:`installed_version` and :meth:`execute_file`.
    :param legacy: the :class:`Layout` (or a sequence of them, the first that
        matches wins) of other programs' databases, tried before the recorded
        version is compared with ours.
    """

    def __init__(self, client, name: str, schema_version: int, sql_dir: str, backend=None,
                 legacy: Layout | Sequence[Layout] | None = None):
        self.client = client
        self.name = name
        self.schema_version = schema_version
        self.sql_dir = sql_dir
        self.backend = backend
        if isinstance(legacy, Layout):
            legacy = [legacy]
        self.legacy: list[Layout] = list(legacy or ())
        self._connection = None  # the migration's, while it runs

    def read_sql(self, path: str) -> str:
        """The SQL of ``path``, relative to ``sql_dir``."""
        try:
            with open(os.path.join(self.sql_dir, path), encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError as e:
            raise MigrationError(f"Missing {self.name} SQL file {path}") from e

    def migrate(self, dry_run: bool = False) -> list[str]:
        """Create or upgrade the schema in one transaction.

        :param dry_run: log the SQL that would run, and change nothing.
        :returns: the SQL files run (or that would run), relative to ``sql_dir``.
        """
        hooks = self.backend
        get_version = hooks._get_installed_version if hooks else self.installed_version
        execute = hooks._execute_sql_file if hooks else self.execute_file
        with self.client.connect(force_commit=True) as connection:
            self._connection = connection
            try:
                connection.execute(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_ID})")
                self._check_database(connection)
                installed = get_version()
                layout = self._layout(connection) if installed is not None else None
                if layout is None:
                    paths = self._paths(installed)
                elif installed in layout.versions:
                    _log.info("The %s schema has the layout of %s (version %s): converting it.",
                                self.name, layout.name, installed)
                    paths = list(layout.paths)
                else:
                    accepted = ", ".join(str(version) for version in layout.versions)
                    raise MigrationError(
                        f"The {self.name} schema has the layout of {layout.name} at version "
                        f"{installed}: only version {accepted} is converted (upgrade it with "
                        f"{layout.name} first).")
                for path in paths:
                    if dry_run:
                        _log.info("Would run %s (dry run):\n%s", path, self.read_sql(path))
                    else:
                        _log.info("Running %s %s", self.name, path)
                        execute(path)
            finally:
                self._connection = None
        if not paths:
            _log.info("PostgreSQL %s schema is up-to-date (version %s).",
                        self.name, self.schema_version)
        return paths

    def execute_file(self, path: str) -> None:
        """Run the SQL file ``path`` (relative to ``sql_dir``)."""
        sql = self.read_sql(path)
        if self._connection is not None:
            self._connection.execute(sql)
            return
        with self.client.connect(force_commit=True) as connection:
            connection.execute(sql)

    def installed_version(self) -> int | None:
        """The recorded schema version, ``None`` when there is no schema.

        A database with metadata but no version row is version 1 (Cliquet
        1.6); with empty metadata, the current version is assumed (warning).
        """
        if self._connection is not None:
            return self._installed_version(self._connection)
        with self.client.connect(force_commit=True) as connection:
            return self._installed_version(connection)

    def _layout(self, connection) -> Layout | None:
        """The first layout of :attr:`legacy` the database has, if any."""
        for layout in self.legacy:
            if connection.execute(layout.query)[0][0]:
                return layout
        return None

    def _paths(self, installed: int | None) -> list[str]:
        if installed is None:
            return ["schema.sql"]
        if installed > self.schema_version:
            raise MigrationError(
                f"The {self.name} schema version {installed} is newer than this code "
                f"({self.schema_version}).")
        if installed < 1:
            raise MigrationError(f"Unknown {self.name} schema version {installed}.")
        return [f"migrations/migration_{version:03d}_{version + 1:03d}.sql"
                for version in range(installed, self.schema_version)]

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
        if rows:
            return 1
        _log.warning("No %s schema version found: assuming version %s.",
                       self.name, self.schema_version)
        return self.schema_version

    def _check_database(self, connection) -> None:
        encoding, collation = connection.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database"
            " WHERE datname = current_database()")[0]
        if encoding.lower() not in ("utf8", "utf-8"):
            raise MigrationError(f"Unexpected database encoding {encoding}: UTF-8 is required.")
        if collation not in ("C", "POSIX", "C.UTF-8", "C.utf8"):
            _log.warning("Database collation is %s: strings in JSON fields sort by it, "
                           "not by code point as in the other backends.", collation)
