"""The broker's admin service over real gRPC: keys, projects, batched publish, reads, metrics."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from tests.api.client import Client, connect, event
from tests.serve_process import BrokerProcess, create_key


def _name() -> str:
    return "t" + uuid.uuid4().hex[:12]


def test_broker_info_names_the_process(client: Client, broker: BrokerProcess) -> None:
    info = client.admin.BrokerInfo(admin_pb2.BrokerInfoRequest(), metadata=client.auth)
    assert info.pid == broker.process.pid
    assert info.grpc_address == broker.grpc_address
    assert info.auth_url == broker.auth_url
    assert info.data_dir == str(broker.data_dir)
    assert not info.tls and info.uptime_seconds > 0


def test_batched_publish_and_paged_reads(client: Client) -> None:
    topic = client.create_topic(_name())
    batches = [
        [event(f"e{b * 100 + i}", {"n": str(b * 100 + i)}) for i in range(100)] for b in range(5)
    ]
    firsts = []
    for events in batches:
        reply = client.admin.PublishBatch(_batch(topic.id, events), metadata=client.auth)
        assert reply.count == 100 and reply.committed.seconds > 0
        firsts.append(reply.first_offset)
    assert firsts == [1, 101, 201, 301, 401]

    page = client.admin.ReadEvents(
        admin_pb2.ReadEventsRequest(topic_id=topic.id, offset=250, limit=20), metadata=client.auth
    )
    assert [e.offset for e in page.events] == list(range(250, 270))
    assert (page.next_offset, page.last_offset) == (270, 500)
    assert Event.FromString(page.events[0].event).data == b"e249"

    tail = client.admin.ReadEvents(
        admin_pb2.ReadEventsRequest(topic_id=topic.id, from_end=True, limit=10),
        metadata=client.auth,
    )
    assert [e.offset for e in tail.events] == list(range(491, 501))

    after = Timestamp()
    after.CopyFrom(page.events[5].committed)
    by_time = client.admin.ReadEvents(
        admin_pb2.ReadEventsRequest(topic_id=topic.id, after=after, limit=1000),
        metadata=client.auth,
    )
    assert by_time.events[0].committed.ToMilliseconds() >= after.ToMilliseconds()
    assert by_time.events[-1].offset == 500

    listed = client.admin.ListTopics(admin_pb2.ListTopicsRequest(), metadata=client.auth)
    details = {t.topic.name: t for t in listed.topics}[topic.name]
    assert (details.events, details.first_offset, details.last_offset) == (500, 1, 500)
    assert details.project_name == "demo"


def test_reading_events_needs_subscriber_while_topics_read_still_lists_sizes(
    client: Client, broker: BrokerProcess
) -> None:
    """A ``topics:read`` key sees a topic's name and size but not what its events hold: the
    admin ReadEvents refuses it as Ensign's Subscribe and EnSQL do."""
    topic = client.create_topic(_name())
    client.admin.PublishBatch(_batch(topic.id, [event(b"salary: 90000")]), metadata=client.auth)
    lister = connect(broker, create_key(broker.data_dir, "demo", "topics:read", "metrics:read"))
    reader = connect(broker, create_key(broker.data_dir, "demo", "subscriber"))
    try:
        listed = lister.admin.ListTopics(admin_pb2.ListTopicsRequest(), metadata=lister.auth)
        assert {t.topic.name: t.events for t in listed.topics}[topic.name] == 1
        for start in ({"offset": 1}, {"from_end": True}, {"after": Timestamp()}):
            request = admin_pb2.ReadEventsRequest(topic_id=topic.id, limit=10, **start)
            with pytest.raises(grpc.RpcError) as caught:
                lister.admin.ReadEvents(request, metadata=lister.auth)
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "lacks the 'subscriber' permission" in caught.value.details()
            assert b"salary" not in str(caught.value.details()).encode()
            page = reader.admin.ReadEvents(request, metadata=reader.auth)
            assert Event.FromString(page.events[0].event).data == b"salary: 90000"
    finally:
        lister.close()
        reader.close()


def _batch(topic_id: bytes, events: list[Event]) -> admin_pb2.PublishBatchRequest:
    return admin_pb2.PublishBatchRequest(
        topic_id=topic_id, events=[e.SerializeToString() for e in events]
    )


