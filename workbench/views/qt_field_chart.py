"""A live chart of JSON fields: numbers as lines over time, other values as counts per value.

Series (a topic and a field path each) are fed by one ``TopicFollower`` per topic, which reads
the topic's last hour and then polls it; the plots are redrawn from a timer (5 times a second)
and only when something changed, never once per event. Several topics and fields can share the
chart. The status line under it says, per series, how many values were plotted and how many
events lacked the field or held something else.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPalette
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.client.broker_client import BrokerClient
from workbench.client.errors import ClientError
from workbench.models.field_feed import TopicFollower
from workbench.models.field_series import FieldKind, FieldSeries
from workbench.views.qt_charts import WINDOWS, series_color
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import palette_is_dark

REDRAW_MS = 200
RETRY_S = 2.0
DEFAULT_WINDOW_S = 60


class QtFieldChart(QWidget):
    """Plots field series of one or more topics, live."""

    series_changed = Signal()

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.series: list[FieldSeries] = []
        self.window_s = DEFAULT_WINDOW_S
        self._followers: dict[bytes, TopicFollower] = {}
        self._tasks: dict[bytes, asyncio.Task[None]] = {}
        self._curves: dict[int, pg.PlotDataItem] = {}
        self._dirty = True
        self.redraws = 0
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()
        session.connected.connect(self._reconnected)
        session.disconnected.connect(self._disconnected)

    def _build(self) -> None:
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("fieldChart")
        self.numbers = self.graphics.addPlot(row=0, col=0, axisItems={"bottom": pg.DateAxisItem()})
        self.categories = self.graphics.addPlot(row=1, col=0)
        for plot in (self.numbers, self.categories):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.25)
        self.numbers.setClipToView(True)
        self.numbers.setDownsampling(auto=True, mode="peak")
        self.legend = self.numbers.addLegend(offset=(8, 8))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.categories.addItem(self.bars)
        self.categories.setLabel("left", "Events")
        self.categories.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        window_row = QHBoxLayout()
        window_row.addWidget(QLabel("Window:"))
        group = QButtonGroup(self)
        self.window_buttons: dict[int, QPushButton] = {}
        for label, seconds in WINDOWS:
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(seconds == self.window_s)
            button.clicked.connect(lambda _=False, s=seconds: self.set_window(s))
            group.addButton(button)
            window_row.addWidget(button)
            self.window_buttons[seconds] = button
        window_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(window_row)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.status)
        self._apply_theme()

    # -- series -------------------------------------------------------------------------------

    def add_series(self, topic_id: bytes, topic_name: str, path: str) -> FieldSeries:
        """Follow a field of a topic (a path such as ``position.lat``).

        Raises:
            PathError: for a malformed path.
        """
        series = FieldSeries(topic_id, topic_name, path)
        follower = self._followers.get(topic_id)
        if follower is not None:
            # The new series starts where the topic's follower is now; its history comes with
            # a fresh backfill.
            self._stop_topic(topic_id)
        self.series.append(series)
        self._start_topic(topic_id)
        self._dirty = True
        self.series_changed.emit()
        return series

    def remove_series(self, series: FieldSeries) -> None:
        """Stop following a series."""
        self.series.remove(series)
        if not any(s.topic_id == series.topic_id for s in self.series):
            self._stop_topic(series.topic_id)
        self._forget_curves()
        self._dirty = True
        self.series_changed.emit()

    def clear(self) -> None:
        """Stop following every series."""
        for topic_id in list(self._tasks):
            self._stop_topic(topic_id)
        self.series.clear()
        self._forget_curves()
        self._dirty = True
        self.series_changed.emit()

    def set_window(self, seconds: int) -> None:
        """Show the last ``seconds`` seconds."""
        self.window_s = seconds
        for value, button in self.window_buttons.items():
            button.setChecked(value == seconds)
        self._dirty = True

    def _start_topic(self, topic_id: bytes) -> None:
        client = self._session.client
        if client is None or topic_id in self._tasks:
            return
        for series in self.series:
            if series.topic_id == topic_id:
                series.last_offset = 0  # read the backfill again, from the start
        topic_series = [s for s in self.series if s.topic_id == topic_id]
        follower = TopicFollower(client, topic_id, topic_series, self._mark_dirty)
        self._followers[topic_id] = follower
        self._tasks[topic_id] = asyncio.ensure_future(self._follow(client, follower))

    async def _follow(self, client: BrokerClient, follower: TopicFollower) -> None:
        while self._session.client is client:
            try:
                await follower.run()
            except ClientError:
                await asyncio.sleep(RETRY_S)

    def _stop_topic(self, topic_id: bytes) -> None:
        task = self._tasks.pop(topic_id, None)
        self._followers.pop(topic_id, None)
        if task is not None:
            task.cancel()

    def _reconnected(self, _client: object) -> None:
        for topic_id in {s.topic_id for s in self.series}:
            self._stop_topic(topic_id)
            self._start_topic(topic_id)

    def _disconnected(self, _why: str) -> None:
        for topic_id in list(self._tasks):
            self._stop_topic(topic_id)

    def _mark_dirty(self) -> None:
        self._dirty = True

    # -- drawing ------------------------------------------------------------------------------

    def _forget_curves(self) -> None:
        for curve in self._curves.values():
            self.numbers.removeItem(curve)
            with contextlib.suppress(Exception):
                self.legend.removeItem(curve)
        self._curves.clear()

    def _redraw(self) -> None:
        if not self._dirty or not self.isVisible():
            return
        self._dirty = False
        self.redraws += 1
        now = time.time()
        since = now - self.window_s
        dark = palette_is_dark(self.palette())
        numeric = [s for s in self.series if s.kind is FieldKind.NUMERIC]
        for index, series in enumerate(numeric):
            curve = self._curves.get(id(series))
            if curve is None:
                pen = pg.mkPen(series_color(index, dark), width=2)
                curve = self.numbers.plot([], [], pen=pen, name=series.label)
                self._curves[id(series)] = curve
            times, values = series.window(since)
            curve.setData(times, values, skipFiniteCheck=True)
        self.numbers.setXRange(since, now, padding=0)
        self.numbers.setVisible(bool(numeric) or not self.series)
        categorical = [s for s in self.series if s.kind is FieldKind.CATEGORICAL]
        self.categories.setVisible(bool(categorical))
        if categorical:
            self._draw_counts(categorical, since, dark)
        self.status.setText(self._status_text())

    def _draw_counts(self, categorical: list[FieldSeries], since: float, dark: bool) -> None:
        labels: list[str] = []
        heights: list[int] = []
        brushes = []
        for index, series in enumerate(categorical):
            color = series_color(len(self._curves) + index, dark)
            for value, count in series.counts(since)[:12]:
                name = value if len(categorical) == 1 else f"{series.path}={value}"
                labels.append(name)
                heights.append(count)
                brushes.append(pg.mkBrush(color))
        self.bars.setOpts(x=list(range(len(labels))), height=heights, brushes=brushes)
        axis = self.categories.getAxis("bottom")
        axis.setTicks([list(enumerate(_short(label) for label in labels))])
        self.categories.setXRange(-0.6, max(len(labels), 1) - 0.4, padding=0)
        self.categories.setYRange(0, max(heights, default=1) * 1.1, padding=0)

    def _status_text(self) -> str:
        if not self.series:
            return "Add a field to chart it."
        parts = []
        for series in self.series:
            part = f"{series.label}: {series.points:,} values"
            if series.missing:
                part += f", {series.missing:,} without the field"
            if series.skipped:
                part += f", {series.skipped:,} not numbers (skipped)"
            parts.append(part)
        sampled = sum(f.skipped for f in self._followers.values())
        if sampled:
            parts.append(f"a flood: {sampled:,} events not read (the newest are sampled)")
        return " · ".join(parts)

    def _apply_theme(self) -> None:
        palette = self.palette()
        self.graphics.setBackground(palette.color(QPalette.ColorRole.Base))
        pen = pg.mkPen(palette.color(QPalette.ColorRole.WindowText))
        for plot in (self.numbers, self.categories):
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pen)
                axis.setTextPen(pen)
        self.legend.setLabelTextColor(palette.color(QPalette.ColorRole.WindowText))
        self._forget_curves()
        self._dirty = True

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._apply_theme()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.clear()
        super().closeEvent(event)


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
