"""The undo log as a zope ``transaction`` data manager (cliquet._transaction)."""
import contextlib
import glob
import logging
import os
import threading

import pytest
import transaction
from transaction.interfaces import NoTransaction

from cliquet import _transaction as undo
from cliquet._transaction import UndoLog


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
    with caplog.at_level(logging.ERROR, logger="cliquet._transaction"):
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
    assert UndoLog(None).sortKey() == undo.UNDO_LOG_SORT_KEY
    # PostgreSQL data managers (one per client, its id after the prefix) first.
    assert f"{undo.POSTGRESQL_SORT_KEY}:{2 ** 64}" < undo.UNDO_LOG_SORT_KEY


def test_a_transaction_is_open_until_it_commits(manager):
    current = manager.begin()
    assert undo.is_open(current)
    current.doom()
    assert undo.is_open(current)  # doomed: still takes data managers
    manager.abort()
    current = manager.begin()
    seen = []
    current.addAfterCommitHook(lambda success: seen.append(undo.is_open(current)))
    manager.commit()
    assert seen == [False]


def test_a_data_manager_joins_the_current_transaction_once():
    key, built = object(), []

    def factory(transaction_):
        built.append(transaction_)
        return FailingVote()

    current = transaction.begin()
    try:
        assert not undo.joined(key)
        first = undo.data_manager(key, factory)
        assert undo.data_manager(key, factory) is first and undo.joined(key)
        assert built == [current] and first in current._resources
    finally:
        transaction.abort()
    seen = []
    transaction.begin().addAfterCommitHook(
        lambda success: seen.append(undo.data_manager(key, factory)))
    transaction.commit()
    assert seen == [None] and len(built) == 1


def test_only_the_transaction_module_reads_the_private_status():
    import cliquet

    package = os.path.dirname(cliquet.__file__)
    readers = sorted(os.path.relpath(path, package)
                     for path in glob.glob(os.path.join(package, "**", "*.py"), recursive=True)
                     if "transaction._transaction" in open(path, encoding="utf-8").read())
    assert readers == ["_transaction.py"]


def test_an_armed_transaction_is_joined_at_the_first_write_only(manager):
    current = manager.begin()
    undo.arm(manager, current)
    assert undo.recording() and undo._active.get() is None  # armed, not joined yet
    log = undo.active_log()
    assert log is not None and log in current._resources
    assert undo.active_log() is log  # joined once
    manager.abort()
    assert not undo.recording()


def test_a_finished_request_leaves_nothing_armed(manager):
    undo.arm(manager, manager.begin())
    manager.abort()
    undo.disarm()
    assert not undo.recording() and undo.active_log() is None


def test_reads_join_no_undo_log_and_writes_do(monkeypatch):
    import webtest

    from cliquet.testing import get_user_headers
    from tests import support

    joins = []
    join = UndoLog.join
    monkeypatch.setattr(UndoLog, "join", lambda self, txn: joins.append(self) or join(self, txn))
    settings = dict(support.backend_settings("memory"), userid_hmac_secret="undo tests")
    app = webtest.TestApp(support.make_wsgi_app(settings, scan="tests.resource.resources",
                                                project_name="testapp"))
    headers = get_user_headers("alice")
    app.get("/v1/notes", headers=headers)
    app.get("/v1/", headers=headers)
    assert joins == []
    app.post_json("/v1/notes", {"data": {"title": "a"}}, headers=headers, status=201)
    assert len(joins) == 1
    assert not undo.recording()  # the request is over
