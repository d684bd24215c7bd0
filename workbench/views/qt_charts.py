"""Live charts: events/s, bytes/s, publish→ack latency and consumer lag, per topic and in total.

Samples from :attr:`QtSession.metrics_sample` only go into the ring buffers of
:class:`~workbench.models.chart_series.ChartSeries`; the plots are redrawn from a timer at most
about 30 times a second, and only when something changed (never once per sample), and not at
all while paused or hidden. On connect the session replays the broker's last hour, so the charts
show it at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QStandardPaths, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.client.records import MetricsSample
from workbench.client.stream_client import StreamClient
from workbench.models.chart_series import (
    ACK_P50,
    ACK_P99,
    BYTES_PER_SECOND,
    CAPTURE_LAG,
    EVENTS_PER_SECOND,
    LAG,
    NO_GROUP,
    TOTAL,
    Array,
    ChartSeries,
    SeriesKey,
)
from workbench.models.time_display import TimeZoneChoice, clock_s, column_title
from workbench.views.qt_eliding_label import QtElidingLabel
from workbench.views.qt_flow_layout import QtFlowLayout, fit_combo
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import palette_is_dark

REDRAW_INTERVAL_MS = 33
PLOT_STAGGER_MS = 8
"""Between redrawing one plot and the next. Redrawing all four at once (new data, new axis
ticks, a repaint) kept the GUI busy for 30-40 ms every second; one at a time, the event loop
runs in between and the four are still redrawn within 40 ms."""
WINDOWS: tuple[tuple[str, int], ...] = (("1 min", 60), ("5 min", 300), ("1 h", 3600))
DEFAULT_WINDOW_S = 300
GAP_S = 2.5
"""Points further apart than this are not joined: a period without samples (the broker was
down, the topic was gone, no publish was acked) is a gap, never a line across it."""
LEGEND_SHARE = 0.42
"""The most of the charts' width the legend takes to show whole series names."""
LATENCY_DOT = 4
"""The size of the dots on latency lines: a second with acks between seconds without is a lone
point, which a line alone would not show."""

# A qualitative palette, one shade for light backgrounds and one for dark ones.
SERIES_COLORS: tuple[tuple[str, str], ...] = (
    ("#1f6fb4", "#5fa8ff"),  # blue
    ("#d9620b", "#ffa04d"),  # orange
    ("#238b45", "#5cd17a"),  # green
    ("#7b4fc9", "#b79bff"),  # purple
    ("#c2267f", "#ff7ac4"),  # magenta
    ("#00838f", "#4dd8e0"),  # teal
    ("#8c6d1f", "#e0c05a"),  # ochre
    ("#c62828", "#ff6b6b"),  # red
)


def series_color(index: int, dark: bool) -> str:
    """The palette's ``index``-th colour (cycling), in the shade for a dark or light background."""
    light_shade, dark_shade = SERIES_COLORS[index % len(SERIES_COLORS)]
    return dark_shade if dark else light_shade


@dataclass(frozen=True, slots=True)
class PlotSpec:
    """One of the stacked plots."""

    title: str
    label: str
    units: str
    metrics: tuple[str, ...]


PLOTS = (
    PlotSpec("Events/s", "Events/s", "", (EVENTS_PER_SECOND,)),
    PlotSpec("Bytes/s", "Bytes", "B/s", (BYTES_PER_SECOND,)),
    PlotSpec("Ack latency", "Ack latency (ms)", "", (ACK_P50, ACK_P99, CAPTURE_LAG)),
    PlotSpec("Consumer lag", "Lag (events)", "", (LAG,)),
)
_GROUP_STYLES = (
    Qt.PenStyle.SolidLine,
    Qt.PenStyle.DashLine,
    Qt.PenStyle.DotLine,
    Qt.PenStyle.DashDotLine,
)
_PLOT_OF = {metric: i for i, spec in enumerate(PLOTS) for metric in spec.metrics}


