"""The Demo tab: run a scenario in one click, and watch its dashboard.

Choosing Run makes (or finds) the scenario's topics, starts a generator per topic at its rate
shape, and fills the dashboard: the scenario's title and story, its topics' events per second
(from the broker's metrics) and live charts of its key fields. Stop ends it; running it again
continues the same topics.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from workbench.client.records import MetricsSample
from workbench.models.scenario_run import ScenarioRun, combined
from workbench.models.scenarios import Scenario, load_scenarios
from workbench.views.qt_charts import series_color
from workbench.views.qt_field_chart import QtFieldChart
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import error_color, palette_is_dark

REFRESH_MS = 500
RATE_HISTORY_S = 3600


class QtScenarioPanel(QWidget):
    """Scenarios to run, and the running one's dashboard."""

    started = Signal(str)  # the scenario's name
    stopped = Signal(str)

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.run: ScenarioRun | None = None
        self._starting: asyncio.Task[object] | None = None
        self._rates: dict[bytes, deque[tuple[float, float]]] = {}
        self._rate_curves: dict[bytes, pg.PlotDataItem] = {}
        shelf = load_scenarios()
        self.scenarios = shelf.scenarios
        problem = "\n".join(f"Skipped: {p}" for p in shelf.problems.values())
        self._build()
        if problem:
            self._show_status(problem, error=True)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        session.metrics_sample.connect(self._sample)
        session.disconnected.connect(self._disconnected)

    def _build(self) -> None:
        self.scenario_list = QListWidget()
        self.scenario_list.setObjectName("scenarioList")
        self.scenario_list.setWordWrap(True)
        for scenario in self.scenarios:
            item = QListWidgetItem(scenario.title)
            item.setToolTip(scenario.description)
            item.setData(Qt.ItemDataRole.UserRole, scenario.name)
            self.scenario_list.addItem(item)
        self.scenario_list.setCurrentRow(0)
        self.scenario_list.itemDoubleClicked.connect(lambda _: self.run_selected())
        self.run_button = QPushButton("Run")
        self.run_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay))
        self.run_button.clicked.connect(self.run_selected)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Scenarios:"))
        left_layout.addWidget(self.scenario_list, 1)
        left_layout.addLayout(buttons)

        self.title = QLabel("Choose a scenario and Run it.")
        title_font = QFont(self.font())
        title_font.setPointSizeF(self.font().pointSizeF() * 1.4)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.story = QLabel()
        self.story.setWordWrap(True)
        self.counters = QLabel()
        self.counters.setWordWrap(True)
        self.fields = QtFieldChart(self._session, separate=True)
        self.rates = self.fields.add_panel("Events/s")
        self.rates_legend = self.rates.addLegend(offset=(8, 8))
        dashboard = QWidget()
        dash_layout = QVBoxLayout(dashboard)
        dash_layout.setContentsMargins(0, 0, 0, 0)
        dash_layout.addWidget(self.title)
        dash_layout.addWidget(self.story)
        dash_layout.addWidget(self.counters)
        dash_layout.addWidget(self.fields, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(dashboard)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._apply_theme()

    # -- running ------------------------------------------------------------------------------

    def scenario(self, name: str) -> Scenario | None:
        """A shipped scenario by name."""
        return next((s for s in self.scenarios if s.name == name), None)

    def run_selected(self) -> None:
        """Run the scenario selected in the list."""
        item = self.scenario_list.currentItem()
        if item is not None:
            self.run_scenario(str(item.data(Qt.ItemDataRole.UserRole)))

    def run_scenario(self, name: str) -> None:
        """Run a scenario (stopping another that runs) and show its dashboard."""
        scenario, client = self.scenario(name), self._session.client
        if scenario is None or client is None:
            self._show_status("Not connected to a broker." if scenario else f"No scenario {name}")
            return
        if self.run is not None:
            self.stop()
        for row in range(self.scenario_list.count()):
            if self.scenario_list.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.scenario_list.setCurrentRow(row)
        run = ScenarioRun(client, scenario)
        self.run = run
        self.title.setText(scenario.title)
        self.story.setText(scenario.description)
        self._show_status("Starting…")
        self.run_button.setEnabled(False)

        def started(_: object) -> None:
            self._session.refresh_topics()
            self.fields.clear()
            for topic_run, spec in zip(run.topics, scenario.topics, strict=True):
                for path in spec.charts:
                    self.fields.add_series(topic_run.topic_id, topic_run.name, path)
            self._reset_rates()
            names = [t.name for t in run.topics]
            title = f"Events/s · {names[0]}" if len(names) == 1 else "Events/s"
            self.fields.set_panel_title(self.rates, title)
            self.stop_button.setEnabled(True)
            self.run_button.setEnabled(True)
            self._timer.start()
            self.started.emit(scenario.name)

        task = self._session.run(run.start(), started, f"starting {scenario.title}")
        task.add_done_callback(lambda t: self.run_button.setEnabled(True))

    def stop(self) -> None:
        """Stop the running scenario (its charts stay)."""
        run = self.run
        if run is None:
            return
        run.stop()
        self.run = None
        self.stop_button.setEnabled(False)
        self._timer.stop()
        self._refresh_counters(run)
        self.stopped.emit(run.scenario.name)

    def _disconnected(self, _why: str) -> None:
        if self.run is not None:
            self.stop()

    # -- the dashboard ------------------------------------------------------------------------

    def _refresh(self) -> None:
        if self.run is not None:
            self._refresh_counters(self.run)
            self._draw_rates()

    def _refresh_counters(self, run: ScenarioRun) -> None:
        stats = run.stats()
        if not stats:
            return
        total = combined(stats)
        state = "Running" if run.running else "Stopped"
        parts = [f"{t.name}: {s.acked:,} events" for t, s in zip(run.topics, stats, strict=True)]
        text = f"{state} · {' · '.join(parts)} · {total.elapsed_s:,.0f} s"
        problems = [r.reason for r in total.refusals] + ([total.failure] if total.failure else [])
        self._show_status(text + ("" if not problems else f" · {problems[0]}"), bool(problems))

    def _show_status(self, text: str, error: bool = False) -> None:
        self.counters.setText(text)
        color = error_color(self.palette()).name() if error else ""
        self.counters.setStyleSheet(f"color: {color};" if color else "")

    def _reset_rates(self) -> None:
        topics = self.run.topics if self.run else []
        self._rates = {t.topic_id: deque(maxlen=RATE_HISTORY_S) for t in topics}
        self._forget_rate_curves()

    def _forget_rate_curves(self) -> None:
        """Drop the curves (a new run, a theme's colours); the next draw makes them again."""
        for curve in self._rate_curves.values():
            self.rates.removeItem(curve)
            self.rates_legend.removeItem(curve)
        self._rate_curves.clear()

    def _sample(self, sample: MetricsSample) -> None:
        if self.run is None or sample.history:
            return
        for rate in sample.topics:
            history = self._rates.get(rate.topic_id)
            if history is not None:
                history.append((sample.at_ms / 1000, rate.events_per_second))

    def _draw_rates(self) -> None:
        if self.run is None:
            return
        dark = palette_is_dark(self.palette())
        now = time.time()
        several = len(self.run.topics) > 1  # a legend; one topic is named in the title
        for index, topic in enumerate(self.run.topics):
            history = self._rates.get(topic.topic_id, deque())
            curve = self._rate_curves.get(topic.topic_id)
            if curve is None:
                pen = pg.mkPen(series_color(index, dark), width=2)
                curve = self.rates.plot([], [], pen=pen, name=topic.name if several else None)
                self._rate_curves[topic.topic_id] = curve
            curve.setData([t for t, _ in history], [v for _, v in history])
        self.rates.setXRange(now - self.fields.window_s, now, padding=0)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._apply_theme()
        super().changeEvent(event)

    def _apply_theme(self) -> None:
        self.rates_legend.setLabelTextColor(self.palette().color(QPalette.ColorRole.WindowText))
        self.rates_legend.setLabelTextSize(f"{self.font().pointSizeF():g}pt")
        self._forget_rate_curves()
