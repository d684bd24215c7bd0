"""The generator against a real broker: counts, durations, refusals, stop and pause."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.broker_client import BrokerClient, encode_event
from workbench.client.records import NewEvent
from workbench.models.event_generator import EventGenerator, GeneratorSettings, RunState
from workbench.models.rate_shapes import RateShape, ShapeKind

T = TypeVar("T")


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "generator") as process:
        yield process


def _with_client(broker: BrokerProcess, work: Callable[[BrokerClient], Awaitable[T]]) -> T:
    async def main() -> T:
        client = BrokerClient(settings_for(broker, create_key(broker.data_dir, "demo", "all")))
        try:
            await client.login()
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(main())


def _numbered(counter: list[int]) -> Callable[[int], list[bytes]]:
    def source(n: int) -> list[bytes]:
        first = counter[0]
        counter[0] += n
        return [
            encode_event(NewEvent(f"{i}".encode(), metadata={"n": str(i)}))
            for i in range(first, first + n)
        ]

    return source


def test_a_run_reaches_its_count_exactly_in_order(broker: BrokerProcess, tmp_path: Path) -> None:
    async def work(client: BrokerClient) -> None:
        topic = await client.create_topic("counted")
        settings = GeneratorSettings(topic, count=2_500, batch_max=300)
        stats = await EventGenerator(client, _numbered([0]), settings).run()
        assert stats.state is RunState.DONE
        assert (stats.sent, stats.acked, stats.nacked, stats.lost) == (2_500, 2_500, 0, 0)
        stored = []
        offset = 1
        while len(stored) < 2_500:
            page = await client.read_events(topic, offset=offset, limit=1000)
            stored += [e.data for e in page.events]
            offset = page.next_offset
        assert stored == [f"{i}".encode() for i in range(2_500)]

    _with_client(broker, work)


def test_a_paced_run_sends_what_is_due_and_ends_with_its_duration(broker: BrokerProcess) -> None:
    async def work(client: BrokerClient) -> None:
        topic = await client.create_topic("paced")
        shape = RateShape(ShapeKind.BURST, burst=40, period_s=0.5)
        settings = GeneratorSettings(topic, duration_s=1.2, shape=shape)
        stats = await EventGenerator(client, _numbered([0]), settings).run()
        assert stats.state is RunState.DONE
        assert stats.acked == 120  # bursts at 0, 0.5 and 1.0 s: never ahead of the shape

    _with_client(broker, work)


def test_refused_events_are_counted_with_their_reason_and_the_rest_published(
    broker: BrokerProcess,
) -> None:
    async def work(client: BrokerClient) -> None:
        topic = await client.create_topic("mixed")
        huge = encode_event(NewEvent(b"x" * (5 * 1024 * 1024 + 1)))

        made = [0]

        def source(n: int) -> list[bytes]:  # every tenth event is too large
            first, made[0] = made[0], made[0] + n
            return [
                huge if i % 10 == 9 else encode_event(NewEvent(b"ok"))
                for i in range(first, first + n)
            ]

        settings = GeneratorSettings(topic, count=50, batch_max=25, in_flight=1)
        stats = await EventGenerator(client, source, settings).run()
        assert (stats.sent, stats.acked, stats.nacked, stats.state) == (50, 45, 5, RunState.DONE)
        (refusal,) = stats.refusals
        assert refusal.code == "MAX_EVENT_SIZE_EXCEEDED" and refusal.events == 5
        assert "the limit is 4,194,236 bytes" in refusal.reason
        topics = {t.name: t for t in await client.topics()}
        assert topics["mixed"].events == 45

        made[0] = 0
        stopping = GeneratorSettings(topic, count=50, batch_max=25, in_flight=1, stop_on_nack=True)
        stopped = await EventGenerator(client, source, stopping).run()
        assert stopped.state is RunState.STOPPED
        assert (stopped.sent, stopped.acked, stopped.nacked) == (10, 9, 1)

    _with_client(broker, work)


def test_an_archived_topic_refuses_every_event_with_its_reason(broker: BrokerProcess) -> None:
    async def work(client: BrokerClient) -> None:
        topic = await client.create_topic("frozen")
        await client.archive_topic(topic)
        settings = GeneratorSettings(topic, count=3_000)
        stats = await EventGenerator(client, _numbered([0]), settings).run()
        assert (stats.acked, stats.nacked) == (0, 3_000)
        assert [r.code for r in stats.refusals] == ["TOPIC_ARCHIVED"]

    _with_client(broker, work)


def test_stop_and_pause_take_effect(broker: BrokerProcess) -> None:
    async def work(client: BrokerClient) -> None:
        topic = await client.create_topic("controlled")
        settings = GeneratorSettings(topic, count=1_000_000, shape=RateShape(rate=2_000))
        generator = EventGenerator(client, _numbered([0]), settings)
        run = asyncio.ensure_future(generator.run())
        await asyncio.sleep(0.3)
        generator.pause()
        await asyncio.sleep(0.1)  # batches in flight settle
        paused = generator.stats()
        await asyncio.sleep(0.4)
        assert generator.stats().sent == paused.sent and paused.state is RunState.PAUSED
        generator.resume()
        await asyncio.sleep(0.2)
        generator.stop()
        stats = await run
        assert stats.state is RunState.STOPPED
        assert paused.sent < stats.sent < 1_000_000 and stats.acked == stats.sent
        # The paused time does not count: about 0.5 s of sending at 2,000/s.
        assert stats.sent <= 2_000 * (stats.elapsed_s + 0.1)

    _with_client(broker, work)
