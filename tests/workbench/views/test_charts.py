"""The live charts on a real broker: lines, history, windows, pause, legend, PNG, lag, bursts."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot

from tests.api.client import Subscriber, connect
from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import MetricsSample, NewEvent, TopicRate
from workbench.models.chart_series import (
    ACK_P50,
    ACK_P99,
    BYTES_PER_SECOND,
    EVENTS_PER_SECOND,
    LAG,
    TOTAL,
)
from workbench.views.qt_charts import LEGEND_SHARE, QtCharts
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import dark_palette, light_palette

_names = itertools.count()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "charts") as process:
        yield process


@pytest.fixture(scope="module")
def key(broker: BrokerProcess) -> dict[str, str]:
    return create_key(broker.data_dir, "demo", "all")


class Connected:
    """A session connected to the test broker, and a shown charts widget on it."""

    def __init__(self, qtbot: QtBot, qloop: QLoop, settings: ConnectionSettings) -> None:
        self.qloop = qloop
        self.session = QtSession()
        self.charts = QtCharts(self.session)
        qtbot.addWidget(self.charts)
        self.charts.resize(1200, 700)
        self.charts.show()
        qloop.run(self.session.connect_to(settings))

    @property
    def client(self) -> BrokerClient:
        assert self.session.client is not None
        return self.session.client

    def new_topic(self, prefix: str = "orders") -> tuple[bytes, str]:
        name = f"{prefix}-{next(_names)}"
        return self.qloop.run(self.client.create_topic(name)), name

    def publish_batches(self, topic_id: bytes, batches: int = 3, size: int = 40) -> None:
        """Publish a few batches about a second apart."""
        for _ in range(batches):
            events = [NewEvent(data=b'{"amount": 12.5}', type_name="Order")] * size
            self.qloop.run(self.client.publish(topic_id, events))
            self.qloop.run(asyncio.sleep(1.0))

    def wait_for_samples(self, count: int) -> None:
        target = self.charts.series.version + count
        self.qloop.until(lambda: self.charts.series.version >= target, what=f"{count} samples")

    def wait_for_redraw(self) -> None:
        target = self.charts.redraws + 1
        self.qloop.until(lambda: self.charts.redraws >= target, what="a redraw")


@pytest.fixture
def live(
    qtbot: QtBot, qloop: QLoop, broker: BrokerProcess, key: dict[str, str]
) -> Iterator[Connected]:
    connected = Connected(qtbot, qloop, settings_for(broker, key))
    yield connected
    qloop.run(connected.session.drop_connection())


def drawn(charts: QtCharts, key: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    curve = charts.curve(key)
    if curve is None:
        return np.empty(0), np.empty(0)
    x, y = curve.getData()
    return (np.empty(0), np.empty(0)) if x is None else (x, y)


def click_check_box(qtbot: QtBot, tree: QTreeWidget, item: QTreeWidgetItem) -> None:
    """Click an item's check box, as a user does."""
    tree.scrollToItem(item)
    option = QStyleOptionViewItem()
    option.rect = tree.visualItemRect(item)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, tree)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def has_positive_line(charts: QtCharts, key: tuple[str, str]) -> bool:
    _, y = drawn(charts, key)
    return len(y) > 0 and float(y.max()) > 0


def test_published_events_appear_as_a_topic_line_and_in_the_total(live: Connected) -> None:
    charts = live.charts
    topic_id, name = live.new_topic()
    live.publish_batches(topic_id)
    events, size = (EVENTS_PER_SECOND, name), (BYTES_PER_SECOND, name)
    live.qloop.until(
        lambda: has_positive_line(charts, events) and has_positive_line(charts, size),
        what="the topic's lines",
    )
    assert charts.series.window(events, 60)[1].max() > 0
    assert has_positive_line(charts, (EVENTS_PER_SECOND, TOTAL))
    assert charts.curve(events).isVisible()
    assert charts.legend_item(events) is not None
    assert name in [charts.topic_combo.itemText(i) for i in range(charts.topic_combo.count())]


