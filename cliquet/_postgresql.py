"""PostgreSQL connections shared by the PostgreSQL backends (pooled by SQLAlchemy 2).

Owned here, outside the backend packages, so that storage, cache and
permission build on it alike. Its Cliquet 3.1 location,
:mod:`cliquet.storage.postgresql.client`, is this very module (an alias in
``sys.modules``): names patched there by 3.1 tests (``warnings``,
``sqlalchemy``...) are the ones this code reads, hence the 3.1 names below.
"""
import contextlib
import functools
import inspect
import logging
import re
import warnings
from typing import Any
from collections import defaultdict  # noqa: F401  (a Cliquet 3.1 name of the client module)
from collections.abc import Iterator

import orjson
import transaction as zope_transaction
from pyramid.settings import asbool

from cliquet import _transaction
from cliquet.logs import logger  # noqa: F401  (a Cliquet 3.1 name of the client module)
from cliquet.storage import exceptions  # noqa: F401  (a Cliquet 3.1 name of the client module)
from cliquet.storage.exceptions import BackendError
from cliquet.utils import native_value, sqlalchemy

psycopg2: Any  # the module, or None
try:
    import psycopg2
except ImportError:  # the ``postgresql`` extra is not installed
    psycopg2 = None

_log = logging.getLogger(__name__)

DEFAULT_POOLCLASS = "cliquet.storage.postgresql.pool.QueuePoolWithMaxBacklog"
DEFAULT_CONNECT_TIMEOUT = 5

# Settings read by the backends themselves, never handed to ``create_engine``.
_BACKEND_KEYS = {"url", "backend", "max_fetch_size", "prefix", "poolclass", "connect_timeout",
                 "lock_timeout", "lock_ttl"}
_INT_KEYS = {"pool_size", "max_overflow", "pool_recycle", "max_backlog"}
_ENGINE_DEFAULTS = {"pool_size": 25, "max_backlog": -1}
# Engine keyword arguments that only some pool classes take (engine name: pool name).
_POOL_KEYS = {"pool_size", "max_overflow", "pool_timeout", "max_backlog"}
_POOL_ARGUMENTS = {"timeout": "pool_timeout"}
_REGISTRY_ATTR = "_cliquet_postgresql_clients"


class PostgreSQLClient:
    """Hands out PostgreSQL connections and turns driver errors into ``BackendError``.

    :param session_factory: callable returning a new :class:`Connection`
        (a :class:`SessionFactory`, whose engine pools the connections).
    :param commit_manually: each :meth:`connect` block commits on its own;
        when false, blocks join the request's zope ``transaction`` instead.
    :param invalidate: callable closing every pooled connection (:meth:`close`).
    """

    def __init__(self, session_factory, commit_manually: bool = True, invalidate=None):
        self.session_factory = session_factory
        self.commit_manually = commit_manually
        self.invalidate = invalidate

    @property
    def transactional(self) -> bool:
        """Whether :meth:`connect` blocks join the request's zope ``transaction``."""
        return not self.commit_manually

    @property
    def engine(self):
        """The SQLAlchemy engine whose pool lends the connections."""
        return self.session_factory.engine

    @contextlib.contextmanager
    def connect(self, readonly: bool = False, force_commit: bool = False,
                autocommit: bool = False) -> Iterator["Connection"]:
        """Yield a :class:`Connection`; driver errors are raised as :class:`BackendError`.

        When the client commits manually (or with ``force_commit``), the
        block is one transaction, committed at its end and rolled back on
        error; with ``autocommit`` as well, each statement is its own
        transaction instead (one round trip, no ``BEGIN`` nor ``COMMIT``):
        for blocks running a single statement. Otherwise the connection is
        the one of the current zope ``transaction`` (the request's), which
        commits or rolls it back; reads before its first write (not
        ``readonly``) run without a transaction (see :class:`_RequestConnection`).
        """
        request_connection = None
        try:
            if self.transactional and not force_commit:
                if readonly:
                    reading = _transaction.request_resource(
                        self, functools.partial(_ReadingConnection, self))
                    if reading is not None:
                        yield reading.connection
                        return
                request_connection = _RequestConnection.of_current_transaction(self)
            if request_connection is not None:
                yield request_connection.for_statements(readonly)
                return
            connection = self.session_factory()
            try:
                _set_autocommit(connection.dbapi_connection, autocommit)
                yield connection
                if not autocommit:
                    connection.commit()
            finally:
                connection.close()  # rolled back unless committed
        except (psycopg2.Error, sqlalchemy.exc.SQLAlchemyError) as e:
            if request_connection is not None:
                request_connection.doom()
            raise BackendError(original=e) from e

    def in_request_transaction(self) -> bool:
        """Whether :meth:`connect` blocks run in the current zope ``transaction``
        (the request's), which holds their locks until it ends."""
        return self.transactional and _transaction.is_open(zope_transaction.get())

    def joined(self) -> bool:
        """Whether the current zope ``transaction`` already holds a connection of this client."""
        return self.transactional and _transaction.joined(self)

    def close(self) -> None:
        """Close every pooled connection (the client stays usable: it reconnects)."""
        if self.invalidate is not None:
            self.invalidate()


