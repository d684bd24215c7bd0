"""A bounded pool of read connections to the event log.

Each read statement borrows a connection and gives it back at once, so a server with thousands of
subscribers, queries and exports holds at most ``size`` SQLite connections (and their file
handles: the database, its WAL and shared memory) for reading, whichever threads do the reads.
A thread that finds every connection busy waits for one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from embedded_broker.core.errors import StoreClosed

DEFAULT_READERS = 8
"""Read connections at most: the broker reads on a handful of threads."""


class ReaderPool:
    """At most ``size`` connections made by ``connect``, lent one statement at a time.

    Raises:
        ValueError: if ``size`` is less than 1.
    """

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], size: int = DEFAULT_READERS
    ) -> None:
        if size < 1:
            raise ValueError("a reader pool needs at least one connection")
        self._connect = connect
        self.size = size
        self._idle: list[sqlite3.Connection] = []
        self._opened = 0
        self._closed = False
        self._available = threading.Condition()

    @property
    def opened(self) -> int:
        """How many connections are open now (never more than ``size``)."""
        return self._opened

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """Borrow a connection for one short read.

        Raises:
            StoreClosed: if the pool is closed.
        """
        conn = self._acquire()
        try:
            yield conn
        finally:
            self._release(conn)

    def close(self) -> None:
        """Close idle connections now and borrowed ones as they come back."""
        with self._available:
            self._closed = True
            for conn in self._idle:
                conn.close()
            self._opened -= len(self._idle)
            self._idle.clear()
            self._available.notify_all()

    def _acquire(self) -> sqlite3.Connection:
        with self._available:
            while True:
                if self._closed:
                    raise StoreClosed("the event store is closed")
                if self._idle:
                    return self._idle.pop()
                if self._opened < self.size:
                    self._opened += 1
                    break
                self._available.wait()
        try:
            return self._connect()
        except BaseException:
            with self._available:
                self._opened -= 1
                self._available.notify()
            raise

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._available:
            if self._closed:
                conn.close()
                self._opened -= 1
            else:
                self._idle.append(conn)
            self._available.notify()