def test_reopening_shows_the_last_hour_from_the_brokers_history(
    qtbot: QtBot, qloop: QLoop, live: Connected, broker: BrokerProcess, key: dict[str, str]
) -> None:
    topic_id, name = live.new_topic("history")
    live.publish_batches(topic_id, batches=2)
    live.wait_for_samples(2)
    qloop.run(live.session.drop_connection())

    reopened = Connected.__new__(Connected)
    reopened.qloop = qloop
    reopened.session = QtSession()
    history: list[bool] = []
    reopened.session.metrics_sample.connect(lambda s: history.append(s.history))
    reopened.charts = QtCharts(reopened.session)
    qtbot.addWidget(reopened.charts)
    reopened.charts.show()
    qloop.run(reopened.session.connect_to(settings_for(broker, key)))
    try:
        qloop.until(
            lambda: has_positive_line(reopened.charts, (EVENTS_PER_SECOND, name)),
            what="the replayed history",
        )
        assert history and history[0] is True
    finally:
        qloop.run(reopened.session.drop_connection())


def test_the_window_selector_changes_the_time_range(live: Connected) -> None:
    charts = live.charts
    live.wait_for_samples(1)
    plot = charts.plot_of(EVENTS_PER_SECOND)

    for seconds in (60, 3600, 300):
        charts.set_window_seconds(seconds)
        live.qloop.until(
            lambda s=seconds: (
                all(
                    abs(float(p.viewRange()[0][1] - p.viewRange()[0][0]) - s) < 1
                    for p in charts.plots
                )
                and len({p.viewRange()[0][1] for p in charts.plots}) == 1
            ),
            what=f"every plot on the same {seconds} s time axis",
        )
        assert charts.window_seconds == seconds
        high = plot.viewRange()[0][1]
        latest = charts.series.latest
        assert latest is not None and latest - 2.5 < high <= latest  # it ends now


def test_pause_stops_redraws_while_samples_keep_arriving_and_resume_catches_up(
    live: Connected,
) -> None:
    charts = live.charts
    live.wait_for_samples(1)
    live.wait_for_redraw()
    charts.pause_button.click()
    assert charts.paused and charts.pause_button.text() == "Resume"
    frozen = charts.redraws
    end_before = charts.plots[0].viewRange()[0][1]
    live.wait_for_samples(2)
    assert charts.redraws == frozen
    assert charts.plots[0].viewRange()[0][1] == end_before
    assert "Paused" in charts.status_label.text()

    charts.pause_button.click()
    assert not charts.paused
    live.qloop.until(lambda: charts.redraws > frozen, what="a redraw after resuming")
    latest = charts.series.latest
    assert latest is not None and latest > end_before
    assert latest - 2.5 < charts.plots[0].viewRange()[0][1] <= latest  # the current window


def test_unticking_a_legend_entry_hides_its_line(qtbot: QtBot, live: Connected) -> None:
    charts = live.charts
    topic_id, name = live.new_topic()
    live.publish_batches(topic_id, batches=1)
    key = (EVENTS_PER_SECOND, name)
    live.qloop.until(lambda: has_positive_line(charts, key), what="the topic's line")
    item = charts.legend_item(key)
    assert item is not None
    click_check_box(qtbot, charts.legend, item)
    assert item.checkState(0) == Qt.CheckState.Unchecked
    assert not charts.curve(key).isVisible()
    live.wait_for_samples(1)
    live.wait_for_redraw()
    assert not charts.curve(key).isVisible()  # stays hidden while new samples are drawn
    item.setCheckState(0, item.checkState(0).Checked)
    live.qloop.until(lambda: charts.curve(key).isVisible(), what="the line to come back")

    # unticking a whole plot's group hides each of its lines
    group = item.parent()
    group.setCheckState(0, group.checkState(0).Unchecked)
    live.qloop.until(lambda: not charts.curve((EVENTS_PER_SECOND, TOTAL)).isVisible())
    assert not charts.curve(key).isVisible()
    assert charts.curve((BYTES_PER_SECOND, name)).isVisible()


