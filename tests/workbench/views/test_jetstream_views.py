"""The workbench's views on a three-node NATS JetStream cluster, through the same session."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import nats
import pytest
from nats.js import api as js_api
from pytestqt.qtbot import QtBot

from tests.jetstream.conftest import js_settings, nats_cluster
from tests.workbench.conftest import QLoop
from tests.workbench.views.test_charts import has_positive_line
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.records import NewEvent, TopicRow
from workbench.models.chart_series import BYTES_PER_SECOND, EVENTS_PER_SECOND, LAG
from workbench.models.composed_event import BodyMode
from workbench.views.qt_charts import QtCharts
from workbench.views.qt_event_detail import QtEventDetail
from workbench.views.qt_event_table import QtEventTable
from workbench.views.qt_key_manager import QtKeyManager
from workbench.views.qt_producer import QtProducer
from workbench.views.qt_query_panel import QtQueryPanel
from workbench.views.qt_session import QtSession
from workbench.views.qt_topic_browser import QtTopicBrowser

__all__ = ["js_settings", "nats_cluster"]  # the cluster fixtures, used here by name

JSON = 50


@pytest.fixture(autouse=True)
def _loop_always_current(qloop: QLoop, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the test's qasync loop the current one between ``qloop.run`` calls.

    qasync processes Qt events once more after a ``run_until_complete``, with no running loop
    set, and pytest-qt processes them between a test's phases: nats-py's tasks stepped then
    fail with "no running event loop" (its subscriptions make tasks as messages arrive). The
    app runs its loop for good, so this concerns only tests that start and stop it.
    """
    loop = qloop.loop
    setter = asyncio.events._set_running_loop
    monkeypatch.setattr(
        asyncio.events, "_set_running_loop", lambda running: setter(running or loop)
    )
    setter(loop)
    yield
    monkeypatch.undo()
    setter(None)


@contextmanager
def _connected(qloop: QLoop, settings: JetStreamSettings) -> Iterator[QtSession]:
    """A session on the cluster for the body of a test, closed before it returns.

    nats-py resumes its tasks from socket callbacks; pytest-qt processes Qt events between a
    test's phases, where no asyncio loop runs, and a connection left open there can lose its
    reader (the app itself always runs its loop).
    """
    connected = QtSession()
    qloop.run(connected.connect_to(settings, "team cluster"))
    try:
        yield connected
    finally:
        qloop.run(connected.drop_connection())


def _stream(qloop: QLoop, session: QtSession, prefix: str, replicas: int = 1) -> TopicRow:
    client = session.client
    assert client is not None
    name = f"{prefix}-{os.urandom(3).hex()}"
    qloop.run(client.create_topic(name, replicas=replicas))
    session.refresh_topics()
    qloop.until(lambda: any(t.name == name for t in session.topics), what=f"stream {name}")
    return next(t for t in session.topics if t.name == name)


def _publish(qloop: QLoop, session: QtSession, topic: TopicRow, first: int, count: int) -> None:
    client = session.client
    assert client is not None
    events = [
        NewEvent(json.dumps({"n": n, "region": "eu" if n % 2 else "us"}).encode(), JSON, "Order")
        for n in range(first, first + count)
    ]
    qloop.run(client.publish(topic.id, events))


def test_the_browser_lists_streams_with_subjects_and_replicas_and_creates_and_deletes_them(
    qtbot: QtBot, qloop: QLoop, js_settings: JetStreamSettings
) -> None:
    with _connected(qloop, js_settings) as session:
        browser = QtTopicBrowser(session)
        qtbot.addWidget(browser)
        browser.resize(600, 500)
        browser.show()
        name = f"made-{os.urandom(3).hex()}"
        browser.create_topic_named(name, b"", 3)
        qloop.until(lambda: any(t.name == name for t in session.topics), what="the new stream")
        topic = next(t for t in session.topics if t.name == name)
        assert (topic.replicas, topic.subjects) == (3, (name, f"{name}.>"))
        _publish(qloop, session, topic, 0, 25)
        session.refresh_topics()
        browser.select_topic(topic.id)
        qloop.until(lambda: "25 messages" in browser.details.text(), what="the stream's details")
        assert browser.details.text().startswith(f"{name}: subjects {name}, {name}.> · R3")
        assert not browser.archive_action.isVisible() and not browser.dedup_action.isVisible()
        dialog = browser.ask_new_topic()
        assert dialog.windowTitle() == "New stream"
        dialog.name_edit.setText("has.dot")
        assert "cannot name a JetStream stream" in dialog.problem()
        dialog.reject()
        browser.destroy_topic_confirmed(topic)
        qloop.until(lambda: all(t.name != name for t in session.topics), what="the stream gone")


