"""A running job's progress, counters and controls, for the producer's pages.

The generator and the import show a ``GeneratorStats``: a progress bar (a count, or the time of
a duration, or busy when neither is known), the acknowledged, refused and unknown counters, the
achieved rate, and the first distinct refusal reasons. Pause/Resume and Stop act on the job.

A job that lost its broker has events whose fate is unknown; :class:`QtRunSettler` finds out
once the session connects to that broker again (see ``EventGenerator.settle``).
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QWidget,
)

from workbench.client.broker_client import BrokerClient
from workbench.client.errors import ClientError
from workbench.client.stream_client import StreamClient
from workbench.models.event_generator import EventGenerator, GeneratorStats, RunState
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import error_color

log = logging.getLogger(__name__)
_RUNNING = (RunState.RUNNING, RunState.PAUSED, RunState.STOPPING)


class QtRunStatus(QWidget):
    """Progress and counters of one job; emits ``pause_toggled`` and ``stop_requested``."""

    pause_toggled = Signal(bool)  # True: pause
    stop_requested = Signal()

    def __init__(self, can_pause: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat("")
        self.counters = QLabel("Not started.")
        self.counters.setWordWrap(True)
        self.counters.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.counters.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refusals = QLabel()
        self.refusals.setWordWrap(True)
        self.refusals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refusals.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaPause))
        self.pause_button.toggled.connect(self._pause_toggled)
        self.pause_button.setVisible(can_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.clicked.connect(self.stop_requested)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.bar, 0, 0)
        grid.addWidget(self.pause_button, 0, 1)
        grid.addWidget(self.stop_button, 0, 2)
        grid.addWidget(self.counters, 1, 0, 1, 3)
        grid.addWidget(self.refusals, 2, 0, 1, 3)
        grid.setColumnStretch(0, 1)
        self.set_running(False)

    def set_running(self, running: bool) -> None:
        """Enable the controls while a job runs."""
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    def show_stats(self, stats: GeneratorStats, duration_s: float | None = None) -> None:
        """Show a generator's (or an import's) counters."""
        self.set_running(stats.state in _RUNNING)
        if stats.target:
            self.bar.setRange(0, stats.target)
            self.bar.setValue(min(stats.answered, stats.target))
            self.bar.setFormat("%v of %m")
        elif duration_s:
            self.bar.setRange(0, int(duration_s * 10))
            self.bar.setValue(min(int(stats.elapsed_s * 10), int(duration_s * 10)))
            self.bar.setFormat(f"{stats.elapsed_s:.1f} of {duration_s:g} s")
        elif stats.state in _RUNNING:
            self.bar.setRange(0, 0)  # busy: the end is not known
        else:
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.bar.setFormat(f"{stats.answered:,}")
        parts = [
            f"{stats.state.value.capitalize()}",
            f"sent {stats.sent:,}",
            f"acked {stats.acked:,}",
            f"nacked {stats.nacked:,}",
        ]
        if stats.settled:
            parts[2] += f" ({stats.settled:,} of them found stored after the broker came back)"
        if stats.lost:
            parts.append(f"unknown {stats.lost:,} (unanswered: counted when the broker is back)")
        if stats.unstored:
            parts.append(f"not stored {stats.unstored:,}")
        seconds = f"{stats.elapsed_s:.1f}" if stats.elapsed_s >= 1 else f"{stats.elapsed_s:.3f}"
        parts.append(f"{stats.events_per_s:,.0f} events/s over {seconds} s")
        self.counters.setText(" · ".join(parts))
        lines = [f"{r.code} ({r.events:,}): {r.reason}" for r in stats.refusals]
        if stats.failure:
            lines.append(f"Ended: {stats.failure}")
        self.show_problems(lines)

    def show_text(self, text: str, value: int = 0, total: int = 0, running: bool = False) -> None:
        """Show free counters (a replay's): ``value`` of ``total`` (0 total: busy or done)."""
        self.set_running(running)
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(min(value, total))
            self.bar.setFormat("%v of %m")
        else:
            self.bar.setRange(0, 0 if running else 1)
            self.bar.setValue(0 if running else 1)
            self.bar.setFormat(f"{value:,}")
        self.counters.setText(text)

    def show_problems(self, lines: list[str]) -> None:
        """Show refusal reasons or a failure (nothing: hidden)."""
        self.refusals.setText("\n".join(lines))
        self.refusals.setVisible(bool(lines))
        self.refusals.setStyleSheet(f"color: {error_color(self.palette()).name()};")

    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)


