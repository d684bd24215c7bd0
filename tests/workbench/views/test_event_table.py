"""The event table against a real broker: big topics, navigation, live tail, pause, filter."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import EventRow, MetricsSample, NewEvent, TopicRow
from workbench.models.event_pages import Column
from workbench.views.qt_event_pages_model import cell_font
from workbench.views.qt_event_table import PLACEHOLDER, QtEventTable
from workbench.views.qt_event_table_view import cell_elide
from workbench.views.qt_session import QtSession

JSON = 50
BIG = 20_000
BATCH = 1_000


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "table") as process:
        yield process


@pytest.fixture(scope="module")
def settings(broker: BrokerProcess) -> ConnectionSettings:
    key = create_key(broker.data_dir, "demo", "all")
    return settings_for(broker, key)


@pytest.fixture
def session(qloop: QLoop, settings: ConnectionSettings) -> Iterator[QtSession]:
    with connected_session(qloop, settings) as connected:
        yield connected


@pytest.fixture
def publisher(qloop: QLoop, settings: ConnectionSettings) -> Iterator[BrokerClient]:
    """A second connection, as another application publishing would have."""
    client = BrokerClient(settings)
    qloop.run(client.login())
    yield client
    qloop.run(client.close())


@pytest.fixture
def table(qtbot: QtBot, session: QtSession) -> QtEventTable:
    widget = QtEventTable(session)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


def _events(first: int, count: int, type_name: str = "Reading") -> list[NewEvent]:
    return [
        NewEvent(json.dumps({"n": n, "sensor": f"s-{n % 7}"}).encode(), JSON, type_name)
        for n in range(first, first + count)
    ]


def _topic(qloop: QLoop, session: QtSession, name: str) -> TopicRow:
    session.refresh_topics()
    qloop.until(lambda: any(t.name == name for t in session.topics), what=f"topic {name}")
    return next(t for t in session.topics if t.name == name)


def _cell(table: QtEventTable, row: int, column: Column) -> object:
    return table.model.data(table.model.index(row, column))


def _loaded(table: QtEventTable, row: int) -> bool:
    return _cell(table, row, Column.PREVIEW) != PLACEHOLDER


@pytest.fixture
def big_topic(qloop: QLoop, session: QtSession) -> tuple[TopicRow, int]:
    """A topic of 20,000 JSON events, and the time its eighth batch started."""
    client, topic_id, name = _new_topic(qloop, session, "big")
    eighth_batch_ms = 0

    async def fill() -> None:
        nonlocal eighth_batch_ms
        for first in range(0, BIG, BATCH):
            if first == 7 * BATCH:
                await asyncio.sleep(0.01)  # the previous batch committed before this moment
                eighth_batch_ms = int(time.time() * 1000)
                await asyncio.sleep(0.01)
            await client.publish(topic_id, _events(first, BATCH))

    qloop.run(fill(), 120)
    return _topic(qloop, session, name), eighth_batch_ms


def test_a_big_topic_opens_at_once_and_fetches_only_what_is_in_view(
    qloop: QLoop, table: QtEventTable, big_topic: tuple[TopicRow, int]
) -> None:
    topic, _ = big_topic
    table.show_topic(topic)
    model = table.model
    assert model.rowCount() == BIG
    assert _cell(table, BIG - 1, Column.PREVIEW) == PLACEHOLDER  # nothing loaded yet
    qloop.until(lambda: _loaded(table, BIG - 1), what="the newest events (it opens at the end)")
    assert _cell(table, BIG - 1, Column.OFFSET) == f"{BIG:,}"
    assert json.loads(model.event_at(BIG - 1).data)["n"] == BIG - 1  # type: ignore[union-attr]

    middle = BIG // 2
    table.view.scrollTo(model.index(middle, 0))
    qloop.until(lambda: _loaded(table, middle), what="the middle rows")
    event = model.event_at(middle)
    assert event is not None and event.offset == middle + 1
    assert json.loads(event.data) == {"n": middle, "sensor": f"s-{middle % 7}"}
    assert _cell(table, middle, Column.TYPE) == "Reading v1.0.0"
    assert _cell(table, middle, Column.MIMETYPE) == "application/json"
    assert _cell(table, middle, Column.ID) == event.id.hex()
    assert len(str(_cell(table, middle, Column.ID))) == 20

    table.jump_to_end()
    qloop.until(lambda: _loaded(table, BIG - 1), what="the end again")
    table.jump_to_start()
    qloop.until(lambda: _loaded(table, 0), what="the first rows")
    assert _cell(table, 0, Column.OFFSET) == "1"
    assert model.rowCount() == BIG
    assert model.fetched_pages <= 6, "only the pages in view are fetched"
    assert len(model.pages.loaded_pages()) <= 6


def test_go_to_offset_and_go_to_time_select_the_right_event(
    qloop: QLoop, table: QtEventTable, big_topic: tuple[TopicRow, int]
) -> None:
    topic, eighth_batch_ms = big_topic
    table.live_action.setChecked(False)
    table._live_toggled()
    table.show_topic(topic)
    selected: list[EventRow | None] = []
    table.event_selected.connect(selected.append)

    table.offset_box.setValue(12_345)
    table._go_to_offset_box()
    qloop.until(lambda: bool(selected) and selected[-1] is not None, what="offset 12,345")
    assert selected[-1] is not None and selected[-1].offset == 12_345
    assert table.view.currentIndex().row() == 12_344
    first, last = table._visible_rows()
    assert first <= 12_344 <= last

    selected.clear()
    table.go_to_time(eighth_batch_ms)
    qloop.until(lambda: bool(selected) and selected[-1] is not None, what="the eighth batch")
    event = selected[-1]
    assert event is not None and event.offset == 7 * BATCH + 1
    assert event.committed_ms >= eighth_batch_ms
    first, last = table._visible_rows()
    assert first <= 7 * BATCH <= last


def _subscribed(qloop: QLoop, session: QtSession, topic: TopicRow) -> None:
    """Wait until the broker reports the table's live tail as a subscriber."""
    seen: list[MetricsSample] = []
    session.metrics_sample.connect(seen.append)
    qloop.until(
        lambda: any(
            r.topic_id == topic.id and r.subscribers > 0 for s in seen[-3:] for r in s.topics
        ),
        what="the live tail to subscribe",
    )
    session.metrics_sample.disconnect(seen.append)


