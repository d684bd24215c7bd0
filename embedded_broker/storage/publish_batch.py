"""Turning a group of publish requests into sealed blocks: the event log's hot path."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from embedded_broker.core.dedup import OffsetPosition
from embedded_broker.core.errors import BrokerError, InvalidArgument
from embedded_broker.core.ids import RLID_SIZE, RlidGenerator, rlid_ms
from embedded_broker.core.model import MAX_EVENT_SIZE, PublishReceipt, TopicStats
from embedded_broker.core.publish_rules import check_event_size, check_topic_open
from embedded_broker.storage.blocks import (
    MAX_BLOCK_BYTES,
    MAX_BLOCK_EVENTS,
    pack_header,
    seal_block,
)
from embedded_broker.storage.topic_catalog import TopicCatalog, TopicEntry
from embedded_broker.storage.writer import PublishRequest


@dataclass(slots=True)
class _TopicBatch:
    """What one group commit appends to one topic: framed events, then sealed blocks."""

    entry: TopicEntry
    first_offset: int
    events: int
    size: int
    duplicates: int
    first_ms: int | None
    last_ms: int | None
    types: dict[tuple[str, int, int, int], int]
    type_mimes: dict[tuple[str, int, int, int, int], tuple[int, int]]
    frames: list[bytes] = field(default_factory=list)
    ids: list[bytes] = field(default_factory=list)
    fingerprints: dict[bytes, int] = field(default_factory=dict)

    @classmethod
    def start(cls, entry: TopicEntry) -> _TopicBatch:
        stats = entry.topic.stats
        return cls(
            entry=entry,
            first_offset=stats.events + 1,
            events=stats.events,
            size=stats.bytes,
            duplicates=stats.duplicates,
            first_ms=stats.first_ms,
            last_ms=stats.last_ms,
            types=dict(stats.types),
            type_mimes=dict(stats.type_mimes),
        )

    @property
    def next_offset(self) -> int:
        return self.first_offset + len(self.frames)

    def sealed_blocks(self) -> list[tuple[int, int, bytes, int, bytes, bytes]]:
        """Cut the frames into blocks and seal each: (first offset, count, first id, ms, nonce,
        data)."""
        blocks = []
        frames = self.frames
        start, size = 0, 0
        for index, framed in enumerate(frames):
            if index - start >= MAX_BLOCK_EVENTS or size >= MAX_BLOCK_BYTES:
                blocks.append(self._seal(start, index))
                start, size = index, 0
            size += len(framed)
        if start < len(frames):
            blocks.append(self._seal(start, len(frames)))
        return blocks

    def _seal(self, start: int, end: int) -> tuple[int, int, bytes, int, bytes, bytes]:
        first_offset, count, first_id = self.first_offset + start, end - start, self.ids[start]
        plain = b"".join(self.frames[start:end])
        nonce, sealed = seal_block(
            self.entry.keys.blocks, self.entry.topic.id, first_offset, count, plain
        )
        return first_offset, count, first_id, rlid_ms(self.ids[end - 1]), nonce, sealed

    def stats(self) -> TopicStats:
        return TopicStats(
            events=self.events,
            bytes=self.size,
            duplicates=self.duplicates,
            first_ms=self.first_ms,
            last_ms=self.last_ms,
            types=self.types,
            type_mimes=self.type_mimes,
        )


class PreparedPublishes:
    """A group commit's worth of publishes, sealed into blocks (see ``GroupCommitWriter``)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        requests: list[PublishRequest],
        catalog: TopicCatalog,
        rlids: RlidGenerator,
        notify: Callable[[dict[bytes, int]], None] | None = None,
    ) -> None:
        self._catalog = catalog
        self._notify = notify
        self._topics: dict[bytes, _TopicBatch] = {}
        self._accepted: list[tuple[PublishRequest, PublishReceipt]] = []
        self._last_id = b""
        for request in requests:
            try:
                receipt = self._append(conn, request, rlids)
            except BrokerError as exc:
                request.future.set_exception(exc)
            except Exception as exc:  # a malformed event must not fail the other publishers
                request.future.set_exception(InvalidArgument(f"malformed event: {exc}"))
            else:
                self._accepted.append((request, receipt))

    def _append(
        self, conn: sqlite3.Connection, request: PublishRequest, rlids: RlidGenerator
    ) -> PublishReceipt:
        entry = self._catalog.get(request.topic_id)
        topic = entry.topic
        # The commit-time guard: the topic may have been archived or destroyed since admission.
        check_topic_open(topic)
        bodies = request.bodies
        if bodies is None:
            bodies = [event.SerializeToString() for event in request.events]
        sizes = [len(body) for body in bodies]
        if sizes and max(sizes) > MAX_EVENT_SIZE:
            index = next(i for i, size in enumerate(sizes) if size > MAX_EVENT_SIZE)
            check_event_size(sizes[index], index)
        batch = self._topics.get(topic.id)
        if batch is None:
            batch = self._topics[topic.id] = _TopicBatch.start(entry)
        count = len(bodies)
        ms, seq = rlids.next_block(count)
        base = (ms << 32) | seq
        first_offset = batch.next_offset
        ids = [(base + i).to_bytes(RLID_SIZE, "big") for i in range(count)]
        duplicates = self._deduplicate(conn, batch, request, first_offset)
        pack = pack_header
        if duplicates:
            dup = duplicates.get
            batch.frames += [
                pack(event_id, dup(offset, 0), len(body)) + body
                for offset, event_id, body in zip(
                    range(first_offset, first_offset + count), ids, bodies, strict=True
                )
            ]
        else:
            batch.frames += [
                pack(i, 0, len(body)) + body for i, body in zip(ids, bodies, strict=True)
            ]
        batch.ids += ids
        _count_types(batch, request.events, sizes)
        batch.events += count
        batch.size += sum(sizes)
        batch.duplicates += len(duplicates)
        if count:
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
            fingerprint = batch.entry.keys.fingerprint(policy, event)
            if fingerprint is None:
                continue
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
                "INSERT INTO blocks (topic, first_offset, count, first_id, last_ms, nonce, "
                "payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(seq, *block) for block in batch.sealed_blocks()],
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
                    batch.entry.keys.seal_types(topic_id, batch.types, batch.type_mimes),
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
        if self._notify is not None and self._topics:
            self._notify({t: b.next_offset - 1 for t, b in self._topics.items() if b.frames})


def _count_types(batch: _TopicBatch, events: list[Any], sizes: list[int]) -> None:
    """Add events to the per-type and per-(type, mimetype) counts (sizes are encoded sizes)."""
    kinds = [event.type for event in events]
    keys = [
        (k.name, k.major_version, k.minor_version, k.patch_version, e.mimetype)
        for k, e in zip(kinds, events, strict=True)
    ]
    totals: dict[tuple[str, int, int, int, int], list[int]] = {}
    if keys and keys.count(keys[0]) == len(keys):  # the usual batch: one type, one mimetype
        totals[keys[0]] = [len(keys), sum(sizes)]
    else:
        for key, size in zip(keys, sizes, strict=True):
            slot = totals.setdefault(key, [0, 0])
            slot[0] += 1
            slot[1] += size
    for key, (count, size) in totals.items():
        type_key = key[:4]
        batch.types[type_key] = batch.types.get(type_key, 0) + count
        before_count, before_size = batch.type_mimes.get(key, (0, 0))
        batch.type_mimes[key] = (before_count + count, before_size + size)
