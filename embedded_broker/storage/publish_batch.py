"""Turning a group of publish requests into sealed blocks: the event log's hot path."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from embedded_broker.core.dedup import OffsetPosition, fingerprint_parts
from embedded_broker.core.errors import BrokerError, EventTooLarge, TopicArchived
from embedded_broker.core.ids import RlidGenerator, make_rlid
from embedded_broker.core.model import MAX_EVENT_SIZE, PublishReceipt, TopicState, TopicStats
from embedded_broker.crypto.aead import keyed_digest
from embedded_broker.storage.blocks import (
    HEADER_SIZE,
    MAX_BLOCK_BYTES,
    MAX_BLOCK_EVENTS,
    frame,
    seal_block,
)
from embedded_broker.storage.topic_catalog import TopicCatalog, TopicEntry
from embedded_broker.storage.writer import PublishRequest


@dataclass(slots=True)
class _TopicBatch:
    """What one group commit appends to one topic."""

    entry: TopicEntry
    next_offset: int
    events: int
    size: int
    duplicates: int
    first_ms: int | None
    last_ms: int | None
    types: dict[tuple[str, int, int, int], int]
    blocks: list[tuple[int, int, bytes, int, bytes]] = field(default_factory=list)
    open_parts: list[bytes] = field(default_factory=list)
    open_first: int = 0
    open_first_id: bytes = b""
    open_count: int = 0
    open_bytes: int = 0
    fingerprints: dict[bytes, int] = field(default_factory=dict)

    @classmethod
    def start(cls, entry: TopicEntry) -> _TopicBatch:
        stats = entry.topic.stats
        return cls(
            entry=entry,
            next_offset=stats.events + 1,
            events=stats.events,
            size=stats.bytes,
            duplicates=stats.duplicates,
            first_ms=stats.first_ms,
            last_ms=stats.last_ms,
            types=dict(stats.types),
        )

    def close_block(self, last_ms: int) -> None:
        if not self.open_count:
            return
        topic_id = self.entry.topic.id
        plain = b"".join(self.open_parts)
        sealed = seal_block(
            self.entry.keys.blocks,
            topic_id,
            self.open_first,
            self.open_count,
            self.open_first_id,
            plain,
        )
        self.blocks.append((self.open_first, self.open_count, self.open_first_id, last_ms, sealed))
        self.open_parts = []
        self.open_count = 0
        self.open_bytes = 0

    def stats(self) -> TopicStats:
        return TopicStats(
            events=self.events,
            bytes=self.size,
            duplicates=self.duplicates,
            first_ms=self.first_ms,
            last_ms=self.last_ms,
            types=self.types,
        )


class PreparedPublishes:
    """A group commit's worth of publishes, sealed into blocks (see ``GroupCommitWriter``)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        requests: list[PublishRequest],
        catalog: TopicCatalog,
        rlids: RlidGenerator,
    ) -> None:
        self._catalog = catalog
        self._topics: dict[bytes, _TopicBatch] = {}
        self._accepted: list[tuple[PublishRequest, PublishReceipt]] = []
        self._last_id = b""
        for request in requests:
            try:
                receipt = self._append(conn, request, rlids)
            except BrokerError as exc:
                request.future.set_exception(exc)
            else:
                self._accepted.append((request, receipt))
        for batch in self._topics.values():
            batch.close_block(batch.last_ms or 0)

    def _append(
        self, conn: sqlite3.Connection, request: PublishRequest, rlids: RlidGenerator
    ) -> PublishReceipt:
        entry = self._catalog.get(request.topic_id)
        topic = entry.topic
        if topic.state is TopicState.ARCHIVED:
            raise TopicArchived(f"topic {topic.name!r} is archived (read-only); publish refused")
        bodies = [event.SerializeToString() for event in request.events]
        for index, body in enumerate(bodies):
            if len(body) > MAX_EVENT_SIZE:
                raise EventTooLarge(
                    f"event {index} is {len(body):,} bytes; the limit is {MAX_EVENT_SIZE:,} "
                    "bytes (5 MiB)"
                )
        batch = self._topics.get(topic.id)
        if batch is None:
            batch = self._topics[topic.id] = _TopicBatch.start(entry)
        ms, seq = rlids.next_block(len(bodies))
        first_offset = batch.next_offset
        ids = [make_rlid(ms, seq + i) for i in range(len(bodies))]
        duplicates = self._deduplicate(conn, batch, request, first_offset)
        types = batch.types
        offset = first_offset
        for event, body, event_id in zip(request.events, bodies, ids, strict=True):
            kind = event.type
            key = (kind.name, kind.major_version, kind.minor_version, kind.patch_version)
            types[key] = types.get(key, 0) + 1
            if batch.open_count >= MAX_BLOCK_EVENTS or batch.open_bytes >= MAX_BLOCK_BYTES:
                batch.close_block(ms)
            if not batch.open_count:
                batch.open_first, batch.open_first_id = offset, event_id
            batch.open_parts.append(frame(event_id, duplicates.get(offset, 0), body))
            batch.open_parts.append(body)
            batch.open_count += 1
            batch.open_bytes += HEADER_SIZE + len(body)
            batch.size += len(body)
            offset += 1
        batch.next_offset = offset
        batch.events += len(bodies)
        batch.duplicates += len(duplicates)
        if bodies:
            batch.first_ms = batch.first_ms or ms
            batch.last_ms = ms
            self._last_id = ids[-1]
        return PublishReceipt(topic.id, first_offset, ids, duplicates)

    def _deduplicate(
        self,
        conn: sqlite3.Connection,
        batch: _TopicBatch,
        request: PublishRequest,
        first_offset: int,
    ) -> dict[int, int]:
        policy = batch.entry.topic.dedup
        if not policy.enabled:
            return {}
        found: dict[int, int] = {}
        seen = batch.fingerprints
        for offset, event in enumerate(request.events, first_offset):
            parts = fingerprint_parts(policy, event)
            if parts is None:
                continue
            fingerprint = keyed_digest(batch.entry.keys.dedup, *parts)
            original = seen.get(fingerprint)
            if original is None:
                row = conn.execute(
                    "SELECT event_offset FROM dedup WHERE topic=? AND fingerprint=?",
                    (batch.entry.seq, fingerprint),
                ).fetchone()
                original = row[0] if row else None
            if original is not None:
                found[offset] = original
            if original is None or policy.offset is OffsetPosition.LATEST:
                seen[fingerprint] = offset
        return found

    def write(self, conn: sqlite3.Connection) -> None:
        """Insert the blocks, dedup fingerprints and new statistics."""
        for batch in self._topics.values():
            seq, topic_id = batch.entry.seq, batch.entry.topic.id
            conn.executemany(
                "INSERT INTO blocks (topic, first_offset, count, first_id, last_ms, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(seq, *block) for block in batch.blocks],
            )
            if batch.fingerprints:
                conn.executemany(
                    "INSERT OR REPLACE INTO dedup (topic, fingerprint, event_offset) "
                    "VALUES (?, ?, ?)",
                    [(seq, fp, offset) for fp, offset in batch.fingerprints.items()],
                )
            conn.execute(
                "UPDATE topics SET events=?, bytes=?, duplicates=?, first_ms=?, last_ms=?, "
                "types=? WHERE seq=?",
                (
                    batch.events,
                    batch.size,
                    batch.duplicates,
                    batch.first_ms,
                    batch.last_ms,
                    batch.entry.keys.seal_types(topic_id, batch.types),
                    seq,
                ),
            )
        if self._last_id:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_id', ?)", (self._last_id,))

    def committed(self) -> None:
        """Publish the new statistics and acknowledge every accepted request."""
        for batch in self._topics.values():
            self._catalog.put(batch.entry.with_stats(batch.stats()))
        for request, receipt in self._accepted:
            request.future.set_result(receipt)
