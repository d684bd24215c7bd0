"""The views on an R3 stream keep working when a server of the cluster is killed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from tests.nats_cluster import NatsCluster, running_nats
from tests.workbench.conftest import QLoop
from tests.workbench.views.test_jetstream_views import _loop_always_current
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.records import NewEvent
from workbench.views.qt_event_table import QtEventTable
from workbench.views.qt_session import QtSession
from workbench.views.qt_topic_browser import QtTopicBrowser

__all__ = ["_loop_always_current"]


@pytest.fixture
def own_cluster() -> Iterator[NatsCluster]:
    """A cluster of its own: the test kills one of its servers."""
    with running_nats(3) as cluster:
        yield cluster


def _events(first: int, count: int) -> list[NewEvent]:
    return [
        NewEvent(json.dumps({"n": n}).encode(), 50, "Tick") for n in range(first, first + count)
    ]


def test_the_browser_and_event_table_recover_when_the_servers_they_use_die(
    qtbot: QtBot, qloop: QLoop, own_cluster: NatsCluster
) -> None:
    session = QtSession()
    lost: list[str] = []
    session.connection_failed.connect(lambda _name, why: lost.append(why))
    qloop.run(session.connect_to(JetStreamSettings(tuple(own_cluster.urls)), "cluster"))
    try:
        client = session.client
        assert isinstance(client, JetStreamClient)
        topic_id = qloop.run(client.create_topic("failover", replicas=3))
        qloop.run(client.publish(topic_id, _events(0, 500)))
        session.refresh_topics()
        qloop.until(lambda: session.topic(topic_id) is not None, what="the stream listed")
        browser = QtTopicBrowser(session)
        table = QtEventTable(session)
        for widget in (browser, table):
            qtbot.addWidget(widget)
            widget.show()
        table.show_topic(session.topic(topic_id))
        qloop.until(lambda: table.model.event_at(499) is not None, what="the newest rows")

        # Kill the server the workbench is connected to: it reconnects to another.
        assert client._nc is not None and client._nc.connected_url is not None
        port = client._nc.connected_url.port
        own_cluster.kill(next(i for i, n in enumerate(own_cluster.nodes) if n.client_port == port))

        qloop.run(client.publish(topic_id, _events(500, 100)), timeout=90)
        qloop.until(
            lambda: table.model.rowCount() == 600 and table.model.event_at(599) is not None,
            timeout=60,
            what="the table to show the events published after the kill",
        )
        qloop.until(
            lambda: session.topic(topic_id) is not None and session.topic(topic_id).events == 600,  # type: ignore[union-attr]
            timeout=60,
            what="the browser's count after the kill",
        )
        assert session.client is client and not lost  # the connection was never given up
        browser.select_topic(topic_id)
        qloop.until(lambda: "600 messages" in browser.details.text(), what="the browser's line")
        assert client._nc is not None and client._nc.connected_url is not None
        assert client._nc.connected_url.port != port  # it really moved to another server
    finally:
        qloop.run(session.drop_connection())
