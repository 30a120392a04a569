"""SQLAlchemy 2 engine and sessions shared by the PostgreSQL backends."""
import contextlib
import logging
from collections.abc import Callable, Iterator

from pyramid.settings import asbool

from cliquet.storage.exceptions import BackendError
from cliquet.utils import json, native_value

logger = logging.getLogger(__name__)

DEFAULT_POOLCLASS = "cliquet.storage.postgresql.pool.QueuePoolWithMaxBacklog"
DEFAULT_CONNECT_TIMEOUT = 5

# Settings read by the backends themselves, never handed to ``create_engine``.
_BACKEND_KEYS = {"url", "backend", "max_fetch_size", "prefix", "poolclass", "connect_timeout"}
_INT_KEYS = {"pool_size", "max_overflow", "pool_recycle", "max_backlog"}
_ENGINE_DEFAULTS = {"pool_size": 25, "max_backlog": -1}
_REGISTRY_ATTR = "_cliquet_postgresql_clients"


class PostgreSQLClient:
    """Hands out SQLAlchemy sessions and turns driver errors into ``BackendError``.

    :param session_factory: a ``sessionmaker``, or a ``scoped_session`` registered
        with ``zope.sqlalchemy`` when ``commit_manually`` is false.
    :param commit_manually: commit at the end of each :meth:`connect` block
        instead of leaving it to the request transaction manager.
    :param invalidate: called with the session when a driver error happens in a
        transaction-managed session (default: doom the current transaction).
    """

    def __init__(self, session_factory, commit_manually: bool = True,
                 invalidate: Callable | None = None):
        self.session_factory = session_factory
        self.commit_manually = commit_manually
        self.invalidate = invalidate or _doom_transaction

    @contextlib.contextmanager
    def connect(self, readonly: bool = False, force_commit: bool = False,
                autocommit: bool = False) -> Iterator:
        """Yield an object whose ``execute(sqlalchemy.text(sql), params)`` returns a Result.

        Driver errors are raised as :class:`BackendError` (``original`` set).
        With ``commit_manually`` (or ``force_commit``) it is a SQLAlchemy
        ``Connection`` whose transaction is committed at the end of the block
        and rolled back on error; with ``autocommit`` as well, each statement
        is its own transaction instead (one round trip, no ``BEGIN`` nor
        ``COMMIT``): for blocks running a single statement. Otherwise it is
        the ``Connection`` of the thread's session, joined to the request's
        zope ``transaction``, marked changed unless ``readonly``, and
        committed by the transaction manager.
        """
        import sqlalchemy.exc

        manual = self.commit_manually or force_commit
        session = None
        try:
            if manual and autocommit:
                with self.engine.connect() as connection, _autocommit(connection):
                    yield connection
                return
            if manual:
                with self.engine.begin() as connection:
                    yield connection
                return
            session = self.session_factory()
            connection = session.connection()  # statements skip the ORM layer
            _begin_with_first_write(connection, readonly)
            yield connection
            if not readonly:
                from zope.sqlalchemy import mark_changed

                mark_changed(session)
        except sqlalchemy.exc.SQLAlchemyError as e:
            if session is not None:
                self.invalidate(session)
            raise BackendError(original=e) from e

    def close(self) -> None:
        """Close every pooled connection (the client stays usable: it reconnects)."""
        remove = getattr(self.session_factory, "remove", None)
        if remove is not None:
            remove()
        self.engine.dispose()

    @property
    def engine(self):
        """The SQLAlchemy engine of the sessions."""
        factory = self.session_factory
        return getattr(factory, "session_factory", factory).kw["bind"]


def create_schema(client: PostgreSQLClient, schema_file: str, name: str,
                  dry_run: bool = False) -> None:
    """Run the idempotent SQL of ``schema_file`` (``CREATE ... IF NOT EXISTS``).

    With ``dry_run`` the SQL is only logged. ``name`` says what it creates.
    """
    from sqlalchemy import text

    with open(schema_file, encoding="utf-8") as f:
        schema = f.read()
    if dry_run:
        logger.info("Would create the %s (dry run):\n%s", name, schema)
        return
    with client.connect(force_commit=True) as conn:
        conn.execute(text(schema))
    logger.info("Created the PostgreSQL %s", name)


def close_clients(registry) -> None:
    """Close the pools of every PostgreSQL client created for ``registry``."""
    for client, _ in getattr(registry, _REGISTRY_ATTR, {}).values():
        client.close()