def format_value(metric: str, value: float) -> str:
    """A value as the read-out shows it."""
    if metric == BYTES_PER_SECOND:
        return str(pg.siFormat(value, suffix="B/s"))
    if metric in (ACK_P50, ACK_P99, CAPTURE_LAG):
        return f"{value:,.2f} ms"
    if metric == LAG:
        return f"{int(value):,}"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


class QtCharts(QWidget):
    """Stacked live plots of the broker's metrics, with a checkable legend and a crosshair."""

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.series = ChartSeries()
        """Every series' points (ring buffers); the plots show a window of them."""
        self.redraws = 0
        """How many times the plots were redrawn (for tests and benchmarks)."""
        self._window_s = DEFAULT_WINDOW_S
        self._paused_at: float | None = None
        self._missed = 0
        self._topic_filter: str | None = None
        self._hidden: set[SeriesKey] = set()
        self._curves: dict[SeriesKey, pg.PlotDataItem] = {}
        self._items: dict[SeriesKey, QTreeWidgetItem] = {}
        self._topic_colors: dict[str, int] = {}
        self._lag_groups: dict[str, list[str]] = {}
        self._drawn_version = -1
        self._round: list[int] = []  # plots still to redraw with the samples up to _round_now
        self._round_now = 0.0
        self._synced_keys = -1
        self._dirty = True
        self._crosshair_t: float | None = None
        self._source: str | None = None

        self._build_toolbar()
        self._build_plots()
        self._build_legend()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.graphics)
        splitter.addWidget(self._legend_panel)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(self._toolbar)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer)
        for keys, slot in (
            ("P", self.toggle_pause),
            ("1", lambda: self.set_window_seconds(60)),
            ("2", lambda: self.set_window_seconds(300)),
            ("3", lambda: self.set_window_seconds(3600)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        session.metrics_sample.connect(self._on_sample)
        session.time_zone_changed.connect(self._show_time_zone)
        session.connected.connect(self._on_connected)
        session.disconnected.connect(self._on_disconnected)
        self._apply_theme()
        self._show_time_zone(session.time_zone)
        self._apply_fonts()
        self._update_status()
        self._redraw()

    # -- building -----------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        # A flow: on a narrow window (a projector's 1280 pixels, larger fonts) the controls wrap
        # onto a second line instead of pushing the window wider than the screen.
        self._toolbar = QtFlowLayout()
        window_buttons: list[QWidget] = [QLabel("Window:")]
        self._window_buttons = QButtonGroup(self)
        self._window_buttons.setExclusive(True)
        for i, (text, seconds) in enumerate(WINDOWS, start=1):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.toggled.connect(lambda on, b=button: _embolden(b, on))
            button.setToolTip(f"Show the last {text} ({i})")
            button.setChecked(seconds == self._window_s)
            self._window_buttons.addButton(button, seconds)
            window_buttons.append(button)
        self._toolbar.add_group(*window_buttons)
        self._window_buttons.idClicked.connect(self.set_window_seconds)
        self.topic_combo = QComboBox()
        self.topic_combo.setToolTip("Show every topic and the total, or a single topic")
        fit_combo(self.topic_combo, 14)
        self.topic_combo.addItem("All topics", None)
        self.topic_combo.activated.connect(
            lambda index: self.set_topic_filter(self.topic_combo.itemData(index))
        )
        self._toolbar.add_group(QLabel("Topic:"), self.topic_combo)
        # A status, not a control: it gives way first when the window is narrow (a projector).
        self.status_label = QtElidingLabel(align=Qt.AlignmentFlag.AlignRight)
        self.status_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._toolbar.addWidget(self.status_label)
        self.pause_button = QPushButton()
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        self.save_button = QPushButton("Save as PNG…")
        self.save_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
        )
        self.save_button.setToolTip("Save an image of the charts and their legend")
        self.save_button.clicked.connect(self._save_dialog)
        self._toolbar.add_group(self.pause_button, self.save_button)
        self._update_pause_button()

    def _build_plots(self) -> None:
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(320, 300)
        self.graphics.ci.layout.setVerticalSpacing(6)
        self.graphics.ci.setContentsMargins(4, 8, 12, 4)
        self.plots: list[pg.PlotItem] = []
        self._crosshairs: list[pg.InfiniteLine] = []
        for row, spec in enumerate(PLOTS):
            plot = self.graphics.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.getAxis("left").setLabel(spec.label, units=spec.units or None)
            plot.getAxis("left").enableAutoSIPrefix(bool(spec.units))
            if row < len(PLOTS) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self.plots.append(plot)
            self._crosshairs.append(line)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.viewport().installEventFilter(self)

    def _build_legend(self) -> None:
        self._legend_panel = QWidget()
        panel = QVBoxLayout(self._legend_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        self.readout_label = QLabel()
        self.readout_label.setToolTip("Move the mouse over the charts to read values at a time")
        panel.addWidget(self.readout_label)
        self.legend = QTreeWidget()
        self.legend.setColumnCount(2)
        self.legend.setHeaderLabels(["Series", "Value"])
        self.legend.setRootIsDecorated(True)
        self.legend.setUniformRowHeights(True)
        # Elided in the middle: "workout.samp…p99", so that p50 and p99 (and the ends of long
        # topic names) stay apart when the panel is narrow.
        self.legend.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.legend.setToolTip("Untick a series to hide it")
        header = self.legend.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._groups: list[QTreeWidgetItem] = []
        for spec in PLOTS:
            group = QTreeWidgetItem([spec.title, ""])
            group.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsAutoTristate
            )
            group.setCheckState(0, Qt.CheckState.Checked)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.legend.addTopLevelItem(group)
            group.setExpanded(True)
            self._groups.append(group)
        self.legend.itemChanged.connect(self._on_legend_changed)
        panel.addWidget(self.legend, 1)
        self._fit_legend()

    # -- public API ---------------------------------------------------------------------------

    @property
    def window_seconds(self) -> int:
        """The rolling window shown: 60, 300 or 3600 seconds."""
        return self._window_s

    def set_window_seconds(self, seconds: int) -> None:
        """Show the last ``seconds`` (a window of :data:`WINDOWS`)."""
        self._window_s = seconds
        button = self._window_buttons.button(seconds)
        if button is not None:
            button.setChecked(True)
        self._request_redraw()

    @property
    def paused(self) -> bool:
        """Whether redrawing is paused (samples still go into the buffers)."""
        return self._paused_at is not None

    def set_paused(self, paused: bool) -> None:
        """Freeze the plots at the current time, or go live again showing the current window."""
        if paused == self.paused:
            return
        if paused:
            self._paused_at = self._now()
            self._missed = 0
        else:
            self._paused_at = None
            self._request_redraw()
        self._update_pause_button()
        self._update_status()

    def toggle_pause(self) -> None:
        """Pause, or resume."""
        self.set_paused(not self.paused)

    @property
    def topic_filter(self) -> str | None:
        """The one topic shown, or None for every topic and the total."""
        return self._topic_filter

    def set_topic_filter(self, topic_name: str | None) -> None:
        """Show one topic only, or (None) every topic and the total."""
        self._topic_filter = topic_name
        index = self.topic_combo.findData(topic_name)
        if index < 0 and topic_name is not None:
            self.topic_combo.addItem(topic_name, topic_name)
            index = self.topic_combo.count() - 1
        self.topic_combo.setCurrentIndex(max(0, index))
        for key, item in self._items.items():
            item.setHidden(not self._passes_filter(key))
        self._hide_empty_groups()
        self._request_redraw()

    def set_series_visible(self, key: SeriesKey, visible: bool) -> None:
        """Show or hide a series (as ticking its legend entry does)."""
        item = self._items.get(key)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
        else:
            self._set_hidden(key, not visible)

    def curve(self, key: SeriesKey) -> pg.PlotDataItem | None:
        """The plot line of a series (once it has been drawn)."""
        return self._curves.get(key)

    def legend_item(self, key: SeriesKey) -> QTreeWidgetItem | None:
        """The legend entry of a series."""
        return self._items.get(key)

    def axis_label(self) -> str:
        """The time axis' label, which says the zone of its times."""
        return str(self.plots[-1].getAxis("bottom").labelText)

    def plot_of(self, metric: str) -> pg.PlotItem:
        """The plot that shows ``metric``."""
        return self.plots[_PLOT_OF[metric]]

    @property
    def crosshair_time(self) -> float | None:
        """The time under the mouse (None when the mouse is not over a plot)."""
        return self._crosshair_t

    def show_crosshair(self, t: float | None) -> None:
        """Put the crosshair at time ``t`` (None hides it) and read the values there."""
        self._crosshair_t = t
        for line in self._crosshairs:
            if t is not None:
                line.setPos(t)
            line.setVisible(t is not None)
        self._update_values()

    def save_png(self, path: str) -> None:
        """Save an image of the charts, their legend and controls, as a PNG file.

        Raises:
            OSError: if the file cannot be written.
        """
        if not self.paused and (self._dirty or self._drawn_version != self.series.version):
            self._redraw()
        if not self.grab().save(path, "PNG"):
            raise OSError(f"Could not write {path}: check that its folder exists and is writable.")

    # -- samples and redraws ------------------------------------------------------------------

    def _on_connected(self, client: StreamClient) -> None:
        source = self._session.profile_name or client.address
        if source != self._source:
            # Another broker: start over (its last hour follows). The same one again (say,
            # restarted) keeps what is shown; replayed samples already held are skipped.
            self._source = source
            self.series.clear()
            self.set_paused(False)
        self._request_redraw()
        self._update_status()

    def _on_disconnected(self, _reason: str) -> None:
        self._source = None  # whichever broker comes next: its own history only
        self.series.clear()
        self.set_paused(False)
        self._request_redraw()
        self._update_status()

    def _on_sample(self, sample: MetricsSample) -> None:
        if not self.series.add_sample(sample):
            return
        if self.paused:
            self._missed += 1
            if self._missed == 1 or not sample.history:
                self._update_status()
            return
        if not sample.history:
            self._update_status()
        self._schedule()

    def add_capture_lag(self, name: str, topics: list[str], lag_s: float) -> None:
        """Plot a change data capture's lag (seconds, from its report) now, on the latency plot.

        ``name`` is the capture's title; ``topics`` the topics it feeds (a single one is what
        the topic filter matches).
        """
        topic = topics[0] if len(topics) == 1 else None
        self.series.add_capture_lag(name, topic, time.time(), lag_s * 1000)
        if not self.paused:
            self._schedule()

    def _request_redraw(self) -> None:
        self._dirty = True
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _on_timer(self) -> None:
        if not self.isVisible():
            return  # showEvent catches up
        if self._round:
            self._draw_next_plot()
        elif self._out_of_date():
            self._begin_round()
            self._draw_next_plot()

    def _out_of_date(self) -> bool:
        """Whether the plots need redrawing (new samples count only while live)."""
        return self._dirty or (not self.paused and self._drawn_version != self.series.version)

    def showEvent(self, event: QShowEvent) -> None:
        """Catch up with samples that arrived while hidden."""
        super().showEvent(event)
        self._schedule()
        QTimer.singleShot(0, self._fit_titles)
        self._fit_legend()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep every plot's title readable, and the legend within its share, at the new size."""
        super().resizeEvent(event)
        self._fit_legend()
        QTimer.singleShot(0, self._fit_titles)

    def _fit_titles(self) -> None:
        """A plot too short for its title written up the left axis gets it above, across:
        vertical titles of neighbouring plots must never run into each other."""
        font = self.font()
        metrics = QFontMetrics(font)
        points = font.pointSizeF()
        size = f"{points:g}pt" if points > 0 else f"{font.pixelSize()}px"
        for spec, plot in zip(PLOTS, self.plots, strict=True):
            text = f"{spec.label} ({spec.units})" if spec.units else spec.label
            left = plot.getAxis("left")
            room = plot.getViewBox().sceneBoundingRect().height()
            across = metrics.horizontalAdvance(text) + metrics.height() > room
            if across and left.labelText:
                left.setLabel(None)
                left.showLabel(False)
                left.setWidth(metrics.horizontalAdvance("8,888.8") + 14)
                plot.setTitle(text, justify="left", size=size)
            elif not across and not left.labelText:
                plot.setTitle(None)
                left.setLabel(spec.label, units=spec.units or None, **{"font-size": size})
                left.setWidth(metrics.horizontalAdvance("8,888.8") + metrics.height() + 18)

    def _now(self) -> float:
        if self._paused_at is not None:
            return self._paused_at
        return self.series.latest if self.series.latest is not None else time.time()

    def _redraw(self) -> None:
        """Redraw every plot at once."""
        self._timer.stop()
        self._begin_round()
        while self._round:
            self._draw_next_plot()

    def _begin_round(self) -> None:
        """Start redrawing the plots, one per event-loop turn (see :data:`PLOT_STAGGER_MS`)."""
        self._round_now = self._now()
        if self._synced_keys != self.series.keys_version:
            self._sync_series()
        self._round = list(range(len(PLOTS)))
        self._drawn_version = self.series.version
        self._dirty = False

    def _draw_next_plot(self) -> None:
        index = self._round.pop(0)
        now = self._round_now
        top = 0.0
        for key, curve in self._curves.items():
            if _PLOT_OF[key[0]] != index:
                continue
            if not self._shown(key):
                curve.setVisible(False)
                continue
            t, y = self.series.window(key, self._window_s, now)
            curve.setData(t, y, skipFiniteCheck=True, connect=_connections(t))
            curve.setVisible(True)
            if len(y):
                top = max(top, float(y.max()))
        plot = self.plots[index]
        plot.setXRange(now - self._window_s, now, padding=0)
        top = top if top > 0 else 1.0
        # A little room below zero keeps lines at zero clear of the axis.
        plot.setYRange(-0.03 * top, top * 1.08, padding=0)
        if self._round:
            self._timer.start(PLOT_STAGGER_MS)
            return
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self.redraws += 1
        self._update_values()
        if self._out_of_date():
            self._schedule()  # samples that came during this round

    def _sync_series(self) -> None:
        """Add lines and legend entries for new series; remove those of dropped ones."""
        self._synced_keys = self.series.keys_version
        current = set(self.series.keys())
        for key in [k for k in self._curves if k not in current]:
            self.plots[_PLOT_OF[key[0]]].removeItem(self._curves.pop(key))
            item = self._items.pop(key)
            parent = item.parent()
            if parent is not None:
                parent.removeChild(item)
        dark = self._dark()
        self.legend.blockSignals(True)
        for key in sorted(current - self._curves.keys(), key=_order):
            curve = pg.PlotDataItem(antialias=False, clipToView=True, autoDownsample=True)
            curve.setDownsampling(auto=True, method="peak")
            if key[0] in (ACK_P50, ACK_P99):
                curve.setSymbol("o")
                curve.setSymbolSize(LATENCY_DOT)
                curve.setSymbolPen(None)
            self._style(curve, key, dark)
            curve.setZValue(10 if key[1] == TOTAL else 0)
            self.plots[_PLOT_OF[key[0]]].addItem(curve)
            self._curves[key] = curve
            self._add_legend_item(key, dark)
        self.legend.blockSignals(False)
        self._hide_empty_groups()
        self._sync_topic_combo()
        QTimer.singleShot(0, self._fit_legend)  # once the new entries are laid out

    def _fit_legend(self) -> None:
        """Give the legend room for its longest series name and value (in presentation mode's
        larger font too): at least 22 ems, at most ``LEGEND_SHARE`` of the charts' width, the
        plots keeping the rest. Names longer than that are elided in the middle."""
        legend = self.legend
        metrics = QFontMetrics(legend.font())
        em = metrics.horizontalAdvance("M")
        names = values = 0
        for item in self._items.values():
            names = max(names, metrics.horizontalAdvance(item.text(0)))
            values = max(values, metrics.horizontalAdvance(item.text(1) or "8,888.8 kB/s"))
        style = legend.style()
        entry = (
            2 * legend.indentation()  # a group, then its series
            + style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
            + legend.iconSize().width()
            + 3 * em  # the spacing between check box, swatch, text and the value
        )
        margins = self._legend_panel.contentsMargins()
        wanted = (
            entry
            + names
            + values
            + 2 * legend.frameWidth()
            + legend.verticalScrollBar().sizeHint().width()
            + margins.left()
            + margins.right()
        )
        cap = int(self.width() * LEGEND_SHARE)  # of the width now: the window never grows
        self._legend_panel.setMinimumWidth(max(22 * em, min(wanted, cap)))

    def _add_legend_item(self, key: SeriesKey, dark: bool) -> None:
        metric, name = key
        label = name
        if metric in (ACK_P50, ACK_P99):
            label = f"{name} {'p50' if metric == ACK_P50 else 'p99'}"
        elif metric == CAPTURE_LAG:
            label = f"{name} lag"
        item = QTreeWidgetItem([label, ""])
        item.setData(0, Qt.ItemDataRole.UserRole, key)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        checked = key not in self._hidden
        item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setIcon(0, self._swatch(key, dark))
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(0, _tooltip(key))
        if name == TOTAL:
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
        group = self._groups[_PLOT_OF[metric]]
        siblings = [k for k in self._items if _PLOT_OF[k[0]] == _PLOT_OF[metric]]
        group.insertChild(sum(1 for k in siblings if _order(k) < _order(key)), item)
        item.setHidden(not self._passes_filter(key))  # only once in the tree: it is a no-op before
        self._items[key] = item

    def _hide_empty_groups(self) -> None:
        """A plot's legend heading shows only while one of its series is listed."""
        for group in self._groups:
            children = (group.child(i) for i in range(group.childCount()))
            group.setHidden(all(child is None or child.isHidden() for child in children))

    def _sync_topic_combo(self) -> None:
        topics = self.series.topics()
        if self._topic_filter is not None and self._topic_filter not in topics:
            topics = sorted([*topics, self._topic_filter])
        shown = [self.topic_combo.itemData(i) for i in range(1, self.topic_combo.count())]
        if shown == topics:
            return
        self.topic_combo.blockSignals(True)
        while self.topic_combo.count() > 1:
            self.topic_combo.removeItem(1)
        for topic in topics:
            self.topic_combo.addItem(topic, topic)
        self.topic_combo.setCurrentIndex(max(0, self.topic_combo.findData(self._topic_filter)))
        self.topic_combo.blockSignals(False)

    # -- legend, crosshair, status ------------------------------------------------------------

    def _passes_filter(self, key: SeriesKey) -> bool:
        topic = self.series.info(key).topic if key in self.series else None
        if self._topic_filter is None:
            return True
        return topic == self._topic_filter

    def _shown(self, key: SeriesKey) -> bool:
        return key not in self._hidden and self._passes_filter(key)

    def _on_legend_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 0 or item.parent() is None:
            return
        key = tuple(item.data(0, Qt.ItemDataRole.UserRole) or ())
        if key in self._items:
            self._set_hidden(key, item.checkState(0) != Qt.CheckState.Checked)

    def _set_hidden(self, key: SeriesKey, hidden: bool) -> None:
        if hidden == (key in self._hidden):
            return
        if hidden:
            self._hidden.add(key)
        else:
            self._hidden.discard(key)
        curve = self._curves.get(key)
        if curve is not None and hidden:
            curve.setVisible(False)
        self._request_redraw()

    def _on_mouse_moved(self, pos: QPointF) -> None:
        for plot in self.plots:
            if plot.sceneBoundingRect().contains(pos):
                self.show_crosshair(float(plot.vb.mapSceneToView(pos).x()))
                return
        self.show_crosshair(None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Hide the crosshair when the mouse leaves the plots."""
        if event.type() == QEvent.Type.Leave and self._crosshair_t is not None:
            self.show_crosshair(None)
        return super().eventFilter(watched, event)

    def _update_values(self) -> None:
        at = self._crosshair_t
        if at is None:
            at = self._now()
            when = "Latest values"
        else:
            when = "Values at"
        stamp = clock_s(at, self._session.time_zone) if self.series.latest else "—"
        self.readout_label.setText(f"{when} <b>{stamp}</b>")
        self.legend.blockSignals(True)
        for key, item in self._items.items():
            value = self.series.value_at(key, at) if self._shown(key) else None
            item.setText(1, format_value(key[0], value) if value is not None else "")
        self.legend.blockSignals(False)

    def _update_pause_button(self) -> None:
        if self.paused:
            self.pause_button.setText("Resume")
            icon = standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay)
            self.pause_button.setToolTip("Go live again (P)")
        else:
            self.pause_button.setText("Pause")
            icon = standard_icon(self, QStyle.StandardPixmap.SP_MediaPause)
            self.pause_button.setToolTip("Freeze the charts; data keeps being collected (P)")
        self.pause_button.setIcon(icon)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(self.paused)
        self.pause_button.blockSignals(False)

    def _update_status(self) -> None:
        if self._paused_at is not None:
            text = f"Paused at {clock_s(self._paused_at, self._session.time_zone)}"
            if self._missed:
                text += f" · {self._missed} new sample{'s' if self._missed != 1 else ''}"
        elif self._session.client is None:
            text = "Not connected" if self._source is None else "Disconnected"
        elif self.series.latest is None:
            text = "Waiting for metrics…"
        else:
            text = "Live · " + clock_s(self.series.latest, self._session.time_zone)
        self.status_label.setText(text)
        self.status_label.setToolTip(text)  # in full, when it is elided

    def _save_dialog(self) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        name = datetime.now().strftime("ensign-charts-%Y%m%d-%H%M%S.png")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save charts as PNG", str(Path(folder or Path.home()) / name), "PNG image (*.png)"
        )
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            self.save_png(path)
        except OSError as exc:
            QMessageBox.warning(self, "Save as PNG", str(exc))

    # -- look ---------------------------------------------------------------------------------

    def _dark(self) -> bool:
        return palette_is_dark(self.palette())

    def _color(self, key: SeriesKey, dark: bool) -> QColor:
        """A topic's colour, the same on every plot (the total: the text colour)."""
        if key[1] == TOTAL:
            return self.palette().color(QPalette.ColorRole.WindowText)
        topic = self._topic_of(key)
        index = self._topic_colors.setdefault(topic, len(self._topic_colors))
        return QColor(series_color(index, dark))

    def _pen(self, key: SeriesKey, dark: bool) -> QPen:
        metric, name = key
        style = Qt.PenStyle.DashLine if metric == ACK_P99 else Qt.PenStyle.SolidLine
        if metric == LAG:  # a topic's consumer groups share its colour: tell them apart
            groups = self._lag_groups.setdefault(self._topic_of(key), [])
            if name not in groups:
                groups.append(name)
            style = _GROUP_STYLES[groups.index(name) % len(_GROUP_STYLES)]
        width = 3 if name == TOTAL else 2
        pen = pg.mkPen(self._color(key, dark), width=width, style=style)
        pen.setCosmetic(True)
        return pen  # type: ignore[no-any-return]

    def _style(self, curve: pg.PlotDataItem, key: SeriesKey, dark: bool) -> None:
        curve.setPen(self._pen(key, dark))
        if key[0] in (ACK_P50, ACK_P99):
            curve.setSymbolBrush(self._color(key, dark))

    def _topic_of(self, key: SeriesKey) -> str:
        topic = self.series.info(key).topic if key in self.series else None
        return topic or key[1]

    def _swatch(self, key: SeriesKey, dark: bool) -> QIcon:
        height = QFontMetrics(self.font()).height()
        pixmap = QPixmap(height * 2, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        pen = QPen(self._pen(key, dark))
        pen.setWidthF(max(3.0, height / 5))
        painter.setPen(pen)
        painter.drawLine(2, height // 2, height * 2 - 2, height // 2)
        painter.end()
        return QIcon(pixmap)

    def _apply_theme(self) -> None:
        palette = self.palette()
        dark = self._dark()
        self.graphics.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.WindowText)
        axis_pen = pg.mkPen(
            palette.color(QPalette.ColorRole.Mid if dark else QPalette.ColorRole.Dark)
        )
        cross = QColor(text)
        cross.setAlpha(140)
        for plot, line in zip(self.plots, self._crosshairs, strict=True):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(axis_pen)
                axis.setTextPen(pg.mkPen(text))
            line.setPen(pg.mkPen(cross, width=1, style=Qt.PenStyle.DashLine))
        for key, curve in self._curves.items():
            self._style(curve, key, dark)
            self._items[key].setIcon(0, self._swatch(key, dark))

    def _show_time_zone(self, zone: TimeZoneChoice) -> None:
        """Tell times in ``zone``: the axes' ticks, their label, the read-out and the status."""
        for plot in self.plots:
            plot.getAxis("bottom").utcOffset = 0 if zone is TimeZoneChoice.UTC else None
            plot.getAxis("bottom").picture = None  # redraw the ticks
        self._label_time_axis()
        self._update_values()
        self._update_status()
        for plot in self.plots:
            plot.update()

    def _label_time_axis(self) -> None:
        font = self.font()
        points = font.pointSizeF()
        size = f"{points:g}pt" if points > 0 else f"{font.pixelSize()}px"
        label = column_title("Time", self._session.time_zone)
        self.plots[-1].getAxis("bottom").setLabel(label, **{"font-size": size})

    def _apply_fonts(self) -> None:
        font = self.font()
        metrics = QFontMetrics(font)
        points = font.pointSizeF()
        size = f"{points:g}pt" if points > 0 else f"{font.pixelSize()}px"
        width = metrics.horizontalAdvance("8,888.8") + metrics.height() + 18
        for spec, plot in zip(PLOTS, self.plots, strict=True):
            left, bottom = plot.getAxis("left"), plot.getAxis("bottom")
            for axis in (left, bottom):
                axis.setTickFont(font)
                axis.setStyle(tickTextOffset=max(4, metrics.height() // 4))
            left.setLabel(spec.label, units=spec.units or None, **{"font-size": size})
            left.setWidth(width)
            plot.setTitle(None)
            # the last plot's axis has the tick values and, below them, the zone's label
            bottom.setHeight(2 * metrics.height() + 14 if bottom.style["showValues"] else 4)
        self._label_time_axis()
        dark = self._dark()
        for key, item in self._items.items():
            item.setIcon(0, self._swatch(key, dark))

    def changeEvent(self, event: QEvent) -> None:
        """Follow the application's theme and font (presentation mode)."""
        super().changeEvent(event)
        kind = event.type()
        if kind in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
            QEvent.Type.StyleChange,
        ):
            self._apply_theme()
        elif kind in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            self._apply_fonts()
            self._fit_legend()


def _embolden(button: QPushButton, bold: bool) -> None:
    font = button.font()
    font.setBold(bold)
    button.setFont(font)


def _order(key: SeriesKey) -> tuple[int, str]:
    metric, name = key
    return (0 if name == TOTAL else 1, f"{name}\0{metric}")


def _tooltip(key: SeriesKey) -> str:
    metric, name = key
    if name == TOTAL:
        return "All topics together"
    if metric == LAG:
        topic, _, group = name.rpartition("/")
        if group == NO_GROUP:
            return f"Events of {topic} not yet acked by subscribers outside a consumer group"
        return f"Events of {topic} not yet acked by consumer group {group}"
    return {
        EVENTS_PER_SECOND: f"Events published to {name} per second",
        BYTES_PER_SECOND: f"Bytes published to {name} per second",
        ACK_P50: f"Median time from publish to ack on {name}",
        ACK_P99: f"99th percentile time from publish to ack on {name}",
        CAPTURE_LAG: f"Change data capture {name}: time from a database commit to its ack",
    }.get(metric, name)


def _connections(t: Array) -> np.ndarray | str:
    """Which neighbouring points to join: not across a period without samples."""
    if len(t) < 2:
        return "all"
    joined = np.empty(len(t), dtype=bool)
    np.less_equal(np.diff(t), GAP_S, out=joined[:-1])
    joined[-1] = False
    return joined
