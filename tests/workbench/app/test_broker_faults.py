"""Long-run faults in the whole app: the embedded broker killed (SIGKILL) while a generator runs
and a live tail follows its topic, and a remote broker that goes away and comes back. Every view
recovers by itself, and the generator's count of acknowledged events is what the topic holds."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key, start_broker
from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.client.records import EventRow, MetricsSample, NewEvent
from workbench.models.broker_status import BrokerState
from workbench.models.event_generator import RunState
from workbench.models.profiles import Profile

RUN_TEMPLATE = {
    "mimetype": "application/json",
    "type": "Run:1.0.0",
    "body": {"n": "{{ counter() }}", "who": "{{ faker.name() }}"},
}


def _all_events(qloop: QLoop, app: App, topic_id: bytes) -> list[EventRow]:
    client = app.session.client
    assert client is not None
    rows: list[EventRow] = []
    offset = 1
    while True:
        page = qloop.run(client.read_events(topic_id, offset=offset, limit=1000))
        rows += page.events
        if not page.events or page.next_offset > page.last_offset:
            return rows
        offset = page.next_offset


def _grab(app: App, path: Path) -> None:
    QApplication.processEvents()
    app.window.grab().save(str(path))


@pytest.mark.timeout(300)
def test_killing_the_embedded_broker_mid_run_every_view_recovers_and_the_count_is_exact(
    qtbot: QtBot, app: App, qloop: QLoop, tmp_path: Path
) -> None:
    app.start(qloop)
    window, session = app.window, app.session
    client = session.client
    assert client is not None
    topic_id = qloop.run(client.create_topic("crash-run"))
    session.refresh_topics()
    qloop.until(lambda: session.topic(topic_id) is not None, 10, "the topic")
    window.show_tabs()
    window.topics.select_topic(topic_id)
    events = window.events
    qloop.until(lambda: events.topic is not None and events.live, 10, "the live tail")
    window.producer.select_topic(topic_id)
    panel = window.producer.generator
    panel.editor.setPlainText(json.dumps(RUN_TEMPLATE))
    panel.by_duration.setChecked(True)
    panel.duration_spin.setValue(120)
    panel.rate_spin.setValue(3_000)
    samples: list[MetricsSample] = []
    session.metrics_sample.connect(samples.append)

    panel.start()
    generator = panel.job.generator
    assert generator is not None
    qloop.until(lambda: generator.stats().acked >= 3_000, 60, "events acknowledged")
    qloop.until(lambda: events.model.rowCount() >= 1_000, 30, "the live tail to show them")
    first_pid = app.broker.pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)

    qloop.until(lambda: generator.stats().state is RunState.FAILED, 60, "the run to end")
    failed = generator.stats()
    qloop.until(
        lambda: app.broker.state is BrokerState.READY and app.broker.pid != first_pid,
        90,
        "the broker to restart by itself",
    )
    qloop.until(lambda: session.client is not None, 60, "the session to reconnect by itself")
    qloop.until(lambda: not generator.unsettled, 60, "the run's unanswered events settled")
    qloop.until(
        lambda: events.topic is not None and events.topic.id == topic_id and events._tailing(),
        30,
        "the event table back on its topic, live",
    )
    target = window.producer.target()
    assert target is not None and target.id == topic_id, "the producer's topic chosen again"
    assert not window.connection_banner.isVisible()

    client = session.client
    assert client is not None
    shown_before = events.model.rowCount()
    qloop.run(client.publish(topic_id, [NewEvent(b'{"after": true}', 50, "After")]))
    qloop.until(
        lambda: any(
            (row := events.model.event_at(r)) is not None and row.type_name == "After"
            for r in range(max(0, events.model.rowCount() - 5), events.model.rowCount())
        ),
        30,
        "the live tail to show an event published after the restart",
    )
    assert events.model.rowCount() > shown_before
    samples_then = len(samples)
    qloop.until(lambda: len(samples) > samples_then + 1, 30, "metrics samples again")

    stored = _all_events(qloop, app, topic_id)
    run = [row for row in stored if row.type_name == "Run"]
    final = generator.stats()
    assert final.acked == len(run), "the run acknowledged exactly what the topic holds"
    assert final.lost == 0 and final.acked + final.unstored + final.nacked == final.sent
    numbers = [json.loads(row.data)["n"] for row in run]
    assert len(set(numbers)) == len(numbers), "nothing stored twice"
    counters = panel.status.counters.text()
    assert f"acked {final.acked:,}" in counters and failed.state is RunState.FAILED
    window.tabs.setCurrentWidget(window.producer)
    window.producer.pages.setCurrentWidget(panel)
    _grab(app, tmp_path / "after-crash-producer.png")
    window.tabs.setCurrentWidget(window.event_split)
    _grab(app, tmp_path / "after-crash-events.png")
    app.quit(qloop)


@pytest.fixture
def comeback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[BrokerProcess]]:
    """A remote broker (the list's last), restarted on the same ports by the test."""
    processes = [start_broker(tmp_path_factory.mktemp("comeback") / "broker")]
    yield processes
    for process in processes:
        process.stop()


@pytest.mark.timeout(180)
def test_a_remote_broker_that_comes_back_is_reconnected_by_itself(
    qtbot: QtBot, app: App, qloop: QLoop, comeback: list[BrokerProcess], tmp_path: Path
) -> None:
    remote = comeback[0]
    app.start(qloop)
    key = create_key(remote.data_dir, "demo", "all")
    profile = Profile("faraway", remote.grpc_address, remote.auth_url, key["client_id"])
    app.window.save_profile(profile, key["client_secret"])
    qloop.until(lambda: app.session.profile_name == "faraway", 30, "the remote broker")
    client = app.session.client
    assert client is not None
    topic_id = qloop.run(client.create_topic("comeback-topic"))
    app.session.refresh_topics()
    qloop.until(lambda: app.session.topic(topic_id) is not None, 10, "the topic")
    app.window.topics.select_topic(topic_id)
    events = app.window.events
    qloop.until(lambda: events.topic is not None, 10, "the topic's events")

    remote.stop()
    banner = app.window.connection_banner
    qloop.until(lambda: app.session.client is None, 30, "the lost connection")
    assert banner.isVisible() and "faraway" in banner.message.text()
    assert "lost" in banner.message.text() and "Trying again in" in banner.message.text()
    _grab(app, tmp_path / "remote-gone.png")
    time.sleep(2)  # away a while: the tries back off
    qloop.until(lambda: app.window.reconnector.attempts >= 2, 30, "tries by itself")

    auth_port = remote.auth_url.rsplit(":", 1)[1]
    comeback.append(
        start_broker(
            remote.data_dir, listen=remote.grpc_address, auth_listen=f"127.0.0.1:{auth_port}"
        )
    )
    qloop.until(lambda: app.session.client is not None, 60, "the broker reconnected by itself")
    assert app.session.profile_name == "faraway"
    qloop.until(lambda: not banner.isVisible(), 10, "the banner gone")
    qloop.until(
        lambda: events.topic is not None and events.topic.id == topic_id, 30, "the topic again"
    )
    assert app.window.reconnector.attempts == 0
    _grab(app, tmp_path / "remote-back.png")
    app.quit(qloop)


@pytest.mark.timeout(120)
def test_an_embedded_broker_stopped_by_the_user_stays_stopped(
    qtbot: QtBot, app: App, qloop: QLoop
) -> None:
    app.start(qloop)
    app.broker.stop()
    qloop.until(lambda: app.session.client is None, 30, "the lost connection")
    banner = app.window.connection_banner
    qloop.until(banner.isVisible, 10, "the banner")
    qloop.run(asyncio.sleep(4.0))  # longer than the first tries' backoff
    assert app.broker.state is BrokerState.STOPPED and app.broker.pid is None
    assert "stopped" in banner.message.text() and "Trying again" not in banner.message.text()
    assert app.window.reconnector.attempts == 0
    app.quit(qloop)
