"""The Profile tab: a topic's inferred JSON structure and its drift, kept up live.

Profiling reads a sample (the topic's last N events) or the whole topic as an asyncio task on
the app's loop, with progress and cancel, into a Qt-free
:class:`~workbench.models.topic_profile.TopicProfiler`; with "Follow live" on, it then keeps
reading what is published (:func:`~workbench.models.profile_reading.follow_topic`). The tables
redraw from a snapshot on a timer (:data:`REFRESH_MS`), never per event. Drift found is named in
a banner over the tables and, through :attr:`QtTopicProfile.drift_noticed`, in the window's
status bar.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.client.records import TopicRow
from workbench.models.event_pages import format_ms
from workbench.models.profile_drift import Drift
from workbench.models.profile_reading import SAMPLE_SIZE, follow_topic, read_topic
from workbench.models.topic_profile import ProfileSnapshot, TopicProfiler
from workbench.views.qt_profile_tables import (
    DRIFT_COLUMNS,
    DRIFT_NUMBERS,
    FIELD_COLUMNS,
    FIELD_NUMBERS,
    QtCellsModel,
    QtCellsTable,
    drift_row,
    field_row,
)
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import palette_is_dark

REFRESH_MS = 250
"""How often the tables catch up with the profile while it grows."""
DRIFT_ROWS = 4
"""Drift list rows shown without scrolling."""


def drift_notice(topic: str, drifts: Sequence[Drift], short: bool = False) -> str:
    """A line naming the latest of ``drifts`` (and how many others there are); ``short``: for
    the status bar, without the time."""
    latest = max(drifts, key=lambda d: (d.offset, d.path))
    others = len(drifts) - 1
    if short:
        change = latest.change if latest.change != "type" else latest.type_change
        more = f" (+{others} more)" if others else ""
        return f"Drift in {topic}: {latest.path} {change} at offset {latest.offset:,}{more}"
    text = (
        f"Drift in {topic}: {latest.describe()} at offset {latest.offset:,} "
        f"({format_ms(latest.committed_ms)})"
    )
    return text + (f", and {others} more" if others else "")


class QtDriftBanner(QFrame):
    """A notice over the tables, on an amber ground, that the user can close."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drift_banner")
        self.icon = QLabel()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.close_button = QToolButton()
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._size_icons()
        self.hide()

    def show_text(self, text: str) -> None:
        """Show the banner with ``text``."""
        self.label.setText(text)
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:
        dark = palette_is_dark(self.palette())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor("#9a7400" if dark else "#d9a400"))
        painter.setBrush(QColor("#3d3100" if dark else "#fff4cc"))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        painter.end()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and hasattr(
            self, "close_button"
        ):
            self._size_icons()

    def _size_icons(self) -> None:
        side = self.fontMetrics().height()
        style = self.style()
        self.icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(side, side)
        )
        self.close_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))


