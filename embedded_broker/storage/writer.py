"""The single writer: one thread owns the write connection and commits publishes in groups.

Publishers queue requests and get a future. The writer drains whatever has queued up (up to a
limit), writes it all in one transaction, commits, and only then resolves the futures: an
acknowledged event is on disk. Under load, batches grow by themselves, so the per-commit cost
(an fsync) is shared by thousands of events; when idle, a lone event commits at once.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from embedded_broker.core.errors import StorageError, StorageFull, StoreClosed

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH_EVENTS = 20_000


@dataclass(slots=True)
class PublishRequest:
    """Events to append to one topic, and the future that acknowledges them.

    ``events`` are decoded ``ensign.v1beta1.Event`` messages; ``bodies``, when given, are the
    same events exactly as published (encoded), stored as they are instead of encoded again.
    """

    topic_id: bytes
    events: list[Any]
    bodies: list[bytes] | None = None
    future: Future[Any] = field(default_factory=Future)


@dataclass(slots=True)
class _AdminRequest:
    run: Callable[[sqlite3.Connection], Any]
    transactional: bool = True
    future: Future[Any] = field(default_factory=Future)


class PreparedBatch(Protocol):
    """A group of publishes turned into rows, ready to write in one transaction."""

    def write(self, conn: sqlite3.Connection) -> None:
        """Write the rows (inside the writer's transaction)."""

    def committed(self) -> None:
        """Apply in-memory changes and resolve futures; called only after COMMIT succeeded."""


Prepare = Callable[[sqlite3.Connection, list[PublishRequest]], PreparedBatch]


class GroupCommitWriter:
    """Runs publishes (group-committed) and admin changes (one transaction each) in order."""

    def __init__(self, conn: sqlite3.Connection, prepare: Prepare) -> None:
        self._conn = conn
        self._prepare = prepare
        self._queue: queue.SimpleQueue[PublishRequest | _AdminRequest | None] = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()
        self._after_commit: list[Callable[[], None]] = []
        self._thread = threading.Thread(target=self._run, name="event-log-writer", daemon=True)
        self._thread.start()

    def publish(self, request: PublishRequest) -> Future[Any]:
        """Queue a publish; its future resolves after the commit that holds it."""
        self._put(request)
        return request.future

    def submit(self, run: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Run ``run(conn)`` in its own transaction on the writer thread."""
        request = _AdminRequest(run)
        self._put(request)
        return request.future

    def on_commit(self, action: Callable[[], None]) -> None:
        """From inside an admin transaction: run ``action`` once it has committed.

        In-memory state changes go here, so a failed commit leaves memory matching the disk.
        """
        self._after_commit.append(action)

    def checkpoint(self) -> None:
        """Fold the WAL into the database file and truncate the WAL, then return."""
        request = _AdminRequest(_truncate_wal, transactional=False)
        self._put(request)
        request.future.result()

    def _put(self, request: PublishRequest | _AdminRequest) -> None:
        if threading.current_thread() is self._thread and isinstance(request, _AdminRequest):
            raise RuntimeError(
                "the event store cannot be changed from a publish callback (it runs on the "
                "writer thread); hand the work to another thread"
            )
        with self._close_lock:
            if self._closed:
                raise StoreClosed("the event store is closed")
            self._queue.put(request)

    def close(self) -> None:
        """Finish every queued request, then stop the thread."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()
        try:
            _truncate_wal(self._conn)
        finally:
            self._conn.close()

    def _run(self) -> None:
        pending: PublishRequest | _AdminRequest | None = None
        while True:
            request = pending if pending is not None else self._queue.get()
            pending = None
            if request is None:
                return
            if isinstance(request, _AdminRequest):
                self._run_admin(request)
                continue
            batch, size = [request], len(request.events)
            while size < MAX_BATCH_EVENTS:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(more, PublishRequest):
                    pending = more  # admin work or shutdown: after this batch, in order
                    if more is None:
                        self._commit_publishes(batch)
                        return
                    break
                batch.append(more)
                size += len(more.events)
            self._commit_publishes(batch)

    def _commit_publishes(self, requests: list[PublishRequest]) -> None:
        # A future cancelled while queued is dropped; once running it can no longer be cancelled.
        batch = [r for r in requests if r.future.set_running_or_notify_cancel()]
        if not batch:
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            prepared = self._prepare(self._conn, batch)
            prepared.write(self._conn)
            self._conn.execute("COMMIT")
        except Exception as exc:
            self._rollback()
            error = _storage_error(exc)
            log.error("group commit of %d publishes failed: %s", len(batch), error)
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(error)
            return
        try:
            prepared.committed()
        except Exception:  # pragma: no cover - a bug; keep the writer alive for other publishers
            log.exception("acknowledging a committed batch failed")

    def _run_admin(self, request: _AdminRequest) -> None:
        if not request.future.set_running_or_notify_cancel():
            return
        try:
            if request.transactional:
                self._conn.execute("BEGIN IMMEDIATE")
            result = request.run(self._conn)
            if request.transactional:
                self._conn.execute("COMMIT")
        except Exception as exc:
            self._after_commit.clear()
            self._rollback()
            request.future.set_exception(_storage_error(exc))
        else:
            actions, self._after_commit = self._after_commit, []
            for action in actions:
                action()
            request.future.set_result(result)

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:  # pragma: no cover - SQLite already rolled back
                log.exception("rollback failed")


def _truncate_wal(conn: sqlite3.Connection) -> None:
    # A reader mid-statement can hold the checkpoint up; wait briefly, not the full timeout.
    conn.execute("PRAGMA busy_timeout=2000")
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.execute("PRAGMA busy_timeout=30000")


def _storage_error(exc: BaseException) -> BaseException:
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
            return StorageFull(
                "the disk holding the event log is full: free some space, then publish again "
                "(nothing in the failed batch was stored)"
            )
        return StorageError(f"the event log could not be written: {exc}")
    return exc
