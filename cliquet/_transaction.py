"""The request transaction: its data managers, their order, how a request gets them.

With ``transaction_per_request``, each top-level request runs in a zope
``transaction`` (pyramid_tm) that two kinds of data managers join, both owned
here:

* the connection of each transactional PostgreSQL client (its data manager,
  :class:`cliquet._postgresql._RequestConnection`, is the
  PostgreSQL code; it joins through :func:`data_manager`), which commits when
  the transaction votes;
* the :class:`UndoLog` of the memory and Redis backends, which write at once:
  while a log is active in the current context, they :func:`record` how to
  restore what each write changed, and the log runs these actions latest first
  when the transaction aborts. Without an active log (scripts, direct use,
  other threads) nothing is recorded.

The transaction runs its data managers in the order of their ``sortKey``:
:data:`POSTGRESQL_SORT_KEY` sorts before :data:`UNDO_LOG_SORT_KEY` (see there
why). Whether a transaction still takes data managers is read in one place,
:func:`is_open`.

A request does not join its transaction up front (:func:`arm`, set up for
every request by :func:`setup_request_transaction`): the log joins at the
first write or hold of the request, and a PostgreSQL connection at the first
statement. A request that writes nothing adds no data manager to its
transaction, whose commit then has nothing to do.

Undoing puts back the previous values of the keys written: like the writes
themselves, it is not isolated from concurrent requests writing the same keys,
unless they hold them: the log also keeps what the backends :meth:`~UndoLog.hold`
for the request (records read for update, see
:meth:`cliquet.storage.StorageBase.get_for_update`), released when the
transaction ends, after the undo actions of an abort.

Events (:mod:`cliquet.events`) only notify around the commit; this module
imports nothing of the package, so that storage, permission and events
backends may all import it.
"""
import contextvars
import functools
import logging
import sys
import uuid
from collections.abc import Callable

import transaction as zope_transaction
from transaction.interfaces import NoTransaction
from pyramid.httpexceptions import HTTPNotFound
from pyramid.settings import asbool
from pyramid.util import DottedNameResolver
from pyramid_tm import maybe_tag_retryable

# ``transaction`` has no public name for the states of a transaction (and no
# interface exposing ``status``): read by ``is_open`` only.
from transaction._transaction import Status

_log = logging.getLogger(__name__)

_active: contextvars.ContextVar["UndoLog | None"] = contextvars.ContextVar(
    "cliquet_undo_log", default=None)
# Resources of the request the lazy tween runs, before its transaction begins.
_request_resources: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "cliquet_request_resources", default=None)
# (transaction manager, transaction) that a log joins at the first write.
_armed: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "cliquet_undo_armed", default=None)

#: ``sortKey`` prefix of the PostgreSQL data managers (one per client, the id
#: of the client follows): they commit at the vote, and may fail there.
POSTGRESQL_SORT_KEY = "cliquet.postgresql"
#: ``sortKey`` of the undo log: after the databases (``~`` sorts after letters
#: and digits). Its vote cannot fail, so whatever can fail votes before it (a
#: failed vote aborts every manager: the log then undoes); and its
#: ``tpc_finish``, which releases the records held for the request, runs once
#: every database has committed and returned its connection, so that a
#: request waiting for these records reads what was committed.
UNDO_LOG_SORT_KEY = "~cliquet.undo"

_OPEN = (Status.ACTIVE, Status.DOOMED)


def is_open(transaction) -> bool:
    """Whether ``transaction`` still takes data managers: active or doomed, not
    committing nor over (in its after-commit hooks, say)."""
    return transaction.status in _OPEN


def data_manager(key, factory: Callable):
    """The data manager of ``key`` in the current thread's transaction.

    ``factory(transaction)`` builds it at the first call in a transaction,
    which it then joins. ``None`` once the transaction is not open
    (:func:`is_open`): the caller then works on its own.
    """
    current = zope_transaction.get()
    if not is_open(current):
        return None
    try:
        return current.data(key)
    except KeyError:
        manager = factory(current)
        current.join(manager)
        current.set_data(key, manager)
        return manager


def request_resource(key, factory: Callable):
    """The resource of ``key`` for the rest of the current request, no transaction begun.

    ``factory()`` builds it at the first call; it is released (its
    ``release()``) when the request ends, unless a data manager of the
    request's transaction takes it over first (:func:`take_request_resource`).
    ``None`` outside a request whose transaction :func:`lazy_tm_tween_factory`
    manages, and once that transaction began: resources then join it (see
    :func:`data_manager`). PostgreSQL connections reading before any write use
    it: a request that only reads costs no transaction at all.
    """
    resources = _request_resources.get()
    if resources is None or _current_transaction(zope_transaction.manager) is not None:
        return None
    try:
        return resources[key]
    except KeyError:
        resource = resources[key] = factory()
        return resource