def _new_topic(qloop: QLoop, session: QtSession, prefix: str) -> tuple[BrokerClient, bytes, str]:
    """The session's client, and a new topic named ``prefix`` and a unique suffix."""
    client = session.client
    assert client is not None
    name = f"{prefix}-{time.monotonic_ns()}"
    return client, qloop.run(client.create_topic(name)), name


def _tailed_topic(qloop: QLoop, session: QtSession, table: QtEventTable, prefix: str) -> bytes:
    """A new topic, shown in the table with its live tail subscribed."""
    _client, topic_id, name = _new_topic(qloop, session, prefix)
    topic = _topic(qloop, session, name)
    table.show_topic(topic)
    _subscribed(qloop, session, topic)
    return topic_id


def test_live_tail_shows_new_events_and_never_moves_a_view_the_user_scrolled(
    qloop: QLoop, session: QtSession, table: QtEventTable, publisher: BrokerClient
) -> None:
    client, topic_id, name = _new_topic(qloop, session, "live")
    qloop.run(client.publish(topic_id, _events(0, 2_000)))
    topic = _topic(qloop, session, name)
    table.show_topic(topic)
    bar = table.view.verticalScrollBar()
    qloop.until(lambda: _loaded(table, 1_999) and bar.value() == bar.maximum() > 0, what="end")
    _subscribed(qloop, session, topic)

    # at the end: new events from another connection appear and the view follows them
    qloop.run(publisher.publish(topic_id, _events(2_000, 30, "Tick")))
    qloop.until(lambda: table.model.rowCount() == 2_030, what="the tailed events")
    assert table.model.event_at(2_029) is not None  # delivered by the tail, not fetched
    assert _cell(table, 2_029, Column.TYPE) == "Tick v1.0.0"
    qloop.until(lambda: bar.value() == bar.maximum(), what="the view to follow the end")

    # scrolled up to read: rows are added but the view stays where it is
    table.view.scrollTo(table.model.index(500, 0), table.view.ScrollHint.PositionAtTop)
    qloop.until(lambda: _loaded(table, 500), what="row 500")
    value, top_row = bar.value(), table.view.rowAt(0)
    qloop.run(publisher.publish(topic_id, _events(2_030, 40, "Tick")))
    qloop.until(lambda: table.model.rowCount() == 2_070, what="more tailed events")
    assert bar.value() == value
    assert table.view.rowAt(0) == top_row

    # paused: nothing changes while events arrive; resuming catches up
    table.jump_to_end()
    table.pause_action.trigger()
    assert table.paused
    qloop.run(publisher.publish(topic_id, _events(2_070, 25, "Tick")))
    qloop.until(lambda: "paused · 25 new" in table.status.text(), what="the held events")
    assert table.model.rowCount() == 2_070
    table.pause_action.trigger()
    assert not table.paused
    qloop.until(lambda: table.model.rowCount() == 2_095, what="resume to catch up")
    qloop.until(lambda: _loaded(table, 2_094), what="the caught-up rows")
    assert "2,095 events · live" in table.status.text()