def test_the_event_table_pages_jumps_and_tails_a_replicated_stream(
    qtbot: QtBot, qloop: QLoop, js_settings: JetStreamSettings
) -> None:
    with _connected(qloop, js_settings) as session:
        topic = _stream(qloop, session, "table", replicas=3)
        _publish(qloop, session, topic, 0, 3000)
        session.refresh_topics()
        qloop.until(
            lambda: session.topic(topic.id) is not None and session.topic(topic.id).events == 3000
        )  # type: ignore[union-attr]
        table = QtEventTable(session)
        qtbot.addWidget(table)
        table.resize(1200, 700)
        table.show()
        table.live_action.setChecked(False)  # jumps first; the tail below
        table._live_toggled()
        table.show_topic(session.topic(topic.id))  # type: ignore[arg-type]
        assert table.model.rowCount() == 3000
        selected: list[object] = []
        table.event_selected.connect(selected.append)
        table.offset_box.setValue(1234)
        table._go_to_offset_box()
        qloop.until(lambda: bool(selected) and selected[-1] is not None, what="offset 1,234")
        event = selected[-1]
        detail = QtEventDetail()
        qtbot.addWidget(detail)
        detail.show_event(event)  # type: ignore[arg-type]
        headers = detail.metadata.topLevelItem(0)
        shown = {
            headers.child(i).text(0): headers.child(i).text(1) for i in range(headers.childCount())
        }
        assert (shown["topic"], shown["subject"], shown["offset"]) == (
            topic.name,
            topic.name,
            "1234",
        )
        assert event.offset == 1234 and json.loads(event.data) == {"n": 1233, "region": "eu"}  # type: ignore[attr-defined]
        selected.clear()
        table.go_to_time(event.committed_ms)  # type: ignore[attr-defined]
        qloop.until(lambda: bool(selected) and selected[-1] is not None, what="a time")
        assert selected[-1].committed_ms > event.committed_ms  # type: ignore[attr-defined]

        table.live_action.setChecked(True)
        table._live_toggled()
        table.jump_to_end()
        _wait_for_a_reader(qloop, session, topic)
        _publish(qloop, session, topic, 3000, 40)
        qloop.until(lambda: table.model.rowCount() == 3040, what="the tailed events")
        assert table.model.event_at(3039) is not None  # delivered by the tail
        table.pause_action.trigger()
        _publish(qloop, session, topic, 3040, 10)
        qloop.until(lambda: "paused · 10 new" in table.status.text(), what="held while paused")
        assert table.model.rowCount() == 3040
        table.pause_action.trigger()
        qloop.until(lambda: table.model.rowCount() == 3050, what="resume catches up")


def _wait_for_a_reader(qloop: QLoop, session: QtSession, topic: TopicRow) -> None:
    """Wait until the stream has a consumer (the table's live tail)."""
    client = session.client
    assert isinstance(client, JetStreamClient)
    readers: list[int] = [0]

    async def count() -> None:
        while True:
            info = await client._api(f"$JS.API.STREAM.INFO.{topic.name}")
            readers[0] = int(info["state"].get("consumer_count", 0))
            if readers[0]:
                return
            await asyncio.sleep(0.1)

    qloop.run(count())


def test_the_query_panel_says_what_ran_on_the_servers_and_what_here(
    qtbot: QtBot, qloop: QLoop, js_settings: JetStreamSettings
) -> None:
    with _connected(qloop, js_settings) as session:
        topic = _stream(qloop, session, "query")
        _publish(qloop, session, topic, 0, 2000)
        panel = QtQueryPanel(session, _library(qtbot))
        qtbot.addWidget(panel)
        panel.resize(1100, 700)
        panel.show()
        panel.set_topic(topic)
        assert panel.scope_box.isVisible()
        panel.first_edit.setText("1001")
        panel.last_edit.setText("1100")
        panel.run_query(f"SELECT * FROM {topic.name} WHERE data.region = 'eu'")
        qloop.until(lambda: not panel.is_running(), what="the query")
        assert panel.model.rowCount() == 50
        assert panel.plan_label.text() == (
            f"On the servers: stream {topic.name}, all subjects, sequences 1001 to 1100.  "
            "Here: WHERE data.region = 'eu'."
        )
        assert panel.status_label.text().startswith("50 events in")
        assert "100 scanned here" in panel.status_label.text()
        panel.after_edit.setText("yesterday-ish")
        panel.run_query()
        assert not panel.is_running()
        assert panel.status_label.text() == (
            "'yesterday-ish' is not a time: write YYYY-MM-DD HH:MM:SS"
        )