class QtRunSettler(QObject):
    """Settles a job's unanswered events (``EventGenerator.settle``) as soon as the session is
    connected to the job's broker again; ``settled`` carries the final counters.

    Only a new connection settles: on the job's own, the broker may not have lost the events
    yet, only been slow to answer (a batch that timed out can still be committed).
    """

    settled = Signal(object)  # GeneratorStats

    def __init__(self, session: QtSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._generator: EventGenerator | None = None
        self._profile = ""
        self._client: StreamClient | None = None  # the connection the job ran on
        self._settling: asyncio.Task[GeneratorStats] | None = None
        session.connected.connect(lambda _client: self.settle_now())

    def follow(self, generator: EventGenerator) -> None:
        """Settle ``generator`` (a job on the session's current broker) once it ends."""
        self._generator = generator
        self._profile = self._session.profile_name
        self._client = self._session.client

    def settle_now(self) -> None:
        """Settle the job now if it ended unsettled and its broker is connected."""
        generator, client = self._generator, self._session.client
        if generator is None or not generator.unsettled or not isinstance(client, BrokerClient):
            return  # (on JetStream a retried publish is stored once by its Nats-Msg-Id)
        if client is self._client or (self._settling is not None and not self._settling.done()):
            return
        if self._session.profile_name != self._profile:
            return  # another broker: it never saw the job's events
        self._settling = asyncio.ensure_future(generator.settle(client))
        self._settling.add_done_callback(lambda task: self._done(task, client))

    def _done(self, task: asyncio.Task[GeneratorStats], client: BrokerClient) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            self.settled.emit(task.result())
        elif not isinstance(exc, ClientError):
            log.error("settling a job failed", exc_info=exc)
        elif self._session.client is not client:  # connected again meanwhile: try that one
            self.settle_now()
        # Else the broker is not back yet: the next connection settles the job.


class QtGeneratorJob(QObject):
    """A panel's run of an :class:`EventGenerator` (the generator's, the import's): started as
    session work, its counters refreshed every ``refresh_ms``, paused and stopped on request,
    and settled through a :class:`QtRunSettler` once its broker answers again.

    ``progressed`` fires on each refresh while it runs (and once at the start); ``finished``
    carries the final :class:`GeneratorStats` when the run ends, and again when settling
    changed them.
    """

    progressed = Signal()
    finished = Signal(object)  # GeneratorStats

    def __init__(self, session: QtSession, refresh_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.generator: EventGenerator | None = None
        """The latest run's generator (None before the first)."""
        self._task: asyncio.Task[GeneratorStats] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self.progressed)
        self._settler = QtRunSettler(session, self)
        self._settler.settled.connect(self.finished)

    def start(self, generator: EventGenerator, what: str) -> None:
        """Run ``generator`` (``what``: the work's name in a failure message, "importing")."""
        self.generator = generator
        self._settler.follow(generator)
        self._task = self._session.run(generator.run(), self._ended, what)
        self._timer.start()
        self.progressed.emit()

    def is_running(self) -> bool:
        """True while a run goes on."""
        return self._task is not None and not self._task.done()

    def stop(self) -> None:
        """Send nothing more (batches in flight are still answered)."""
        if self.generator is not None:
            self.generator.stop()

    def pause(self, paused: bool) -> None:
        """Pause the run, or let it go on."""
        if self.generator is not None:
            if paused:
                self.generator.pause()
            else:
                self.generator.resume()

    def _ended(self, stats: GeneratorStats) -> None:
        self._timer.stop()
        self.finished.emit(stats)
        self._settler.settle_now()
