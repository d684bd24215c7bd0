"""Profiles of a topic built for the test on a real broker: exact figures and drift offsets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from tests.workbench.profile_topic import build_orders, orders_json
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.profile_drift import Drift
from workbench.models.profile_reading import follow_topic, read_topic
from workbench.models.topic_profile import FieldProfile, ProfileSnapshot, TopicProfiler

T = TypeVar("T")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectionSettings]:
    with running_broker(tmp_path_factory, "profile") as broker:
        yield _settings(broker)


def _settings(broker: BrokerProcess) -> ConnectionSettings:
    return settings_for(broker, create_key(broker.data_dir, "demo", "all"))


@contextlib.asynccontextmanager
async def _client(settings: ConnectionSettings) -> AsyncIterator[BrokerClient]:
    client = BrokerClient(settings)
    await client.login()
    try:
        yield client
    finally:
        await client.close()


def _run(settings: ConnectionSettings, work: Callable[[BrokerClient], Coroutine[Any, Any, T]]) -> T:
    async def main() -> T:
        async with _client(settings) as client:
            return await work(client)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def orders(settings: ConnectionSettings) -> tuple[bytes, dict[str, int]]:
    return _run(settings, build_orders)


def _read(settings: ConnectionSettings, topic_id: bytes, limit: int | None) -> ProfileSnapshot:
    progress: list[tuple[int, int]] = []

    async def work(client: BrokerClient) -> ProfileSnapshot:
        profiler = TopicProfiler()

        def report(read: int, total: int) -> None:
            progress.append((read, total))

        assert await read_topic(client, topic_id, profiler, limit, report, page_size=25) == 63
        return profiler.snapshot()

    snapshot = _run(settings, work)
    total = 62 if limit is None else limit
    assert progress[0] == (0, total) and progress[-1] == (total, total)
    return snapshot


def _by_path(snapshot: ProfileSnapshot) -> dict[str, FieldProfile]:
    return {f.path: f for f in snapshot.fields}


def test_the_whole_topic_has_exact_figures(
    settings: ConnectionSettings, orders: tuple[bytes, dict[str, int]]
) -> None:
    topic_id, _ = orders
    snap = _read(settings, topic_id, None)
    assert (snap.events, snap.objects, snap.not_json, snap.not_object) == (62, 60, 1, 1)
    assert (snap.first_offset, snap.last_offset) == (1, 62)
    fields = _by_path(snap)
    assert list(fields) == ["id", "amount", "region", "score", "note", "coupon"]
    ident = fields["id"]
    assert (ident.types, ident.minimum, ident.maximum, ident.mean) == ({"integer": 60}, 1, 60, 30.5)
    amount = fields["amount"]
    assert amount.types == {"integer": 30, "string": 30}
    assert (amount.minimum, amount.maximum, amount.mean) == (2, 60, 31.0)
    score = fields["score"]
    assert (score.types, score.nulls) == ({"number": 48, "null": 12}, 12)
    assert (score.minimum, score.maximum, score.mean) == (0.5, 29.5, 15.0)
    assert fields["region"].top_values == (("eu", 40), ("us", 20))
    note, coupon = fields["note"], fields["coupon"]
    assert (note.missing, note.first_offset, note.last_offset) == (40, 1, 20)
    assert (coupon.missing, coupon.first_offset, coupon.last_offset) == (40, 41, 60)
    assert coupon.top_values == (("SAVE10", 20),)


def test_the_whole_topic_drifts_where_it_was_built_to(
    settings: ConnectionSettings, orders: tuple[bytes, dict[str, int]]
) -> None:
    topic_id, committed = orders
    assert _read(settings, topic_id, None).drift == (
        Drift("note", "disappeared", 21, committed["21"]),
        Drift("amount", "type", 31, committed["31"], "integer", "string"),
        Drift("coupon", "appeared", 41, committed["41"]),
    )


def test_a_sample_profiles_the_last_events_only(
    settings: ConnectionSettings, orders: tuple[bytes, dict[str, int]]
) -> None:
    topic_id, committed = orders
    snap = _read(settings, topic_id, 25)
    assert (snap.events, snap.objects, snap.first_offset, snap.last_offset) == (25, 23, 38, 62)
    fields = _by_path(snap)
    assert "note" not in fields
    assert fields["amount"].types == {"string": 23}
    assert fields["coupon"].missing == 3
    assert snap.drift == (Drift("coupon", "appeared", 41, committed["41"]),)


def test_an_empty_topic_reads_nothing(settings: ConnectionSettings) -> None:
    async def work(client: BrokerClient) -> tuple[int, ProfileSnapshot]:
        topic_id = await client.create_topic("empty")
        profiler = TopicProfiler()
        return await read_topic(client, topic_id, profiler, None), profiler.snapshot()

    after, snap = _run(settings, work)
    assert (after, snap.events, snap.fields) == (1, 0, ())


def test_following_profiles_new_events_and_skips_to_the_end_under_a_flood(
    settings: ConnectionSettings,
) -> None:
    async def work(client: BrokerClient) -> tuple[ProfileSnapshot, ProfileSnapshot, int]:
        topic_id = await client.create_topic("followed")
        await client.publish(topic_id, orders_json(*range(1, 11)))
        profiler = TopicProfiler()
        after = await read_topic(client, topic_id, profiler, None)
        follower = asyncio.ensure_future(
            follow_topic(client, topic_id, profiler, after, 0.02, flood_behind=10, page_size=5)
        )
        try:
            result = await client.publish(topic_id, orders_json(41, 42))  # coupon appears
            await _until(lambda: profiler.last_offset == 12)
            live = profiler.snapshot()
            await client.publish(topic_id, orders_json(*range(43, 73)))  # 30 at once: a flood
            await _until(lambda: profiler.last_offset == 42)
            return live, profiler.snapshot(), result.committed_ms
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower

    live, flooded, committed_ms = _run(settings, work)
    assert live.events == 12
    assert live.drift == (Drift("coupon", "appeared", 11, committed_ms),)
    # 13..42 arrived at once, 30 > 10 behind: 13..37 skipped, the last page (38..42) read.
    assert (flooded.events, flooded.skipped, flooded.last_offset) == (17, 25, 42)


async def _until(condition: Callable[[], bool], timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
