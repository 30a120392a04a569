"""The undo log as a zope ``transaction`` data manager (cliquet.storage._undo)."""
import contextlib
import logging
import threading

import pytest
import transaction
from transaction.interfaces import NoTransaction

from cliquet.storage import _undo as undo
from cliquet.storage._undo import UndoLog


@pytest.fixture
def manager():
    manager = transaction.TransactionManager(explicit=True)
    yield manager
    with contextlib.suppress(NoTransaction):
        manager.abort()  # a transaction left open, and its active log


@pytest.fixture
def calls(manager):
    """What undo actions did, recorded while an undo log is active."""
    UndoLog(manager).join(manager.begin())
    return []


class FailingVote:
    """A data manager refusing to commit, like a database whose commit fails."""

    transaction_manager = None

    def abort(self, txn): pass
    def tpc_begin(self, txn): pass
    def commit(self, txn): pass
    def tpc_vote(self, txn): raise RuntimeError("vote refused")
    def tpc_finish(self, txn): pass
    def tpc_abort(self, txn): pass
    def sortKey(self): return "a-database"


def test_nothing_is_recorded_without_an_active_log():
    assert not undo.recording()
    undo.record(pytest.fail, "never called")


def test_abort_runs_the_actions_latest_first(manager, calls):
    assert undo.recording()
    undo.record(calls.append, 1)
    undo.record(calls.append, 2)
    manager.abort()
    assert calls == [2, 1]
    assert not undo.recording()


def test_commit_forgets_the_actions(manager, calls):
    undo.record(calls.append, 1)
    manager.commit()
    assert calls == []
    assert not undo.recording()


def test_a_failed_commit_of_another_manager_undoes(manager, calls):
    manager.get().join(FailingVote())
    undo.record(calls.append, 1)
    with pytest.raises(RuntimeError):
        manager.commit()
    assert calls == [1]


def test_a_failing_action_is_logged_and_the_others_still_run(manager, calls, caplog):
    undo.record(calls.append, 1)
    undo.record(int, "not a number")
    with caplog.at_level(logging.ERROR, logger="cliquet.storage._undo"):
        manager.abort()
    assert calls == [1]
    assert "Unable to undo" in caplog.text


def test_nothing_is_recorded_while_undoing(manager, calls):
    undo.record(lambda: undo.record(calls.append, "recorded while undoing"))
    manager.abort()
    assert calls == []


def test_a_log_is_active_in_its_own_thread_only(manager, calls):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(undo.recording()))
    thread.start()
    thread.join()
    assert seen == [False]
    assert undo.recording()


def test_the_log_sorts_after_database_managers():
    assert UndoLog(None).sortKey() > FailingVote().sortKey()
