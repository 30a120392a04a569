"""Connection pool refusing new waiters beyond a backlog limit."""
import threading

from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import QueuePool


class QueuePoolWithMaxBacklog(QueuePool):
    """A ``QueuePool`` where at most ``max_backlog`` threads may wait for a connection.

    When the pool is exhausted and ``max_backlog`` threads are already
    waiting, the next checkout fails at once with ``sqlalchemy.exc.TimeoutError``
    instead of queueing. ``-1`` (default) means no limit.

    :param max_backlog: maximum number of waiting threads, ``-1`` for unlimited.
    """

    def __init__(self, creator, max_backlog: int = -1, **kwargs):
        super().__init__(creator, **kwargs)
        self._max_backlog = int(max_backlog)
        self._waiters = 0
        self._waiters_lock = threading.Lock()

    def _exhausted(self) -> bool:
        return self._pool.empty() and -1 < self._max_overflow <= self._overflow

    def _do_get(self):
        if self._max_backlog < 0:
            return super()._do_get()
        with self._waiters_lock:
            if self._exhausted() and self._waiters >= self._max_backlog:
                raise PoolTimeoutError(
                    f"Pool exhausted and {self._waiters} threads already waiting "
                    f"(max_backlog={self._max_backlog})"
                )
            self._waiters += 1
        try:
            return super()._do_get()
        finally:
            with self._waiters_lock:
                self._waiters -= 1

    def recreate(self) -> "QueuePoolWithMaxBacklog":
        self.logger.info("Pool recreating")
        return self.__class__(
            self._creator,
            max_backlog=self._max_backlog,
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
