from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from embedded_broker.core.errors import (
    EventTooLarge,
    InvalidArgument,
    NotFound,
    StorageError,
    StoreClosed,
    TopicArchived,
)
from embedded_broker.core.ids import new_ulid
from embedded_broker.core.model import MAX_EVENT_SIZE, Project, TopicState
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from embedded_broker.storage.event_store import EventStore
from tests.conftest import make_event


def test_published_events_read_back_intact_with_ids_offsets_and_times(
    store: EventStore, project: Project
) -> None:
    topic = store.create_topic(project.id, "orders")
    sent = [
        make_event(b'{"order": 1}', {"region": "eu"}, mimetype_pb2.APPLICATION_JSON, "Order"),
        make_event(b"a,b\n1,2\n", {}, mimetype_pb2.TEXT_CSV, "Sheet", (2, 1, 3)),
        make_event(bytes(range(256)), {"k": "v", "x": "y"}, mimetype_pb2.APPLICATION_MSGPACK),
    ]
    sent[0].created.FromMilliseconds(1_700_000_000_000)
    before = time.time_ns() // 1_000_000
    receipt = store.publish(topic.id, sent).result(timeout=10)
    after = time.time_ns() // 1_000_000

    assert list(receipt.offsets) == [1, 2, 3]
    records = store.read(topic.id)
    assert [r.offset for r in records] == [1, 2, 3]
    assert [r.id for r in records] == receipt.ids
    assert all(len(r.id) == 10 for r in records)
    assert [r.event for r in records] == sent
    assert records[0].event.created.ToMilliseconds() == 1_700_000_000_000
    assert all(before <= r.committed_ms <= after for r in records)
    assert not any(r.is_duplicate for r in records)


def test_reads_page_through_a_topic_in_order(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "pages")
    for start in range(0, 2500, 500):
        store.publish(topic.id, [make_event(str(i)) for i in range(start, start + 500)]).result()
    seen: list[int] = []
    offset = 1
    while page := store.read(topic.id, offset, limit=300):
        seen.extend(int(r.event.data) for r in page)
        offset = page[-1].offset + 1
    assert seen == list(range(2500))
    assert [r.offset for r in store.read(topic.id, 1234, 3)] == [1234, 1235, 1236]
    assert store.read(topic.id, 2501) == []
    with pytest.raises(InvalidArgument):
        store.read(topic.id, 0)


def test_reads_by_time_range(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "timed")
    batches = []
    for batch in range(3):
        receipt = store.publish(topic.id, [make_event(f"{batch}-{i}") for i in range(10)]).result()
        batches.append(receipt)
        time.sleep(0.02)
    middle = batches[1].committed_ms
    records = store.read_time(topic.id, middle, middle + 1)
    assert [r.event.data for r in records] == [f"1-{i}".encode() for i in range(10)]
    assert store.offset_at(topic.id, middle) == 11
    assert store.read_time(topic.id, batches[2].committed_ms + 1000) == []
    assert [r.offset for r in store.read_time(topic.id, 0, limit=5)] == [1, 2, 3, 4, 5]