def test_the_row_count_grows_from_topic_stats_while_the_tail_is_off(
    qloop: QLoop, session: QtSession, table: QtEventTable, publisher: BrokerClient
) -> None:
    client, topic_id, name = _new_topic(qloop, session, "quiet")
    qloop.run(client.publish(topic_id, _events(0, 10)))
    table.live_action.trigger()
    assert not table.live
    table.show_topic(_topic(qloop, session, name))
    assert table.model.rowCount() == 10
    qloop.run(publisher.publish(topic_id, _events(10, 5)))
    qloop.until(lambda: table.model.rowCount() == 15, what="the topic list to report 15")
    assert "live tail off" in table.status.text()


def test_the_filter_shows_only_matching_loaded_events(
    qloop: QLoop, session: QtSession, table: QtEventTable
) -> None:
    client, topic_id, name = _new_topic(qloop, session, "mixed")
    kinds = ["Order", "Invoice", "Order", "Refund"] * 10
    qloop.run(
        client.publish(
            topic_id,
            [NewEvent(json.dumps({"i": i}).encode(), JSON, k) for i, k in enumerate(kinds)],
        )
    )
    table.show_topic(_topic(qloop, session, name))
    qloop.until(lambda: _loaded(table, 0) and _loaded(table, 39), what="the rows")

    table.set_filter("invoice")
    assert table.model.rowCount() == 10
    assert all(
        _cell(table, row, Column.TYPE) == "Invoice v1.0.0" for row in range(table.model.rowCount())
    )
    assert "filtering 40 loaded events · 10 match" in table.filter_status.text()

    table.set_filter('"i": 7}')  # payload text
    assert [table.model.event_at(r).offset for r in range(table.model.rowCount())] == [8]  # type: ignore[union-attr]

    table.set_filter("")
    assert table.model.rowCount() == 40
    assert table.filter_status.text() == ""


def test_duplicates_are_marked_and_selection_reports_the_event(
    qloop: QLoop, session: QtSession, table: QtEventTable, tmp_path: Path
) -> None:
    client, topic_id, name = _new_topic(qloop, session, "dups")
    qloop.run(client.set_dedup_policy(topic_id, "STRICT", [], []))
    same = NewEvent(b'{"order": 1}', JSON, "Order")
    qloop.run(client.publish(topic_id, [same, same, NewEvent(b'{"order": 2}', JSON, "Order")]))
    table.show_topic(_topic(qloop, session, name))
    qloop.until(lambda: _loaded(table, 2), what="the rows")
    assert table.model.event_at(1).is_duplicate  # type: ignore[union-attr]
    assert "duplicate" in str(table.model.data(table.model.index(1, Column.TYPE), 3))  # tooltip

    selected: list[EventRow | None] = []
    table.event_selected.connect(selected.append)
    table.view.selectRow(2)
    assert selected and selected[-1] is not None and selected[-1].offset == 3

    table.jump_to_start()
    table.grab().save(str(tmp_path / "table.png"))


def test_selected_events_export_to_json_lines_even_when_not_loaded(
    qloop: QLoop, session: QtSession, table: QtEventTable, tmp_path: Path
) -> None:
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    from workbench.models.event_export import ExportFormat

    client, topic_id, name = _new_topic(qloop, session, "export")
    qloop.run(client.publish(topic_id, _events(0, 3000)))
    table.show_topic(_topic(qloop, session, name))
    qloop.until(lambda: table.model.rowCount() == 3000, what="the rows")
    model, selection = table.model, table.view.selectionModel()
    chosen = QItemSelection(model.index(9, 0), model.index(2499, 0))  # mostly never loaded
    chosen.select(model.index(2999, 0), model.index(2999, 0))
    selection.select(
        chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.Rows
    )
    assert table.selected_offsets() == [(10, 2500), (3000, 3000)]
    path = tmp_path / "selected.jsonl"
    job = table.export_selected(path, ExportFormat.JSONL, show_progress=False)
    assert job is not None
    qloop.until(lambda: job.done, what="the export")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["offset"] for line in lines] == [*range(10, 2501), 3000]
    assert lines[0]["data"] == {"n": 9, "sensor": "s-2"}


def test_under_a_flood_the_live_tail_polls_the_end_and_keeps_up(
    qloop: QLoop, session: QtSession, table: QtEventTable, publisher: BrokerClient
) -> None:
    topic_id = _tailed_topic(qloop, session, table, "flood")

    async def flood() -> None:
        for first in range(0, 30_000, 1000):
            await publisher.publish(topic_id, _events(first, 1000))

    qloop.run(flood(), 120)
    qloop.until(lambda: table.tail_mode == "poll", what="the switch to polling")
    qloop.until(lambda: table.model.rowCount() == 30_000, what="all rows counted")
    qloop.until(lambda: _loaded(table, 29_999), what="the newest row shown")
    assert _cell(table, 29_999, Column.OFFSET) == "30,000"
    qloop.until(lambda: table.tail_mode == "stream", timeout=20, what="streaming again")