class SessionFactory:
    """Checks :class:`Connection` objects out of the pool of a SQLAlchemy ``engine``."""

    __slots__ = ("engine",)

    def __init__(self, engine):
        self.engine = engine

    def __call__(self) -> "Connection":
        return Connection(self.engine.raw_connection(), self.engine)


class Rows(list):
    """The rows of a statement, as tuples.

    ``fetchone()`` and ``fetchall()`` return them as :class:`Row` (values also
    read by column name), as SQLAlchemy results do.
    """

    __slots__ = ("description",)
    description: Any  # the cursor's

    def fetchone(self) -> "Row | None":
        return Row(self[0], self._names()) if self else None

    def fetchall(self) -> list["Row"]:
        names = self._names()
        return [Row(values, names) for values in self]

    def _names(self) -> tuple[str, ...]:
        return tuple(column[0] for column in self.description)


class Row(tuple):
    """A tuple of column values, also read by column name: ``row['id']``."""

    _names: tuple[str, ...]

    def __new__(cls, values, names: tuple[str, ...]):
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return super().__getitem__(self._names.index(key))
        return super().__getitem__(key)

    def keys(self) -> tuple[str, ...]:
        return self._names


class Connection:
    """A pooled psycopg2 connection running SQL whose parameters are written ``:name``.

    ``close`` gives it back to the pool, any open transaction rolled back.
    """

    __slots__ = ("pooled", "dbapi_connection", "engine", "begin_with_next")

    def __init__(self, pooled, engine=None):
        self.pooled = pooled
        self.dbapi_connection = pooled.dbapi_connection
        self.engine = engine
        #: Open a transaction with the next statement, in the same round trip.
        self.begin_with_next = False

    def execute(self, sql: str, params: dict | None = None) -> Rows | int:
        """The rows of ``sql``, or the row count of a statement returning none.

        As in SQLAlchemy's ``text()``, a ``:name`` inside a string literal is a
        placeholder too. Without ``params`` the SQL is sent as is.
        """
        if self.begin_with_next:
            self.begin_with_next = False
            sql = "BEGIN; " + sql
        with self.dbapi_connection.cursor() as cursor:
            if params:
                cursor.execute(_pyformat(sql), params)
            else:
                cursor.execute(sql)
            if cursor.description is None:
                return cursor.rowcount
            rows = Rows(cursor.fetchall())
            rows.description = cursor.description
            return rows

    def get_bind(self):
        """The engine the connection comes from."""
        return self.engine

    def commit(self) -> None:
        self.dbapi_connection.commit()

    def rollback(self) -> None:
        self.dbapi_connection.rollback()

    def close(self) -> None:
        _release(self.pooled)


@functools.lru_cache(maxsize=1024)
def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg2's ``%(name)s`` (``::`` casts kept), once per SQL."""
    return _PLACEHOLDER.sub(r"%(\1)s", sql.replace("%", "%%"))


_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")


class _ReadingConnection:
    """The connection of a request that has only read so far, without a transaction.

    Checked out of the pool, in autocommit mode, at the request's first read
    (see :func:`cliquet._transaction.request_resource`); given back when the
    request ends, unless its first write makes it the connection of the
    request's transaction (:class:`_RequestConnection` takes it over).
    """

    __slots__ = ("connection",)

    def __init__(self, client: PostgreSQLClient):
        self.connection = _autocommit_connection(client)

    def release(self) -> None:
        self.connection.close()


def _autocommit_connection(client: PostgreSQLClient) -> Connection:
    """A connection of the pool in autocommit mode, given back if it cannot be set."""
    connection = client.session_factory()
    try:
        _set_autocommit(connection.dbapi_connection, True)
    except BaseException:
        connection.close()
        raise
    return connection