def test_charts_show_stream_rates_and_consumer_pending_as_lag(
    qtbot: QtBot, qloop: QLoop, js_settings: JetStreamSettings
) -> None:
    with _connected(qloop, js_settings) as session:
        topic = _stream(qloop, session, "charts")
        charts = QtCharts(session)
        qtbot.addWidget(charts)
        charts.resize(1000, 700)
        charts.show()

        async def consumer() -> None:
            nc = await nats.connect(list(js_settings.servers))
            try:
                await nc.jetstream().add_consumer(
                    topic.name,
                    js_api.ConsumerConfig(
                        durable_name="billing", ack_policy=js_api.AckPolicy.EXPLICIT
                    ),
                )
            finally:
                await nc.close()

        qloop.run(consumer())
        for batch in range(4):
            _publish(qloop, session, topic, batch * 100, 100)
            qloop.run(asyncio.sleep(0.5))
        events, size = (EVENTS_PER_SECOND, topic.name), (BYTES_PER_SECOND, topic.name)
        lag = (LAG, f"{topic.name}/billing")
        qloop.until(
            lambda: has_positive_line(charts, events) and has_positive_line(charts, size),
            what="the stream's rate lines",
        )
        qloop.until(
            lambda: (
                has_positive_line(charts, lag) and charts.series.window(lag, 60)[1].max() == 400
            ),
            what="the consumer's lag to reach the 400 messages it has not read",
        )


def test_the_producer_publishes_to_a_stream_with_pubacks_as_acks(
    qtbot: QtBot, qloop: QLoop, js_settings: JetStreamSettings
) -> None:
    with _connected(qloop, js_settings) as session:
        producer = QtProducer(session)
        qtbot.addWidget(producer)
        producer.resize(1100, 700)
        producer.show()
        name = f"produced-{os.urandom(3).hex()}"
        producer.create_topic(name)
        qloop.until(lambda: producer.target() is not None and producer.target().name == name)  # type: ignore[union-attr]
        composer = producer.composer
        composer.set_body(BodyMode.JSON, '{"id": 7}')
        composer.type_edit.setText("Order")
        composer.add_metadata("region", "eu")
        composer.send()
        qloop.until(lambda: composer.result_label.text().startswith("Acked"), what="the PubAck")
        assert "offset 1" in composer.result_label.text()
        panel = producer.generator
        panel.count_spin.setValue(1_000)
        panel.rate_spin.setValue(0)
        panel.start()
        qloop.until(lambda: not panel.is_running(), what="the generator run")
        assert "acked 1,000" in panel.status.counters.text()
        client = session.client
        assert client is not None
        page = qloop.run(client.read_events(name.encode(), offset=1, limit=2000))
        assert len(page.events) == 1_001
        assert (page.events[0].type_name, page.events[0].metadata) == ("Order", {"region": "eu"})
        assert {e.subject for e in page.events} == {name}

        # A subject of the stream: every page publishes there.
        assert producer.subject_edit.isVisible()
        producer.subject_edit.setText("elsewhere")
        assert producer.topic_note.text().startswith(f"{name} does not take elsewhere")
        producer.subject_edit.setText(f"{name}.eu")
        composer.send()
        qloop.until(lambda: len(composer.history) == 2, what="the send to a subject")
        panel.count_spin.setValue(10)
        panel.start()
        qloop.until(lambda: not panel.is_running(), what="the run to a subject")
        page = qloop.run(client.read_events(name.encode(), offset=1002, limit=100))
        assert [e.subject for e in page.events] == [f"{name}.eu"] * 11


def _library(qtbot: QtBot) -> object:
    import tempfile
    from pathlib import Path

    from workbench.models.query_library import QueryLibrary

    return QueryLibrary(Path(tempfile.mkdtemp()))


def test_the_key_manager_shows_what_the_account_allows_read_only(
    qtbot: QtBot, qloop: QLoop, js_settings: JetStreamSettings
) -> None:
    with _connected(qloop, js_settings) as session:
        _stream(qloop, session, "counted")
        view = QtKeyManager(session)
        qtbot.addWidget(view)
        view.show()
        view.refresh_projects()
        qloop.until(lambda: bool(view.listed_keys()), what="the connection's allowances")
        (row,) = view.listed_keys()
        assert row.client_id == "anonymous" and "jetstream" in row.permissions
        assert any(
            p.startswith("streams: ") and p.endswith(" of unlimited") for p in row.permissions
        )
        assert view.hint.text().startswith("NATS JetStream: what this connection's account allows")
        assert not view.new_key_button.isEnabled() and not view.new_project_button.isEnabled()
        assert not view.revoke_button.isEnabled() and not view.test_button.isEnabled()
        assert view.refresh_button.isEnabled()