def test_following_a_flood_shows_the_newest_rows_without_reading_pages_for_them(
    qloop: QLoop, session: QtSession, table: QtEventTable, publisher: BrokerClient
) -> None:
    """The tail brings the rows in view: no placeholders at the end, no extra reads and repaints."""
    topic_id = _tailed_topic(qloop, session, table, "follow")
    bar = table.view.verticalScrollBar()
    published = 0
    placeholders_at_end = 0

    async def flood(seconds: float, check: bool) -> None:
        nonlocal published, placeholders_at_end
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            await publisher.publish(topic_id, _events(published, 1000))
            published += 1000
            count = table.model.rowCount()
            if check and not _loaded(table, count - 1):
                placeholders_at_end += 1

    qloop.run(flood(2, check=False), 60)
    qloop.until(lambda: table.tail_mode == "poll", what="the switch to polling")
    fetched_before = table.model.fetched_pages
    qloop.run(flood(4, check=True), 60)
    assert table.tail_mode == "poll", "still a flood"
    qloop.until(lambda: table.model.rowCount() == published, what="the newest events")
    assert bar.value() == bar.maximum(), "the view followed the end"
    assert placeholders_at_end <= 1
    assert table.model.fetched_pages - fetched_before <= 2, "the tail brought what is in view"


def test_a_topic_name_of_512_characters_never_widens_the_table(
    qloop: QLoop, session: QtSession, table: QtEventTable
) -> None:
    narrow = table.minimumSizeHint().width()
    name = "n" * 490 + f"-{time.monotonic_ns()}"[-22:]
    client = session.client
    assert client is not None
    qloop.run(client.create_topic(name[:512]))
    table.show_topic(_topic(qloop, session, name[:512]))
    qloop.until(lambda: "events" in table.status.toolTip(), what="the topic's status")
    assert table.minimumSizeHint().width() <= max(narrow, 900), "the name pushes the view wider"
    assert table.status.toolTip().startswith(name[:512]), "the whole name in the tooltip"


def test_the_id_column_shows_the_digits_that_tell_neighbouring_events_apart(
    table: QtEventTable,
) -> None:
    """An RLID is 6 bytes of milliseconds, then 4 of a sequence: events sent one per call in
    the same hours share their first digits, and a batch shares its milliseconds."""
    ms = 1_796_000_000_000
    neighbours = [
        (ms << 32 | 0).to_bytes(10, "big").hex(),  # one event per call: a new millisecond each
        ((ms + 1) << 32 | 0).to_bytes(10, "big").hex(),
        ((ms + 1) << 32 | 1).to_bytes(10, "big").hex(),  # the next of one batch
    ]
    metrics = QFontMetrics(cell_font(table.view.font(), fixed=True, italic=False))
    width = table.view.columnWidth(Column.ID) - 2 * metrics.averageCharWidth()
    shown = [metrics.elidedText(i, cell_elide(Column.ID), width) for i in neighbours]
    assert all("…" in text for text in shown), "the column is narrower than an id"
    assert len(set(shown)) == 3, shown


def test_a_time_too_long_for_its_column_keeps_its_time_of_day(table: QtEventTable) -> None:
    metrics = QFontMetrics(table.view.font())
    for column in (Column.COMMITTED, Column.CREATED):
        shown = metrics.elidedText("2026-11-30 06:36:33.123", cell_elide(column), 120)
        assert shown.startswith("…") and shown.endswith("06:36:33.123"), shown


def test_a_key_without_subscriber_sees_the_topic_and_why_its_events_are_not_shown(
    qloop: QLoop, qtbot: QtBot, broker: BrokerProcess, publisher: BrokerClient
) -> None:
    """The key manager's Read-only preset, as a broker profile's key."""
    topic_id = qloop.run(publisher.create_topic("read-only-view"))
    qloop.run(publisher.publish(topic_id, _events(0, 3)))
    key = create_key(broker.data_dir, "demo", "topics:read", "metrics:read")
    with connected_session(qloop, settings_for(broker, key)) as session:
        errors: list[str] = []
        session.error.connect(errors.append)
        table = QtEventTable(session)
        qtbot.addWidget(table)
        table.show()
        table.show_topic(_topic(qloop, session, "read-only-view"))
        qloop.until(lambda: bool(errors), what="the refusal to be said")
        assert errors[0].endswith("failed: this API key lacks the 'subscriber' permission")