class QtTopicProfile(QWidget):
    """Profiles the topic chosen in the topic browser; emits ``drift_noticed`` for new drift."""

    drift_noticed = Signal(str)  # a short line for the status bar

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.topic: TopicRow | None = None
        self.profiler: TopicProfiler | None = None
        self.snapshot = ProfileSnapshot()
        self._reading: asyncio.Task[int] | None = None
        self._following: asyncio.Task[None] | None = None
        self._next_offset = 0
        self._shown_version = -1
        self._shown_profiler: TopicProfiler | None = None
        self._noticed: set[Drift] = set()
        self._read = self._total = 0

        self.title = QLabel("Choose a topic to profile.")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.sample_radio = QRadioButton("Sample the last")
        self.sample_radio.setChecked(True)
        self.whole_radio = QRadioButton("Whole topic")
        self.modes = QButtonGroup(self)
        self.modes.addButton(self.sample_radio)
        self.modes.addButton(self.whole_radio)
        self.sample_spin = QSpinBox()
        self.sample_spin.setRange(1, 10_000_000)
        self.sample_spin.setValue(SAMPLE_SIZE)
        self.sample_spin.setGroupSeparatorShown(True)
        self.sample_spin.setSuffix(" events")
        self.profile_button = QPushButton("Profile")
        self.profile_button.clicked.connect(lambda: self.start())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.follow_box = QCheckBox("Follow live")
        self.follow_box.setChecked(True)
        self.follow_box.toggled.connect(self._follow_toggled)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.banner = QtDriftBanner()
        self.fields = QtCellsModel(FIELD_COLUMNS, FIELD_NUMBERS, self)
        self.fields_table = QtCellsTable(self.fields)
        self.drift = QtCellsModel(DRIFT_COLUMNS, DRIFT_NUMBERS, self)
        self.drift_table = QtCellsTable(self.drift, max_chars=40)
        self.drift_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.drift_table.hide()
        self.drift_title = QLabel("Drift")
        self._layout()

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        session.disconnected.connect(lambda _reason: self.stop())
        self._update_controls()

    def _layout(self) -> None:
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.sample_radio)
        mode_row.addWidget(self.sample_spin)
        mode_row.addSpacing(12)
        mode_row.addWidget(self.whole_radio)
        mode_row.addStretch(1)
        run_row = QHBoxLayout()
        run_row.addWidget(self.profile_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.follow_box)
        run_row.addWidget(self.progress, 1)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 0, Qt.AlignmentFlag.AlignTop)
        title_row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(title_row)
        layout.addLayout(mode_row)
        layout.addLayout(run_row)
        layout.addWidget(self.banner)
        layout.addWidget(self.fields_table, 1)
        layout.addWidget(self.drift_title)
        layout.addWidget(self.drift_table)

    # -- public API ---------------------------------------------------------------------------

    def set_topic(self, topic: TopicRow | None) -> None:
        """Profile ``topic`` from now on (a sample starts at once if the view is showing)."""
        if topic is not None and self.topic is not None and topic.id == self.topic.id:
            self.topic = topic
            return
        self.stop()
        self.topic = topic
        self.profiler = None
        self._show(ProfileSnapshot())
        self.banner.hide()
        self.title.setText(topic.name if topic else "Choose a topic to profile.")
        if topic is not None and self.isVisible():
            self.start()
        self._update_controls()

    def start(self, whole: bool | None = None) -> None:
        """Profile the topic anew: a sample of its last events, or the whole topic (``whole``;
        None: as the controls say). With "Follow live" on, it is then followed."""
        client = self._session.client
        if self.topic is None or client is None:
            return
        if whole is not None:
            (self.whole_radio if whole else self.sample_radio).setChecked(True)
        self.stop()
        self.banner.hide()
        self.profiler = profiler = TopicProfiler()
        self._noticed = set()
        self._shown_version = -1
        self._read = self._total = 0
        limit = None if self.whole_radio.isChecked() else self.sample_spin.value()
        work = read_topic(client, self.topic.id, profiler, limit, self._progress)
        self._reading = self._session.run(work, self._read_done, f"profiling {self.topic.name}")
        self._timer.start()
        self._update_controls()

    def cancel(self) -> None:
        """Stop reading; what was read so far stays shown."""
        if self._reading is not None:
            self._reading.cancel()
            self._reading = None
            self._timer.stop()
        self.refresh()
        self._update_controls()

    def stop(self) -> None:
        """Stop reading and following."""
        for task in (self._reading, self._following):
            if task is not None:
                task.cancel()
        self._reading = self._following = None
        self._timer.stop()
        self._update_controls()

    def is_reading(self) -> bool:
        """True while the sample or the whole topic is being read."""
        return self._reading is not None

    def is_following(self) -> bool:
        """True while new events are being profiled as they come."""
        return self._following is not None

    def refresh(self) -> None:
        """Show the profile as it is now (the timer calls this)."""
        profiler = self.profiler
        if profiler is None or profiler.version == self._shown_version:
            self._update_status()
            return
        self._shown_version = profiler.version
        self._show(profiler.snapshot())

    # -- work ---------------------------------------------------------------------------------

    def _progress(self, read: int, total: int) -> None:
        self._read, self._total = read, total

    def _read_done(self, next_offset: int) -> None:
        self._reading = None
        self._next_offset = next_offset
        self.refresh()
        if self.follow_box.isChecked():
            self._follow()
        else:
            self._timer.stop()
        self._update_controls()

    def _follow_toggled(self, on: bool) -> None:
        if not on and self._following is not None:
            self._following.cancel()
            self._following = None
            self._timer.stop()
        elif on and self.profiler is not None and self._reading is None:
            self._follow()
        self._update_controls()

    def _follow(self) -> None:
        client, topic, profiler = self._session.client, self.topic, self.profiler
        if client is None or topic is None or profiler is None or self._following is not None:
            return
        offset = max(self._next_offset, profiler.last_offset + 1)
        work = follow_topic(client, topic.id, profiler, offset)
        self._following = self._session.run(work, what=f"following {topic.name}")
        self._following.add_done_callback(lambda _task: self._follow_ended())
        self._timer.start()

    def _follow_ended(self) -> None:
        if self._following is not None and self._following.done():
            self._following = None
            self._update_controls()

    # -- showing ------------------------------------------------------------------------------

    def _show(self, snap: ProfileSnapshot) -> None:
        grown = self._shown_profiler is self.profiler is not None
        self._shown_profiler = self.profiler
        self.snapshot = snap
        self.fields.set_rows([field_row(f, snap.objects) for f in snap.fields], grown=grown)
        self.drift.set_rows([drift_row(d) for d in snap.drift])
        self.drift_title.setText(f"Drift ({len(snap.drift)})" if snap.drift else "Drift: none")
        self._fit_drift_table()
        self._notice(snap.drift)
        self._update_status()

    def _fit_drift_table(self) -> None:
        """Show the drift list only when there is some, as high as its rows (up to
        :data:`DRIFT_ROWS`), so that the fields keep the room."""
        table, rows = self.drift_table, self.drift.rowCount()
        table.setVisible(rows > 0)
        if rows:
            # at most as high as its rows; it gives way to the fields (down to one row) when the
            # window is short, so that it never makes the window taller
            height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
            table.setMinimumHeight(height + table.rowHeight(0))
            table.setMaximumHeight(height + table.rowHeight(0) * min(rows, DRIFT_ROWS))

    def _notice(self, drifts: Sequence[Drift]) -> None:
        new = [d for d in drifts if d not in self._noticed]
        if not new or self.topic is None:
            return
        self._noticed.update(new)
        self.banner.show_text(drift_notice(self.topic.name, new))
        self.drift_noticed.emit(drift_notice(self.topic.name, new, short=True))

    def _update_status(self) -> None:
        snap = self.snapshot
        if self._reading is not None:
            self.progress.setRange(0, max(1, self._total))
            self.progress.setValue(self._read)
            self.progress.setFormat(f"{self._read:,} of {self._total:,} events")
        elif self._following is not None:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress.setFormat(f"following live · offset {snap.last_offset:,}")
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if snap.events else 0)
            self.progress.setFormat(f"{snap.events:,} events" if snap.events else "")
        parts = [f"{snap.events:,} events read", f"{snap.objects:,} JSON objects"]
        if snap.not_json:
            parts.append(f"{snap.not_json:,} not JSON")
        if snap.not_object:
            parts.append(f"{snap.not_object:,} not objects")
        if snap.skipped:
            parts.append(f"{snap.skipped:,} skipped to keep up")
        if snap.duplicates:
            parts.append(f"{snap.duplicates:,} stored duplicates left out")
        if snap.untracked_values:
            parts.append(f"{snap.untracked_values:,} values beyond {len(snap.fields):,} paths")
        parts.append(f"{len(snap.fields):,} fields")
        if snap.events:
            parts.append(f"offsets {snap.first_offset:,} to {snap.last_offset:,}")
        self.status.setText(" · ".join(parts) if self.profiler is not None else "")

    def _update_controls(self) -> None:
        has_topic = self.topic is not None
        self.profile_button.setEnabled(has_topic)
        self.cancel_button.setEnabled(self._reading is not None)
        self._update_status()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "drift_table"):
            QTimer.singleShot(0, self._fit_drift_table)  # once the table has the new font

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.topic is not None and self.profiler is None:
            QTimer.singleShot(0, self.start)
