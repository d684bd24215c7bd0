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
import math
import time

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPalette
from PySide6.QtWidgets import QButtonGroup, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.client.errors import ClientError
from workbench.client.stream_client import StreamClient
from workbench.models.field_feed import TopicFollower
from workbench.models.field_series import FieldKind, FieldSeries
from workbench.views.qt_charts import WINDOWS, series_color
from workbench.views.qt_flow_layout import QtFlowLayout
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import palette_is_dark

REDRAW_MS = 200
RETRY_S = 2.0
DEFAULT_WINDOW_S = 60


class QtFieldChart(QWidget):
    """Plots field series of one or more topics, live."""

    series_changed = Signal()

    def __init__(
        self, session: QtSession, separate: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self.separate = separate
        """One plot per numeric field (a dashboard: fields of any scale), or all on one."""
        self._panels: dict[int, pg.PlotItem] = {}
        self._extra: list[pg.PlotItem] = []
        self.series: list[FieldSeries] = []
        self.window_s = DEFAULT_WINDOW_S
        self._followers: dict[bytes, TopicFollower] = {}
        self._tasks: dict[bytes, asyncio.Task[None]] = {}
        self._curves: dict[int, pg.PlotDataItem] = {}
        self._dirty = True
        self._drawn_counts: list[tuple[str, int]] = []
        self.redraws = 0
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()
        session.connected.connect(self._reconnected)
        session.disconnected.connect(self._disconnected)

    def _build(self) -> None:
        self.number_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.number_plot.setObjectName("fieldChart")
        self.category_plot = pg.PlotWidget()
        self.category_plot.setObjectName("fieldCounts")
        self.numbers = self.number_plot.getPlotItem()
        self.categories = self.category_plot.getPlotItem()
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
        self.category_plot.hide()
        self.panels = pg.GraphicsLayoutWidget()
        self.panels.setObjectName("fieldPanels")
        self.panels.setVisible(self.separate)
        self.number_plot.setVisible(not self.separate)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        window_row = QtFlowLayout()
        window_buttons: list[QWidget] = [QLabel("Window:")]
        group = QButtonGroup(self)
        self.window_buttons: dict[int, QPushButton] = {}
        for label, seconds in WINDOWS:
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(seconds == self.window_s)
            button.clicked.connect(lambda _=False, s=seconds: self.set_window(s))
            group.addButton(button)
            window_buttons.append(button)
            self.window_buttons[seconds] = button
        window_row.add_group(*window_buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(window_row)
        layout.addWidget(self.number_plot, 2)
        layout.addWidget(self.panels, 3)
        layout.addWidget(self.category_plot, 1)
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

    async def _follow(self, client: StreamClient, follower: TopicFollower) -> None:
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

    def drawn_values(self, series: FieldSeries) -> list[float]:
        """The values the series' curve shows now (empty before its first redraw)."""
        curve = self._curves.get(id(series))
        if curve is None or curve.yData is None:
            return []
        return [float(v) for v in curve.yData]

    def drawn_counts(self) -> list[tuple[str, int]]:
        """The bars shown for categorical fields now: (tick label, count), left to right."""
        return list(self._drawn_counts)

    # -- drawing ------------------------------------------------------------------------------

    def _forget_curves(self) -> None:
        for curve in self._curves.values():
            self.numbers.removeItem(curve)
            with contextlib.suppress(Exception):
                self.legend.removeItem(curve)
        self._curves.clear()
        for panel in self._panels.values():
            self.panels.removeItem(panel)
        self._panels.clear()

    def add_panel(self, title: str) -> pg.PlotItem:
        """A plot of the owner's own in the separate panels' grid (e.g. a dashboard's events/s),
        placed first; the owner fills it and sets its x range."""
        panel = self._new_panel(title)
        self._extra.append(panel)
        self._layout_panels()
        return panel

    def set_panel_title(self, panel: pg.PlotItem, title: str) -> None:
        """Retitle a panel made by :meth:`add_panel`."""
        panel.setProperty("title", title)
        self._style_axes(panel)

    def _new_panel(self, title: str) -> pg.PlotItem:
        panel = pg.PlotItem(axisItems={"bottom": pg.DateAxisItem()})
        panel.setMenuEnabled(False)
        panel.setMouseEnabled(x=False, y=False)
        panel.hideButtons()
        panel.showGrid(x=True, y=True, alpha=0.25)
        panel.setClipToView(True)
        panel.setDownsampling(auto=True, mode="peak")
        panel.setProperty("title", title)
        self._style_axes(panel)
        return panel

    def _panel(self, series: FieldSeries) -> pg.PlotItem:
        """The series' own plot (separate mode), made on first use."""
        panel = self._panels.get(id(series))
        if panel is None:
            panel = self._new_panel(series.path if self.separate else series.label)
            self._panels[id(series)] = panel
            self._layout_panels()
        return panel

    def _layout_panels(self) -> None:
        """Every panel in a grid: two columns from three panels on, so each stays readable."""
        panels = [*self._extra, *self._panels.values()]
        for panel in panels:
            if panel.scene() is not None:
                self.panels.removeItem(panel)
        columns = 2 if len(panels) >= 3 else 1
        for index, panel in enumerate(panels):
            self.panels.addItem(panel, row=index // columns, col=index % columns)
        grid = self.panels.ci.layout
        for column in range(columns):
            grid.setColumnStretchFactor(column, 1)
            grid.setColumnPreferredWidth(column, 1)

    def _redraw(self) -> None:
        if not self.isVisible():
            return
        if self.separate:
            self._align_time_axes()  # tick texts measured at the last paint
        if not self._dirty:
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
                plot = self._panel(series) if self.separate else self.numbers
                name = None if self.separate else series.label
                curve = plot.plot([], [], pen=pen, name=name)
                self._curves[id(series)] = curve
            times, values = series.window(since)
            curve.setData(times, values, skipFiniteCheck=True)
        for plot in (*self._panels.values(), self.numbers):
            plot.setXRange(since, now, padding=0)
        shown = bool(numeric) or not self.series
        self.number_plot.setVisible(shown and not self.separate)
        self.panels.setVisible(shown and self.separate)
        categorical = [s for s in self.series if s.kind is FieldKind.CATEGORICAL]
        self.category_plot.setVisible(bool(categorical))
        if categorical:
            self._draw_counts(categorical, since, dark)
        self.status.setText(self._status_text())

    def _align_time_axes(self) -> None:
        """Give the panels of a grid column one left-axis width, the widest their values need,
        so that their time axes line up (a panel of 9.5 and one of 155 would start apart)."""
        panels = [*self._extra, *self._panels.values()]
        columns = 2 if len(panels) >= 3 else 1
        for column in range(columns):
            axes = [p.getAxis("left") for i, p in enumerate(panels) if i % columns == column]
            if len(axes) < 2:
                continue
            width = max(_value_width(axis) for axis in axes)
            for axis in axes:
                if axis.width() != width:
                    axis.setWidth(width)

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
        self._drawn_counts = list(zip(labels, heights, strict=True))
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
        for widget in (self.number_plot, self.category_plot, self.panels):
            widget.setBackground(palette.color(QPalette.ColorRole.Base))
        for plot in (self.numbers, self.categories, *self._extra, *self._panels.values()):
            self._style_axes(plot)
        self.legend.setLabelTextColor(palette.color(QPalette.ColorRole.WindowText))
        self.legend.setLabelTextSize(f"{self.font().pointSizeF():g}pt")
        self._forget_curves()
        self._dirty = True

    def _style_axes(self, plot: pg.PlotItem) -> None:
        palette = self.palette()
        title = plot.property("title")
        if title:
            plot.setTitle(title, justify="left", size=f"{self.font().pointSizeF():g}pt")
        pen = pg.mkPen(palette.color(QPalette.ColorRole.WindowText))
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pen)
            axis.setTextPen(pen)
            axis.setTickFont(self.font())
        plot.titleLabel.item.setDefaultTextColor(palette.color(QPalette.ColorRole.WindowText))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._apply_theme()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.clear()
        super().closeEvent(event)


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value_width(axis: pg.AxisItem) -> int:
    """The width a left axis takes for its widest tick text so far (pyqtgraph's own sum of text,
    offset, tick and label; its ``textWidth`` keeps growing even when the width is fixed)."""
    style = axis.style
    width = float(axis.textWidth + style["tickTextOffset"][0] + max(0, style["tickLength"]))
    if axis.label.isVisible():
        width += axis.label.boundingRect().height() * 0.8
    return math.ceil(width)