def test_the_topic_filter_shows_one_topic_only(live: Connected) -> None:
    charts = live.charts
    first_id, first = live.new_topic()
    second_id, second = live.new_topic()
    live.qloop.run(live.client.publish(first_id, [NewEvent(b"a")] * 5))
    live.qloop.run(live.client.publish(second_id, [NewEvent(b"b")] * 5))
    live.qloop.until(
        lambda: (
            charts.curve((EVENTS_PER_SECOND, first)) is not None
            and charts.curve((EVENTS_PER_SECOND, second)) is not None
        ),
        what="both topics' lines",
    )
    charts.set_topic_filter(first)
    live.qloop.until(lambda: not charts.curve((EVENTS_PER_SECOND, second)).isVisible())
    assert charts.curve((EVENTS_PER_SECOND, first)).isVisible()
    assert not charts.curve((EVENTS_PER_SECOND, TOTAL)).isVisible()
    assert charts.legend_item((EVENTS_PER_SECOND, second)).isHidden()
    assert charts.topic_combo.currentText() == first

    charts.topic_combo.setCurrentIndex(0)
    charts.topic_combo.activated.emit(0)  # as when the user picks "All topics"
    live.qloop.until(lambda: charts.curve((EVENTS_PER_SECOND, TOTAL)).isVisible())
    assert charts.topic_filter is None
    assert charts.curve((EVENTS_PER_SECOND, second)).isVisible()


def test_the_crosshair_follows_the_mouse_and_reads_values(qtbot: QtBot, live: Connected) -> None:
    charts = live.charts
    topic_id, name = live.new_topic()
    live.publish_batches(topic_id, batches=2)
    key = (EVENTS_PER_SECOND, name)
    live.qloop.until(lambda: has_positive_line(charts, key), what="the topic's line")
    charts.set_window_seconds(60)
    live.wait_for_redraw()

    plot = charts.plot_of(EVENTS_PER_SECOND)
    rect = plot.vb.sceneBoundingRect()
    view = charts.graphics
    point = view.mapFromScene(rect.right() - rect.width() * 0.02, rect.center().y())
    qtbot.mouseMove(view.viewport(), QPoint(point.x(), point.y()))
    live.qloop.until(lambda: charts.crosshair_time is not None, what="the crosshair")
    t = charts.crosshair_time
    assert t is not None
    low, high = plot.viewRange()[0]
    assert low < t <= high + 1
    assert "Values at" in charts.readout_label.text()
    assert charts.legend_item((EVENTS_PER_SECOND, TOTAL)).text(1) != ""

    charts.show_crosshair(None)
    assert "Latest values" in charts.readout_label.text()


def test_save_png_writes_an_image_of_the_widget(live: Connected, tmp_path: Path) -> None:
    charts = live.charts
    live.wait_for_samples(1)
    path = tmp_path / "charts.png"
    charts.save_png(str(path))
    assert path.stat().st_size > 0
    image = QImage(str(path))
    assert not image.isNull()
    ratio = charts.devicePixelRatioF()
    assert (image.width(), image.height()) == (
        round(charts.width() * ratio),
        round(charts.height() * ratio),
    )
    with pytest.raises(OSError, match="Could not write"):
        charts.save_png(str(tmp_path / "missing" / "folder" / "charts.png"))


def test_a_consumer_group_that_never_acks_shows_lag(
    live: Connected, broker: BrokerProcess, key: dict[str, str]
) -> None:
    charts = live.charts
    topic_id, name = live.new_topic("lagging")
    raw = connect(broker, key)
    subscriber = Subscriber(raw, [name], group="billing")
    try:
        live.qloop.run(live.client.publish(topic_id, [NewEvent(b"x")] * 25))
        lag = (LAG, f"{name}/billing")
        live.qloop.until(lambda: has_positive_line(charts, lag), what="the lag line")
        assert charts.curve(lag) in charts.plot_of(LAG).listDataItems()
        assert charts.legend_item(lag) is not None
    finally:
        subscriber.close()
        raw.close()