def take_request_resource(key):
    """The resource of ``key`` of the current request (see :func:`request_resource`),
    no longer released when the request ends: the caller owns it. ``None`` if none."""
    resources = _request_resources.get()
    return resources.pop(key, None) if resources else None


def _release_request_resources(resources: dict) -> None:
    for resource in resources.values():
        try:
            resource.release()
        except Exception:  # the others are released all the same
            _log.exception("Could not release %r", resource)
    resources.clear()


def joined(key) -> bool:
    """Whether the current thread's transaction holds a data manager of ``key``."""
    try:
        zope_transaction.get().data(key)
    except KeyError:
        return False
    return True


def setup_request_transaction(config) -> None:
    """Begin the transaction of a request only when something joins it.

    Adds :func:`lazy_tm_tween_factory` outside ``pyramid_tm``'s tween, which
    then lets it manage the request. With ``transaction_per_request``, the
    undo log is :func:`arm`-ed for every top-level request (subrequests share
    it) and disarmed when its transaction is over.
    """
    config.add_tween("cliquet._transaction.lazy_tm_tween_factory",
                     over="pyramid_tm.tm_tween_factory")


def lazy_tm_tween_factory(handler, registry):
    """A tween doing what ``pyramid_tm``'s does, but beginning no transaction up front.

    A data manager joining the thread's transaction (a PostgreSQL connection,
    the undo log at the first write, resource event hooks) creates it, as the
    implicit ``transaction.manager`` does on ``get()``; the tween then commits
    it, or aborts it on an exception, a doomed transaction, an error rendered by
    an exception view or the ``tm.commit_veto`` setting, like ``pyramid_tm``. A
    request that joins nothing (most reads on memory and Redis) costs no
    transaction. Explicit managers (``tm.manager_hook``) and ``tm.activate_hook``
    are left to ``pyramid_tm``'s tween.
    """
    settings = registry.settings
    resolve = DottedNameResolver(None).maybe_resolve
    commit_veto = settings.get("tm.commit_veto", settings.get("pyramid_tm.commit_veto"))
    commit_veto = resolve(commit_veto) if commit_veto else None
    annotate_user = asbool(settings.get("tm.annotate_user", True))
    arms_undo_log = asbool(settings["transaction_per_request"])
    delegate = settings.get("tm.activate_hook") or settings.get("tm.manager_hook")

    def lazy_tm_tween(request):
        environ = request.environ
        if "tm.active" in environ or "repoze.tm.active" in environ:
            return handler(request)
        arming = arms_undo_log and getattr(request, "parent", None) is None
        if arming:
            arm(request.tm)
        try:
            if delegate:
                return handler(request)
            manager = request.tm
            if manager is not zope_transaction.manager or manager.explicit:
                return handler(request)  # pyramid_tm's tween begins it
            return _lazy_transaction(request, manager)
        finally:
            if arming:
                disarm()

    def _lazy_transaction(request, manager):
        leftover = _current_transaction(manager)
        if leftover is not None:
            leftover.abort()  # as ``begin()`` does: left open outside a request
        resources: dict = {}
        scope = _request_resources.set(resources)
        try:
            return _run_in_lazy_transaction(request, manager)
        finally:
            _request_resources.reset(scope)
            _release_request_resources(resources)

    def _run_in_lazy_transaction(request, manager):
        environ = request.environ
        environ["tm.active"] = True
        environ["tm.manager"] = manager
        try:
            response = handler(request)
        except Exception:
            if _current_transaction(manager) is None:
                raise
            maybe_tag_retryable(request, sys.exc_info())
            exc_response = _finish(request, manager.abort)
            if exc_response is not None:
                return exc_response
            raise
        finally:
            environ.pop("tm.active", None)
            environ.pop("tm.manager", None)
        current = _current_transaction(manager)
        if current is None:
            return response
        # Ended through the manager, as pyramid_tm does (tests patch it).
        _annotate(request, current, annotate_user)
        if manager.isDoomed():
            return _finish(request, manager.abort, response)
        if commit_veto is not None:
            if commit_veto(request, response):
                return _finish(request, manager.abort, response)
        elif getattr(request, "exc_info", None) is not None:
            maybe_tag_retryable(request, request.exc_info)
            return _finish(request, manager.abort, response)
        return _finish(request, manager.commit, response)

    return lazy_tm_tween


def _current_transaction(manager):
    """The transaction of ``manager`` (``transaction.manager``) in this thread,
    ``None`` when none began (``get()`` would create one): ``transaction`` has
    no public name for this."""
    return manager.manager._txn


def _annotate(request, current, annotate_user: bool) -> None:
    if annotate_user:
        userid = request.authenticated_userid
        if userid:
            current.user = str(userid)
    try:
        current.note(request.path_info)
    except UnicodeDecodeError:
        current.note("Unable to decode path as unicode")


