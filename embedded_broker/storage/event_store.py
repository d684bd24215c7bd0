"""The event store: topics and their durable, encrypted event logs.

One SQLite database (WAL) holds topics and event blocks; a keyring beside it holds
each topic's data key wrapped by the master key. Writes go through one group-commit writer
thread; reads run on any thread, each statement on a connection borrowed from a bounded pool.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedded_broker.core.dedup import DedupPolicy, OffsetPosition
from embedded_broker.core.errors import (
    AlreadyExists,
    InvalidArgument,
    KeyUnavailable,
    NotFound,
)
from embedded_broker.core.ids import RlidGenerator, new_ulid, now_ms, parse_ulid, ulid_str
from embedded_broker.core.model import (
    EventRecord,
    PublishReceipt,
    Topic,
    TopicState,
    TopicStats,
)
from embedded_broker.core.names import validate_topic_name
from embedded_broker.crypto.keyring import Keyring
from embedded_broker.private_files import ensure_private_dir
from embedded_broker.storage.blocks import decode_block, open_block
from embedded_broker.storage.dir_lock import DirectoryLock
from embedded_broker.storage.publish_batch import PreparedPublishes
from embedded_broker.storage.reader_pool import ReaderPool
from embedded_broker.storage.schema import DATABASE_FILE, Durability, connect
from embedded_broker.storage.topic_catalog import TopicCatalog, TopicEntry, TopicKeys
from embedded_broker.storage.writer import GroupCommitWriter, PublishRequest

if TYPE_CHECKING:
    from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

log = logging.getLogger(__name__)

_BLOCKS_PER_FETCH = 8
_TOPIC_COLUMNS = (
    "seq, id, project_id, name, state, created_ms, modified_ms, dedup, "
    "events, bytes, duplicates, first_ms, last_ms, types"
)


class EventStore:
    """Topics and events in a data directory. Thread-safe.

    Open it with :meth:`open`; close it with :meth:`close` (or use it as a context manager).
    """

    def __init__(
        self, data_dir: Path, keyring: Keyring, durability: Durability, lock: DirectoryLock
    ) -> None:
        self.data_dir = data_dir
        self._lock = lock
        self._path = data_dir / DATABASE_FILE
        self._keyring = keyring
        self._durability = durability
        self._catalog = TopicCatalog()
        self.readers = ReaderPool(lambda: connect(self._path, durability, writer=False))
        conn = connect(self._path, durability, writer=True)
        self._recover(conn)
        self._load_topics(conn)
        self._rlids = RlidGenerator(self._last_id(conn))
        self._listeners: list[Callable[[dict[bytes, int]], None]] = []
        self._writer = GroupCommitWriter(
            conn,
            lambda c, reqs: PreparedPublishes(c, reqs, self._catalog, self._rlids, self._notify),
        )

    @classmethod
    def open(
        cls,
        data_dir: Path | str,
        *,
        passphrase: str | None = None,
        durability: Durability = "full",
    ) -> EventStore:
        """Open (creating on first use) the store in ``data_dir``.

        Raises:
            KeyUnavailable: if the master key is missing or the passphrase is wrong.
            StorageError: if the event log cannot be opened.
        """
        directory = ensure_private_dir(Path(data_dir))
        lock = DirectoryLock(directory)
        try:
            keyring = Keyring.open(
                directory, passphrase, may_create=not _has_topics(directory / DATABASE_FILE)
            )
            return cls(directory, keyring, durability, lock)
        except BaseException:
            lock.release()
            raise

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Commit everything queued, then close all connections."""
        self.readers.close()
        try:
            self._writer.close()
        finally:
            self._lock.release()

    def add_commit_listener(self, listener: Callable[[dict[bytes, int]], None]) -> None:
        """Call ``listener({topic_id: last_offset})`` after each commit that appended events.

        It runs on the writer thread, after the events are readable: keep it short and never
        call back into the store from it (hand work to another thread or an event loop).
        """
        self._listeners.append(listener)

    def _notify(self, last_offsets: dict[bytes, int]) -> None:
        for listener in self._listeners:
            try:
                listener(last_offsets)
            except Exception:  # a listener's bug must not stop acknowledgements
                log.exception("a commit listener failed")

    # -- topics -----------------------------------------------------------------------------

    def create_topic(
        self, project_id: bytes | str, name: str, dedup: DedupPolicy | None = None
    ) -> Topic:
        """Create a topic in a project.

        The store does not check that the project exists: projects live in the project
        directory (``auth.db``), which callers consult.

        Raises:
            InvalidArgument: if the name breaks Ensign's topic-name rules.
            AlreadyExists: if the project already has a topic with that name.
        """
        project = parse_ulid(project_id)
        name = validate_topic_name(name)
        policy = dedup or DedupPolicy()

        def insert(conn: sqlite3.Connection) -> Topic:
            if conn.execute(
                "SELECT 1 FROM topics WHERE project_id=? AND name=?", (project, name)
            ).fetchone():
                raise AlreadyExists(f"the project already has a topic named {name!r}")
            created = now_ms()
            topic = Topic(
                new_ulid(created),
                project,
                name,
                TopicState.READY,
                created,
                created,
                policy,
                TopicStats(),
            )
            # The key is stored first: a crash before the row commits leaves only an orphan key,
            # which the next open removes.
            keys = TopicKeys.from_data_key(self._keyring.create_key(topic.id))
            cursor = conn.execute(
                "INSERT INTO topics (id, project_id, name, state, created_ms, modified_ms, dedup) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (topic.id, project, name, topic.state.value, created, created, policy.to_json()),
            )
            assert cursor.lastrowid is not None
            entry = TopicEntry(cursor.lastrowid, topic, keys)
            self._writer.on_commit(lambda: self._catalog.put(entry))
            return topic

        return self._writer.submit(insert).result()

    def topics(self, project_id: bytes | str | None = None) -> list[Topic]:
        """Every topic (of one project, if given), by name."""
        wanted = parse_ulid(project_id) if project_id is not None else None
        found = [e.topic for e in self._catalog if wanted is None or e.topic.project_id == wanted]
        return sorted(found, key=lambda t: (t.project_id, t.name))

    def topic(self, topic_id: bytes | str) -> Topic:
        """Return one topic, with current statistics.

        Raises:
            NotFound: if it does not exist.
        """
        return self._catalog.get(parse_ulid(topic_id)).topic

    def topic_by_name(self, project_id: bytes | str, name: str) -> Topic:
        """Return a project's topic by name.

        Raises:
            NotFound: if the project has no such topic.
        """
        raw = parse_ulid(project_id)
        for entry in self._catalog:
            if entry.topic.project_id == raw and entry.topic.name == name:
                return entry.topic
        raise NotFound(f"topic {name!r} does not exist in project {ulid_str(raw)}")

    def archive_topic(self, topic_id: bytes | str) -> Topic:
        """Make a topic read-only: its events stay readable, publishing is refused."""
        return self._update_topic(topic_id, state=TopicState.ARCHIVED)

    def set_dedup_policy(self, topic_id: bytes | str, policy: DedupPolicy) -> Topic:
        """Change a topic's deduplication policy.

        Events already stored keep their flags; they are fingerprinted under the new policy so
        that later events are compared with the whole history.
        """
        return self._update_topic(topic_id, dedup=policy)

    def _update_topic(
        self,
        topic_id: bytes | str,
        *,
        state: TopicState | None = None,
        dedup: DedupPolicy | None = None,
    ) -> Topic:
        raw = parse_ulid(topic_id)

        def update(conn: sqlite3.Connection) -> Topic:
            entry = self._catalog.get(raw)
            topic = entry.topic
            changed = replace(
                topic, state=state or topic.state, dedup=dedup or topic.dedup, modified_ms=now_ms()
            )
            conn.execute(
                "UPDATE topics SET state=?, dedup=?, modified_ms=? WHERE seq=?",
                (changed.state.value, changed.dedup.to_json(), changed.modified_ms, entry.seq),
            )
            if dedup is not None:
                self._reindex(conn, entry, dedup)
            updated = TopicEntry(entry.seq, changed, entry.keys)
            self._writer.on_commit(lambda: self._catalog.put(updated))
            return changed

        return self._writer.submit(update).result()

    def _reindex(self, conn: sqlite3.Connection, entry: TopicEntry, policy: DedupPolicy) -> None:
        conn.execute("DELETE FROM dedup WHERE topic=?", (entry.seq,))
        if not policy.enabled:
            return
        fingerprints: dict[bytes, int] = {}
        latest = policy.offset is OffsetPosition.LATEST
        for record in self._scan(entry, 1, conn):
            fingerprint = entry.keys.fingerprint(policy, record.event)
            if fingerprint is not None and (latest or fingerprint not in fingerprints):
                fingerprints[fingerprint] = record.offset
        conn.executemany(
            "INSERT INTO dedup (topic, fingerprint, event_offset) VALUES (?, ?, ?)",
            [(entry.seq, fp, offset) for fp, offset in fingerprints.items()],
        )

    def destroy_topic(self, topic_id: bytes | str) -> None:
        """Destroy a topic: its data key is erased first, then its events and record.

        Once the key is gone no copy of the event log can be decrypted, so this is final.
        """
        raw = parse_ulid(topic_id)

        def destroy(conn: sqlite3.Connection) -> None:
            entry = self._catalog.get(raw)
            # The key goes first and for good: if deleting the rows fails, the topic cannot be
            # read any more, and the next open finishes the job (see _recover).
            self._catalog.remove(raw)
            self._keyring.destroy_key(raw)
            self._delete_topic_rows(conn, entry.seq)

        self._writer.submit(destroy).result()
        self._writer.checkpoint()

    @staticmethod
    def _delete_topic_rows(conn: sqlite3.Connection, seq: int) -> None:
        conn.execute("DELETE FROM blocks WHERE topic=?", (seq,))
        conn.execute("DELETE FROM dedup WHERE topic=?", (seq,))
        conn.execute("DELETE FROM topics WHERE seq=?", (seq,))

    # -- events -----------------------------------------------------------------------------

    def publish(
        self,
        topic_id: bytes | str,
        events: Sequence[Event],
        bodies: Sequence[bytes] | None = None,
    ) -> Future[PublishReceipt]:
        """Append events to a topic, in order.

        Args:
            topic_id: the topic's 16-byte id or ULID text.
            events: decoded ``ensign.v1beta1.Event`` messages.
            bodies: the same events as published (encoded), one per event; they are stored
                byte for byte. Without them each event is encoded here.

        The returned future resolves with a :class:`PublishReceipt` once every event is
        committed to disk, or fails with :class:`TopicArchived`, :class:`NotFound`,
        :class:`EventTooLarge` (nothing of the call is stored) or :class:`StorageFull`.

        Raises:
            InvalidArgument: if ``bodies`` and ``events`` differ in length.
        """
        raw = parse_ulid(topic_id)
        if bodies is not None and len(bodies) != len(events):
            raise InvalidArgument(f"{len(bodies)} bodies for {len(events)} events")
        return self._writer.publish(
            PublishRequest(raw, list(events), None if bodies is None else list(bodies))
        )

    def read(self, topic_id: bytes | str, start: int = 1, limit: int = 1000) -> list[EventRecord]:
        """Return up to ``limit`` events from offset ``start`` on, in offset order.

        Raises:
            NotFound: if the topic does not exist.
            CorruptData: if a stored block in the range fails authentication.
        """
        if start < 1:
            raise InvalidArgument(f"offsets start at 1, got {start}")
        if limit < 0:
            raise InvalidArgument(f"limit must not be negative, got {limit}")
        entry = self._catalog.get(parse_ulid(topic_id))
        out: list[EventRecord] = []
        stop = start + limit
        for page in self._pages(entry, start, stop):
            out += page
        return out

    def read_time(
        self,
        topic_id: bytes | str,
        start_ms: int,
        end_ms: int | None = None,
        limit: int = 1000,
    ) -> list[EventRecord]:
        """Return up to ``limit`` events committed in ``[start_ms, end_ms)``, in order."""
        entry = self._catalog.get(parse_ulid(topic_id))
        start = self.offset_at(entry.topic.id, start_ms)
        out: list[EventRecord] = []
        if start is None or limit <= 0:
            return out
        for record in self._scan(entry, start):
            if end_ms is not None and record.committed_ms >= end_ms:
                break
            if record.committed_ms >= start_ms:
                out.append(record)
                if len(out) >= limit:
                    break
        return out

    def offset_at(self, topic_id: bytes | str, ms: int) -> int | None:
        """Return the offset of the first event committed at or after ``ms``, or None."""
        entry = self._catalog.get(parse_ulid(topic_id))
        with self.readers.connection() as conn:
            row = conn.execute(
                "SELECT first_offset, count, first_id, nonce, payload FROM blocks "
                "WHERE topic=? AND last_ms>=? ORDER BY last_ms, first_offset LIMIT 1",
                (entry.seq, ms),
            ).fetchone()
        if row is None:
            return None
        for record in self._decode(entry, *row):
            if record.committed_ms >= ms:
                return record.offset
        return None

    def iter_events(self, topic_id: bytes | str, start: int = 1) -> Iterator[EventRecord]:
        """Yield every event from offset ``start`` to the current end, in order."""
        entry = self._catalog.get(parse_ulid(topic_id))
        yield from self._scan(entry, start)

    def _scan(
        self, entry: TopicEntry, start: int, conn: sqlite3.Connection | None = None
    ) -> Iterator[EventRecord]:
        for page in self._pages(entry, start, None, conn):
            yield from page

    def _pages(
        self,
        entry: TopicEntry,
        start: int,
        stop: int | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> Iterator[list[EventRecord]]:
        """Yield the events with ``start <= offset < stop`` block by block.

        Blocks are fetched a few at a time with short statements, each on a connection borrowed
        for it (or on ``conn``, the writer's), so a slow consumer of this iterator never holds a
        read transaction open (which would pin an old snapshot and keep the WAL from being
        checkpointed) nor a connection of the pool.
        """
        end = stop if stop is not None else 1 << 62
        row = self._fetch(
            conn,
            "SELECT max(first_offset) FROM blocks WHERE topic=? AND first_offset<=?",
            (entry.seq, start),
        )
        after = row[0][0] if row and row[0][0] is not None else 0
        while True:
            rows = self._fetch(
                conn,
                "SELECT first_offset, count, first_id, nonce, payload FROM blocks WHERE topic=? "
                "AND first_offset>=? AND first_offset<? ORDER BY first_offset LIMIT ?",
                (entry.seq, after, end, _BLOCKS_PER_FETCH),
            )
            for first, count, first_id, nonce, sealed in rows:
                yield self._decode(entry, first, count, first_id, nonce, sealed, start, stop)
            if len(rows) < _BLOCKS_PER_FETCH:
                return
            after = rows[-1][0] + 1

    @staticmethod
    def _decode(
        entry: TopicEntry,
        first: int,
        count: int,
        first_id: bytes,
        nonce: bytes | None,
        sealed: bytes,
        start: int = 0,
        stop: int | None = None,
    ) -> list[EventRecord]:
        topic = entry.topic
        plain = open_block(
            entry.keys.blocks, topic.id, topic.name, first, count, first_id, nonce, sealed
        )
        return decode_block(topic.id, first, plain, start, stop)

    def _fetch(
        self, conn: sqlite3.Connection | None, sql: str, args: tuple[object, ...]
    ) -> list[Any]:
        if conn is not None:
            return conn.execute(sql, args).fetchall()
        with self.readers.connection() as borrowed:
            return borrowed.execute(sql, args).fetchall()

    # -- opening ----------------------------------------------------------------------------

    def _recover(self, conn: sqlite3.Connection) -> None:
        """Finish destroys a crash interrupted; refuse to open if a topic's key is just missing.

        Rows are deleted only with positive evidence (the keyring's record of the destroy): a
        keyring restored from an old backup must never cost the event log its data.
        """
        keyed = self._keyring.topic_ids()
        missing = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for seq, topic_id, name in conn.execute("SELECT seq, id, name FROM topics").fetchall():
                if topic_id in keyed:
                    continue
                if self._keyring.was_destroyed(topic_id):
                    log.warning("finishing the interrupted destruction of topic %r", name)
                    self._delete_topic_rows(conn, seq)
                else:
                    missing.append(name)
            # Rows of topics whose record is gone (a create that never committed its row).
            conn.execute("DELETE FROM blocks WHERE topic NOT IN (SELECT seq FROM topics)")
            conn.execute("DELETE FROM dedup WHERE topic NOT IN (SELECT seq FROM topics)")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if missing:
            conn.close()
            raise KeyUnavailable(
                f"the keyring has no key for topic(s) {', '.join(map(repr, missing))}: restore "
                "the keyring.json that belongs with this event log"
            )

    def _load_topics(self, conn: sqlite3.Connection) -> None:
        for row in conn.execute(f"SELECT {_TOPIC_COLUMNS} FROM topics"):
            seq, topic_id, project_id, name, state, created, modified, dedup = row[:8]
            events, size, duplicates, first_ms, last_ms, types = row[8:]
            keys = TopicKeys.from_data_key(self._keyring.data_key(topic_id))
            stats = TopicStats(
                events, size, duplicates, first_ms, last_ms, *keys.open_types(topic_id, types)
            )
            topic = Topic(
                topic_id,
                project_id,
                name,
                TopicState(state),
                created,
                modified,
                DedupPolicy.from_json(dedup),
                stats,
            )
            self._catalog.put(TopicEntry(seq, topic, keys))

    @staticmethod
    def _last_id(conn: sqlite3.Connection) -> bytes | None:
        row = conn.execute("SELECT value FROM meta WHERE key='last_id'").fetchone()
        return bytes(row[0]) if row else None


def _has_topics(path: Path) -> bool:
    """True if the event log at ``path`` exists and records at least one topic."""
    if not path.exists():
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT 1 FROM topics LIMIT 1").fetchone() is not None
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