class _RequestConnection:
    """The connection of one zope ``transaction``, joined to it as a data manager.

    It is the connection the request read with so far (:class:`_ReadingConnection`),
    or else checked out of the pool at the transaction's first statement, and
    returned when the transaction ends. Until the first write the connection
    is in autocommit mode: under READ COMMITTED each statement sees what was
    committed when it started, in a transaction or not, so reads save the
    ``BEGIN`` and ``ROLLBACK`` round trips. The first write opens the
    transaction (its ``BEGIN`` sent with it, in one round trip), which is
    committed when the zope transaction votes (so that a failing ``COMMIT``
    aborts the others), and later reads stay in it.
    """

    def __init__(self, client: PostgreSQLClient, transaction):
        self.client = client
        self.transaction = transaction
        self.transaction_manager = None  # not needed for a one-phase resource
        reading = _transaction.take_request_resource(client)
        self._connection = reading.connection if reading is not None else \
            _autocommit_connection(client)
        self._dbapi_connection = self._connection.dbapi_connection
        self._writing = False
        self._ended = False

    @classmethod
    def of_current_transaction(cls, client: PostgreSQLClient) -> "_RequestConnection | None":
        """The connection of the current thread's transaction, joined at first use.

        ``None`` once the transaction is committing or over (in its after-commit
        hooks, say): statements then commit on their own.
        """
        return _transaction.data_manager(client, functools.partial(cls, client))

    def for_statements(self, readonly: bool) -> Connection:
        """The connection, in a transaction from the first write on."""
        if not readonly and not self._writing:
            self._writing = True
            self._connection.begin_with_next = True
        return self._connection

    def doom(self) -> None:
        """Make the transaction fail at commit (a statement of it failed)."""
        with contextlib.suppress(Exception):
            self.transaction.doom()

    # IDataManager

    def abort(self, transaction) -> None:
        self._end()

    def tpc_begin(self, transaction) -> None:
        """Nothing to prepare."""

    def commit(self, transaction) -> None:
        """Nothing to do before the vote."""

    def tpc_vote(self, transaction) -> None:
        if not self._writing or not _in_transaction(self._dbapi_connection):
            return  # nothing written
        try:
            with self._dbapi_connection.cursor() as cursor:
                cursor.execute("COMMIT")
                if cursor.statusmessage != "COMMIT":  # a failed transaction rolls back
                    raise RuntimeError("the transaction failed and was rolled back")
        except Exception as e:
            raise BackendError(original=e) from e

    def tpc_finish(self, transaction) -> None:
        self._end()

    def tpc_abort(self, transaction) -> None:
        self._end()

    def sortKey(self) -> str:
        """Before the undo log of the other backends (see
        :data:`cliquet._transaction.POSTGRESQL_SORT_KEY`)."""
        return f"{_transaction.POSTGRESQL_SORT_KEY}:{id(self.client)}"

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self._connection.close()


def _in_transaction(dbapi_connection) -> bool:
    """Whether the server holds a transaction open on the connection (no round trip)."""
    import psycopg2.extensions

    return dbapi_connection.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE


def _set_autocommit(dbapi_connection, autocommit: bool) -> None:
    """Set the mode only when it changes: a connection shared between threads
    (``StaticPool``) may be in another thread's transaction, where psycopg2
    refuses any change of session settings."""
    if dbapi_connection.autocommit != autocommit:
        dbapi_connection.autocommit = autocommit


def _release(pooled) -> None:
    """Give a connection back to the pool, its open transaction rolled back (dropped if broken).

    Its autocommit mode stays as it is: every checkout sets the one it needs.
    """
    dbapi_connection = pooled.dbapi_connection
    if dbapi_connection is None or dbapi_connection.closed:
        pooled.invalidate()
        return
    try:
        if _in_transaction(dbapi_connection):
            if dbapi_connection.autocommit:  # opened by a statement, unknown to psycopg2
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("ROLLBACK")
            else:
                dbapi_connection.rollback()
    except Exception:
        pooled.invalidate()
        return
    pooled.close()


def create_schema(client: PostgreSQLClient, schema_file: str, name: str,
                  dry_run: bool = False) -> None:
    """Run the idempotent SQL of ``schema_file`` (``CREATE ... IF NOT EXISTS``).

    With ``dry_run`` the SQL is only logged. ``name`` says what it creates.
    """
    with open(schema_file, encoding="utf-8") as f:
        schema = f.read()
    if dry_run:
        _log.info("Would create the %s (dry run):\n%s", name, schema)
        return
    with client.connect(force_commit=True) as conn:
        conn.execute(schema)
    _log.info("Created the PostgreSQL %s", name)


