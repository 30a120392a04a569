"""Undo log: memory and Redis writes rolled back with the request's transaction.

PostgreSQL sessions join the zope ``transaction`` of the request; memory and
Redis backends write at once. While an :class:`UndoLog` is active in the
current context, they :func:`record` how to restore what each write changed,
and the log, joined to the transaction as a data manager, runs these actions
latest first when the transaction aborts. Without an active log (scripts,
direct use, other threads) nothing is recorded.

Undoing puts back the previous values of the keys written: like the writes
themselves, it is not isolated from concurrent requests writing the same keys.
"""
import contextvars
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_active: contextvars.ContextVar["UndoLog | None"] = contextvars.ContextVar(
    "cliquet_undo_log", default=None)


def recording() -> bool:
    """Whether writes made in this context can be undone (worth recording)."""
    return _active.get() is not None


def record(action: Callable, *args) -> None:
    """Have ``action(*args)`` run if the active log's transaction aborts; else nothing."""
    log = _active.get()
    if log is not None:
        log.add(action, *args)


class UndoLog:
    """A ``transaction.interfaces.IDataManager`` running undo actions on abort.

    :param transaction_manager: the manager of the transaction it will join.
    """

    def __init__(self, transaction_manager):
        self.transaction_manager = transaction_manager
        self._actions: list[tuple[Callable, tuple]] = []

    def join(self, transaction) -> None:
        """Join ``transaction`` and become the active log of the current context."""
        transaction.join(self)
        _active.set(self)

    def add(self, action: Callable, *args) -> None:
        """Remember to call ``action(*args)`` on abort."""
        self._actions.append((action, args))

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
