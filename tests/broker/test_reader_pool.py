"""Reads borrow SQLite connections from a bounded pool: many readers, few file handles."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest

from embedded_broker.core.errors import StoreClosed
from embedded_broker.core.model import Project
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.reader_pool import DEFAULT_READERS
from tests.api.client import Subscriber, connect, event, wrap
from tests.conftest import make_event
from tests.serve_process import BrokerProcess, create_key, start_broker


def _event_log_handles(pid: int | str = "self") -> int:
    """How many open file descriptors of a process are the event log (database, WAL, shm)."""
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        count += "events.db" in target
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts handles in /proc")
def test_many_reading_threads_share_a_bounded_number_of_connections(
    store: EventStore, project: Project
) -> None:
    topic = store.create_topic(project.id, "t")
    store.publish(topic.id, [make_event(f"e{i}") for i in range(2000)]).result()
    before = _event_log_handles()
    barrier = threading.Barrier(64)
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            barrier.wait()
            for start in range(1, 2000, 250):
                assert len(store.read(topic.id, start, 250)) == 250
            assert store.offset_at(topic.id, 0) == 1
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    assert store.readers.opened <= DEFAULT_READERS
    # Each connection holds the database and the WAL open (the shared memory is mapped).
    assert _event_log_handles() - before <= 2 * DEFAULT_READERS
    reading = store.iter_events(topic.id)
    next(reading)  # a paused scan holds no connection: every one can be lent elsewhere
    assert len(store.readers._idle) == store.readers.opened


def test_a_closed_store_refuses_reads(data_dir: Path, project: Project) -> None:
    opened = EventStore.open(data_dir.with_name("other"))
    topic = opened.create_topic(project.id, "t")
    opened.close()
    with pytest.raises(StoreClosed):
        opened.read(topic.id)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts handles in /proc")
def test_a_broker_with_many_subscribers_holds_few_event_log_handles(
    tmp_path: Path,
) -> None:
    broker: BrokerProcess = start_broker(tmp_path / "broker")
    subscribers: list[Subscriber] = []
    try:
        key = create_key(broker.data_dir, "pool", "all")
        client = connect(broker, key)
        topics = [client.create_topic("t" + uuid.uuid4().hex[:8]) for _ in range(4)]
        idle = _event_log_handles(broker.process.pid)
        for index in range(48):
            subscribers.append(Subscriber(client, [topics[index % 4].name]))
        for topic in topics:
            client.publish(
                topic.id, [wrap(topic.id, event(f"{topic.name}-{i}")) for i in range(20)]
            )
        for subscriber in subscribers:
            assert len(subscriber.take(20)) == 20
        busy = _event_log_handles(broker.process.pid)
        assert busy - idle <= 2 * DEFAULT_READERS, (idle, busy)
    finally:
        for subscriber in subscribers:
            subscriber.close()
        assert broker.stop() == 0, broker.log()