def _finish(request, finisher: Callable, response=None):
    """Commit or abort (``finisher``); a failure there renders as its error view."""
    request.environ.pop("tm.active", None)
    request.environ.pop("tm.manager", None)
    try:
        finisher()
    except Exception:
        exc_info = sys.exc_info()
        try:
            return request.invoke_exception_view(exc_info)
        except HTTPNotFound:
            maybe_tag_retryable(request, exc_info)
            error = exc_info[1]
            assert error is not None
            raise error from None
        finally:
            del exc_info
    return response


def arm(transaction_manager, transaction=None) -> None:
    """Make the transaction of ``transaction_manager`` in this context the one
    that an :class:`UndoLog` joins at the first write or hold (see
    :func:`active_log`); ``transaction``, if given, is that transaction already."""
    _active.set(None)
    _armed.set((transaction_manager, transaction))


def disarm(request=None) -> None:
    """Forget the armed transaction of this context (its request is over); a
    Pyramid finished callback."""
    _armed.set(None)


def recording() -> bool:
    """Whether writes made in this context can be undone (worth recording)."""
    if _active.get() is not None:
        return True
    return _armed_transaction(_armed.get()) is not None


def _armed_transaction(armed):
    """The open transaction of an :func:`arm`-ed context, begun now if none is yet."""
    if armed is None:
        return None
    transaction_manager, transaction = armed
    if transaction is None:
        try:
            transaction = transaction_manager.get()
        except NoTransaction:
            return None
    return transaction if is_open(transaction) else None


def active_log() -> "UndoLog | None":
    """The log of the request transaction of this context, ``None`` outside one
    (joined now if the transaction was armed)."""
    log = _active.get()
    if log is None:
        armed = _armed.get()
        if armed is not None:
            _armed.set(None)
            transaction = _armed_transaction(armed)
            if transaction is not None:
                log = UndoLog(armed[0])
                log.join(transaction)
    return log


def record(action: Callable, *args) -> None:
    """Have ``action(*args)`` run if the active log's transaction aborts; else nothing."""
    log = active_log()
    if log is not None:
        log.add(action, *args)


class UndoLog:
    """A ``transaction.interfaces.IDataManager`` running undo actions on abort.

    :param transaction_manager: the manager of the transaction it will join.
    """

    def __init__(self, transaction_manager):
        self.transaction_manager = transaction_manager
        self._actions: list[tuple[Callable, tuple]] = []
        self._held: dict = {}
        #: The transaction is over: nothing it held is held any more.
        self.closed = False

    @functools.cached_property
    def token(self) -> str:
        """A random string naming this transaction in shared locks (Redis keys)."""
        return uuid.uuid4().hex

    def join(self, transaction) -> None:
        """Join ``transaction`` and become the active log of the current context."""
        transaction.join(self)
        _active.set(self)

    def add(self, action: Callable, *args) -> None:
        """Remember to call ``action(*args)`` on abort."""
        self._actions.append((action, args))

    def holds(self, key) -> bool:
        """Whether :meth:`hold` was called with ``key`` in this transaction."""
        return key in self._held

    def hold(self, key, release: Callable) -> None:
        """Remember that the transaction holds ``key``: ``release()`` is called when
        it ends, committed (after the commit) or aborted (after the undo actions)."""
        self._held[key] = release

    def abort(self, transaction) -> None:
        self._undo()

    def tpc_begin(self, transaction) -> None:
        """Nothing to prepare: the writes are done."""

    def commit(self, transaction) -> None:
        """Nothing to do until another manager votes (see :meth:`tpc_abort`)."""

    def tpc_vote(self, transaction) -> None:
        """Always agrees."""

    def tpc_finish(self, transaction) -> None:
        self._close()
        self._release()

    def tpc_abort(self, transaction) -> None:
        # Another manager failed to commit: undo, as on abort.
        self._undo()

    def sortKey(self) -> str:
        """After the database managers (see :data:`UNDO_LOG_SORT_KEY`)."""
        return UNDO_LOG_SORT_KEY

    def _close(self) -> list[tuple[Callable, tuple]]:
        actions, self._actions = self._actions, []
        if _active.get() is self:
            _active.set(None)
        return actions

    def _undo(self) -> None:
        # Closed first, so that nothing done while undoing is recorded.
        for action, args in reversed(self._close()):
            try:
                action(*args)
            except Exception:
                _log.error("Unable to undo a write with %r", action, exc_info=True)
        self._release()

    def _release(self) -> None:
        """Release what the transaction held, latest first."""
        self.closed = True
        held, self._held = self._held, {}
        for key, release in reversed(held.items()):
            try:
                release()
            except Exception:
                _log.error("Unable to release %r", key, exc_info=True)
