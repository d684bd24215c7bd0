"""Replay between engines: an Ensign topic into a JetStream stream, and a stream into a topic."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from tests.jetstream.conftest import js_settings, nats_cluster
from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, running_broker, settings_for
from tests.workbench.views.test_jetstream_views import _loop_always_current
from workbench.client.broker_client import BrokerClient
from workbench.client.clients import AnySettings, client_for
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.records import EventRow, NewEvent
from workbench.models.event_export import topic_events
from workbench.views.qt_producer import QtProducer
from workbench.views.qt_replay_panel import OtherBrokers
from workbench.views.qt_session import QtSession

__all__ = ["_loop_always_current", "js_settings", "nats_cluster"]  # fixtures used by name

ENSIGN, NATS = "ensign broker", "team cluster"


@pytest.fixture(scope="module")
def ensign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectionSettings]:
    with running_broker(tmp_path_factory, "replay") as process:
        yield _settings(process)


def _settings(process: BrokerProcess) -> ConnectionSettings:
    return settings_for(process, create_key(process.data_dir, "demo", "all"))


def _orders(count: int) -> list[NewEvent]:
    return [
        NewEvent(
            json.dumps({"n": n}).encode(), 50, "Order", "2.1.0", {"n": str(n)}, 1_700_000_000_000
        )
        for n in range(count)
    ]


def _stored(qloop: QLoop, settings: AnySettings, topic_id: bytes) -> list[EventRow]:
    async def read() -> list[EventRow]:
        client = client_for(settings)
        await client.login()
        try:
            return [row async for row in topic_events(client, topic_id)]
        finally:
            await client.close()

    return qloop.run(read())


def _replay(
    qtbot: QtBot,
    qloop: QLoop,
    here: AnySettings,
    there: tuple[str, AnySettings],
    source_id: bytes,
    target_name: str,
) -> None:
    """Connect to ``here``, replay ``source_id`` of the other broker into ``target_name``."""
    session = QtSession()
    qloop.run(session.connect_to(here, "here"))
    try:
        producer = QtProducer(
            session, others=OtherBrokers(lambda: [there[0]], lambda _name: there[1])
        )
        qtbot.addWidget(producer)
        producer.create_topic(target_name)
        qloop.until(
            lambda: producer.target() is not None and producer.target().name == target_name,  # type: ignore[union-attr]
            what="the target",
        )
        replayer = producer.replayer
        opening = replayer.choose_broker(there[0])
        assert opening is not None
        qloop.run(opening)
        replayer.choose_source(source_id)
        replayer.start()
        qloop.until(lambda: not replayer.is_running(), what="the replay")
        assert replayer.summary.text().startswith("Done: published 40 of 40"), (
            replayer.summary.text()
        )
        qloop.run(replayer._close_other())
    finally:
        qloop.run(session.drop_connection())


def _check(rows: list[EventRow]) -> None:
    assert [json.loads(r.data)["n"] for r in rows] == list(range(40))
    assert {(r.type_name, r.type_version, r.mimetype) for r in rows} == {("Order", "2.1.0", 50)}
    assert [r.metadata for r in rows] == [{"n": str(n)} for n in range(40)]
    assert {r.created_ms for r in rows} == {1_700_000_000_000}


def test_an_ensign_topic_replays_into_a_jetstream_stream(
    qtbot: QtBot, qloop: QLoop, ensign: ConnectionSettings, js_settings: JetStreamSettings
) -> None:
    async def source() -> bytes:
        client = BrokerClient(ensign)
        await client.login()
        try:
            topic = await client.create_topic(f"from-ensign-{os.urandom(3).hex()}")
            await client.publish(topic, _orders(40))
            return topic
        finally:
            await client.close()

    topic = qloop.run(source())
    stream = f"to-nats-{os.urandom(3).hex()}"
    _replay(qtbot, qloop, js_settings, (ENSIGN, ensign), topic, stream)
    rows = _stored(qloop, js_settings, stream.encode())
    _check(rows)
    assert {r.subject for r in rows} == {stream}


def test_a_jetstream_stream_replays_into_an_ensign_topic(
    qtbot: QtBot, qloop: QLoop, ensign: ConnectionSettings, js_settings: JetStreamSettings
) -> None:
    async def source() -> bytes:
        client = client_for(js_settings)
        await client.login()
        try:
            stream = await client.create_topic(f"from-nats-{os.urandom(3).hex()}", replicas=3)
            await client.publish(stream, _orders(40))
            return stream
        finally:
            await client.close()

    stream = qloop.run(source())
    name = f"to-ensign-{os.urandom(3).hex()}"
    _replay(qtbot, qloop, ensign, (NATS, js_settings), stream, name)

    async def topic_id() -> bytes:
        client = BrokerClient(ensign)
        await client.login()
        try:
            return next(t.id for t in await client.topics() if t.name == name)
        finally:
            await client.close()

    _check(_stored(qloop, ensign, qloop.run(topic_id())))
