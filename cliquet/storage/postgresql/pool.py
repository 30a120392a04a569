"""Connection pool refusing new waiters beyond a backlog limit."""
from typing import cast

from sqlalchemy.pool import QueuePool
from sqlalchemy.util.queue import Empty, Queue


class BacklogQueue(Queue):
    """The queue of pooled connections, where at most ``max_backlog`` threads may wait.

    When empty and ``max_backlog`` threads already wait, a blocking ``get``
    raises ``Empty`` at once. ``-1`` means no limit.
    """

    def __init__(self, maxsize: int = 0, use_lifo: bool = False, max_backlog: int = -1):
        super().__init__(maxsize, use_lifo)
        self.max_backlog = int(max_backlog)
        self.waiters = 0

    def get(self, block: bool = True, timeout: float | None = None):
        if not block or self.max_backlog < 0:
            return super().get(block, timeout)
        with self.mutex:
            if self._empty() and self.waiters >= self.max_backlog:
                raise Empty()
            self.waiters += 1
        try:
            return super().get(block, timeout)
        finally:
            with self.mutex:
                self.waiters -= 1


class QueuePoolWithMaxBacklog(QueuePool):
    """A ``QueuePool`` where at most ``max_backlog`` threads may wait for a connection.

    When the pool is exhausted and ``max_backlog`` threads are already
    waiting, the next checkout fails at once with ``sqlalchemy.exc.TimeoutError``
    instead of queueing. ``-1`` (default) means no limit.

    :param max_backlog: maximum number of waiting threads, ``-1`` for unlimited.
    """

    def __init__(self, creator, max_backlog: int = -1, **kwargs):
        super().__init__(creator, **kwargs)
        self._pool = BacklogQueue(self._pool.maxsize, self._pool.use_lifo, max_backlog)

    def recreate(self) -> "QueuePoolWithMaxBacklog":
        self.logger.info("Pool recreating")
        return self.__class__(
            self._creator,
            max_backlog=cast(BacklogQueue, self._pool).max_backlog,  # set in __init__
            pool_size=self._pool.maxsize,
            max_overflow=self._max_overflow,
            pre_ping=self._pre_ping,
            use_lifo=self._pool.use_lifo,
            timeout=self._timeout,
            recycle=self._recycle,
            echo=self.echo,
            logging_name=self._orig_logging_name,
            reset_on_return=self._reset_on_return,
            _dispatch=self.dispatch,
            dialect=self._dialect,
        )