def test_batched_publish_refuses_bad_batches_whole(client: Client) -> None:
    topic = client.create_topic(_name())
    good = event(b"fine")
    unknown_mime = event(b"x")
    unknown_mime.mimetype = 77  # type: ignore[assignment]
    big = event(b"x" * (5 * 1024 * 1024 + 1))
    for events, message in (
        ([], "at least one event"),
        ([good, event(b"")], "event 1 has no data"),
        ([unknown_mime], "event 0 has an unknown mimetype (77)"),
        ([good, good, big], f"event 2 is {big.ByteSize():,} bytes; the limit is 4,194,236"),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            client.admin.PublishBatch(_batch(topic.id, events), metadata=client.auth)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert message in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        client.admin.PublishBatch(
            admin_pb2.PublishBatchRequest(topic_id=topic.id, events=[b"\xff\xff"]),
            metadata=client.auth,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed event 0" in caught.value.details()
    listed = client.admin.ListTopics(admin_pb2.ListTopicsRequest(), metadata=client.auth)
    assert {t.topic.name: t.events for t in listed.topics}[topic.name] == 0  # nothing stored


def test_key_management_needs_broker_admin(client: Client, broker: BrokerProcess) -> None:
    created = client.admin.CreateKey(
        admin_pb2.CreateKeyRequest(name="ci", permissions=["publisher", "subscriber"]),
        metadata=client.auth,
    )
    assert len(created.key.client_id) == 32 and len(created.client_secret) == 64
    listed = client.admin.ListKeys(admin_pb2.ListKeysRequest(), metadata=client.auth)
    shown = {k.client_id: k for k in listed.keys}[created.key.client_id]
    assert sorted(shown.permissions) == ["publisher", "subscriber"]
    assert created.client_secret not in str(listed)  # never listed again

    plain = connect(
        broker, {"client_id": created.key.client_id, "client_secret": created.client_secret}
    )
    try:
        with pytest.raises(grpc.RpcError) as caught:
            plain.admin.CreateKey(
                admin_pb2.CreateKeyRequest(permissions=["broker:admin"]), metadata=plain.auth
            )
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "broker:admin" in caught.value.details()
    finally:
        plain.close()

    revoked = client.admin.RevokeKey(
        admin_pb2.RevokeKeyRequest(client_id=created.key.client_id), metadata=client.auth
    )
    assert revoked.revoked.seconds > 0
    with pytest.raises(grpc.RpcError) as caught:
        client.admin.CreateKey(
            admin_pb2.CreateKeyRequest(permissions=["cook"]), metadata=client.auth
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown permission 'cook'" in caught.value.details()


def test_projects_are_listed_and_created(client: Client) -> None:
    name = "p-" + uuid.uuid4().hex[:8]
    made = client.admin.CreateProject(
        admin_pb2.CreateProjectRequest(name=name), metadata=client.auth
    )
    again = client.admin.CreateProject(
        admin_pb2.CreateProjectRequest(name=name, ensure=True), metadata=client.auth
    )
    assert again.id == made.id
    with pytest.raises(grpc.RpcError) as caught:
        client.admin.CreateProject(admin_pb2.CreateProjectRequest(name=name), metadata=client.auth)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    listed = client.admin.ListProjects(admin_pb2.ListProjectsRequest(), metadata=client.auth)
    assert {"demo", name} <= {p.name for p in listed.projects}


@pytest.mark.timeout(60)
def test_the_metrics_stream_shows_rates_history_and_group_lag(client: Client) -> None:
    from tests.api.client import Subscriber

    topic = client.create_topic(_name())
    subscriber = Subscriber(client, [topic.name], group="lagging")
    try:
        for _ in range(3):
            client.admin.PublishBatch(
                _batch(topic.id, [event("x")] * 200),
                metadata=client.auth,
            )
        stream = client.admin.StreamMetrics(
            admin_pb2.MetricsRequest(history_seconds=60), metadata=client.auth, timeout=30
        )
        seen_history = seen_live = False
        best_rate, lag = 0.0, None
        for sample in stream:
            seen_history |= sample.history
            seen_live |= not sample.history
            for rate in sample.topics:
                if rate.topic_id == topic.id:
                    best_rate = max(best_rate, rate.events_per_second)
                    lags = {g.group: g.lag for g in rate.lags}
                    lag = lags.get("lagging", lag)
                    assert rate.subscribers == 1
            if seen_live and best_rate > 0 and lag is not None:
                break
        stream.cancel()
        assert best_rate > 0
        assert lag == 600  # delivered but never acked
    finally:
        subscriber.close()


def test_metrics_need_the_metrics_permission(broker: BrokerProcess) -> None:
    publisher = connect(broker, create_key(broker.data_dir, "demo", "publisher"))
    try:
        with pytest.raises(grpc.RpcError) as caught:
            list(publisher.admin.StreamMetrics(admin_pb2.MetricsRequest(), metadata=publisher.auth))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        info = publisher.ensign.Status(ensign_pb2.HealthCheck())
        assert info.status == ensign_pb2.ServiceState.HEALTHY
    finally:
        publisher.close()
