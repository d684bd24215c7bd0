"""The JetStream client through the StreamClient interface, on a three-node cluster."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import nats
import pytest
from nats.js import api as js_api

from workbench.client.broker_rules import APPLICATION_JSON
from workbench.client.errors import InvalidInput, NotFound, Refused, Unsupported
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.records import EventRow, NewEvent, QueryProgress, QueryScope
from workbench.client.stream_client import Capability, StreamClient

T = TypeVar("T")


def _run(settings: JetStreamSettings, body: Callable[[StreamClient], Awaitable[T]]) -> T:
    async def scenario() -> T:
        client: StreamClient = JetStreamClient(settings)
        await client.login()
        try:
            return await body(client)
        finally:
            await client.close()

    return asyncio.run(scenario())


def _name(prefix: str) -> str:
    return f"{prefix}-{os.urandom(3).hex()}"


def _orders(count: int, start: int = 0) -> list[NewEvent]:
    return [
        NewEvent(
            json.dumps({"n": i, "region": "eu" if i % 2 else "us"}).encode(),
            mimetype=APPLICATION_JSON,
            type_name="Order",
            type_version="1.2.3",
            metadata={"n": str(i), "note with spaces": "100% é", "pad": "  kept  "},
        )
        for i in range(start, start + count)
    ]


async def _first(items: AsyncIterator[T], count: int) -> list[T]:
    out: list[T] = []
    async for item in items:
        out.append(item)
        if len(out) >= count:
            break
    return out


def test_streams_are_created_listed_and_deleted_with_their_replicas(
    js_settings: JetStreamSettings,
) -> None:
    r1, r3 = _name("one"), _name("three")

    async def body(client: StreamClient) -> None:
        assert Capability.REPLICAS in client.capabilities
        assert Capability.KEY_ADMIN not in client.capabilities
        one = await client.create_topic(r1, replicas=1)
        three = await client.create_topic(r3, replicas=3)
        await client.publish(three, _orders(5))
        rows = {t.name: t for t in await client.topics()}
        assert rows[r1].events == 0
        assert (rows[r3].events, rows[r3].first_offset, rows[r3].last_offset) == (5, 1, 5)
        assert rows[r3].bytes > 0
        assert rows[r3].subjects == (r3, f"{r3}.>")
        assert (rows[r1].replicas, rows[r3].replicas) == (1, 3)
        assert client.topic_ref(three) == r3
        assert isinstance(client, JetStreamClient)
        assert await client.stream_replicas(three) == 3
        assert await client.stream_replicas(one) == 1
        with pytest.raises(InvalidInput, match="cannot name a JetStream stream"):
            await client.create_topic("has space")
        await client.destroy_topic(one)
        await client.destroy_topic(three)
        assert not {r1, r3} & {t.name for t in await client.topics()}
        with pytest.raises(NotFound):
            await client.destroy_topic(three)

    _run(js_settings, body)


def test_published_events_page_by_sequence_with_their_ensign_fields(
    js_settings: JetStreamSettings,
) -> None:
    name = _name("paged")

    async def body(client: StreamClient) -> None:
        topic = await client.create_topic(name, replicas=3)
        result = await client.publish(topic, _orders(1000))
        assert (result.first_offset, result.count, result.duplicates) == (1, 1000, 0)
        page = await client.read_events(topic, offset=401, limit=100)
        assert [e.offset for e in page.events] == list(range(401, 501))
        assert (page.next_offset, page.last_offset) == (501, 1000)
        event = page.events[0]
        assert json.loads(event.data) == {"n": 400, "region": "us"}
        assert (event.type_name, event.type_version) == ("Order", "1.2.3")
        assert event.mimetype_text == "application/json"
        assert event.metadata == {"n": "400", "note with spaces": "100% é", "pad": "  kept  "}
        assert event.subject == name
        assert event.created_ms > 0 and event.committed_ms >= event.created_ms - 1000
        last = await client.read_events(topic, from_end=True, limit=30)
        assert [e.offset for e in last.events] == list(range(971, 1001))
        past_end = await client.read_events(topic, offset=1001, limit=10)
        assert past_end.events == [] and past_end.last_offset == 1000

    _run(js_settings, body)


def test_a_page_starts_at_the_first_event_after_a_time(js_settings: JetStreamSettings) -> None:
    name = _name("timed")

    async def body(client: StreamClient) -> None:
        topic = await client.create_topic(name)
        await client.publish(topic, _orders(50))
        await asyncio.sleep(0.05)
        await client.publish(topic, _orders(50, 50))
        everything = (await client.read_events(topic, limit=100)).events
        cut = everything[49].committed_ms
        page = await client.read_events(topic, after_ms=cut, limit=10)
        assert page.events, "nothing after the cut"
        assert page.events[0].committed_ms > cut
        before = [e for e in everything if e.offset < page.events[0].offset]
        assert all(e.committed_ms <= cut for e in before)
        assert page.events[0].offset == 51

    _run(js_settings, body)


def test_a_live_tail_delivers_only_new_events_in_order(js_settings: JetStreamSettings) -> None:
    name = _name("tail")

    async def body(client: StreamClient) -> None:
        topic = await client.create_topic(name, replicas=3)
        await client.publish(topic, _orders(10))
        tail = asyncio.ensure_future(_first(client.tail(client.topic_ref(topic)), 20))
        await asyncio.sleep(1.0)  # the tail's consumer is in place
        await client.publish(topic, _orders(20, 10))
        got: list[EventRow] = await asyncio.wait_for(tail, 20)
        assert [e.offset for e in got] == list(range(11, 31))
        assert [e.metadata["n"] for e in got] == [str(i) for i in range(10, 30)]
        with pytest.raises(Unsupported):
            await _first(client.tail(name, group="g"), 1)

    _run(js_settings, body)


def test_a_query_runs_its_range_on_the_servers_and_its_where_here(
    js_settings: JetStreamSettings,
) -> None:
    name = _name("query")

    async def body(client: StreamClient) -> None:
        topic = await client.create_topic(name)
        await client.publish(topic, _orders(2000))
        await client.publish_encoded(topic, [], subject="")  # nothing: no error
        assert isinstance(client, JetStreamClient)
        from workbench.client.broker_client import encode_event

        await client.publish_encoded(
            topic, [encode_event(e) for e in _orders(3, 5000)], subject=f"{name}.special"
        )
        seen: list[QueryProgress] = []
        ensql = f"SELECT * FROM {name} WHERE data.region = 'eu' AND data.n >= 1000"
        scope = QueryScope(first_offset=1001, last_offset=1500)
        rows = [r async for r in client.query(ensql, scope, seen.append)]
        assert [r.offset for r in rows] == list(range(1002, 1501, 2))
        assert seen and seen[-1] == QueryProgress(500, 500, 250)
        plan = client.query_plan(ensql + " LIMIT 5", scope)
        assert plan.server == f"stream {name}, all subjects, sequences 1001 to 1500"
        assert plan.client == "WHERE data.region = 'eu' AND data.n >= 1000, LIMIT 5"
        special = [
            r async for r in client.query(f"SELECT * FROM {name}", QueryScope(subject=f"{name}.*"))
        ]
        assert [r.offset for r in special] == [2001, 2002, 2003]
        assert {r.subject for r in special} == {f"{name}.special"}
        limited = [r async for r in client.query(f"SELECT * FROM {name} WHERE n > '5' LIMIT 3")]
        assert [r.metadata["n"] for r in limited] == ["6", "7", "8"]
        with pytest.raises(InvalidInput):
            client.query_plan("SELECT FROM WHERE")

        # Cancelled at its first progress report: the scan stops there.
        reports: list[QueryProgress] = []

        def cancel_at_first(report: QueryProgress) -> None:
            reports.append(report)
            task.cancel()

        async def consume() -> None:
            query = f"SELECT * FROM {name} WHERE data.n = -1"
            async for _ in client.query(query, progress=cancel_at_first):
                pass

        task = asyncio.ensure_future(consume())
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [(r.scanned, r.total) for r in reports] == [(500, 2003)]

    _run(js_settings, body)


def test_metrics_give_rates_and_consumer_lag(
    js_settings: JetStreamSettings,
) -> None:
    name = _name("rates")

    async def body(client: StreamClient) -> None:
        topic = await client.create_topic(name)
        nc = await nats.connect(list(js_settings.servers))
        try:
            js = nc.jetstream()
            await js.add_consumer(
                name,
                js_api.ConsumerConfig(durable_name="billing", ack_policy=js_api.AckPolicy.EXPLICIT),
            )
            samples = client.metrics()
            first = await anext(samples)
            assert next(t for t in first.topics if t.name == name).events == 0
            await client.publish(topic, _orders(300))
            second = await anext(samples)
            rate = next(t for t in second.topics if t.name == name)
            assert rate.events == 300
            assert rate.events_per_second > 100
            assert rate.bytes_per_second > rate.events_per_second
            assert rate.lags == {"billing": 300}
            assert 0 < rate.ack_latency_p50_ms <= rate.ack_latency_p99_ms < 5_000
            quiet = next(t for t in (await anext(samples)).topics if t.name == name)
            assert (quiet.ack_latency_p50_ms, quiet.events_per_second) == (0.0, 0.0)
            await samples.aclose()  # type: ignore[attr-defined]
        finally:
            await nc.close()

    _run(js_settings, body)


def test_what_jetstream_lacks_is_said_not_crashed_on(js_settings: JetStreamSettings) -> None:
    async def body(client: StreamClient) -> None:
        assert client.ensign_settings is None
        for call in (
            client.create_project("p"),
            client.create_key("k", ["publisher"]),
            client.revoke_key("x"),
            client.archive_topic(b"x"),
            client.set_dedup_policy(b"x", "STRICT", [], []),
        ):
            with pytest.raises(Unsupported):
                await call
        keys = await client.keys()
        assert keys[0].client_id == "anonymous"
        assert "jetstream" in keys[0].permissions
        info = await client.broker_info()
        assert info.version.startswith("nats-server 2.")

    _run(js_settings, body)


def test_a_dotted_topic_name_becomes_a_stream_with_that_subject(
    js_settings: JetStreamSettings,
) -> None:
    topic = f"bank.accounts{os.urandom(2).hex()}"

    async def body(client: StreamClient) -> None:
        topic_id = await client.create_topic(topic, replicas=3)
        stream = topic.replace(".", "_")
        assert client.topic_ref(topic_id) == stream
        await client.publish(topic_id, _orders(5))
        row = next(t for t in await client.topics() if t.id == topic_id)
        assert (row.name, row.subjects, row.events) == (topic, (topic, f"{topic}.>"), 5)
        page = await client.read_events(topic_id, limit=5)
        assert {e.subject for e in page.events} == {topic}
        rows = [r async for r in client.query(f'SELECT * FROM "{topic}" WHERE data.n >= 3')]
        assert [r.offset for r in rows] == [4, 5]
        assert client.query_plan(f'SELECT * FROM "{topic}"').server.startswith(f"stream {stream}")

    _run(js_settings, body)


def test_a_query_time_range_starts_on_the_servers_and_stops_at_its_end(
    js_settings: JetStreamSettings,
) -> None:
    name = _name("when")

    async def body(client: StreamClient) -> None:
        topic = await client.create_topic(name)
        await client.publish(topic, _orders(100))
        await asyncio.sleep(0.05)
        await client.publish(topic, _orders(100, 100))
        await asyncio.sleep(0.05)
        await client.publish(topic, _orders(100, 200))
        rows = (await client.read_events(topic, limit=300)).events
        after, before = rows[99].committed_ms, rows[200].committed_ms
        seen: list[QueryProgress] = []
        scope = QueryScope(after_ms=after, before_ms=before)
        found = [r async for r in client.query(f"SELECT * FROM {name}", scope, seen.append)]
        assert [r.offset for r in found] == list(range(101, 201))
        assert seen[-1].total == 200  # the scan started at offset 101, found on the servers
        plan = client.query_plan(f"SELECT * FROM {name}", scope)
        assert "from " in plan.server and "stop at " in plan.client

    _run(js_settings, body)


def test_a_subject_target_publishes_to_that_subject_and_a_foreign_one_is_refused(
    js_settings: JetStreamSettings,
) -> None:
    name = _name("subjects")

    async def body(client: StreamClient) -> None:
        topic = await client.create_topic(name)
        target = client.subject_target(topic, f"{name}.eu.paris")
        result = await client.publish(target, _orders(3))
        assert (result.first_offset, result.count) == (1, 3)
        page = await client.read_events(topic, limit=10)
        assert {e.subject for e in page.events} == {f"{name}.eu.paris"}
        with pytest.raises(Refused, match="does not take subject") as refused:
            await client.publish(client.subject_target(topic, "other.place"), _orders(1))
        assert refused.value.code == "TOPIC_UNKNOWN"
        for bad in ("", "a..b", "a b", f"{name}.*"):
            with pytest.raises(InvalidInput):
                client.subject_target(topic, bad)

    _run(js_settings, body)
