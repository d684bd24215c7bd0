"""Kill a publishing process with SIGKILL at a random moment; every acknowledged event survives."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from embedded_broker.core.ids import new_ulid
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.schema import DATABASE_FILE
from tests.reliability.crash_publisher import payload

ROUNDS = 3
PUBLISHER = Path(__file__).with_name("crash_publisher.py")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def _run_and_kill(data_dir: Path, topic_id: bytes, start: int, rng: random.Random) -> list[str]:
    child = subprocess.Popen(
        [sys.executable, str(PUBLISHER), str(data_dir), topic_id.hex(), str(start)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.3, 1.5))
    child.send_signal(signal.SIGKILL)
    lines = child.stdout.read().splitlines()
    child.wait()
    assert child.returncode == -signal.SIGKILL
    return lines


def test_acknowledged_events_survive_sigkill(data_dir: Path) -> None:
    rng = random.Random()
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "crash")

    next_seq, total_acked = 0, 0
    for _ in range(ROUNDS):
        lines = _run_and_kill(data_dir, topic.id, next_seq, rng)
        acked = [tuple(map(int, line.split()[1:])) for line in lines if line.startswith("ack ")]
        assert acked, "the publisher was killed before any acknowledgement"
        total_acked += sum(size for _, size, _ in acked)

        # The store opens without repair: SQLite's own integrity check passes as found.
        conn = sqlite3.connect(data_dir / DATABASE_FILE)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()

        with EventStore.open(data_dir) as store:
            stats = store.topic(topic.id).stats
            records = list(store.iter_events(topic.id))
            assert [r.offset for r in records] == list(range(1, stats.events + 1))  # gapless
            by_offset = {r.offset: r for r in records}
            for first_seq, size, first_offset in acked:
                for i in range(size):
                    record = by_offset[first_offset + i]  # present ...
                    seq = first_seq + i
                    assert record.event.metadata["seq"] == str(seq)  # ... in order ...
                    assert record.event.data == payload(seq)  # ... and intact
            ids = [r.id for r in records]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            seqs = [int(r.event.metadata["seq"]) for r in records]
            next_seq = max(seqs) + 1000
    assert total_acked > 0
