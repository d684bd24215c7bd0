"""Change data captures from the window: "Capture from a database…", and their status.

Each capture runs ``ensign-broker capture`` as a child process, supervised as the embedded broker
is: its status objects (``--json``, once a second) and log are read as they come, a capture that
dies is started again after a pause that grows with each crash, one that stops on a set-up
mistake (exit status 2) is not, and quitting stops every capture cleanly (SIGTERM; each was
started with ``--exit-with-parent`` too, so even a killed workbench leaves none behind).
The application calls :meth:`QtCapturesPanel.stop_all_and_wait` on its way out, before it stops
the embedded broker.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QSettings, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.client.connection_settings import ConnectionSettings
from workbench.models.bank_database import TABLE as BANK_TABLE
from workbench.models.bank_database import BankError, BankWorkload, prepare
from workbench.models.broker_status import LogBuffer, restart_delay
from workbench.models.capture_job import (
    DEFAULT_SLOT,
    POSTGRES,
    SQLITE,
    CaptureReport,
    CaptureSpec,
    capture_environment,
    parse_tables,
)
from workbench.models.frozen_app import broker_command
from workbench.views.qt_dialog_parts import ok_cancel_buttons, problem_label, set_problem
from workbench.views.qt_fixed_fonts import use_fixed_font
from workbench.views.qt_session import QtSession

STOP_TIMEOUT_MS = 10_000
USAGE_ERROR = 2
"""The capture's exit status for a set-up mistake: not worth starting again."""
POSTGRES_DSN_SETTING = "capture/postgres_dsn"


class QtCapture(QObject):
    """One capture child process: its state, its last report and its log."""

    changed = Signal()
    reported = Signal()
    """A new :attr:`report` came (about once a second while the capture runs)."""

    def __init__(
        self,
        spec: CaptureSpec,
        settings: ConnectionSettings,
        bank: BankWorkload | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self.settings = settings
        self.bank = bank
        """The bank demo's transfers, run while the capture runs (None without the demo)."""
        self.state = "starting"
        self.report: CaptureReport | None = None
        self.problem = ""
        self.log = LogBuffer(500)
        self.crashes = 0
        self._stopping = False
        self._stdout = LogBuffer(50)
        self._process: QProcess | None = None
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self.start)

    @property
    def running(self) -> bool:
        """True while the child process runs."""
        process = self._process
        return process is not None and process.state() != QProcess.ProcessState.NotRunning

    def start(self) -> None:
        """Start the child process (no-op while it runs)."""
        if self.running:
            return
        self._stopping = False
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        for name, value in capture_environment(self.settings).items():
            environment.insert(name, value)
        environment.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(self._read_reports)
        process.readyReadStandardError.connect(self._read_log)
        process.finished.connect(self._finished)
        self._process = process
        self._set_state("starting")
        program, *arguments = broker_command(*self.spec.arguments(self.settings))
        process.start(program, arguments)
        if self.bank is not None and self.crashes == 0:
            self.bank.start()

    def stop(self) -> None:
        """Stop cleanly: the capture publishes and confirms what it read, then exits."""
        self._restart.stop()
        if self.bank is not None:
            self.bank.stop()
        if not self.running:
            self._set_state("stopped")
            return
        self._stopping = True
        self._set_state("stopping")
        assert self._process is not None
        self._process.terminate()
        QTimer.singleShot(STOP_TIMEOUT_MS, self._kill_if_running)

    def stop_and_wait(self) -> None:
        """Stop and block until the process is gone (for application exit)."""
        self._restart.stop()
        if self.bank is not None:
            self.bank.stop()
        process = self._process
        if process is None or not self.running:
            return
        self._stopping = True
        process.terminate()
        if not process.waitForFinished(STOP_TIMEOUT_MS):
            process.kill()
            process.waitForFinished(5000)

    def _kill_if_running(self) -> None:
        if self._stopping and self.running and self._process is not None:
            self._process.kill()

    def _read_reports(self) -> None:
        assert self._process is not None
        chunk = bytes(self._process.readAllStandardOutput().data()).decode("utf-8", "replace")
        for line in self._stdout.feed(chunk):
            report = CaptureReport.from_line(line)
            if report is not None:
                self.report = report
                if not self._stopping:
                    self._set_state(report.state, report.problem)
                self.reported.emit()

    def _read_log(self) -> None:
        assert self._process is not None
        chunk = bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
        self.log.feed(chunk)

    def _finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        if self._stopping:
            self._set_state("stopped")
            return
        last = self.log.tail(1)
        reason = last[0].removeprefix("ensign-broker capture: ") if last else ""
        if status == QProcess.ExitStatus.NormalExit and exit_code == USAGE_ERROR:
            if self.bank is not None:
                self.bank.stop()
            self._set_state("failed", reason or "the capture could not start")
            return
        self.crashes += 1
        delay = restart_delay(self.crashes)
        self._set_state("restarting", f"{reason or 'it stopped'}; starting again in {delay:.0f} s")
        self._restart.start(int(delay * 1000))

    def _set_state(self, state: str, problem: str = "") -> None:
        self.state, self.problem = state, problem
        self.changed.emit()