@contextlib.contextmanager
def _autocommit(connection) -> Iterator[None]:
    """Put the DBAPI connection of ``connection`` in autocommit mode meanwhile.

    SQLAlchemy's own ``AUTOCOMMIT`` isolation level costs two extra round
    trips per checkout (psycopg2's ``set_isolation_level``); the driver's
    ``autocommit`` flag is client side. The pool's reset on return is then a
    no-op, as no transaction is open.
    """
    dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.autocommit = True
    try:
        yield
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = False


def _begin_with_first_write(connection, readonly: bool) -> None:
    """Reads before a request's first write run without a transaction.

    Under READ COMMITTED each statement sees what was committed when it
    started, in a transaction or not; so until the request writes, its reads
    save the ``BEGIN`` and ``ROLLBACK`` round trips (a record GET: 3 round
    trips to 1). The first write opens the transaction that the request's
    transaction manager commits or rolls back, and later reads stay in it.
    """
    import psycopg2.extensions

    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        return  # already in the request's transaction
    dbapi_connection.autocommit = readonly


def _reset_autocommit(dbapi_connection, connection_record) -> None:
    """Pooled connections are transactional again once a request returns them."""
    if not dbapi_connection.closed and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def _doom_transaction(session) -> None:
    import transaction

    with contextlib.suppress(Exception):
        transaction.get().doom()


def create_from_config(config, prefix: str = "",
                       with_transaction: bool = True) -> PostgreSQLClient:
    """Build (or reuse) the client for the ``<prefix>url`` setting.

    Reads ``<prefix>url`` (``postgres://`` accepted), ``<prefix>pool_size`` (25),
    ``<prefix>max_overflow``, ``<prefix>pool_recycle``, ``<prefix>pool_timeout``,
    ``<prefix>max_backlog`` (-1), ``<prefix>poolclass`` and
    ``<prefix>connect_timeout`` (seconds, default 5); every other ``<prefix>*``
    key, prefix stripped, is passed to ``sqlalchemy.create_engine``.
    ``with_transaction`` only applies when ``transaction_per_request`` is true.
    One client per (url, transaction mode) is shared through the registry.
    """
    settings = config.get_settings()
    url = _sqlalchemy_url(settings[prefix + "url"])
    transactional = with_transaction and asbool(settings.get("transaction_per_request", True))
    engine_kwargs = _engine_kwargs(settings, prefix)

    clients = getattr(config.registry, _REGISTRY_ATTR, None)
    if clients is None:
        clients = {}
        setattr(config.registry, _REGISTRY_ATTR, clients)
    key = (url, transactional)
    if key in clients:
        client, existing_kwargs = clients[key]
        if existing_kwargs != engine_kwargs:
            logger.warning(
                "Reuse existing PostgreSQL connection. Parameters %s* will be ignored.", prefix
            )
        return client

    client = _build_client(config, url, transactional, engine_kwargs)
    clients[key] = (client, engine_kwargs)
    return client


def _build_client(config, url: str, transactional: bool, engine_kwargs: dict) -> PostgreSQLClient:
    try:
        import psycopg2
        import sqlalchemy
        from sqlalchemy import orm
    except ImportError as e:
        raise ImportWarning(
            "PostgreSQL backends require the `postgresql` extra: pip install cliquet[postgresql]"
        ) from e

    kwargs = dict(engine_kwargs)
    connect_timeout = kwargs.pop("connect_timeout")
    kwargs["poolclass"] = config.maybe_dotted(kwargs["poolclass"])
    url_object = sqlalchemy.engine.make_url(url)
    if "connect_timeout" not in url_object.query:
        kwargs.setdefault("connect_args", {})["connect_timeout"] = connect_timeout
    engine = sqlalchemy.create_engine(url_object, module=psycopg2, json_deserializer=json.loads,
                                      **kwargs)
    if not transactional:
        return PostgreSQLClient(orm.sessionmaker(bind=engine), commit_manually=True)

    from zope.sqlalchemy import register

    sqlalchemy.event.listen(engine, "checkin", _reset_autocommit)
    session_factory = orm.scoped_session(orm.sessionmaker(bind=engine))
    register(session_factory)
    return PostgreSQLClient(session_factory, commit_manually=False)


def _sqlalchemy_url(url: str) -> str:
    """``postgres://`` and driver-less ``postgresql://`` URLs use psycopg2."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme):]
    return url


def _engine_kwargs(settings, prefix: str) -> dict:
    """Engine keyword arguments from the ``<prefix>*`` settings, coerced."""
    kwargs = dict(_ENGINE_DEFAULTS)
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
