"""The broker panel: the embedded broker's state, addresses, uptime and log, with controls."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QTextCursor
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from workbench import __version__
from workbench.models.broker_status import LOG_LINES, BrokerState
from workbench.views.qt_eliding_label import QtElidingLabel
from workbench.views.qt_embedded_broker import QtEmbeddedBroker
from workbench.views.qt_fixed_fonts import use_fixed_font
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_session import QtSession

STATE_TEXT = {
    BrokerState.STOPPED: ("Stopped", "#8a8f98"),
    BrokerState.STARTING: ("Starting…", "#d9a23d"),
    BrokerState.READY: ("Ready", "#3dae5a"),
    BrokerState.STOPPING: ("Stopping…", "#d9a23d"),
    BrokerState.CRASHED: ("Crashed — restarting", "#d9534f"),
    BrokerState.FAILED: ("Failed", "#d9534f"),
}


def state_badge(state: BrokerState) -> str:
    """Rich text: a coloured dot and the state's name."""
    text, color = STATE_TEXT[state]
    return f'<span style="color:{color}">●</span> {text}'


def human_duration(seconds: float) -> str:
    """'3 h 04 min', '5 min 02 s', '12 s'."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


class QtBrokerPanel(QWidget):
    """Shows and controls the embedded broker; for a remote profile, what the broker reports."""

    connect_code_requested = Signal()

    def __init__(
        self, broker: QtEmbeddedBroker, session: QtSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._broker = broker
        self._session = session

        self.state_label = QLabel()
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.port_notice = QLabel()
        self.port_notice.setWordWrap(True)
        self.port_notice.setObjectName("port_notice")
        self.connection_label = QLabel()
        self.data_dir_label = QtElidingLabel(str(broker.data_dir), Qt.TextElideMode.ElideMiddle)
        self.grpc_label = QLabel("—")
        self.auth_label = QLabel("—")
        self.version_label = QLabel(__version__)
        self.pid_label = QLabel("—")
        self.uptime_label = QLabel("—")
        for label in (self.grpc_label, self.auth_label, self.pid_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        details = QGroupBox("Embedded broker")
        form = QFormLayout(details)
        form.addRow("State", self.state_label)
        form.addRow("", self.problem_label)
        form.addRow("Data directory", self.data_dir_label)
        form.addRow("gRPC address", self.grpc_label)
        form.addRow("Auth URL", self.auth_label)
        form.addRow("", self.port_notice)
        form.addRow("Version", self.version_label)
        form.addRow("Process id", self.pid_label)
        form.addRow("Uptime", self.uptime_label)
        form.addRow("Workbench is using", self.connection_label)

        self.start_button = QPushButton(
            standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay), "Start"
        )
        self.stop_button = QPushButton(
            standard_icon(self, QStyle.StandardPixmap.SP_MediaStop), "Stop"
        )
        self.restart_button = QPushButton(
            standard_icon(self, QStyle.StandardPixmap.SP_BrowserReload), "Restart"
        )
        self.connect_code_button = QPushButton("Connect your code…")
        self.connect_code_button.setToolTip("Endpoint, auth URL, TLS and snippets for pyensign")
        self.start_button.clicked.connect(broker.start)
        self.stop_button.clicked.connect(broker.stop)
        self.restart_button.clicked.connect(broker.restart)
        self.connect_code_button.clicked.connect(self.connect_code_requested)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.restart_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_code_button)

        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        use_fixed_font(self, self.log_view)
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        for line in broker.log.lines():
            self.append_log(line)
        log_box = QGroupBox("Broker log")
        log_layout = QVBoxLayout(log_box)
        log_layout.addWidget(self.log_view)

        layout = QVBoxLayout(self)
        layout.addWidget(details)
        layout.addLayout(buttons)
        layout.addWidget(log_box, 1)
        self._layout = layout

        broker.state_changed.connect(self._refresh)
        broker.log_line.connect(self.append_log)
        session.connected.connect(lambda _client: self._refresh())
        session.disconnected.connect(lambda _reason: self._refresh())
        self._ticker = QTimer(self)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start(1000)
        self._refresh()

    def add_section(self, section: QWidget) -> None:
        """Show ``section`` (e.g. the captures) above the broker's log."""
        self._layout.insertWidget(self._layout.count() - 1, section)

    def append_log(self, line: str) -> None:
        """Add a broker log line; the view stays at the lines' start unless scrolled sideways.

        (Appending moves the text cursor to the new line's end, and Qt scrolls a long line there,
        which would show every line from its middle.)
        """
        across = self.log_view.horizontalScrollBar()
        at_start = across.value() == across.minimum()
        self.log_view.appendPlainText(line)
        if at_start:
            # The cursor at the new line's start: Qt keeps the cursor in view (when the view is
            # first laid out too), so it would otherwise scroll to the line's end later.
            cursor = self.log_view.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
            self.log_view.setTextCursor(cursor)
            across.setValue(across.minimum())

    def _refresh(self, *_: object) -> None:
        broker = self._broker
        state = broker.state
        self.state_label.setText(state_badge(state))
        self.problem_label.setText(broker.problem)
        self.problem_label.setVisible(bool(broker.problem))
        problem_palette = self.problem_label.palette()
        problem_palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.red)
        self.problem_label.setPalette(problem_palette)
        settings = broker.settings
        ready = state is BrokerState.READY and settings is not None
        self.grpc_label.setText(settings.grpc_address if ready and settings else "—")
        self.auth_label.setText(settings.auth_url if ready and settings else "—")
        self.port_notice.setText(broker.port_notice)
        self.port_notice.setVisible(bool(broker.port_notice))
        pid = broker.pid
        self.pid_label.setText(str(pid) if pid else "—")
        running = state in (BrokerState.STARTING, BrokerState.READY)
        self.start_button.setEnabled(not running and state is not BrokerState.STOPPING)
        self.stop_button.setEnabled(running)
        self.restart_button.setEnabled(state is not BrokerState.STOPPING)
        name = self._session.profile_name or "nothing (not connected)"
        self.connection_label.setText(name if self._session.client else "nothing (not connected)")
        self._tick()

    def _tick(self) -> None:
        broker = self._broker
        if broker.state is BrokerState.READY and broker.started_at is not None:
            self.uptime_label.setText(human_duration(time.monotonic() - broker.started_at))
        else:
            self.uptime_label.setText("—")
