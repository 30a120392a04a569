"""Undo log: memory and Redis writes rolled back with the request's transaction.

PostgreSQL sessions join the zope ``transaction`` of the request; memory and
Redis backends write at once. While an :class:`UndoLog` is active in the
current context, they :func:`record` how to restore what each write changed,
and the log, joined to the transaction as a data manager, runs these actions
latest first when the transaction aborts. Without an active log (scripts,
direct use, other threads) nothing is recorded.

A request does not join its transaction up front (:func:`arm`): the
log joins at the first write or hold of the request. A request that writes
nothing to memory or Redis (every read) adds no data manager to its
transaction, whose commit then has nothing to do.

Undoing puts back the previous values of the keys written: like the writes
themselves, it is not isolated from concurrent requests writing the same keys,
unless they hold them: the log also keeps what the backends :meth:`~UndoLog.hold`
for the request (records read for update, see
:meth:`cliquet.storage.StorageBase.get_for_update`), released when the
transaction ends, after the undo actions of an abort.
"""
import contextvars
import functools
import logging
import uuid
from collections.abc import Callable

from transaction._transaction import Status  # no public name for it

logger = logging.getLogger(__name__)

_active: contextvars.ContextVar["UndoLog | None"] = contextvars.ContextVar(
    "cliquet_undo_log", default=None)
# (transaction manager, transaction) that a log joins at the first write.
_armed: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "cliquet_undo_armed", default=None)

# The transaction can still take a data manager (its request is not over).
_OPEN = (Status.ACTIVE, Status.DOOMED)


def arm(transaction_manager, transaction) -> None:
    """Make ``transaction`` (of ``transaction_manager``) the one of this context:
    an :class:`UndoLog` joins it at the first write or hold (see :func:`active_log`)."""
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
    armed = _armed.get()
    return armed is not None and armed[1].status in _OPEN


def active_log() -> "UndoLog | None":
    """The log of the request transaction of this context, ``None`` outside one
    (joined now if the transaction was armed)."""
    log = _active.get()
    if log is None:
        armed = _armed.get()
        if armed is not None:
            _armed.set(None)
            transaction_manager, transaction = armed
            if transaction.status in _OPEN:
                log = UndoLog(transaction_manager)
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
        """Last, after the database managers (``~`` sorts after letters)."""
        return "~cliquet.undo"

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
                logger.error("Unable to undo a write with %r", action, exc_info=True)
        self._release()

    def _release(self) -> None:
        """Release what the transaction held, latest first."""
        self.closed = True
        held, self._held = self._held, {}
        for key, release in reversed(held.items()):
            try:
                release()
            except Exception:
                logger.error("Unable to release %r", key, exc_info=True)
