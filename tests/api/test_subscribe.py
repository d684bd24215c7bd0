"""Subscribe over real gRPC: live delivery, queries, groups across restarts, slow readers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from tests.api.client import Client, Subscriber, connect, event, wrap
from tests.serve_process import BrokerProcess, create_key, start_broker


def _name() -> str:
    return "t" + uuid.uuid4().hex[:12]


def _numbered(topic_id: bytes, first: int, count: int) -> list:
    return [
        wrap(
            topic_id,
            event(
                json.dumps({"n": n}),
                {"n": str(n), "parity": "even" if n % 2 == 0 else "odd"},
                mimetype_pb2.APPLICATION_JSON,
            ),
        )
        for n in range(first, first + count)
    ]


def _numbers(events: list) -> list[int]:
    return [int(Event.FromString(e.event).metadata["n"]) for e in events]


def test_a_subscriber_without_a_group_gets_what_is_published_after_it(client: Client) -> None:
    topic = client.create_topic(_name())
    client.publish(topic.id, _numbered(topic.id, 0, 5))
    subscriber = Subscriber(client, [topic.name])
    try:
        assert subscriber.ready.topics[topic.name] == topic.id
        client.publish(topic.id, _numbered(topic.id, 5, 20))
        got = subscriber.take(20)
        assert _numbers(got) == list(range(5, 25))
        assert all(len(e.id) == 10 and e.topic_id == topic.id for e in got)
        assert [e.offset for e in got] == list(range(6, 26))
        assert subscriber.take(1, timeout=0.5) == []
    finally:
        subscriber.close()


def test_a_subscription_by_id_with_a_query_gets_matching_events(client: Client) -> None:
    from embedded_broker.core.ids import ulid_str

    topic = client.create_topic(_name())
    subscriber = Subscriber(
        client, [ulid_str(topic.id)], query=f"SELECT * FROM {topic.name} WHERE parity = 'even'"
    )
    try:
        client.publish(topic.id, _numbered(topic.id, 0, 10))
        assert _numbers(subscriber.take(5)) == [0, 2, 4, 6, 8]
        assert subscriber.take(1, timeout=0.5) == []
    finally:
        subscriber.close()


def test_group_members_share_work_and_nacks_are_redelivered(client: Client) -> None:
    topic = client.create_topic(_name())
    group = "workers-" + uuid.uuid4().hex[:6]
    first = Subscriber(client, [topic.name], group=group)
    second = Subscriber(client, [topic.name], group=group)
    try:
        client.publish(topic.id, _numbered(topic.id, 0, 40))
        a = first.take(40, timeout=3)
        b = second.take(40, timeout=1)
        assert sorted(_numbers(a) + _numbers(b)) == list(range(40))  # each once, to one member
        refused = a[:3]
        first.ack(*a[3:])
        second.ack(*b)
        first.nack(*refused)
        again = first.take(3, timeout=5) + second.take(3, timeout=0.5)
        assert sorted(_numbers(again)) == sorted(_numbers(refused))
    finally:
        first.close()
        second.close()


def test_unacked_events_come_back_after_the_delivery_timeout(client: Client) -> None:
    topic = client.create_topic(_name())
    group = "slow-" + uuid.uuid4().hex[:6]
    subscriber = Subscriber(client, [topic.name], group=group, delivery_timeout_s=1.0)
    try:
        client.publish(topic.id, _numbered(topic.id, 0, 3))
        first = subscriber.take(3)
        assert _numbers(first) == [0, 1, 2]
        subscriber.ack(first[0])
        redelivered = subscriber.take(2, timeout=5)
        assert _numbers(redelivered) == [1, 2]
    finally:
        subscriber.close()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path / "broker")
    yield process
    process.stop()


@pytest.mark.timeout(90)
def test_a_group_resumes_after_a_broker_restart_without_loss(own_broker: BrokerProcess) -> None:
    key = create_key(own_broker.data_dir, "demo", "all")
    client = connect(own_broker, key)
    topic = client.create_topic("orders")
    subscriber = Subscriber(client, ["orders"], group="billing")  # the group starts here
    client.publish(topic.id, _numbered(topic.id, 0, 50))
    got = subscriber.take(50)
    assert _numbers(got) == list(range(50))
    subscriber.ack(*got[:20])
    _wait_for_lag(client, topic.id, "billing", 30)  # the broker has the 20 acks
    subscriber.close()
    client.close()
    assert own_broker.stop() == 0

    restarted = start_broker(own_broker.data_dir)
    try:
        client = connect(restarted, key)
        client.publish(topic.id, _numbered(topic.id, 50, 10))
        subscriber = Subscriber(client, ["orders"], group="billing")
        again = subscriber.take(40, timeout=20)
        numbers = _numbers(again)
        # At least once: everything not acked comes back; nothing acked does.
        assert sorted(numbers) == list(range(20, 60)), numbers
        subscriber.ack(*again)
        subscriber.close()
        client.close()
    finally:
        assert restarted.stop() == 0


@pytest.mark.timeout(120)
def test_a_stalled_subscriber_slows_nobody(client: Client, broker: BrokerProcess) -> None:
    topic = client.create_topic(_name())
    stalled = Subscriber(client, [topic.name])  # never reads: gRPC flow control holds it
    stalled._reader  # noqa: B018 - the reader thread is running, but we never take
    live = Subscriber(client, [topic.name])
    rss_before = _rss_kib(broker)
    try:
        payload = "x" * 2000
        total = 0
        for batch in range(10):
            wrappers = [
                wrap(topic.id, event(payload, {"n": str(batch * 500 + i)})) for i in range(500)
            ]
            replies = client.publish(topic.id, wrappers)
            assert all(r.HasField("ack") for r in replies[1:])
            total += len(wrappers)
        got = live.take(total, timeout=60)
        assert len(got) == total
        growth_mib = (_rss_kib(broker) - rss_before) / 1024
        assert growth_mib < 150, f"the broker grew by {growth_mib:.0f} MiB"
    finally:
        stalled.close()
        live.close()


def _wait_for_lag(client: Client, topic_id: bytes, group: str, lag: int) -> None:
    stream = client.admin.StreamMetrics(admin_pb2.MetricsRequest(), metadata=client.auth)
    try:
        for sample in stream:
            lags = {g.group: g.lag for r in sample.topics if r.topic_id == topic_id for g in r.lags}
            if lags.get(group) == lag:
                return
    finally:
        stream.cancel()


def _rss_kib(broker: BrokerProcess) -> int:
    for line in Path(f"/proc/{broker.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")