def test_a_burst_of_samples_is_drawn_in_few_redraws(qtbot: QtBot, qloop: QLoop) -> None:
    session = QtSession()
    charts = QtCharts(session)
    qtbot.addWidget(charts)
    charts.show()
    before = charts.redraws
    start = 1_700_000_000.0
    count = 2000

    async def flood() -> None:
        for i in range(count):
            rates = [
                TopicRate(b"a", "a", 0, 0, 10.0 + i % 7, 1000.0, 1.0, 4.0, 1, {"g": i}),
                TopicRate(b"b", "b", 0, 0, 3.0, 300.0, 0.0, 0.0, 0, {}),
            ]
            session.metrics_sample.emit(MetricsSample(int((start + i) * 1000), rates, False))
            if i % 10 == 0:
                await asyncio.sleep(0)  # let Qt run between small groups, as a stream does

    qloop.run(flood())
    last = start + count - 1
    qloop.until(
        lambda: (
            len(drawn(charts, (LAG, "a/g"))[0]) > 0 and drawn(charts, (LAG, "a/g"))[0][-1] == last
        ),
        what="the last sample to be drawn",
    )
    assert charts.series.points((EVENTS_PER_SECOND, "a")) == count
    assert charts.redraws - before < count / 20


def test_no_redraws_while_hidden_and_a_catch_up_when_shown(qtbot: QtBot, qloop: QLoop) -> None:
    session = QtSession()
    charts = QtCharts(session)
    qtbot.addWidget(charts)
    charts.show()
    qloop.run(asyncio.sleep(0.1))
    charts.hide()
    before = charts.redraws
    for i in range(5):
        session.metrics_sample.emit(MetricsSample((1_700_000_000 + i) * 1000, [], False))
    qloop.run(asyncio.sleep(0.2))
    assert charts.redraws == before
    charts.show()
    qloop.until(lambda: charts.redraws > before, what="a redraw once shown")


def test_the_plot_background_follows_the_palette(qtbot: QtBot) -> None:
    charts = QtCharts(QtSession())
    qtbot.addWidget(charts)
    for palette in (dark_palette(), light_palette()):
        charts.setPalette(palette)
        QApplication.processEvents()
        assert charts.graphics.backgroundBrush().color() == palette.color(QPalette.ColorRole.Base)


def test_another_broker_starts_over_and_the_same_one_keeps_its_data(
    qtbot: QtBot, qloop: QLoop
) -> None:
    session = QtSession()
    charts = QtCharts(session)
    qtbot.addWidget(charts)

    def feed(at: int) -> None:
        rates = [TopicRate(b"a", "a", 0, 0, 1.0, 1.0, 0.0, 0.0, 0, {})]
        session.metrics_sample.emit(MetricsSample(at * 1000, rates, False))

    def connect_as(profile: str) -> None:
        session.profile_name = profile
        session.connected.emit(None)  # the profile name identifies the broker

    connect_as("embedded")
    feed(1_700_000_000)
    charts.set_paused(True)
    connect_as("embedded")  # reconnected (say, after a restart)
    assert charts.series.points((EVENTS_PER_SECOND, "a")) == 1 and charts.paused
    connect_as("staging")
    assert len(charts.series) == 0 and not charts.paused


def _feed(session: QtSession, at_s: int, rates: dict[str, tuple[float, float]]) -> None:
    """One sample: each topic's events per second and ack p99 (0: no acks that second)."""
    topics = [
        TopicRate(name.encode(), name, 0, 0, events, events * 100, p99 / 2, p99, 0, {})
        for name, (events, p99) in rates.items()
    ]
    session.metrics_sample.emit(MetricsSample(at_s * 1000, topics, False))


def _listed(charts: QtCharts) -> set[tuple[str, str]]:
    """The series the legend lists (its entries not hidden)."""
    return {
        key
        for key in charts.series.keys(None)
        if (item := charts.legend_item(key)) is not None and not item.isHidden()
    }


def _drawn_keys(charts: QtCharts) -> set[tuple[str, str]]:
    return {key for key in charts.series.keys(None) if (c := charts.curve(key)) and c.isVisible()}


