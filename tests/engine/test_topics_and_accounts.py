"""Topic management, paged reads, keys, projects and metrics rules, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from embedded_broker.engine import accounts, topics
from embedded_broker.engine.metrics import stream_samples, take_sample
from embedded_broker.engine.publishing import publish_batch
from embedded_broker.engine.reads import ReadFrom, read_page
from tests.conftest import make_event
from tests.engine.conftest import Engine, Scenario

P = Permission


def test_topic_changes_need_their_permission(engine: Callable[[Scenario], None]) -> None:
    async def scenario(e: Engine) -> None:
        reader = e.caller(P.TOPICS_READ)
        with pytest.raises(PermissionDenied, match="'topics:create'"):
            await topics.create_topic(e.broker, reader, "orders")
        creator = e.caller(P.TOPICS_CREATE)
        created = await topics.create_topic(e.broker, creator, "orders")
        with pytest.raises(AlreadyExists):
            await topics.create_topic(e.broker, creator, "orders")
        with pytest.raises(InvalidArgument):
            await topics.create_topic(e.broker, creator, "9 not a name")
        with pytest.raises(PermissionDenied, match="'topics:edit'"):
            await topics.archive_topic(e.broker, creator, "orders")
        archived = await topics.archive_topic(e.broker, e.caller(P.TOPICS_EDIT), created.id)
        assert archived.state.value == "archived"
        with pytest.raises(PermissionDenied, match="'topics:destroy'"):
            await topics.destroy_topic(e.broker, e.caller(P.TOPICS_EDIT), "orders")
        await topics.destroy_topic(e.broker, e.caller(P.TOPICS_DESTROY), "orders")
        assert topics.list_topics(e.broker, reader) == []

    engine(scenario)


def test_topics_stay_inside_their_project_unless_the_caller_is_an_admin(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        other = e.broker.projects.create("other")
        outsider = e.caller(P.TOPICS_CREATE, P.TOPICS_READ, project_id=other.id)
        with pytest.raises(PermissionDenied, match="another project"):
            await topics.create_topic(e.broker, outsider, "orders", project_id=e.project_id)
        admin = e.caller(P.BROKER_ADMIN, project_id=other.id)
        created = await topics.create_topic(e.broker, admin, "orders", project_id=e.project_id)
        assert created.project_id == e.project_id
        with pytest.raises(NotFound):
            await topics.create_topic(e.broker, admin, "x", project_id=b"\x02" * 16)
        assert topics.list_topics(e.broker, outsider) == []
        assert [t.name for t in topics.list_topics(e.broker, admin, all_projects=True)] == [
            "orders"
        ]
        with pytest.raises(PermissionDenied, match="broker:admin"):
            topics.list_topics(e.broker, outsider, all_projects=True)
        assert not topics.topic_exists(e.broker, outsider, name="orders")
        own = e.caller(P.TOPICS_READ)
        assert topics.topic_exists(e.broker, own, name="orders")
        assert topics.topic_exists(e.broker, own, topic_id=created.id_str, name="orders")
        assert not topics.topic_exists(e.broker, own, topic_id=created.id_str, name="other")
        with pytest.raises(InvalidArgument, match="name or id"):
            topics.topic_exists(e.broker, own)

    engine(scenario)


def test_paged_reads_by_offset_time_and_from_the_end(engine: Callable[[Scenario], None]) -> None:
    async def scenario(e: Engine) -> None:
        topic = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        bodies = [make_event(f"{i}").SerializeToString() for i in range(1, 251)]
        await publish_batch(e.broker, e.caller(), topic.id, bodies)
        reader = e.caller(P.SUBSCRIBER)
        page = await read_page(e.broker, reader, topic.id, ReadFrom.OFFSET, 100, 20)
        assert [r.offset for r in page.records] == list(range(100, 120))
        assert (page.next_offset, page.last_offset) == (120, 250)
        tail = await read_page(e.broker, reader, topic.id, ReadFrom.END, limit=10)
        assert [r.offset for r in tail.records] == list(range(241, 251))
        committed = page.records[0].committed_ms
        by_time = await read_page(e.broker, reader, topic.id, ReadFrom.TIME, committed, 1000)
        assert by_time.records[0].committed_ms >= committed and by_time.records[-1].offset == 250
        later = await read_page(e.broker, reader, topic.id, ReadFrom.TIME, committed + 10**9)
        assert later.records == [] and later.next_offset == 251
        for lacking in (P.PUBLISHER, P.TOPICS_READ):  # topics:read lists, never reads data
            with pytest.raises(PermissionDenied, match="'subscriber'"):
                await read_page(e.broker, e.caller(lacking), topic.id, ReadFrom.OFFSET)
        other = e.broker.projects.create("other")
        outsider = e.caller(P.SUBSCRIBER, project_id=other.id)
        with pytest.raises(NotFound, match="unknown topic"):
            await read_page(e.broker, outsider, topic.id, ReadFrom.OFFSET)

    engine(scenario)


def test_keys_and_projects_need_broker_admin(engine: Callable[[Scenario], None]) -> None:
    async def scenario(e: Engine) -> None:
        user = e.caller(P.PUBLISHER)
        for attempt in (
            accounts.create_key(e.broker, user, b"", ["publisher"], "x"),
            accounts.list_keys(e.broker, user, b""),
            accounts.create_project(e.broker, user, "p", ensure=False),
        ):
            with pytest.raises(PermissionDenied, match="broker:admin"):
                await attempt
        assert [p.name for p in await accounts.list_projects(e.broker, user)] == ["demo"]
        admin = e.caller(P.BROKER_ADMIN)
        key, secret = await accounts.create_key(e.broker, admin, b"", ["publisher"], "ci")
        assert len(secret) == 64 and secret not in repr(key)
        with pytest.raises(InvalidArgument):
            await accounts.create_key(e.broker, admin, b"", ["fly"], "bad")
        with pytest.raises(InvalidArgument, match="cannot revoke itself"):
            await accounts.revoke_key(e.broker, admin, e.broker.keys.by_id(admin.key_id).client_id)
        revoked = await accounts.revoke_key(e.broker, admin, key.client_id)
        assert not revoked.active
        await accounts.create_project(e.broker, admin, "second", ensure=False)
        assert len(await accounts.list_projects(e.broker, admin)) == 2

    engine(scenario)


def test_metrics_stream_the_callers_project_and_need_metrics_read(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        mine = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        other = e.broker.projects.create("other")
        theirs = await e.broker.change(e.broker.store.create_topic, other.id, "secret")
        take_sample(e.broker)
        with pytest.raises(PermissionDenied):
            await anext(stream_samples(e.broker, e.caller(P.TOPICS_READ), False, 60))
        with pytest.raises(PermissionDenied, match="broker:admin"):
            await anext(stream_samples(e.broker, e.caller(P.METRICS_READ), True, 60))
        samples = stream_samples(e.broker, e.caller(P.METRICS_READ), False, 60)
        history = await anext(samples)
        assert history.history and [t.id for t, _ in history.topics] == [mine.id]
        await publish_batch(e.broker, e.caller(), mine.id, [make_event().SerializeToString()])
        live_task = asyncio.ensure_future(anext(samples))
        await asyncio.sleep(0.05)
        take_sample(e.broker)
        live = await asyncio.wait_for(live_task, 5)
        assert not live.history and theirs.id not in {t.id for t, _ in live.topics}
        assert {t.id: rate.events for t, rate in live.topics} == {mine.id: 1}
        await samples.aclose()

    engine(scenario)
