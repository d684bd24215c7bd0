"""The writer's in-memory view of every topic: its current record and its keys."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

from embedded_broker.core.dedup import DedupPolicy, EventLike, fingerprint_parts
from embedded_broker.core.errors import NotFound
from embedded_broker.core.ids import ulid_str
from embedded_broker.core.model import Topic, TopicStats, TypeKey, TypeMimeKey
from embedded_broker.crypto.aead import Sealer, derive_subkey, keyed_digest


@dataclass(slots=True)
class TopicKeys:
    """The keys derived from one topic's data key, one per purpose."""

    blocks: Sealer
    stats: Sealer
    dedup: bytes

    @classmethod
    def from_data_key(cls, data_key: bytes) -> TopicKeys:
        """Derive the per-purpose keys (HKDF) from a topic's data key."""
        return cls(
            blocks=Sealer(derive_subkey(data_key, "event blocks")),
            stats=Sealer(derive_subkey(data_key, "statistics")),
            dedup=derive_subkey(data_key, "deduplication"),
        )

    def fingerprint(self, policy: DedupPolicy, event: EventLike) -> bytes | None:
        """The keyed dedup fingerprint of ``event`` under ``policy``, or None if not comparable."""
        parts = fingerprint_parts(policy, event)
        return None if parts is None else keyed_digest(self.dedup, *parts)

    def seal_types(
        self,
        topic_id: bytes,
        types: dict[TypeKey, int],
        mimes: dict[TypeMimeKey, tuple[int, int]],
    ) -> bytes:
        """Seal per-type event counts (type names are part of the encrypted payload)."""
        doc = {
            "types": [[*key, count] for key, count in types.items()],
            "mimes": [[*key, events, size] for key, (events, size) in mimes.items()],
        }
        return self.stats.seal_random(json.dumps(doc).encode(), topic_id + b"types")

    def open_types(
        self, topic_id: bytes, sealed: bytes | None
    ) -> tuple[dict[TypeKey, int], dict[TypeMimeKey, tuple[int, int]]]:
        """Open what :meth:`seal_types` sealed: counts per type, and per type and mimetype."""
        if not sealed:
            return {}, {}
        doc = json.loads(self.stats.open_random(sealed, topic_id + b"types", "topic statistics"))
        if isinstance(doc, list):  # written before per-mimetype counts were kept
            doc = {"types": doc, "mimes": []}
        types = {(n, ma, mi, pa): count for n, ma, mi, pa, count in doc["types"]}
        mimes = {(n, ma, mi, pa, m): (c, b) for n, ma, mi, pa, m, c, b in doc["mimes"]}
        return types, mimes


@dataclass(slots=True)
class TopicEntry:
    """One topic as the store knows it: its database row number, record and keys."""

    seq: int
    topic: Topic
    keys: TopicKeys

    def with_stats(self, stats: TopicStats) -> TopicEntry:
        """Return a copy whose record carries ``stats``."""
        return TopicEntry(self.seq, replace(self.topic, stats=stats), self.keys)


class TopicCatalog:
    """Topics by id. The writer replaces entries whole; readers see consistent snapshots."""

    def __init__(self) -> None:
        self._by_id: dict[bytes, TopicEntry] = {}
        self._lock = threading.Lock()

    def get(self, topic_id: bytes) -> TopicEntry:
        """Return the topic's entry.

        Raises:
            NotFound: if there is no such topic.
        """
        entry = self._by_id.get(topic_id)
        if entry is None:
            shown = ulid_str(topic_id) if len(topic_id) == 16 else topic_id.hex()
            raise NotFound(f"topic {shown} does not exist")
        return entry

    def find(self, topic_id: bytes) -> TopicEntry | None:
        """Return the topic's entry, or None."""
        return self._by_id.get(topic_id)

    def put(self, entry: TopicEntry) -> None:
        """Add or replace an entry."""
        with self._lock:
            self._by_id[entry.topic.id] = entry

    def remove(self, topic_id: bytes) -> None:
        """Forget a topic."""
        with self._lock:
            self._by_id.pop(topic_id, None)

    def __iter__(self) -> Iterator[TopicEntry]:
        with self._lock:
            return iter(list(self._by_id.values()))
