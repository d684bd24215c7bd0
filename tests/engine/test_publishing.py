"""Publish admission and acknowledgement, in-process: every refusal, on both publish paths."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from embedded_broker.api.errors import nack_code, status_code
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import (
    BrokerError,
    EventTooLarge,
    InvalidArgument,
    MalformedEvent,
    NotFound,
    PermissionDenied,
    TopicArchived,
    UnhandledMimetype,
)
from embedded_broker.core.model import MAX_EVENT_SIZE
from embedded_broker.engine.admission import Admission
from embedded_broker.engine.publishing import PublishPipeline, publish_batch
from embedded_broker.proto.ensign.v1beta1.ensign_pb2 import Nack
from tests.conftest import make_event
from tests.engine.conftest import Engine, RecordedReplies, Scenario, Wrapper, stream_of

Code = Nack.Code


def _created_at(seconds: int, nanos: int = 0) -> bytes:
    event = make_event()
    event.created.CopyFrom(Timestamp(seconds=seconds, nanos=nanos))
    return event.SerializeToString()


# name -> (how to set it up, the encoded event, the error, the Ensign nack code)
REFUSALS: dict[str, tuple[str, bytes, type[BrokerError], int, str]] = {
    "no publisher permission": (
        "no-permission",
        make_event().SerializeToString(),
        PermissionDenied,
        Code.PERMISSION_DENIED,
        "lacks the 'publisher' permission",
    ),
    "unknown topic": (
        "unknown-topic",
        make_event().SerializeToString(),
        NotFound,
        Code.TOPIC_UNKNOWN,
        "unknown topic",
    ),
    "another project's topic": (
        "other-project",
        make_event().SerializeToString(),
        NotFound,
        Code.TOPIC_UNKNOWN,
        "unknown topic",
    ),
    "archived topic": (
        "archived",
        make_event().SerializeToString(),
        TopicArchived,
        Code.TOPIC_ARCHIVED,
        "is archived (read-only)",
    ),
    "too large": (
        "",
        make_event(b"x" * MAX_EVENT_SIZE).SerializeToString(),
        EventTooLarge,
        Code.MAX_EVENT_SIZE_EXCEEDED,
        "the limit is 4,194,236 bytes (what a client with gRPC's default 4 MiB receive limit",
    ),
    "malformed": ("", b"\xff\xff\xff", MalformedEvent, Code.UNPROCESSED, "malformed event"),
    "no data": (
        "",
        make_event(b"").SerializeToString(),
        MalformedEvent,
        Code.UNPROCESSED,
        "has no data",
    ),
    "unknown mimetype": (
        "",
        make_event(b"x", mimetype=777).SerializeToString(),
        UnhandledMimetype,
        Code.UNHANDLED_MIMETYPE,
        "unknown mimetype (777)",
    ),
    "created in milliseconds": (
        "",
        _created_at(1_700_000_000_000),
        MalformedEvent,
        Code.UNPROCESSED,
        "invalid created time: seconds=1700000000000 is outside 0001-01-01..9999-12-31",
    ),
    "created after year 9999": (
        "",
        _created_at(253_402_300_800),
        MalformedEvent,
        Code.UNPROCESSED,
        "invalid created time: seconds=253402300800",
    ),
    "created nanos out of range": (
        "",
        _created_at(0, -1),
        MalformedEvent,
        Code.UNPROCESSED,
        "invalid created time: nanos=-1 is outside 0..999999999",
    ),
}


async def _setup(e: Engine, how: str) -> tuple[Any, bytes]:
    """A caller and the id of the topic it publishes to, as a refusal case needs them."""
    broker = e.broker
    topic = await broker.change(broker.store.create_topic, e.project_id, "orders")
    if how == "no-permission":
        return e.caller(Permission.SUBSCRIBER, Permission.TOPICS_READ), topic.id
    if how == "unknown-topic":
        return e.caller(Permission.PUBLISHER), b"\x01" * 16
    if how == "other-project":
        other = broker.projects.create("other")
        return e.caller(Permission.PUBLISHER, project_id=other.id), topic.id
    if how == "archived":
        await broker.change(broker.store.archive_topic, topic.id)
    return e.caller(Permission.PUBLISHER), topic.id


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_each_refusal_is_the_same_on_the_stream_and_in_a_batch(
    engine: Callable[[Scenario], None], case: str
) -> None:
    how, body, error, code, words = REFUSALS[case]

    async def scenario(e: Engine) -> None:
        caller, topic_id = await _setup(e, how)
        replies = RecordedReplies()
        bad, good_after = (
            Wrapper(topic_id, body),
            Wrapper(topic_id, make_event().SerializeToString()),
        )
        await PublishPipeline(e.broker, caller, replies).run(stream_of([bad, good_after]))
        kind, refused = replies.by_id()[bad.local_id]
        assert kind == "nack" and type(refused) is error and words in str(refused)
        assert nack_code(refused) == code
        with pytest.raises(error) as batch_refusal:
            await publish_batch(e.broker, caller, topic_id, [body])
        assert str(batch_refusal.value).replace("event 0", "event") == str(refused)
        assert status_code(batch_refusal.value).name in {
            "PERMISSION_DENIED",
            "NOT_FOUND",
            "FAILED_PRECONDITION",
            "INVALID_ARGUMENT",
        }
        # A refusal never ends the stream, and nothing refused was stored.
        if how == "":
            assert replies.by_id()[good_after.local_id][0] == "ack"
            topic = e.broker.store.topic(topic_id)
            assert topic.stats.events == 1

    engine(scenario)


def test_acks_come_in_order_and_events_are_stored_byte_for_byte(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await broker.change(broker.store.create_topic, e.project_id, "orders")
        sent = [
            Wrapper(topic.id, make_event(f"e{i}", {"n": str(i)}).SerializeToString())
            for i in range(500)
        ]
        replies = RecordedReplies()
        pipeline = PublishPipeline(broker, e.caller(Permission.PUBLISHER), replies)
        await pipeline.run(stream_of(sent))
        assert [o[1] for o in replies.outcomes] == [w.local_id for w in sent]
        assert {o[0] for o in replies.outcomes} == {"ack"} and pipeline.acks == 500
        stored = broker.store.read(topic.id, 1, 500)
        # Stored as published: the engine decodes once and never encodes again.
        assert [r.body for r in stored] == [w.event for w in sent]

    engine(scenario)


def test_an_ack_is_reported_only_once_its_event_is_committed(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await broker.change(broker.store.create_topic, e.project_id, "orders")
        committed_counts: list[tuple[int, int]] = []
        acked_so_far = 0

        def check(ids: Any) -> None:
            nonlocal acked_so_far
            acked_so_far += len(ids)
            committed_counts.append((acked_so_far, broker.store.topic(topic.id).stats.events))

        replies = RecordedReplies(on_ack=check)
        sent = [Wrapper(topic.id, make_event(f"{i}").SerializeToString()) for i in range(300)]
        await PublishPipeline(broker, e.caller(), replies).run(stream_of(sent))
        assert all(acked <= stored for acked, stored in committed_counts)

    engine(scenario)


def test_an_archive_between_admission_and_commit_nacks_instead_of_storing(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await broker.change(broker.store.create_topic, e.project_id, "orders")
        caller = e.caller(Permission.PUBLISHER)
        events = [make_event("a").SerializeToString()]
        # Admitted while open ...
        admitted = Admission(broker, caller).topic(topic.id)
        await broker.change(broker.store.archive_topic, topic.id)
        # ... but the store's commit-time guard applies the same rule with the same message.
        with pytest.raises(TopicArchived) as refused:
            await asyncio.wrap_future(broker.store.publish(admitted.id, [make_event("a")], events))
        assert "is archived (read-only); publish refused" in str(refused.value)
        assert broker.store.topic(topic.id).stats.events == 0

    engine(scenario)


def test_an_empty_batch_is_refused(engine: Callable[[Scenario], None]) -> None:
    async def scenario(e: Engine) -> None:
        topic = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        with pytest.raises(InvalidArgument, match="at least one event"):
            await publish_batch(e.broker, e.caller(), topic.id, [])

    engine(scenario)


def test_a_revoked_key_ends_its_stream(engine: Callable[[Scenario], None]) -> None:
    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await broker.change(broker.store.create_topic, e.project_id, "orders")
        caller = e.caller(Permission.PUBLISHER)
        client_id = broker.keys.by_id(caller.key_id).client_id

        async def publisher() -> Any:
            yield Wrapper(topic.id, make_event("before").SerializeToString())
            await asyncio.sleep(0.1)
            broker.keys.revoke(client_id)
            await asyncio.sleep(0.6)  # past the stream's revocation check interval
            yield Wrapper(topic.id, make_event("after").SerializeToString())

        replies = RecordedReplies()
        with pytest.raises(BrokerError, match="revoked"):
            await PublishPipeline(broker, caller, replies).run(publisher())
        assert [o[0] for o in replies.outcomes] == ["ack"]
        assert broker.store.topic(topic.id).stats.events == 1

    engine(scenario)


def test_a_full_disk_nacks_with_its_reason_and_publishing_resumes_by_itself(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        broker, topic = e.broker, await e.create_topic("orders")
        caller = e.caller(Permission.PUBLISHER)
        kept = [Wrapper(topic.id, make_event(f"kept {i}").SerializeToString()) for i in range(5)]
        await PublishPipeline(broker, caller, RecordedReplies()).run(stream_of(kept))

        def room(pages: int | None) -> Callable[[Any], None]:
            def limit(conn: Any) -> None:  # SQLite says SQLITE_FULL at max_page_count
                current = conn.execute("PRAGMA page_count").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count={pages or current + 1}")

            return limit

        await asyncio.wrap_future(broker.store._writer.submit(room(None)))
        big = [Wrapper(topic.id, make_event(b"x" * 300_000).SerializeToString()) for _ in range(4)]
        replies = RecordedReplies()
        await PublishPipeline(broker, caller, replies).run(stream_of(big))
        assert {kind for kind, _, _ in replies.outcomes} == {"nack"}
        refusal = replies.outcomes[0][2]
        assert "disk holding the event log is full" in str(refusal)
        assert nack_code(refusal) == Code.INTERNAL
        with pytest.raises(BrokerError, match="full"):
            await publish_batch(broker, caller, topic.id, [big[0].event])

        await asyncio.wrap_future(broker.store._writer.submit(room(1_000_000_000)))  # space back
        after = RecordedReplies()
        await PublishPipeline(broker, caller, after).run(stream_of(big[:1]))
        assert [kind for kind, _, _ in after.outcomes] == ["ack"]
        records = broker.store.read(topic.id)
        assert [r.offset for r in records] == [1, 2, 3, 4, 5, 6]  # nothing lost, no gap
        assert records[0].event.data == b"kept 0"

    engine(scenario)