class QtCaptureDialog(QDialog):
    """Capture from a database…: the source, its tables, the target topics, a snapshot."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Capture from a database")
        self._settings = settings
        self.source = QComboBox()
        self.source.addItem("PostgreSQL (logical replication)", POSTGRES)
        self.source.addItem("SQLite file (triggers)", SQLITE)
        self.location = QLineEdit()
        self.browse = QPushButton("Choose…")
        self.browse.clicked.connect(self._choose_file)
        where = QHBoxLayout()
        where.addWidget(self.location, 1)
        where.addWidget(self.browse)
        self.tables = QLineEdit()
        self.tables.setPlaceholderText("public.accounts, public.transfers")
        self.per_table = QRadioButton("One topic per table (SCHEMA.TABLE)")
        self.one_topic = QRadioButton("Every table into one topic:")
        self.per_table.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.per_table)
        group.addButton(self.one_topic)
        self.topic = QLineEdit()
        self.topic.setPlaceholderText("database.changes")
        single = QHBoxLayout()
        single.addWidget(self.one_topic)
        single.addWidget(self.topic, 1)
        self.slot = QLineEdit(DEFAULT_SLOT)
        self.snapshot = QCheckBox("Start with the tables' existing rows (a new slot only)")
        self.bank = QCheckBox(
            f"Bank demo: create {BANK_TABLE} here if missing and keep moving money between accounts"
        )
        self.problem = problem_label()

        form = QFormLayout()
        form.addRow("Database", self.source)
        form.addRow("Connection", where)
        form.addRow("Tables", self.tables)
        form.addRow("Topics", self.per_table)
        form.addRow("", single)
        form.addRow("Replication slot", self.slot)
        form.addRow("", self.snapshot)
        form.addRow("", self.bank)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        self.buttons = ok_cancel_buttons(self, "Start capture")
        layout.addWidget(self.buttons)

        for signal in (self.location.textChanged, self.tables.textChanged, self.topic.textChanged,
                       self.slot.textChanged):  # fmt: skip
            signal.connect(self._check)
        self.one_topic.toggled.connect(self._check)
        self.bank.toggled.connect(self._bank_toggled)
        self.source.currentIndexChanged.connect(self._source_changed)
        if settings is not None:
            self.location.setText(str(settings.value(POSTGRES_DSN_SETTING, "")))
        self._source_changed()

    def spec(self) -> CaptureSpec:
        """What the dialog describes."""
        source = str(self.source.currentData())
        return CaptureSpec(
            source,
            self.location.text().strip(),
            parse_tables(self.tables.text()),
            self.topic.text().strip() if self.one_topic.isChecked() else "",
            self.slot.text().strip(),
            source == POSTGRES and self.snapshot.isChecked(),
        )

    def accept(self) -> None:
        spec = self.spec()
        if spec.problem():
            return
        if self._settings is not None and spec.source == POSTGRES:
            self._settings.setValue(POSTGRES_DSN_SETTING, spec.location)
        super().accept()

    def _source_changed(self) -> None:
        postgres = self.source.currentData() == POSTGRES
        self.location.setPlaceholderText(
            "host=localhost dbname=shop user=capture" if postgres else "/path/to/app.db"
        )
        self.browse.setVisible(not postgres)
        for widget in (self.slot, self.snapshot, self.bank):
            widget.setEnabled(postgres)
        self._check()

    def _bank_toggled(self, on: bool) -> None:
        if on:
            self.tables.setText(BANK_TABLE)
        self.tables.setReadOnly(on)
        self._check()

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "SQLite database", "", "SQLite (*.db *.sqlite *.sqlite3);;All files (*)"
        )
        if path:
            self.location.setText(path)

    def _check(self) -> None:
        spec = self.spec()
        problem = spec.problem()
        if not problem and self.one_topic.isChecked() and not spec.topic:
            problem = "Name the topic"
        set_problem(self.problem, problem, f"Publishes to {', '.join(spec.topics()) or '…'}")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def bank_demo(self) -> bool:
        """True when the bank demo should run against the database."""
        return self.bank.isEnabled() and self.bank.isChecked()


COLUMNS = ("Capture", "Topics", "State", "Position", "Lag", "Changes")


class QtCapturesPanel(QGroupBox):
    """The running captures, with their state, position and lag, for the broker panel."""

    lag_reported = Signal(str, list, float)
    """A capture's title, its topics and its lag in seconds, from each of its reports."""

    def __init__(
        self, session: QtSession, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Change data capture", parent)
        self._session = session
        self._settings = settings
        self.captures: list[QtCapture] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(self.fontMetrics().height() * 8)
        self.new_button = QPushButton("Capture from a database…")
        self.stop_button = QPushButton("Stop")
        self.log_button = QPushButton("Show log")
        self.new_button.clicked.connect(self.ask)
        self.stop_button.clicked.connect(self._stop_selected)
        self.log_button.clicked.connect(self._show_log)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.log_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._refresh()

    def ask(self) -> QtCaptureDialog | None:
        """Open "Capture from a database…"; start what it describes."""
        client = self._session.client
        if client is None:
            self._session.error.emit("Connect to a broker first.")
            return None
        settings = client.ensign_settings
        if settings is None:
            self._session.error.emit(
                f"Capture publishes with an Ensign key; {client.kind} is not supported yet."
            )
            return None
        dialog = QtCaptureDialog(self._settings, self)
        dialog.accepted.connect(lambda: self._accepted(dialog, settings))
        dialog.open()
        return dialog

    def _accepted(self, dialog: QtCaptureDialog, settings: ConnectionSettings) -> None:
        spec = dialog.spec()
        bank = None
        if dialog.bank_demo():
            try:
                prepare(spec.location)
            except BankError as exc:
                self._session.error.emit(str(exc))
                return
            bank = BankWorkload(spec.location)
        self.start(spec, settings, bank)

    def start(
        self, spec: CaptureSpec, settings: ConnectionSettings, bank: BankWorkload | None = None
    ) -> QtCapture:
        """Start a capture and list it."""
        capture = QtCapture(spec, settings, bank, self)
        capture.changed.connect(self._refresh)
        capture.reported.connect(lambda: self._lag_reported(capture))
        self.captures.append(capture)
        capture.start()
        self._refresh()
        return capture

    def _lag_reported(self, capture: QtCapture) -> None:
        report = capture.report
        if report is not None and report.state == "capturing":
            self.lag_reported.emit(capture.spec.title(), capture.spec.topics(), report.lag_s)

    def stop_all_and_wait(self) -> None:
        """Stop every capture and wait for them (on quit)."""
        for capture in self.captures:
            capture.stop_and_wait()

    def _selected(self) -> QtCapture | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return self.captures[rows[0].row()]
        return self.captures[-1] if len(self.captures) == 1 else None

    def _stop_selected(self) -> None:
        capture = self._selected()
        if capture is None:
            return
        if capture.state in ("stopped", "failed"):
            self.captures.remove(capture)
            capture.deleteLater()
        else:
            capture.stop()
        self._refresh()

    def _show_log(self) -> QDialog | None:
        capture = self._selected()
        if capture is None:
            return None
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Capture log: {capture.spec.title()}")
        view = QPlainTextEdit("\n".join(capture.log.lines()))
        view.setReadOnly(True)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        use_fixed_font(dialog, view)
        QVBoxLayout(dialog).addWidget(view)
        dialog.resize(900, 400)
        dialog.open()
        return dialog

    def _refresh(self) -> None:
        self.table.setRowCount(len(self.captures))
        for row, capture in enumerate(self.captures):
            report = capture.report
            state = capture.state + (f": {capture.problem}" if capture.problem else "")
            cells = (
                capture.spec.title(),
                ", ".join(capture.spec.topics()),
                state,
                report.position if report else "—",
                report.lag_text() if report else "—",
                f"{report.changes:,}" if report else "—",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.setVisible(bool(self.captures))
        selected = self._selected()
        self.stop_button.setEnabled(selected is not None)
        self.stop_button.setText(
            "Remove" if selected is not None and selected.state in ("stopped", "failed") else "Stop"
        )
        self.log_button.setEnabled(selected is not None)