def _offline(qtbot: QtBot) -> tuple[QtSession, QtCharts]:
    """Charts fed by hand: a session that is not connected."""
    session = QtSession()
    charts = QtCharts(session)
    qtbot.addWidget(charts)
    charts.resize(1200, 700)
    return session, charts


def test_with_one_topic_chosen_the_legend_lists_only_the_series_drawn(
    qtbot: QtBot, qloop: QLoop
) -> None:
    session, charts = _offline(qtbot)
    charts.set_topic_filter("orders")  # chosen in the topic browser while Charts was hidden
    start = 1_700_000_000
    for i in range(20):
        burst = 5_000.0 if 10 <= i < 15 else 0.0
        _feed(session, start + i, {"orders": (2.0, 3.0), "clicks": (burst, 0.0)})
    before = charts.redraws
    charts.show()
    qtbot.waitExposed(charts)
    qloop.until(lambda: charts.redraws > before, what="a redraw")

    orders = {key for key in charts.series.keys(None) if charts.series.info(key).topic == "orders"}
    assert _drawn_keys(charts) == orders
    assert _listed(charts) == orders, "the legend lists Total and clicks, which are not drawn"
    headings = [charts.legend.topLevelItem(i) for i in range(charts.legend.topLevelItemCount())]
    shown = [h.text(0) for h in headings if h is not None and not h.isHidden()]
    assert shown == ["Events/s", "Bytes/s", "Ack latency"], "no heading without a series"

    charts.set_topic_filter(None)
    every = set(charts.series.keys(None))
    qloop.until(lambda: _drawn_keys(charts) == every, what="every topic's lines")
    assert _listed(charts) == every


def _segments(curve: object) -> list[tuple[float, float]]:
    """The x extents of each line segment a curve draws."""
    path = curve.curve.getPath()  # type: ignore[attr-defined]
    segments, previous = [], None
    for i in range(path.elementCount()):
        element = path.elementAt(i)
        if element.isLineTo() and previous is not None:
            segments.append((previous, element.x))
        previous = element.x
    return segments


def test_a_period_without_samples_is_drawn_as_a_gap(qtbot: QtBot, qloop: QLoop) -> None:
    session, charts = _offline(qtbot)
    charts.show()
    charts.set_window_seconds(60)
    before = charts.redraws
    start = 1_700_000_000
    for i in (*range(0, 10), *range(40, 50)):  # nothing came for 30 s (the broker was down)
        _feed(session, start + i, {"orders": (10.0, 4.0 if i % 10 < 3 else 0.0)})
    qloop.until(lambda: charts.redraws > before, what="a redraw")

    for key in ((EVENTS_PER_SECOND, "orders"), (ACK_P99, "orders"), (ACK_P50, "orders")):
        curve = charts.curve(key)
        assert curve is not None and curve.isVisible()
        long = [(a, b) for a, b in _segments(curve) if b - a > 2.5]
        assert long == [], f"{key} is drawn across a period without samples: {long}"
    # the latency's lone points (a second with acks between seconds without) are still shown
    assert charts.curve((ACK_P99, "orders")).opts["symbol"] is not None


def test_the_legend_widens_for_long_series_names_within_its_share(
    qtbot: QtBot, qloop: QLoop
) -> None:
    """At 1280x720 in presentation mode "workout.samples p99" read "wo…99"."""
    session, charts = _offline(qtbot)
    charts.resize(900, 600)
    charts.show()
    qtbot.waitExposed(charts)
    _feed(session, 1_700_000_000, {"workout.samples": (10.0, 1.0), "hello": (1.0, 1.0)})
    qloop.until(lambda: charts.legend_item((ACK_P99, "workout.samples")) is not None)
    legend = charts.legend
    qloop.until(
        lambda: legend.columnWidth(0) >= legend.sizeHintForColumn(0),
        what="room for every series name, whole",
    )
    assert legend.width() <= charts.width() * LEGEND_SHARE + 24, "the plots keep the rest"
