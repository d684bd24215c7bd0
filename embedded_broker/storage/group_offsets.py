"""Consumer groups and their committed offsets, kept in ``groups.db`` in the data directory.

Offsets are saved with ``synchronous=NORMAL``: losing the last commits to a power cut only means
some events are delivered again, which at-least-once delivery allows. Several processes may
share the file; a saved offset never moves backwards, whichever process saves it.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from embedded_broker.core.errors import InvalidArgument, NotFound, StoreClosed
from embedded_broker.core.group_delivery import DEFAULT_DELIVERY_TIMEOUT_S, validate_group_name
from embedded_broker.core.ids import new_ulid, now_ms, ulid_str
from embedded_broker.private_files import ensure_private_dir

GROUPS_DATABASE_FILE = "groups.db"

_DDL = """
CREATE TABLE IF NOT EXISTS groups (
    id BLOB PRIMARY KEY,
    project_id BLOB NOT NULL,
    name TEXT NOT NULL,
    delivery_timeout_s REAL NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS group_offsets (
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    topic_id BLOB NOT NULL,
    committed INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_offsets_by_topic ON group_offsets (topic_id);
"""
_COLUMNS = "id, project_id, name, delivery_timeout_s, created_ms"


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A consumer group as stored."""

    id: bytes
    project_id: bytes
    name: str
    delivery_timeout_s: float
    created_ms: int

    @property
    def id_str(self) -> str:
        """The id as a 26-character ULID string."""
        return ulid_str(self.id)


class GroupOffsets:
    """Consumer groups and their committed offsets. Thread-safe; several processes may share it."""

    def __init__(self, data_dir: Path) -> None:
        path = ensure_private_dir(data_dir) / GROUPS_DATABASE_FILE
        if not path.exists():
            path.touch(mode=0o600)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_DDL)
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database. Further calls raise StoreClosed."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def ensure_group(
        self, project_id: bytes, name: str, delivery_timeout_s: float | None = None
    ) -> tuple[GroupRecord, bool]:
        """Return a project's group called ``name`` and whether it was just created.

        A new group gets ``delivery_timeout_s`` (or the default); an existing group's timeout is
        updated when one is given.

        Raises:
            InvalidArgument: if the name is empty or too long, or the timeout is not positive.
        """
        validate_group_name(name)
        if delivery_timeout_s is not None and not (
            math.isfinite(delivery_timeout_s) and delivery_timeout_s > 0
        ):
            raise InvalidArgument(
                f"a delivery timeout must be a positive number of seconds, got {delivery_timeout_s}"
            )
        created_ms = now_ms()
        timeout = DEFAULT_DELIVERY_TIMEOUT_S if delivery_timeout_s is None else delivery_timeout_s
        with self._transaction() as conn:
            inserted = conn.execute(
                f"INSERT INTO groups ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (project_id, name) DO NOTHING",
                (new_ulid(created_ms), project_id, name, timeout, created_ms),
            )
            created = inserted.rowcount == 1
            if not created and delivery_timeout_s is not None:
                conn.execute(
                    "UPDATE groups SET delivery_timeout_s=?"
                    " WHERE project_id=? AND name=? AND delivery_timeout_s<>?",
                    (timeout, project_id, name, timeout),
                )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM groups WHERE project_id=? AND name=?", (project_id, name)
            ).fetchone()
        return _record(row), created

    def groups(self, project_id: bytes | None = None) -> list[GroupRecord]:
        """Every group (of one project, if given), oldest first."""
        where, args = ("WHERE project_id=?", (project_id,)) if project_id is not None else ("", ())
        with self._lock:
            rows = (
                self._connection()
                .execute(f"SELECT {_COLUMNS} FROM groups {where} ORDER BY created_ms, rowid", args)
                .fetchall()
            )
        return [_record(row) for row in rows]

    def load(self, group_id: bytes) -> dict[bytes, int]:
        """A group's committed offset of every topic it has read (empty for an unknown group)."""
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT topic_id, committed FROM group_offsets WHERE group_id=?", (group_id,)
                )
                .fetchall()
            )
        return {bytes(topic_id): int(committed) for topic_id, committed in rows}

    def save(self, group_id: bytes, committed: Mapping[bytes, int]) -> None:
        """Record a group's committed offsets in one transaction; an offset never moves back.

        Raises:
            InvalidArgument: if an offset is negative.
            NotFound: if there is no such group.
        """
        rows = [(group_id, topic_id, offset) for topic_id, offset in committed.items()]
        if any(offset < 0 for _, _, offset in rows):
            raise InvalidArgument("a committed offset cannot be negative")
        if not rows:
            return
        try:
            with self._transaction() as conn:
                conn.executemany(
                    "INSERT INTO group_offsets (group_id, topic_id, committed) VALUES (?, ?, ?)"
                    " ON CONFLICT (group_id, topic_id) DO UPDATE"
                    " SET committed=max(committed, excluded.committed)",
                    rows,
                )
        except sqlite3.IntegrityError:  # the foreign key: no such group
            raise NotFound(f"no consumer group with id {group_id.hex()}") from None

    def forget_topic(self, topic_id: bytes) -> None:
        """Drop every group's offset of a destroyed topic."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM group_offsets WHERE topic_id=?", (topic_id,))

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreClosed("the consumer group store is closed")
        return self._conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and a write transaction; commit on success, roll back on error."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


def _record(row: tuple[object, ...]) -> GroupRecord:
    group_id, project_id, name, timeout, created = row
    assert isinstance(group_id, bytes) and isinstance(project_id, bytes)
    assert isinstance(name, str) and isinstance(timeout, float) and isinstance(created, int)
    return GroupRecord(group_id, project_id, name, timeout, created)