def test_concurrent_publishers_get_gapless_offsets_in_publish_order(
    store: EventStore, project: Project
) -> None:
    topic = store.create_topic(project.id, "busy")
    acked: dict[int, list[int]] = {}

    def publisher(worker: int) -> None:
        offsets: list[int] = []
        for batch in range(40):
            events = [make_event(f"{worker}:{batch}:{i}") for i in range(25)]
            offsets.extend(store.publish(topic.id, events).result().offsets)
        acked[worker] = offsets

    threads = [threading.Thread(target=publisher, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records = list(store.iter_events(topic.id))
    assert [r.offset for r in records] == list(range(1, 6 * 40 * 25 + 1))
    ids = [r.id for r in records]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for worker, offsets in acked.items():
        mine = [r.event.data.decode() for r in records if r.offset in set(offsets)]
        assert mine == [f"{worker}:{b}:{i}" for b in range(40) for i in range(25)]
    assert store.topic(topic.id).stats.events == 6000


def test_statistics_count_events_bytes_and_types(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "stats")
    events = [make_event("x" * 10, type_name="A")] * 3 + [
        make_event("y" * 20, type_name="B", version=(2, 0, 1))
    ]
    receipt = store.publish(topic.id, events).result()
    stats = store.topic(topic.id).stats
    assert stats.events == 4
    assert stats.bytes == sum(len(e.SerializeToString()) for e in events)
    assert stats.types == {("A", 1, 0, 0): 3, ("B", 2, 0, 1): 1}
    octets = mimetype_pb2.APPLICATION_OCTET_STREAM
    a, b = (len(e.SerializeToString()) for e in events[2:])  # sizes as stored, like stats.bytes
    assert stats.type_mimes == {("A", 1, 0, 0, octets): (3, 3 * a), ("B", 2, 0, 1, octets): (1, b)}
    assert (stats.first_offset, stats.last_offset) == (1, 4)
    assert stats.first_ms == stats.last_ms == receipt.committed_ms


def test_everything_survives_a_restart(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        project = new_ulid()
        topic = store.create_topic(project, "durable")
        archived = store.create_topic(project, "old")
        first = store.publish(topic.id, [make_event(f"e{i}", {"i": str(i)}) for i in range(100)])
        first.result()
        store.archive_topic(archived.id)
    with EventStore.open(data_dir) as store:
        assert [t.name for t in store.topics(project)] == ["durable", "old"]
        reopened = store.topic(topic.id)
        assert reopened.stats.events == 100
        assert reopened.stats.types == {("Generic", 1, 0, 0): 100}
        assert sum(n for n, _ in reopened.stats.type_mimes.values()) == 100
        assert store.topic(archived.id).state is TopicState.ARCHIVED
        records = store.read(topic.id, 1, 1000)
        assert [r.event.metadata["i"] for r in records] == [str(i) for i in range(100)]
        later = store.publish(topic.id, [make_event("after restart")]).result()
        assert later.first_offset == 101
        assert later.ids[0] > records[-1].id


def test_archived_topics_refuse_publishing_but_stay_readable(
    store: EventStore, project: Project
) -> None:
    topic = store.create_topic(project.id, "frozen")
    store.publish(topic.id, [make_event("kept")]).result()
    store.archive_topic(topic.id)
    with pytest.raises(TopicArchived, match="archived"):
        store.publish(topic.id, [make_event("refused")]).result()
    assert [r.event.data for r in store.read(topic.id)] == [b"kept"]
    assert store.topic(topic.id).stats.events == 1


def test_oversize_events_are_refused_and_nothing_of_the_call_is_stored(
    store: EventStore, project: Project
) -> None:
    topic = store.create_topic(project.id, "big")
    ok = make_event(b"x" * 1000)
    huge = make_event(b"x" * MAX_EVENT_SIZE)
    with pytest.raises(EventTooLarge, match="limit is 4,194,236 bytes"):
        store.publish(topic.id, [ok, huge]).result()
    assert store.read(topic.id) == []
    assert store.publish(topic.id, [ok]).result().first_offset == 1


def test_publishing_to_an_unknown_topic_fails_alone(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "real")
    bad = store.publish("01ARZ3NDEKTSV4RRFFQ69G5FAV", [make_event("lost")])
    good = store.publish(topic.id, [make_event("kept")])
    with pytest.raises(NotFound):
        bad.result()
    assert good.result().first_offset == 1


def test_large_events_round_trip(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "blobs")
    blob = bytes(range(256)) * 16_000  # 4 MB, under the limit
    store.publish(topic.id, [make_event("small"), make_event(blob), make_event("tail")]).result()
    records = store.read(topic.id)
    assert [len(r.event.data) for r in records] == [5, len(blob), 4]
    assert records[1].event.data == blob


def test_a_data_directory_is_used_by_one_store_at_a_time(data_dir: Path) -> None:
    with (
        EventStore.open(data_dir),
        pytest.raises(StorageError, match=r"in use by another broker \(process \d+\)"),
    ):
        EventStore.open(data_dir)
    EventStore.open(data_dir).close()  # free again once closed


def test_a_cancelled_publish_does_not_stop_other_publishers(
    store: EventStore, project: Project
) -> None:
    topic = store.create_topic(project.id, "t")
    futures = [store.publish(topic.id, [make_event(f"e{i}")]) for i in range(200)]
    cancelled = [f for f in futures[50:] if f.cancel()]
    done = [f.result(timeout=10) for f in futures if not f.cancelled()]
    assert store.publish(topic.id, [make_event("later")]).result(timeout=10)
    stats = store.topic(topic.id).stats
    assert stats.events == len(done) + 1 == 201 - len(cancelled)
    assert [r.offset for r in store.read(topic.id, 1, 500)] == list(range(1, stats.events + 1))


def test_a_malformed_publish_fails_alone(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "t")
    bad = store.publish(topic.id, [{"data": b"not an Event"}])  # type: ignore[list-item]
    good = store.publish(topic.id, [make_event("fine")])
    with pytest.raises(InvalidArgument, match="malformed event"):
        bad.result(timeout=10)
    assert good.result(timeout=10).first_offset == 1


def test_a_slow_reader_does_not_pin_an_old_snapshot(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "t")
    store.publish(topic.id, [make_event(str(i)) for i in range(5000)]).result()
    reader = store.iter_events(topic.id)
    next(reader)  # a consumer that stops reading part-way
    store.publish(topic.id, [make_event("new")]).result()
    assert store.read(topic.id, 5001)[0].event.data == b"new"
    store.destroy_topic(store.create_topic(project.id, "other").id)  # checkpoint not held up
    reader.close()


def test_a_closed_store_says_so(data_dir: Path) -> None:
    store = EventStore.open(data_dir)
    topic = store.create_topic(new_ulid(), "t")
    store.read(topic.id)
    store.close()
    with pytest.raises(StoreClosed):
        store.read(topic.id)
    with pytest.raises(StoreClosed):
        store.publish(topic.id, [make_event("late")])