def close_clients(registry) -> None:
    """Close the pools of every PostgreSQL client created for ``registry``."""
    for client, _ in getattr(registry, _REGISTRY_ATTR, {}).values():
        client.close()


def create_from_config(config, prefix: str = "",
                       with_transaction: bool = True) -> PostgreSQLClient:
    """Build (or reuse) the client for the ``<prefix>url`` setting.

    Reads ``<prefix>url`` (``postgres://`` accepted), ``<prefix>pool_size`` (25),
    ``<prefix>max_overflow``, ``<prefix>pool_recycle``, ``<prefix>pool_timeout``,
    ``<prefix>max_backlog`` (-1), ``<prefix>poolclass`` and
    ``<prefix>connect_timeout`` (seconds, default 5); every other ``<prefix>*``
    key, prefix stripped, is passed to ``sqlalchemy.create_engine``.
    ``with_transaction`` only applies when ``transaction_per_request`` is true.
    One client per (url, transaction mode) is shared through the registry; a
    later call with other settings warns that they are ignored.
    """
    if sqlalchemy is None or psycopg2 is None:
        raise ImportWarning(
            "PostgreSQL backends require the `postgresql` extra: pip install cliquet[postgresql]")
    settings = config.get_settings()
    url = _sqlalchemy_url(settings[prefix + "url"])
    # Not ``setting_or_default``: bare settings (a client built outside an
    # application, without pyramid_tm) must commit on their own.
    transactional = with_transaction and asbool(settings.get("transaction_per_request", False))
    engine_kwargs = _engine_kwargs(settings, prefix)

    clients = getattr(config.registry, _REGISTRY_ATTR, None)
    if clients is None:
        clients = {}
        setattr(config.registry, _REGISTRY_ATTR, clients)
    key = (url, transactional)
    if key in clients:
        client, existing_kwargs = clients[key]
        if existing_kwargs != engine_kwargs:
            # Called with the message only, as in Cliquet 3.1 (tests assert that call).
            warnings.warn(f"Reuse existing PostgreSQL connection. Parameters {prefix}* "  # noqa: B028
                          "will be ignored.")
        return client

    client = _build_client(config, url, transactional, engine_kwargs)
    clients[key] = (client, engine_kwargs)
    return client


def _build_client(config, url: str, transactional: bool, engine_kwargs: dict) -> PostgreSQLClient:
    kwargs = dict(engine_kwargs)
    connect_timeout = kwargs.pop("connect_timeout")
    kwargs["poolclass"] = poolclass = config.maybe_dotted(kwargs["poolclass"])
    for name in _POOL_KEYS - _pool_parameters(poolclass):
        kwargs.pop(name, None)  # e.g. ``StaticPool`` has no size
    url_object = sqlalchemy.engine.make_url(url)
    if url_object.drivername == "postgresql+psycopg2":
        kwargs["module"] = psycopg2
        if "connect_timeout" not in url_object.query:
            kwargs.setdefault("connect_args", {})["connect_timeout"] = connect_timeout
    engine = sqlalchemy.create_engine(url_object, json_deserializer=orjson.loads, **kwargs)
    return PostgreSQLClient(SessionFactory(engine), commit_manually=not transactional,
                            invalidate=engine.dispose)


def _pool_parameters(poolclass) -> set:
    """Names of the pool settings that ``poolclass`` takes."""
    names: set[str] = set()
    for cls in poolclass.__mro__:
        init = cls.__dict__.get("__init__")
        if init is not None:
            names.update(inspect.signature(init).parameters)
    return {_POOL_ARGUMENTS.get(name, name) for name in names}


def _sqlalchemy_url(url: str) -> str:
    """``postgres://`` and driver-less ``postgresql://`` URLs use psycopg2."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme):]
    return url


def _engine_kwargs(settings, prefix: str) -> dict:
    """Engine keyword arguments from the ``<prefix>*`` settings, coerced."""
    kwargs: dict[str, Any] = dict(_ENGINE_DEFAULTS)
    kwargs["poolclass"] = DEFAULT_POOLCLASS
    kwargs["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
    for key, value in settings.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if name in ("poolclass", "connect_timeout"):
            kwargs[name] = value
        elif name in _BACKEND_KEYS or not name or "." in name or value is None or value == "":
            continue
        elif name in _INT_KEYS:
            kwargs[name] = int(value)
        elif name == "pool_timeout":
            kwargs[name] = float(value)
        else:
            kwargs[name] = native_value(value)
    kwargs["connect_timeout"] = int(float(kwargs["connect_timeout"]))
    return kwargs
