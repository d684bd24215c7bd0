"""The event store: publish and read throughput against plain SQLite doing the same work.

Publish: 256-byte events (plus metadata and a type), encrypted, group-committed with
``synchronous=FULL``, acknowledged. Baseline: the same serialized events inserted as one row each
with ``executemany`` in transactions of 1,000 rows, same pragmas, no encryption.

Read: the whole topic paged 1,000 events at a time (decrypted and authenticated; each event's
bytes in hand). Baseline: the same rows selected 1,000 at a time by offset range.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.report import Row
from embedded_broker.core.ids import new_ulid
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, Type
from embedded_broker.storage.event_store import EventStore

NAME = "store"
EVENTS = int(os.environ.get("BENCH_STORE_EVENTS", "200000"))
CALL_SIZE = 100
ROWS_PER_COMMIT = 1000


def _events(count: int) -> list[Event]:
    kinds = [Type(name="Reading", major_version=1), Type(name="Alert", major_version=2)]
    return [
        Event(
            data=os.urandom(256),
            metadata={"sensor": f"s-{i % 50}"},
            mimetype=0,
            type=kinds[i % 2],
        )
        for i in range(count)
    ]


def _raw_sqlite(directory: Path, bodies: list[bytes]) -> tuple[float, float]:
    conn = sqlite3.connect(directory / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE events (topic INTEGER, offset INTEGER, id BLOB, body BLOB, "
        "PRIMARY KEY (topic, offset))"
    )
    rows = [(1, i + 1, i.to_bytes(10, "big"), body) for i, body in enumerate(bodies)]
    start = time.perf_counter()
    for first in range(0, len(rows), ROWS_PER_COMMIT):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?)", rows[first : first + ROWS_PER_COMMIT]
        )
        conn.execute("COMMIT")
    inserted = len(rows) / (time.perf_counter() - start)

    start, seen = time.perf_counter(), 0
    for first in range(1, len(rows) + 1, ROWS_PER_COMMIT):
        page = conn.execute(
            "SELECT offset, id, body FROM events WHERE topic=1 AND offset>=? AND offset<? "
            "ORDER BY offset",
            (first, first + ROWS_PER_COMMIT),
        ).fetchall()
        seen += sum(len(body) for _, _, body in page)
    selected = len(rows) / (time.perf_counter() - start)
    conn.close()
    assert seen == sum(len(b) for b in bodies)
    return inserted, selected


def _store(directory: Path, events: list[Event]) -> tuple[float, float]:
    with EventStore.open(directory / "store") as store:
        topic = store.create_topic(new_ulid(), "bench")
        start = time.perf_counter()
        futures = [
            store.publish(topic.id, events[i : i + CALL_SIZE])
            for i in range(0, len(events), CALL_SIZE)
        ]
        for future in futures:
            future.result()
        published = len(events) / (time.perf_counter() - start)

        start, offset, seen = time.perf_counter(), 1, 0
        while page := store.read(topic.id, offset, ROWS_PER_COMMIT):
            seen += sum(len(record.body) for record in page)
            offset = page[-1].offset + 1
        read = (offset - 1) / (time.perf_counter() - start)
        assert offset - 1 == len(events)
    return published, read


def run() -> list[Row]:
    """Measure the store and its baselines; return the rows to print."""
    events = _events(EVENTS)
    bodies = [event.SerializeToString() for event in events]
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        directory = Path(tmp)
        raw_insert, raw_select = _raw_sqlite(directory, bodies)
        published, read = _store(directory, events)
    return [
        Row(
            "store publish (encrypted, durable)",
            published,
            "events/s",
            raw_insert,
            "raw SQLite insert",
            ">= 0.5x and >= 100,000 events/s",
        ),
        Row(
            "store read (decrypted, paged)",
            read,
            "events/s",
            raw_select,
            "raw SQLite select",
            ">= 0.5x",
        ),
    ]
